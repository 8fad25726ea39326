import type { Clock } from '../../time/clock.js';

/** Wall-clock milliseconds since the epoch, sub-millisecond: timestamps for captures of real links. */
export const wallClock: Clock = { now: (): number => performance.timeOrigin + performance.now() };

import type { TimerScheduler } from './scheduler.js';

type TimeoutHandle = unknown;
interface TimerGlobals {
  setTimeout(fn: () => void, ms: number): TimeoutHandle;
  clearTimeout(h: TimeoutHandle): void;
}

/**
 * Drives a scheduler in wall-clock time with ONE host timer armed for the earliest
 * deadline and re-armed as it changes (DESIGN: never a setTimeout per segment).
 */
export class RealTimeDriver {
  private handle: TimeoutHandle | null = null;
  private armedFor = Infinity;
  private readonly g = globalThis as unknown as TimerGlobals;
  private stopped = false;

  constructor(private readonly scheduler: TimerScheduler) {
    scheduler.onEarliestChanged = (at) => this.arm(at);
  }

  start(): void {
    this.stopped = false;
    this.arm(this.scheduler.nextDeadline());
  }

  private arm(at: number): void {
    if (this.stopped || at >= this.armedFor) return;
    if (this.handle !== null) this.g.clearTimeout(this.handle);
    this.handle = null;
    this.armedFor = at;
    if (at === Infinity) return;
    const delay = Math.max(0, at - this.scheduler.now());
    this.handle = this.g.setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    this.handle = null;
    this.armedFor = Infinity;
    this.scheduler.runDue(this.scheduler.now());
    this.arm(this.scheduler.nextDeadline());
  }

  /** Stops driving; pending timers stay in the scheduler. */
  stop(): void {
    this.stopped = true;
    if (this.handle !== null) this.g.clearTimeout(this.handle);
    this.handle = null;
    this.armedFor = Infinity;
  }
}

import type { TimerScheduler } from './scheduler.js';

type TimeoutHandle = unknown;
interface TimerGlobals {
  setTimeout(fn: () => void, ms: number): TimeoutHandle;
  clearTimeout(h: TimeoutHandle): void;
  setImmediate?: (fn: () => void) => TimeoutHandle;
  clearImmediate?: (h: TimeoutHandle) => void;
}

/**
 * Drives a scheduler in wall-clock time with ONE host timer armed for the earliest
 * deadline and re-armed as it changes (DESIGN: never a setTimeout per segment).
 *
 * A deadline that is already due (a frame delivered "now" by a segment) runs on the next
 * macrotask through setImmediate where there is one: setTimeout(0) waits at least a
 * millisecond in Node and browsers, which would put a millisecond into every hop.
 */
export class RealTimeDriver {
  private handle: TimeoutHandle | null = null;
  private immediate = false;
  private armedFor = Infinity;
  private readonly g = globalThis as unknown as TimerGlobals;
  private stopped = false;
  private readonly fireFn = (): void => this.fire();

  constructor(private readonly scheduler: TimerScheduler) {
    scheduler.onEarliestChanged = (at) => this.arm(at);
  }

  start(): void {
    this.stopped = false;
    this.arm(this.scheduler.nextDeadline());
  }

  private arm(at: number): void {
    if (this.stopped || at >= this.armedFor) return;
    this.cancel();
    this.armedFor = at;
    if (at === Infinity) return;
    const delay = at - this.scheduler.now();
    if (delay <= 0 && this.g.setImmediate) {
      this.immediate = true;
      this.handle = this.g.setImmediate(this.fireFn);
      return;
    }
    // Host timers take at most 2^31-1 ms (longer delays fire at once in Node and browsers).
    this.handle = this.g.setTimeout(this.fireFn, Math.min(0x7fffffff, Math.max(0, delay)));
  }

  private cancel(): void {
    if (this.handle !== null) {
      if (this.immediate) this.g.clearImmediate?.(this.handle);
      else this.g.clearTimeout(this.handle);
    }
    this.handle = null;
    this.immediate = false;
  }

  private fire(): void {
    this.handle = null;
    this.immediate = false;
    this.armedFor = Infinity;
    try {
      this.scheduler.runDue(this.scheduler.now());
    } finally {
      this.arm(this.scheduler.nextDeadline());
    }
  }

  /** Stops driving; pending timers stay in the scheduler. */
  stop(): void {
    this.stopped = true;
    this.cancel();
    this.armedFor = Infinity;
  }
}

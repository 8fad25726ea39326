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
    // Host timers take at most 2^31-1 ms (longer delays fire at once in Node and browsers).
    const delay = Math.min(0x7fffffff, Math.max(0, at - this.scheduler.now()));
    this.handle = this.g.setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    this.handle = null;
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
    if (this.handle !== null) this.g.clearTimeout(this.handle);
    this.handle = null;
    this.armedFor = Infinity;
  }
}

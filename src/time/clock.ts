/**
 * Time sources. All protocol time is in milliseconds as a float (sub-millisecond
 * precision matters for serialization delay on fast links).
 */
export interface Clock {
  /** Milliseconds since this clock's origin. Monotonic. */
  now(): number;
}

/** A clock that moves only when told to: the network's run loop jumps it to the next timer. */
export class VirtualClock implements Clock {
  private t = 0;
  now(): number {
    return this.t;
  }
  /** Moves time forward; time never goes back. */
  advanceTo(t: number): void {
    if (t > this.t) this.t = t;
  }
}

interface PerformanceLike {
  now(): number;
}

/** Wall-clock time from `performance.now()` (Node, browsers, Deno, Bun), else `Date.now()`. */
export class RealClock implements Clock {
  private readonly perf: PerformanceLike | undefined = (globalThis as { performance?: PerformanceLike }).performance;
  private readonly origin: number;
  constructor() {
    this.origin = this.raw();
  }
  private raw(): number {
    return this.perf ? this.perf.now() : Date.now();
  }
  now(): number {
    return this.raw() - this.origin;
  }
}

import type { Clock } from './clock.js';

/**
 * What the scheduler orders: a deadline and the work to do when it passes. Timer (below) is
 * the general kind, running a callback; a protocol with many timers may extend this class
 * instead and dispatch in fire(), so that no closure (and its context) is kept per timer.
 */
export abstract class TimerBase {
  /** Deadline in clock milliseconds; meaningful only while armed. */
  at = 0;
  /** Tie-breaker so timers with the same deadline fire in arming order (determinism). */
  seq = 0;
  /** Position in the scheduler's heap, or -1 when not armed. */
  index = -1;
  /**
   * True for the stack's own timers (ARP, reassembly, link delivery…), which never resume
   * application code by themselves. Any other timer firing counts as a possible application
   * wake-up (see TimerScheduler.wakeups), so virtual time never runs ahead of it.
   */
  abstract readonly internal: boolean;
  /** The timer's work, run by the scheduler once the deadline has passed (already disarmed). */
  abstract fire(): void;
  get armed(): boolean {
    return this.index >= 0;
  }
}

/**
 * A reusable timer. Protocol code keeps one per purpose (RTO, delayed ACK, ARP entry…)
 * and re-arms it; arming never allocates.
 */
export class Timer extends TimerBase {
  /**
   * @param internal true for the stack's own timers, which never resume application code by
   *   themselves (see TimerBase.internal).
   */
  constructor(
    public callback: () => void,
    readonly internal = false,
  ) {
    super();
  }
  fire(): void {
    this.callback();
  }
}

/**
 * One timer scheduler per stack (DESIGN principle 5): an indexed binary min-heap
 * ordered by (deadline, arming sequence). O(log n) arm, disarm and re-arm.
 */
export class TimerScheduler {
  private heap: TimerBase[] = [];
  private seqCounter = 0;
  /** Called when the earliest deadline moves earlier (a real-time driver re-arms its one setTimeout). */
  onEarliestChanged: ((at: number) => void) | null = null;
  /**
   * Bumped whenever a blocked application call is woken and whenever a non-internal timer
   * fires. The virtual-time run loop yields to application code only when this moved, so
   * traffic that wakes nobody runs without a macrotask hop per step.
   */
  wakeups = 0;

  constructor(readonly clock: Clock) {}

  get size(): number {
    return this.heap.length;
  }

  now(): number {
    return this.clock.now();
  }

  /** Arms (or re-arms) `timer` to fire at absolute time `at`. */
  arm(timer: TimerBase, at: number): void {
    if (!(at >= 0)) at = 0; // NaN and negatives fire at once rather than corrupting the heap
    timer.at = at;
    timer.seq = this.seqCounter++;
    if (timer.index >= 0) {
      this.fix(timer.index);
    } else {
      timer.index = this.heap.length;
      this.heap.push(timer);
      this.up(timer.index);
    }
    if (this.heap[0] === timer && this.onEarliestChanged) this.onEarliestChanged(at);
  }

  /** Arms `timer` to fire `delay` ms from now. */
  armIn(timer: TimerBase, delay: number): void {
    this.arm(timer, this.clock.now() + delay);
  }

  /** Convenience for one-shot work; prefer a reusable Timer on hot paths. */
  after(delay: number, callback: () => void): Timer {
    const t = new Timer(callback);
    this.armIn(t, delay);
    return t;
  }

  /** Stops `timer` if armed; null (a timer never created) is accepted and ignored. */
  disarm(timer: TimerBase | null): void {
    if (timer === null) return;
    const i = timer.index;
    if (i < 0) return;
    const last = this.heap.pop()!;
    timer.index = -1;
    if (last !== timer) {
      this.heap[i] = last;
      last.index = i;
      this.fix(i);
    }
  }

  /** Earliest deadline, or Infinity when nothing is armed. */
  nextDeadline(): number {
    return this.heap.length ? this.heap[0]!.at : Infinity;
  }

  /**
   * Fires every timer whose deadline is <= `now`, including ones armed for <= now
   * by the callbacks themselves. Returns how many fired.
   */
  runDue(now: number = this.clock.now()): number {
    let n = 0;
    while (this.heap.length && this.heap[0]!.at <= now) {
      const t = this.heap[0]!;
      this.disarm(t);
      n++;
      if (!t.internal) this.wakeups++;
      t.fire();
    }
    return n;
  }

  private less(a: TimerBase, b: TimerBase): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private fix(i: number): void {
    if (!this.up(i)) this.down(i);
  }

  private up(i: number): boolean {
    const h = this.heap;
    const t = h[i]!;
    let moved = false;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = h[p]!;
      if (!this.less(t, pt)) break;
      h[i] = pt;
      pt.index = i;
      i = p;
      moved = true;
    }
    h[i] = t;
    t.index = i;
    return moved;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const t = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(h[r]!, h[l]!) ? r : l;
      const ct = h[c]!;
      if (!this.less(ct, t)) break;
      h[i] = ct;
      ct.index = i;
      i = c;
    }
    h[i] = t;
    t.index = i;
  }
}

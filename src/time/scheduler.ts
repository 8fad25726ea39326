import type { Clock } from './clock.js';

/**
 * A reusable timer. Protocol code keeps one per purpose (RTO, delayed ACK, ARP entry…)
 * and re-arms it; arming never allocates. The callback gets the timer, so one function can
 * serve many timers that each name what they work on in `context` (TCP's connection timers):
 * no closure is kept per timer. Every timer is this one class, so the scheduler's heap code
 * sees one object shape.
 */
export class Timer {
  /** Deadline in clock milliseconds; meaningful only while armed. */
  at = 0;
  /** Tie-breaker so timers with the same deadline fire in arming order (determinism). */
  seq = 0;
  /** Position in the scheduler's heap, or -1 when not armed. */
  index = -1;
  /**
   * @param internal true for the stack's own timers (ARP, reassembly, link delivery…), which
   *   never resume application code by themselves. Any other timer firing counts as a possible
   *   application wake-up (see TimerScheduler.wakeups), so virtual time never runs ahead of it.
   * @param context what the callback works on, for a callback shared by several timers.
   */
  constructor(
    public callback: (timer: Timer) => void,
    readonly internal = false,
    readonly context: unknown = null,
  ) {}
  get armed(): boolean {
    return this.index >= 0;
  }
}

/**
 * One timer scheduler per stack (DESIGN principle 5): an indexed binary min-heap
 * ordered by (deadline, arming sequence). O(log n) arm, disarm and re-arm.
 */
export class TimerScheduler {
  private heap: Timer[] = [];
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
  arm(timer: Timer, at: number): void {
    this.armAs(timer, at, this.seqCounter++);
  }

  /**
   * Reserves the arming sequence number a timer armed now would get. A timer that stands for
   * several events (a link's queue of frames in flight) re-arms with armAs() and the reserved
   * number of the event it fires for next, so among timers of equal deadline it fires where that
   * event's own timer would have.
   */
  reserveSeq(): number {
    return this.seqCounter++;
  }

  /** Whether an event at (`at`, `seq`) comes before every armed timer (or none is armed). */
  precedesNext(at: number, seq: number): boolean {
    const h = this.heap[0];
    return h === undefined || at < h.at || (at === h.at && seq < h.seq);
  }

  /** Arms `timer` for `at` with a sequence number from reserveSeq() (ties fire in that order). */
  armAs(timer: Timer, at: number, seq: number): void {
    if (!(at >= 0)) at = 0; // NaN and negatives fire at once rather than corrupting the heap
    timer.at = at;
    timer.seq = seq;
    if (timer.index >= 0) {
      this.fix(timer.index);
    } else {
      timer.index = this.heap.length;
      this.heap.push(timer);
      this.up(timer.index);
    }
    if (this.heap[0] === timer && this.onEarliestChanged) this.onEarliestChanged(at);
  }

  /**
   * Arms `timer` for `at` unless it is armed for exactly then already: it then keeps its place
   * among timers due at that instant (it fires before those armed after it was). For a timer
   * stopped lazily (left armed, its owner noting that it times nothing) and started again for
   * the same deadline, as TCP's delayed-ACK and retransmission timers are: no heap operation.
   */
  armUnlessAt(timer: Timer, at: number): void {
    if (!timer.armed || timer.at !== at) this.arm(timer, at);
  }

  /** Arms `timer` to fire `delay` ms from now. */
  armIn(timer: Timer, delay: number): void {
    this.arm(timer, this.clock.now() + delay);
  }

  /** Convenience for one-shot work; prefer a reusable Timer on hot paths. */
  after(delay: number, callback: () => void): Timer {
    const t = new Timer(() => callback());
    this.armIn(t, delay);
    return t;
  }

  /** Stops `timer` if armed; null (a timer never created) is accepted and ignored. */
  disarm(timer: Timer | null): void {
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
    return this.fireDue(now, false);
  }

  /**
   * Fires, in order, the due timers at the front of the heap as long as they are internal ones
   * (the stack's own: link delivery, protocol timers), stopping at the first application timer.
   * Returns how many fired. Lets a virtual-time run loop process traffic at the current instant
   * without first waiting for every application task to block (see Network.fireDueSoon).
   */
  runDueInternal(now: number = this.clock.now()): number {
    return this.fireDue(now, true);
  }

  /** The loop of runDue and runDueInternal: earliest first, stopping as they say. */
  private fireDue(now: number, internalOnly: boolean): number {
    let n = 0;
    while (this.heap.length && this.heap[0]!.at <= now) {
      const t = this.heap[0]!;
      if (!t.internal) {
        if (internalOnly) break;
        this.wakeups++;
      }
      this.disarm(t);
      n++;
      t.callback(t);
    }
    return n;
  }

  private less(a: Timer, b: Timer): boolean {
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

import type { TimerScheduler } from '../time/scheduler.js';
import { Timer } from '../time/scheduler.js';
import { microtask } from '../time/microtask.js';
import type { WaitQueue, Waiter } from '../stack/events.js';
import { SocketError } from '../stack/errno.js';

/**
 * A call asleep on one wait queue (or several, for poll) until an event in `mask` or a
 * timeout. Listed in its process's `registry` while it sleeps, so a deadlock report can name
 * it (`String(call)` is e.g. "recv(4)"). Every wake-up bumps `scheduler.wakeups`, which tells
 * the virtual-time run loop that application code has work to do. What a wake-up or timeout
 * then does is the subclass's `woken`.
 */
abstract class Sleeper implements Waiter {
  private timer: Timer | null = null;
  private asleep = false;
  /** Neighbours in the registry's list while asleep (BlockedCalls). */
  prevBlocked: Sleeper | null = null;
  nextBlocked: Sleeper | null = null;

  constructor(
    protected readonly sched: TimerScheduler,
    private readonly queues: WaitQueue | readonly WaitQueue[],
    readonly mask: number,
    /** The call and its descriptor(s), for reports; formatted only when asked. */
    readonly call: string,
    readonly fds: number | readonly number[],
    private readonly registry: BlockedCalls | null,
  ) {}

  /** Sleeps until woken or until `timeoutMs` (negative = no timeout) passed. */
  protected sleep(timeoutMs: number): void {
    const q = this.queues;
    if (isQueueList(q)) for (const x of q) x.add(this);
    else q.add(this);
    this.registry?.add(this);
    this.asleep = true;
    if (timeoutMs >= 0) {
      // finish() counts the wake-up itself, so the timer is internal.
      this.timer ??= new Timer(sleeperTimedOut, true, this);
      this.sched.armIn(this.timer, timeoutMs);
    }
  }

  wake(): void {
    this.finish(true);
  }

  finish(woken: boolean): void {
    if (this.unlink()) this.woken(woken);
  }

  /** Ends the sleep (a wake-up for the run loop); false when it had already ended (woken by two queues at once). */
  protected unlink(): boolean {
    if (!this.asleep) return false;
    this.asleep = false;
    const q = this.queues;
    if (isQueueList(q)) for (const x of q) x.remove(this);
    else q.remove(this);
    if (this.timer !== null) this.sched.disarm(this.timer);
    this.registry?.delete(this);
    this.sched.wakeups++;
    return true;
  }

  /** After the sleep: true when woken, false when the timeout passed. */
  protected abstract woken(woken: boolean): void;

  toString(): string {
    return `${this.call}(${typeof this.fds === 'number' ? this.fds : this.fds.join(',')})`;
  }
}

function sleeperTimedOut(t: Timer): void {
  (t.context as Sleeper).finish(false);
}

function isQueueList(q: WaitQueue | readonly WaitQueue[]): q is readonly WaitQueue[] {
  return Array.isArray(q);
}

/**
 * The calls asleep in one process, for deadlock reports: a list threaded through the calls
 * themselves, so going to sleep and waking cost no hashing.
 */
export class BlockedCalls {
  private head: Sleeper | null = null;
  size = 0;

  add(c: Sleeper): void {
    c.prevBlocked = null;
    c.nextBlocked = this.head;
    if (this.head !== null) this.head.prevBlocked = c;
    this.head = c;
    this.size++;
  }

  delete(c: Sleeper): void {
    if (c.prevBlocked !== null) c.prevBlocked.nextBlocked = c.nextBlocked;
    else if (this.head === c) this.head = c.nextBlocked;
    else return; // not listed
    if (c.nextBlocked !== null) c.nextBlocked.prevBlocked = c.prevBlocked;
    c.prevBlocked = c.nextBlocked = null;
    this.size--;
  }

  /** The calls, oldest first. */
  values(): Sleeper[] {
    const out: Sleeper[] = [];
    for (let c = this.head; c !== null; c = c.nextBlocked) out.push(c);
    return out.reverse();
  }
}

/** One blocked call (accept, connect, poll…) that its caller resumes once it is woken. */
export class BlockedCall extends Sleeper {
  private resolve: ((woken: boolean) => void) | null = null;
  private reject: ((e: unknown) => void) | null = null;

  constructor(sched: TimerScheduler, queues: WaitQueue | readonly WaitQueue[], mask: number, call: string, fds: number | readonly number[], registry: BlockedCalls | null = null) {
    super(sched, queues, mask, call, fds, registry);
  }

  /** Starts waiting: true when woken, false when `timeoutMs` (negative = none) passed first. */
  wait(timeoutMs: number): Promise<boolean> {
    const p = new Promise<boolean>((resolve) => (this.resolve = resolve));
    this.sleep(timeoutMs);
    return p;
  }

  /** Starts waiting: resolves (true) when woken, rejects with EAGAIN (from `call`) when `timeoutMs` passes first. */
  waitOrFail(timeoutMs: number): Promise<boolean> {
    const p = new Promise<boolean>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.sleep(timeoutMs);
    return p;
  }

  protected woken(woken: boolean): void {
    if (!woken && this.reject !== null) this.reject(new SocketError('EAGAIN', this.call, 'timed out'));
    else this.resolve!(woken);
  }
}

/** `RetryingCall.attempt()` could not finish yet: sleep until the next event. */
export const AGAIN: unique symbol = Symbol('again');

/**
 * A call that tries again after every wake-up until it is done (send while the buffer is full,
 * recv while nothing has arrived), with no async function in between: `attempt()` either
 * returns the result, throws the error, or returns AGAIN to sleep until the next event in `mask`
 * or the absolute `deadline` (then `timedOut()` decides). The first attempt runs at once, so a
 * call that need not wait settles without sleeping.
 *
 * A wake-up comes from inside the stack's input processing; the retry runs from a microtask
 * after it, as a woken task runs after the softirq that woke it, so a read never interleaves
 * with the segment processing that announced the data. One object per call and no frame to
 * resume: this is the request/response fast path.
 */
export abstract class RetryingCall<T> extends Sleeper {
  private resolve: ((v: T) => void) | null = null;
  private reject: ((e: unknown) => void) | null = null;

  constructor(sched: TimerScheduler, queue: WaitQueue, mask: number, call: string, fd: number, registry: BlockedCalls, private readonly deadline: number) {
    super(sched, queue, mask, call, fd, registry);
  }

  /** One try: the result, AGAIN to sleep, or a thrown error. */
  protected abstract attempt(): T | typeof AGAIN;

  /** The deadline passed while asleep: a result (what was done so far) or a thrown error. */
  protected timedOut(): T {
    throw new SocketError('EAGAIN', this.call, 'timed out');
  }

  /** Runs the call: settled at once when the first attempt finishes it. */
  run(): Promise<T> {
    let r: T | typeof AGAIN;
    try {
      r = this.attempt();
    } catch (e) {
      return Promise.reject(e);
    }
    if (r !== AGAIN) return Promise.resolve(r);
    return new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.sleepOrTimeOut();
    });
  }

  private sleepOrTimeOut(): void {
    let timeout = -1; // none
    if (this.deadline !== Infinity) {
      timeout = this.deadline - this.sched.now();
      if (timeout <= 0) return this.settle(false);
    }
    this.sleep(timeout);
  }

  protected woken(woken: boolean): void {
    if (woken) retryLater(this);
    else this.settle(false);
  }

  /** Ends the call, asleep until now, with a result it got meanwhile (a direct read). */
  protected complete(r: T): void {
    if (this.unlink()) this.resolve!(r);
  }

  /** Tries again (woken) or ends with timedOut(); settles the promise or sleeps again. */
  settle(woken: boolean): void {
    let r: T | typeof AGAIN;
    try {
      r = woken ? this.attempt() : this.timedOut();
    } catch (e) {
      this.reject!(e);
      return;
    }
    if (r === AGAIN) this.sleepOrTimeOut();
    else this.resolve!(r);
  }
}

/** Calls woken during the current stack step, retried together from one microtask. */
const retries: Array<{ settle(woken: boolean): void }> = [];

function retryLater(c: { settle(woken: boolean): void }): void {
  if (retries.push(c) === 1) microtask(runRetries);
}

function runRetries(): void {
  // A retry may wake another call (its window update reaches a peer on a synchronous path):
  // that one joins this pass. settle() catches what the call throws; should it throw anyway
  // (a bug), the other calls are still retried and the first error is rethrown after them.
  let failed = false;
  let error: unknown;
  for (let i = 0; i < retries.length; i++) {
    try {
      retries[i]!.settle(true);
    } catch (e) {
      if (!failed) error = e;
      failed = true;
    }
  }
  retries.length = 0;
  if (failed) throw error;
}

/**
 * The absolute deadline of a call bounded by SO_RCVTIMEO / SO_SNDTIMEO `timeoMs` ms; 0 (or a
 * negative value, a call that never waits) means none.
 */
export function timeoDeadline(sched: TimerScheduler, timeoMs: number): number {
  return timeoMs > 0 ? sched.now() + timeoMs : Infinity;
}

/** Sleeps on the stack's clock (virtual or real). */
export function sleep(sched: TimerScheduler, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    // A plain (non-internal) timer: the scheduler counts its firing as a wake-up.
    sched.after(Math.max(0, ms), resolve);
  });
}

import type { TimerScheduler } from '../time/scheduler.js';
import { Timer } from '../time/scheduler.js';
import type { WaitQueue, Waiter } from '../stack/events.js';
import { SocketError } from '../stack/errno.js';

/**
 * One blocked call (recv, accept, poll…): a waiter on one wait queue (or several, for poll)
 * until an event in `mask` or a timeout. Listed in its process's `registry` while it waits, so a
 * deadlock report can name it (`String(call)` is e.g. "recv(4)"). Every wake-up bumps
 * `scheduler.wakeups`, which tells the virtual-time run loop that application code has work to do.
 */
export class BlockedCall implements Waiter {
  private resolve: ((woken: boolean) => void) | null = null;
  private reject: ((e: unknown) => void) | null = null;
  private timer: Timer | null = null;
  /** A timeout rejects with EAGAIN (a socket call's SO_RCVTIMEO / SO_SNDTIMEO) instead of resolving false. */
  private failOnTimeout = false;

  constructor(
    private readonly sched: TimerScheduler,
    private readonly queues: WaitQueue | readonly WaitQueue[],
    readonly mask: number,
    /** The call and its descriptor(s), for reports; formatted only when asked. */
    readonly call: string,
    readonly fds: number | readonly number[],
    private readonly registry: Set<BlockedCall> | null = null,
  ) {}

  /** Starts waiting: true when woken, false when `timeoutMs` (negative = none) passed first. */
  wait(timeoutMs: number): Promise<boolean> {
    const p = new Promise<boolean>((resolve) => (this.resolve = resolve));
    this.start(timeoutMs);
    return p;
  }

  /** Starts waiting: resolves (true) when woken, rejects with EAGAIN (from `call`) when `timeoutMs` passes first. */
  waitOrFail(timeoutMs: number): Promise<boolean> {
    const p = new Promise<boolean>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.failOnTimeout = true;
    this.start(timeoutMs);
    return p;
  }

  private start(timeoutMs: number): void {
    const q = this.queues;
    if (isQueueList(q)) for (const x of q) x.add(this);
    else q.add(this);
    this.registry?.add(this);
    if (timeoutMs >= 0) {
      this.timer = new Timer(() => this.finish(false), true); // finish() counts the wake-up itself
      this.sched.armIn(this.timer, timeoutMs);
    }
  }

  wake(): void {
    this.finish(true);
  }

  private finish(woken: boolean): void {
    const resolve = this.resolve;
    if (resolve === null) return; // already finished (woken by two queues at once)
    this.resolve = null;
    const q = this.queues;
    if (isQueueList(q)) for (const x of q) x.remove(this);
    else q.remove(this);
    if (this.timer) this.sched.disarm(this.timer);
    this.registry?.delete(this);
    this.sched.wakeups++;
    if (!woken && this.failOnTimeout) this.reject!(new SocketError('EAGAIN', this.call, 'timed out'));
    else resolve(woken);
  }

  toString(): string {
    return `${this.call}(${typeof this.fds === 'number' ? this.fds : this.fds.join(',')})`;
  }
}

function isQueueList(q: WaitQueue | readonly WaitQueue[]): q is readonly WaitQueue[] {
  return Array.isArray(q);
}

/** Sleeps on the stack's clock (virtual or real). */
export function sleep(sched: TimerScheduler, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    // A plain (non-internal) timer: the scheduler counts its firing as a wake-up.
    sched.after(Math.max(0, ms), resolve);
  });
}

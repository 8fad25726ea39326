/** Readiness bits with Linux's poll(2) values; epoll uses the same bits. */
export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;
export const POLLRDNORM = 0x040;
export const POLLWRNORM = 0x100;
export const POLLRDHUP = 0x2000;

export interface Waiter {
  mask: number;
  wake(events: number): void;
}

/**
 * Who is waiting on an endpoint (blocked calls, poll, epoll). Endpoints call
 * `notify(events)` whenever their readiness may have changed; waiters re-check.
 */
export class WaitQueue {
  /** Null until the first waiter (most endpoints are never waited on: no array for them); kept after. */
  private waiters: Waiter[] | null = null;

  add(w: Waiter): void {
    if (this.waiters === null) this.waiters = [w];
    else this.waiters.push(w);
  }

  remove(w: Waiter): void {
    const ws = this.waiters;
    if (ws === null) return;
    const i = ws.indexOf(w);
    if (i >= 0) ws.splice(i, 1);
  }

  get size(): number {
    return this.waiters === null ? 0 : this.waiters.length;
  }

  notify(events: number): void {
    if (this.waiters === null || this.waiters.length === 0) return;
    // Copy: a woken waiter usually removes itself.
    const ws = this.waiters.slice();
    for (const w of ws) if ((w.mask & events) !== 0) w.wake(events);
  }
}

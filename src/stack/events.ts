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
  private waiters: Waiter[] = [];

  add(w: Waiter): void {
    this.waiters.push(w);
  }

  remove(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  get size(): number {
    return this.waiters.length;
  }

  notify(events: number): void {
    const n = this.waiters.length;
    if (n === 0) return;
    if (n === 1) {
      // The usual case (one blocked call): no copy needed, the waiter is called at most once.
      const w = this.waiters[0]!;
      if ((w.mask & events) !== 0) w.wake(events);
      return;
    }
    // Copy: a woken waiter usually removes itself.
    const ws = this.waiters.slice();
    for (const w of ws) if ((w.mask & events) !== 0) w.wake(events);
  }
}

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
  /** The first waiter: usually the only one, so most queues need no array. */
  private first: Waiter | null = null;
  /** Waiters after the first, in the order they came (null until there are two at once). */
  private rest: Waiter[] | null = null;

  add(w: Waiter): void {
    if (this.first === null) this.first = w;
    else (this.rest ??= []).push(w);
  }

  remove(w: Waiter): void {
    const rest = this.rest;
    if (this.first === w) {
      this.first = rest !== null && rest.length > 0 ? rest.shift()! : null;
    } else if (rest !== null) {
      const i = rest.indexOf(w);
      if (i >= 0) rest.splice(i, 1);
    }
  }

  get size(): number {
    return (this.first === null ? 0 : 1) + (this.rest === null ? 0 : this.rest.length);
  }

  /** How many waiters wait for an event in `mask`. */
  waitingFor(mask: number): number {
    let n = this.first !== null && (this.first.mask & mask) !== 0 ? 1 : 0;
    if (this.rest !== null) for (const w of this.rest) if ((w.mask & mask) !== 0) n++;
    return n;
  }

  notify(events: number): void {
    const first = this.first;
    if (first === null) return;
    if (this.rest === null || this.rest.length === 0) {
      if ((first.mask & events) !== 0) first.wake(events);
      return;
    }
    // Copy: a woken waiter usually removes itself.
    const ws = [first, ...this.rest];
    for (const w of ws) if ((w.mask & events) !== 0) w.wake(events);
  }
}

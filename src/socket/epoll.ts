import type { ErrnoCode } from '../stack/errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, WaitQueue, type Waiter } from '../stack/events.js';
import type { OpenSocket } from './open-socket.js';
import { EPOLLET, EPOLLONESHOT, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD } from './constants.js';

export interface EpollEvent {
  events: number;
  /** epoll_data: whatever the caller registered (defaults to the fd). */
  data?: unknown;
}

interface Item {
  fd: number;
  sock: OpenSocket;
  events: number;
  data: unknown;
  ready: boolean;
  waiter: Waiter;
}

/**
 * An epoll instance (epoll(7)): a ready list fed by wake-ups from the watched sockets.
 * Level-triggered items stay on the list while ready; EPOLLET items leave it when
 * reported and return on the next wake-up; EPOLLONESHOT items are disarmed until MOD.
 */
export class EpollInstance {
  cloexec = false;
  readonly wait = new WaitQueue();
  private items = new Map<number, Item>();
  private readyList: Item[] = [];

  readiness(): number {
    for (const it of this.readyList) if (this.eventsOf(it)) return POLLIN;
    return 0;
  }

  private eventsOf(it: Item): number {
    if (it.sock.closed) return 0;
    return it.sock.readiness() & ((it.events & ~(EPOLLET | EPOLLONESHOT)) | POLLERR | POLLHUP);
  }

  private markReady(it: Item): void {
    if ((it.events & ~(EPOLLET | EPOLLONESHOT)) === 0 && (it.events & EPOLLONESHOT) !== 0) return; // disarmed
    if (!it.ready) {
      it.ready = true;
      this.readyList.push(it);
    }
    // Like ep_poll_callback: wake pollers of the epoll fd even when the item was already listed.
    this.wait.notify(POLLIN);
  }

  ctl(op: number, fd: number, sock: OpenSocket, event: EpollEvent | undefined): ErrnoCode | null {
    if (op !== EPOLL_CTL_ADD && op !== EPOLL_CTL_DEL && op !== EPOLL_CTL_MOD) return 'EINVAL';
    let existing = this.items.get(fd);
    if (existing && existing.sock.closed) {
      // Closing a socket removes it from every epoll set (eventpoll_release): a reused fd
      // number names a new socket, not the one registered before.
      this.remove(existing);
      existing = undefined;
    }
    if (op === EPOLL_CTL_ADD) {
      if (existing) return 'EEXIST';
      if (!event) return 'EFAULT';
      const it: Item = { fd, sock, events: event.events >>> 0, data: event.data ?? fd, ready: false, waiter: null! };
      // ep_poll_callback: only a wake-up carrying an event of interest (or ERR/HUP) queues the item.
      it.waiter = { mask: 0xffffffff, wake: (ev) => {
        if (ev & (it.events | POLLERR | POLLHUP | POLLNVAL)) this.markReady(it);
      } };
      sock.wait.add(it.waiter);
      this.items.set(fd, it);
      if (this.eventsOf(it)) this.markReady(it);
      return null;
    }
    if (!existing) return 'ENOENT';
    if (op === EPOLL_CTL_DEL) {
      this.remove(existing);
      return null;
    }
    if (!event) return 'EFAULT';
    existing.events = event.events >>> 0;
    existing.data = event.data ?? fd;
    if (this.eventsOf(existing)) this.markReady(existing);
    return null;
  }

  private remove(it: Item): void {
    it.sock.wait.remove(it.waiter);
    this.items.delete(it.fd);
    const i = this.readyList.indexOf(it);
    if (i >= 0) this.readyList.splice(i, 1);
    it.ready = false;
  }

  /** Collects up to `max` events from the ready list (ep_send_events). */
  harvest(max: number): EpollEvent[] {
    const out: EpollEvent[] = [];
    const keep: Item[] = [];
    const list = this.readyList;
    this.readyList = [];
    let i = 0;
    for (; i < list.length && out.length < max; i++) {
      const it = list[i]!;
      if (it.sock.closed) {
        // Closing the last descriptor of a socket removes it from every epoll set.
        this.remove(it);
        continue;
      }
      const ev = this.eventsOf(it);
      if (!ev) {
        it.ready = false;
        continue;
      }
      out.push({ events: ev, data: it.data });
      if (it.events & EPOLLONESHOT) {
        it.events &= EPOLLET | EPOLLONESHOT; // disarmed until EPOLL_CTL_MOD
        it.ready = false;
      } else if (it.events & EPOLLET) {
        it.ready = false;
      } else {
        keep.push(it); // level-triggered: stays ready, goes to the back for fairness
      }
    }
    this.readyList = list.slice(i).concat(keep, this.readyList);
    return out;
  }

  close(): void {
    for (const it of [...this.items.values()]) this.remove(it);
  }
}

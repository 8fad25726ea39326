import { DatagramQueue } from '../storage/datagram-queue.js';
import { WaitQueue, POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP } from './events.js';
import type { ErrnoCode } from './errno.js';

/** Where a datagram came from: uint32 address and port (0 for raw sockets). */
export interface PeerAddr {
  addr: number;
  port: number;
}

/** Linux defaults: net.core.rmem_default / wmem_default. */
export const DEFAULT_RCVBUF = 212_992;
export const DEFAULT_SNDBUF = 212_992;

/**
 * What every datagram-style socket (UDP, raw) keeps: addresses, IP options, the pending
 * error, shutdown flags, the bounded receive queue and its waiters.
 */
export class DatagramEndpoint {
  localAddr = 0;
  remoteAddr = 0;
  broadcast = false;
  /** -1 = the host's default TTL (IP_TTL). */
  ttl = -1;
  tos = 0;
  sndbuf = DEFAULT_SNDBUF;
  /** Pending asynchronous error (sk_err): reported once by the next call or SO_ERROR. */
  pendingError: ErrnoCode | null = null;
  shutRead = false;
  shutWrite = false;
  closed = false;
  /** Datagrams dropped because the receive queue was full. */
  drops = 0;
  readonly queue = new DatagramQueue<PeerAddr>(DEFAULT_RCVBUF);
  readonly wait = new WaitQueue();

  /** poll(2) bits as Linux datagram_poll: readable with data or EOF after SHUT_RD, always writable, error pending. */
  readiness(): number {
    let ev = POLLOUT;
    if (this.queue.length > 0) ev |= POLLIN;
    if (this.shutRead) ev |= POLLIN | POLLRDHUP;
    if (this.shutRead && this.shutWrite) ev |= POLLHUP;
    if (this.pendingError) ev |= POLLERR;
    return ev;
  }

  takeError(): ErrnoCode | null {
    const e = this.pendingError;
    this.pendingError = null;
    return e;
  }
}

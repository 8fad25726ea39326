/**
 * What a service's per-connection code works with: the accepted descriptor, byte counting into
 * the service's stats, and the one rule that keeps descriptors safe when the service closes
 * (only the connection task closes its fd; after that nobody touches the number again, since
 * it may already name another socket).
 */
import type { SocketApi } from '../socket/socket-api.js';
import type { SockAddr } from '../socket/sockaddr.js';
import { MSG_NOSIGNAL } from '../socket/constants.js';
import { SocketError } from '../stack/errno.js';
import type { ServiceStats } from './services.js';

/** What every handler of one service shares (resolved options and the live stats). */
export interface ServiceContext {
  readonly name: string;
  readonly stats: ServiceStats;
  readonly log: (line: string) => void;
  readonly now: () => Date;
  readonly hostname: string;
  /** The connections being served right now (the http /ss page lists them). */
  readonly conns: ReadonlySet<ServiceConn>;
}

export class ServiceConn {
  bytesIn = 0;
  bytesOut = 0;
  /** Set (synchronously) just before the connection task closes the descriptor. */
  closed = false;

  constructor(
    readonly api: SocketApi,
    readonly fd: number,
    readonly peer: SockAddr,
    readonly cx: ServiceContext,
  ) {}

  /** recv(2), counted; EBADF once the descriptor is closed (never a reused number). */
  async recv(max: number, flags = 0): Promise<Uint8Array> {
    if (this.closed) throw new SocketError('EBADF', 'recv');
    const data = await this.api.recv(this.fd, max, flags);
    this.bytesIn += data.length;
    this.cx.stats.bytesIn += data.length;
    return data;
  }

  /**
   * Queues all of `data` (send may take less than asked), counting as it goes.
   * MSG_NOSIGNAL: a vanished peer is EPIPE for this connection, not the end of the process.
   */
  async sendAll(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) {
      if (this.closed) throw new SocketError('EBADF', 'send');
      const n = await this.api.send(this.fd, off === 0 ? data : data.subarray(off), MSG_NOSIGNAL);
      off += n;
      this.bytesOut += n;
      this.cx.stats.bytesOut += n;
    }
  }

  /** "10.0.0.1:40000" */
  get who(): string {
    return `${this.peer.address}:${this.peer.port}`;
  }
}

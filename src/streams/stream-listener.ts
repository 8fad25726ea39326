import type { SocketApi } from '../socket/socket-api.js';
import { AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR } from '../socket/constants.js';
import { SocketError } from '../stack/errno.js';
import { Deferred, resolveHostname } from './socket-streams.js';
import { acceptedStream, type StreamSocket } from './stream-socket.js';

export interface ListenOptions {
  port: number;
  /** The local address to listen on (default 0.0.0.0: every interface). */
  hostname?: string;
  /** listen(2)'s backlog (default 128, Linux's classic SOMAXCONN; the stack clamps to somaxconn). */
  backlog?: number;
}

export interface StreamListenerInfo {
  localAddress: string;
  localPort: number;
}

/**
 * A listening TCP socket whose connections arrive by async iteration (Direct Sockets'
 * TCPServerSocket, Deno's Listener): `for await (const conn of listener)`. Leaving the loop leaves
 * the listener open; close() stops it and ends every iteration. A failed listen (EADDRINUSE,
 * EACCES…) rejects `opened` and `closed`, and iterating throws it.
 */
export interface StreamListener extends AsyncIterable<StreamSocket> {
  readonly opened: Promise<StreamListenerInfo>;
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

class TcpStreamListener implements StreamListener {
  private readonly openD = new Deferred<StreamListenerInfo>();
  private readonly closeD = new Deferred<void>();
  private fd = -1;
  private failure: unknown = null;
  private closing = false;

  constructor(
    private readonly api: SocketApi,
    opts: ListenOptions,
  ) {
    try {
      if (typeof opts !== 'object' || opts === null) throw new TypeError('listen() takes { port, hostname?, backlog? }');
      this.fd = api.socket(AF_INET, SOCK_STREAM, 0);
      // As Node and Deno servers do: a restarted server can bind while old connections sit in TIME-WAIT.
      api.setsockopt(this.fd, SOL_SOCKET, SO_REUSEADDR, 1);
      api.bind(this.fd, { address: resolveHostname(opts.hostname ?? '0.0.0.0'), port: opts.port });
      api.listen(this.fd, opts.backlog ?? 128);
      const local = api.getsockname(this.fd);
      this.openD.resolve({ localAddress: local.address, localPort: local.port });
    } catch (e) {
      this.failure = e;
      if (this.fd >= 0) void api.close(this.fd).catch(() => {});
      this.fd = -1;
      this.openD.reject(e);
      this.closeD.reject(e);
    }
  }

  get opened(): Promise<StreamListenerInfo> {
    return this.openD.promise;
  }

  get closed(): Promise<void> {
    return this.closeD.promise;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<StreamSocket, void, undefined> {
    if (this.failure !== null) throw this.failure;
    for (;;) {
      if (this.closing) return;
      let fd: number;
      try {
        [fd] = await this.api.accept(this.fd);
      } catch (e) {
        if (this.closing) return; // close() woke the accept: the iteration ends
        throw e;
      }
      yield acceptedStream(this.api, fd);
    }
  }

  async close(): Promise<void> {
    if (this.closing || this.failure !== null) {
      await this.closeD.promise.catch(() => {});
      return;
    }
    this.closing = true;
    try {
      // Connections queued but never accepted are reset, as close(2) on a Linux listener does.
      await this.api.close(this.fd);
    } catch (e) {
      if (!(e instanceof SocketError)) throw e;
    }
    this.fd = -1;
    this.closeD.resolve();
  }
}

/** Listens for TCP connections on `api` (bind + listen now; errors show in `opened`). */
export function listenStream(api: SocketApi, opts: ListenOptions): StreamListener {
  return new TcpStreamListener(api, opts);
}

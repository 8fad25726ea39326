import { EventEmitter } from 'node:events';
import { SocketError } from '../stack/errno.js';
import { AF_INET, IPPROTO_TCP, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR } from '../socket/constants.js';
import type { SockAddr } from '../socket/sockaddr.js';
import { isIPv4, isIPv6, lookupIPv4 } from './address.js';
import { argError, ipv6Error, nodeError, type NodeSystemError } from './node-errors.js';
import { noUnixSockets, normalizeListenArgs, validatePort } from './net-args.js';
import { kAccepted, Socket, type AddressInfo, type NetContext } from './net-socket.js';

export interface ServerOptions {
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

/** What a 'drop' event carries (Node 18.6+). */
export interface DropInfo {
  localAddress: string;
  localPort: number;
  localFamily: string;
  remoteAddress: string;
  remotePort: number;
  remoteFamily: string;
}

/** Node's default listen backlog. */
const DEFAULT_BACKLOG = 511;

/**
 * Node's net.Server over a sockstack host: listen() is socket/setsockopt(SO_REUSEADDR, as
 * libuv)/bind/listen on `host.sockets`, and an accept loop turns each connection into a Socket
 * and a 'connection' event. ref()/unref() do nothing (no libuv handle; see Socket).
 */
export class Server extends EventEmitter {
  /** Connections beyond this many are closed at once and reported by 'drop' (Node's rule: unset or 0 = no limit). */
  maxConnections: number | undefined = undefined;
  readonly allowHalfOpen: boolean;
  readonly pauseOnConnect: boolean;
  noDelay: boolean;
  keepAlive: boolean;
  keepAliveInitialDelay: number;

  readonly #cx: NetContext;
  #fd: number | null = null;
  #address: AddressInfo | null = null;
  #connections = 0;
  /** Listening stopped by close(): 'close' comes once the last connection has ended. */
  #closing = false;
  /** A listen() is resolving its host. */
  #starting = false;

  constructor(cx: NetContext, options?: ServerOptions | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void) {
    super();
    this.#cx = cx;
    if (typeof options === 'function') {
      connectionListener = options;
      options = {};
    }
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw argError('type', 'ERR_INVALID_ARG_TYPE', 'The "options" argument must be of type object.');
    }
    const o = options ?? {};
    this.allowHalfOpen = Boolean(o.allowHalfOpen);
    this.pauseOnConnect = Boolean(o.pauseOnConnect);
    this.noDelay = Boolean(o.noDelay);
    this.keepAlive = Boolean(o.keepAlive);
    this.keepAliveInitialDelay = ~~((o.keepAliveInitialDelay ?? 0) / 1000);
    if (connectionListener) this.on('connection', connectionListener);
  }

  /**
   * listen(port[, host[, backlog]][, cb]), listen(port, backlog[, cb]), listen(options[, cb]),
   * listen([cb]). Port 0 or none: an ephemeral port. Host: 0.0.0.0 by default (IPv4 only: '::'
   * is an EAFNOSUPPORT error), an IPv4 literal, 'localhost', or a name options.lookup could not
   * resolve (ENOTFOUND). Errors (EADDRINUSE, EACCES) come as 'error' events, as Node's.
   */
  listen(port?: number | string, host?: string, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number | string, host?: string, listeningListener?: () => void): this;
  listen(port?: number | string, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number | string, listeningListener?: () => void): this;
  listen(options: { port?: number | string; host?: string; backlog?: number; exclusive?: boolean; signal?: AbortSignal }, listeningListener?: () => void): this;
  listen(listeningListener?: () => void): this;
  listen(...args: unknown[]): this {
    const [options, cb] = normalizeListenArgs(args);
    if (options.path !== undefined) throw noUnixSockets(String(options.path));
    if (this.#fd !== null || this.#starting) throw argError('plain', 'ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
    const port = options.port === undefined || options.port === null ? 0 : validatePort(options.port, 'options.port');
    const backlog = typeof options.backlog === 'number' && Number.isFinite(options.backlog) ? options.backlog : DEFAULT_BACKLOG;
    if (cb) this.once('listening', cb);
    this.#closing = false;
    if (options.signal) this.#closeOnAbort(options.signal);
    const host = options.host ?? '0.0.0.0';
    if (typeof host !== 'string') throw argError('type', 'ERR_INVALID_ARG_TYPE', 'The "options.host" property must be of type string.');
    if (isIPv6(host)) {
      const err: NodeSystemError = ipv6Error(`cannot listen on ${host}`, 'listen');
      err.address = host;
      err.port = port;
      process.nextTick(() => this.emit('error', err));
      return this;
    }
    if (isIPv4(host)) {
      this.#listenOn(host, port, backlog);
      return this;
    }
    // Node looks a name up (dns.lookup) and listens on the answer.
    this.#starting = true;
    lookupIPv4(host, undefined, 0, (err, ip) => {
      this.#starting = false;
      if (err) this.emit('error', err);
      else this.#listenOn(ip, port, backlog);
    });
    return this;
  }

  /** Node's listen({ signal }): aborting the signal closes the server. */
  #closeOnAbort(signal: AbortSignal): void {
    if (signal.aborted) {
      process.nextTick(() => this.close());
      return;
    }
    const onAbort = (): void => void this.close();
    signal.addEventListener('abort', onAbort, { once: true });
    this.once('close', () => signal.removeEventListener('abort', onAbort));
  }

  #listenOn(address: string, port: number, backlog: number): void {
    const api = this.#cx.api;
    let fd: number | null = null;
    try {
      fd = api.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
      api.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
      api.bind(fd, { address, port });
      api.listen(fd, backlog);
    } catch (e) {
      if (fd !== null) void api.close(fd).catch(() => {});
      // Node reports a failed bind as listen's error: "listen EADDRINUSE: address already in use 0.0.0.0:80".
      const err = e instanceof SocketError ? nodeError(e, 'listen', address, port) : (e as Error);
      process.nextTick(() => this.emit('error', err));
      return;
    }
    this.#fd = fd;
    const l = api.getsockname(fd);
    this.#address = { address: l.address, family: 'IPv4', port: l.port };
    process.nextTick(() => {
      if (this.#fd === fd) this.emit('listening');
    });
    void this.#acceptLoop(fd);
  }

  /** accept(2) in a loop while listening; each connection becomes a Socket (or a 'drop'). */
  async #acceptLoop(fd: number): Promise<void> {
    const api = this.#cx.api;
    for (;;) {
      let conn: [number, SockAddr];
      try {
        conn = await api.accept(fd);
      } catch (e) {
        if (this.#fd !== fd) return; // closed: accept fails with EBADF, the loop ends
        this.emit('error', e instanceof SocketError ? nodeError(e, 'accept') : e);
        // EMFILE and the like: wait a little on the host's clock rather than spin.
        await api.sleep(100);
        continue;
      }
      if (this.#fd !== fd) {
        void api.close(conn[0]).catch(() => {});
        return;
      }
      this.#onConnection(conn[0], conn[1]);
    }
  }

  #onConnection(fd: number, peer: SockAddr): void {
    const api = this.#cx.api;
    if (this.maxConnections && this.#connections >= this.maxConnections) {
      let local: SockAddr = { address: '', port: 0 };
      try {
        local = api.getsockname(fd);
      } catch {
        /* keep the blanks */
      }
      void api.close(fd).catch(() => {});
      const info: DropInfo = {
        localAddress: local.address,
        localPort: local.port,
        localFamily: 'IPv4',
        remoteAddress: peer.address,
        remotePort: peer.port,
        remoteFamily: 'IPv4',
      };
      this.emit('drop', info);
      return;
    }
    const socket = new Socket(this.#cx, {
      allowHalfOpen: this.allowHalfOpen,
      noDelay: this.noDelay,
      keepAlive: this.keepAlive,
      keepAliveInitialDelay: this.keepAliveInitialDelay * 1000,
      [kAccepted]: { fd, peer, pauseOnCreate: this.pauseOnConnect },
    });
    socket.server = this;
    this.#connections++;
    socket.onClosedForServer = () => {
      this.#connections--;
      this.#emitCloseIfDrained();
    };
    this.emit('connection', socket);
  }

  /** { address, family: 'IPv4', port } while listening, else null. */
  address(): AddressInfo | null {
    return this.#address && this.#fd !== null ? { ...this.#address } : null;
  }

  get listening(): boolean {
    return this.#fd !== null;
  }

  /**
   * Stops accepting (the listening socket is closed; connections in its queue are reset, as
   * Linux does). 'close' follows once every accepted connection has ended. `cb` gets
   * ERR_SERVER_NOT_RUNNING when the server was not listening, as Node's.
   */
  close(cb?: (err?: Error) => void): this {
    if (typeof cb === 'function') {
      if (this.#fd === null) {
        this.once('close', () => cb(argError('plain', 'ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      } else {
        this.once('close', cb);
      }
    }
    const fd = this.#fd;
    this.#fd = null;
    this.#closing = true;
    if (fd !== null) void this.#cx.api.close(fd).catch(() => {});
    this.#emitCloseIfDrained();
    return this;
  }

  #emitCloseIfDrained(): void {
    if (!this.#closing || this.#fd !== null || this.#connections > 0) return;
    this.#closing = false;
    process.nextTick(() => this.emit('close'));
  }

  /** The number of open connections, to `cb(null, n)` on the next tick. */
  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.#connections;
    process.nextTick(cb, null, n);
    return this;
  }

  /** Node's deprecated `connections` property. */
  get connections(): number {
    return this.#connections;
  }

  /** Nothing to do: no libuv handle (see Socket). */
  ref(): this {
    return this;
  }

  /** Nothing to do: no libuv handle (see Socket). */
  unref(): this {
    return this;
  }
}

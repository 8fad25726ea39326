import { Duplex } from 'node:stream';
import { SocketError } from '../stack/errno.js';
import { Timer } from '../time/scheduler.js';
import type { TimerScheduler } from '../time/scheduler.js';
import type { Host } from '../sim/host.js';
import type { SocketApi } from '../socket/socket-api.js';
import type { SockAddr } from '../socket/sockaddr.js';
import { AF_INET, IPPROTO_TCP, MSG_NOSIGNAL, SHUT_WR, SOCK_STREAM, SOL_SOCKET, SO_KEEPALIVE, SO_LINGER, TCP_KEEPIDLE, TCP_NODELAY } from '../socket/constants.js';
import { isIP, isIPv4, isIPv6, lookupIPv4 } from './address.js';
import { argError, ipv6Error, nodeError, type NodeSystemError } from './node-errors.js';
import { noUnixSockets, normalizeConnectArgs, timerDuration, validatePort, type ConnectOptions } from './net-args.js';

/** What every socket and server of one nodeNet(host) shares. */
export interface NetContext {
  readonly host: Host;
  /** The Berkeley API of the process the module speaks for. */
  readonly api: SocketApi;
  /** The host's timer scheduler: idle timeouts run on it, so they work under virtual time too. */
  readonly sched: TimerScheduler;
}

/** A connection the server accepted: the descriptor and how the server wants it set up. */
export const kAccepted = Symbol('sockstack.accepted');

export interface SocketOptions {
  allowHalfOpen?: boolean;
  /** Like Node 20's constructor options: applied once connected. */
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  signal?: AbortSignal;
  /** An OS file descriptor: not supported (the stack's descriptors are not the OS's). */
  fd?: number;
  [kAccepted]?: { fd: number; peer: SockAddr; pauseOnCreate: boolean };
}

/** Read in chunks of this size, as libuv does (64 KiB). */
const READ_SIZE = 65536;

/** An address as Node's address()/getpeername reports it. */
export interface AddressInfo {
  address: string;
  family: string;
  port: number;
}

type WriteCb = (err?: Error | null) => void;

/** Turns a stack error into Node's shape; anything else passes through. */
export function toNodeError(e: unknown, syscall: string, address?: string, port?: number): Error {
  if (e instanceof SocketError) return nodeError(e, syscall, address, port);
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Node's writeAfterFIN: after the peer's FIN on a socket without allowHalfOpen, a write is an
 * EPIPE error (Node swaps `write` for this once 'end' was emitted).
 */
function writeAfterFIN(this: Socket, chunk: unknown, encoding?: BufferEncoding | WriteCb, cb?: WriteCb): boolean {
  if (!this.writableEnded) return Duplex.prototype.write.call(this, chunk, encoding as BufferEncoding, cb);
  if (typeof encoding === 'function') cb = encoding;
  const er: NodeSystemError = new Error('This socket has been ended by the other party');
  er.code = 'EPIPE';
  if (typeof cb === 'function') process.nextTick(cb, er);
  this.destroy(er);
  return false;
}

/**
 * Node's net.Socket over a sockstack host: a stream.Duplex whose reads are a recv loop and
 * whose writes are send calls on one TCP descriptor of `host.sockets`.
 *
 * - Reading respects backpressure: the loop stops calling recv when push() returns false and
 *   resumes in _read, so a slow reader closes the TCP window instead of filling memory.
 * - Writes before 'connect' are held until it, as Node does; a write's callback runs when the
 *   stack has queued every byte (send(2) returned), which is Node's "flushed to the kernel".
 * - ref()/unref() change nothing: sockstack sockets hold no libuv handle. What keeps a Node
 *   process alive is the network's real-time driver (until net.close()); under virtual time
 *   the program runs inside net.run().
 */
export class Socket extends Duplex {
  /** True from connect() until 'connect' or failure (Node's `connecting`). */
  connecting = false;
  /** The idle timeout set by setTimeout(), in ms (0 = none). */
  timeout = 0;
  /** The Server that accepted this socket, if any (Node's socket.server). */
  server: import('./net-server.js').Server | null = null;

  readonly #cx: NetContext;
  #fd: number | null = null;
  #sockname: AddressInfo | null = null;
  #peername: AddressInfo | null = null;
  /** A recv loop is running. */
  #reading = false;
  /** _read was called before there was a connection to read from. */
  #wantRead = false;
  #bytesRead = 0;
  /** Bytes handed to send(), as Node counts bytes handed to the handle. */
  #bytesSent = 0;
  /** Bytes of the write held until 'connect'. */
  #pendingBytes = 0;
  #timer: Timer | null = null;
  #lastActive = 0;
  #noDelay: boolean | null = null;
  #keepAlive: { enable: boolean; delayS: number } | null = null;
  /** resetAndDestroy(): close with SO_LINGER {1, 0}, an RST. */
  #reset = false;
  /** A server to tell when this connection ends. */
  #onClosed: (() => void) | null = null;

  constructor(cx: NetContext, options: SocketOptions = {}) {
    if (typeof options !== 'object' || options === null) options = {};
    // As Node's net.Socket: the Duplex ends our side when the peer's ends unless allowHalfOpen;
    // 'close' is ours to emit (with hadError) once the descriptor is closed.
    super({ allowHalfOpen: Boolean(options.allowHalfOpen), emitClose: false, autoDestroy: true, decodeStrings: false });
    this.#cx = cx;
    if (options.fd !== undefined) throw argError('plain', 'ERR_INVALID_ARG_VALUE', 'sockstack sockets cannot wrap an OS file descriptor (options.fd)');
    if (options.noDelay) this.#noDelay = true;
    if (options.keepAlive) this.#keepAlive = { enable: true, delayS: ~~((options.keepAliveInitialDelay ?? 0) / 1000) };
    this.on('end', this.#onReadableEnd);
    const acc = options[kAccepted];
    if (acc) {
      this.#fd = acc.fd;
      this.#peername = { address: acc.peer.address, family: 'IPv4', port: acc.peer.port };
      this.#applyOptions();
      if (!acc.pauseOnCreate) this.read(0);
    }
    if (options.signal) {
      const signal = options.signal;
      const abort = (): void => {
        this.destroy(Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' }));
      };
      if (signal.aborted) process.nextTick(abort);
      else {
        signal.addEventListener('abort', abort, { once: true });
        this.once('close', () => signal.removeEventListener('abort', abort));
      }
    }
  }

  /** Set by the server that accepted the socket: runs once the socket is destroyed. */
  set onClosedForServer(fn: (() => void) | null) {
    this.#onClosed = fn;
  }

  // ---- connecting ------------------------------------------------------------

  /**
   * connect(options[, cb]), connect(port[, host][, cb]): as Node's. The host is an IPv4
   * literal, 'localhost', or a name the `lookup` option resolves; a `path` is an error.
   */
  connect(options: ConnectOptions, connectListener?: () => void): this;
  connect(port: number | string, host?: string, connectListener?: () => void): this;
  connect(port: number | string, connectListener?: () => void): this;
  connect(...args: unknown[]): this {
    const [options, cb] = normalizeConnectArgs(args);
    if (options.path !== undefined && options.path !== null) throw noUnixSockets(String(options.path));
    if (this.connecting) throw argError('plain', 'ERR_SOCKET_CONNECTING', 'Socket is already connecting');
    if (this.#fd !== null) throw argError('plain', 'ERR_SOCKET_CONNECTING', 'Socket is already connected (sockstack sockets connect once)');
    if (this.destroyed) {
      // Node lets a destroyed socket connect again: a fresh start.
      (this as unknown as { _undestroy(): void })._undestroy();
      this.#peername = this.#sockname = null;
      this.#reading = false;
      if (this.write !== Socket.prototype.write) this.write = Socket.prototype.write;
    }
    if (options.port === undefined && options.host === undefined) throw argError('type', 'ERR_MISSING_ARGS', 'The "options" or "port" or "path" argument must be specified');
    const port = validatePort(options.port, 'Port');
    const host = options.host ?? 'localhost';
    if (typeof host !== 'string') throw argError('type', 'ERR_INVALID_ARG_TYPE', `The "options.host" property must be of type string. Received ${typeof host}`);
    const family = options.family ?? 0;
    if (family !== 0 && family !== 4 && family !== 6) throw argError('type', 'ERR_INVALID_ARG_VALUE', `The property 'options.family' must be one of: 0, 4, 6. Received ${String(family)}`);
    const { localAddress, localPort } = options;
    if (localAddress !== undefined && !isIP(localAddress)) throw argError('type', 'ERR_INVALID_IP_ADDRESS', `Invalid IP address: ${String(localAddress)}`);
    if (localPort !== undefined) validatePort(localPort, 'options.localPort');
    if (options.lookup !== undefined && typeof options.lookup !== 'function') throw argError('type', 'ERR_INVALID_ARG_TYPE', 'The "options.lookup" property must be of type function');
    if (cb) this.once('connect', cb);
    if (options.timeout) this.setTimeout(options.timeout);
    if (options.noDelay !== undefined) this.#noDelay = Boolean(options.noDelay);
    if (options.keepAlive) this.#keepAlive = { enable: true, delayS: ~~((options.keepAliveInitialDelay ?? 0) / 1000) };

    this.connecting = true;
    let fd: number;
    try {
      fd = this.#cx.api.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    } catch (e) {
      process.nextTick(() => this.destroy(toNodeError(e, 'socket')));
      return this;
    }
    this.#fd = fd;
    const local = { localAddress, localPort };
    const fail = (err: Error): void => {
      if (this.connecting && this.#fd === fd) this.destroy(err);
    };
    if (family === 6 || isIPv6(host) || (localAddress !== undefined && isIPv6(localAddress))) {
      const err: NodeSystemError = ipv6Error(`cannot connect to ${host} port ${port}${family === 6 ? ' with family 6' : ''}`, 'connect');
      err.address = host;
      err.port = port;
      process.nextTick(fail, err);
    } else if (isIPv4(host)) {
      process.nextTick(() => {
        if (this.connecting && this.#fd === fd) this.#connectTo(fd, host, port, local);
      });
    } else {
      lookupIPv4(host, options.lookup, options.hints ?? 0, (err, ip, fam) => {
        if (!this.connecting || this.#fd !== fd) return;
        this.emit('lookup', err, err ? undefined : ip, err ? undefined : fam, host);
        if (err) process.nextTick(fail, err);
        else this.#connectTo(fd, ip, port, local);
      });
    }
    return this;
  }

  #connectTo(fd: number, address: string, port: number, local: { localAddress?: string | undefined; localPort?: number | undefined }): void {
    const api = this.#cx.api;
    const bound = local.localAddress !== undefined || local.localPort !== undefined;
    if (bound) {
      const la = local.localAddress ?? '0.0.0.0';
      const lp = local.localPort ?? 0;
      try {
        api.bind(fd, { address: la, port: lp });
      } catch (e) {
        this.destroy(toNodeError(e, 'bind', la, lp));
        return;
      }
    }
    this.#applyOptions();
    api.connect(fd, { address, port }).then(
      () => this.#afterConnect(fd),
      (e: unknown) => {
        if (!this.connecting || this.#fd !== fd) return;
        const err = toNodeError(e, 'connect', address, port);
        // Node names the local end too when one was asked for: "- Local (addr:port)".
        if (bound && err instanceof Error && e instanceof SocketError) {
          try {
            const l = api.getsockname(fd);
            err.message += ` - Local (${l.address}:${l.port})`;
          } catch {
            /* the descriptor is gone: no local address to name */
          }
        }
        this.destroy(err);
      },
    );
  }

  #afterConnect(fd: number): void {
    if (!this.connecting || this.#fd !== fd) return;
    this.connecting = false;
    this.#names();
    this.#touch();
    this.emit('connect');
    this.emit('ready');
    // Start the first read (or see an immediate EOF), as Node's afterConnect.
    if (this.#wantRead) this.#startReading();
    else if (!this.isPaused()) this.read(0);
  }

  /** Caches getsockname/getpeername, so they outlive the connection as Node's do. */
  #names(): void {
    const fd = this.#fd;
    if (fd === null) return;
    try {
      const l = this.#cx.api.getsockname(fd);
      this.#sockname = { address: l.address, family: 'IPv4', port: l.port };
      const p = this.#cx.api.getpeername(fd);
      this.#peername = { address: p.address, family: 'IPv4', port: p.port };
    } catch {
      /* reset before we looked: remote* stay undefined, as in Node */
    }
  }

  #applyOptions(): void {
    const fd = this.#fd;
    if (fd === null) return;
    const api = this.#cx.api;
    try {
      if (this.#noDelay !== null) api.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, this.#noDelay ? 1 : 0);
      if (this.#keepAlive) {
        api.setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, this.#keepAlive.enable ? 1 : 0);
        // Node: an initial delay of 0 leaves TCP_KEEPIDLE as it was.
        if (this.#keepAlive.enable && this.#keepAlive.delayS >= 1) api.setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, this.#keepAlive.delayS);
      }
    } catch {
      /* as libuv's, option failures on a dying socket are not reported */
    }
  }

  // ---- reading -----------------------------------------------------------------

  override _read(): void {
    if (this.connecting || this.#fd === null) {
      this.#wantRead = true;
      return;
    }
    this.#startReading();
  }

  #startReading(): void {
    this.#wantRead = false;
    if (this.#reading || this.#fd === null) return;
    this.#reading = true;
    void this.#readLoop(this.#fd);
  }

  /** recv until EOF, an error, or backpressure (push() false: _read starts the loop again). */
  async #readLoop(fd: number): Promise<void> {
    const api = this.#cx.api;
    try {
      for (;;) {
        const data = await api.recv(fd, READ_SIZE);
        if (this.#fd !== fd || this.destroyed) return;
        if (data.length === 0) {
          this.#reading = false;
          // EOF: 'end' first, then (both sides done) 'close', as Node's onStreamRead.
          this.push(null);
          this.read(0);
          return;
        }
        this.#bytesRead += data.length;
        this.#touch();
        if (!this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) {
          this.#reading = false;
          return;
        }
      }
    } catch (e) {
      this.#reading = false;
      if (this.#fd !== fd || this.destroyed) return;
      this.destroy(toNodeError(e, 'read'));
    }
  }

  #onReadableEnd = (): void => {
    if (!this.allowHalfOpen) this.write = writeAfterFIN as typeof this.write;
  };

  // ---- writing -----------------------------------------------------------------

  override _write(chunk: Buffer | string, encoding: BufferEncoding, cb: WriteCb): void {
    this.#writeGeneric([typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk], cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer | string; encoding: BufferEncoding }>, cb: WriteCb): void {
    const bufs = new Array<Uint8Array>(chunks.length);
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      bufs[i] = typeof c.chunk === 'string' ? Buffer.from(c.chunk, c.encoding) : c.chunk;
    }
    this.#writeGeneric(bufs, cb);
  }

  #writeGeneric(bufs: Uint8Array[], cb: WriteCb): void {
    if (this.connecting) {
      // Held until 'connect', as Node's _pendingData.
      for (const b of bufs) this.#pendingBytes += b.length;
      this.once('connect', () => {
        for (const b of bufs) this.#pendingBytes -= b.length;
        this.#writeGeneric(bufs, cb);
      });
      return;
    }
    const fd = this.#fd;
    if (fd === null) {
      cb(argError('plain', 'ERR_SOCKET_CLOSED', 'Socket is closed'));
      return;
    }
    this.#touch();
    void this.#sendAll(fd, bufs, cb);
  }

  async #sendAll(fd: number, bufs: Uint8Array[], cb: WriteCb): Promise<void> {
    const api = this.#cx.api;
    try {
      for (const b of bufs) {
        this.#bytesSent += b.length;
        // A blocking send returns short only when something went wrong after some bytes were
        // queued (send(2) reports the count, not the error): send the rest to get the error.
        let off = await api.send(fd, b, MSG_NOSIGNAL);
        while (off < b.length) {
          const n = await api.send(fd, b.subarray(off), MSG_NOSIGNAL);
          if (n <= 0) throw new SocketError('EPIPE', 'write', 'the stack accepted no bytes');
          off += n;
        }
      }
    } catch (e) {
      cb(toNodeError(e, 'write'));
      return;
    }
    this.#touch();
    cb();
  }

  override _final(cb: WriteCb): void {
    if (this.connecting) {
      this.once('connect', () => this._final(cb));
      return;
    }
    const fd = this.#fd;
    if (fd === null) return cb();
    try {
      this.#cx.api.shutdown(fd, SHUT_WR);
    } catch (e) {
      // Node: shutdown on a socket that is not connected (any more) finishes quietly.
      if (e instanceof SocketError && e.code === 'ENOTCONN') return cb();
      return cb(toNodeError(e, 'shutdown'));
    }
    cb();
  }

  // ---- closing -------------------------------------------------------------------

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.connecting = false;
    this.#disarm();
    const fd = this.#fd;
    this.#fd = null;
    this.#sockname = null;
    this.#reading = false;
    const emitClose = (): void => {
      this.emit('close', err !== null && err !== undefined);
    };
    if (fd !== null) {
      const api = this.#cx.api;
      if (this.#reset) {
        try {
          api.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 0 });
        } catch {
          /* closing anyway */
        }
      }
      cb(err);
      // 'close' after 'error' (queued by cb), as Node's handle-close callback comes later.
      api.close(fd).then(
        () => process.nextTick(emitClose),
        () => process.nextTick(emitClose),
      );
    } else {
      cb(err);
      process.nextTick(emitClose);
    }
    const onClosed = this.#onClosed;
    this.#onClosed = null;
    onClosed?.();
  }

  /** Ends our side, then destroys once the writes are done (Node's destroySoon). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Closes with an RST (SO_LINGER {1, 0} then close): the peer sees ECONNRESET. */
  resetAndDestroy(): this {
    if (this.#fd !== null) {
      if (this.connecting) {
        this.once('connect', () => {
          this.#reset = true;
          this.destroy();
        });
      } else {
        this.#reset = true;
        this.destroy();
      }
    } else {
      this.destroy(argError('plain', 'ERR_SOCKET_CLOSED', 'Socket is closed'));
    }
    return this;
  }

  // ---- options and timers ----------------------------------------------------------

  /** TCP_NODELAY (Nagle off when true); before the connection exists it is applied on connect. */
  setNoDelay(noDelay = true): this {
    this.#noDelay = Boolean(noDelay);
    if (!this.connecting) this.#applyOptions();
    return this;
  }

  /** SO_KEEPALIVE, and TCP_KEEPIDLE from initialDelay (ms, whole seconds; 0 keeps the current). */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.#keepAlive = { enable: Boolean(enable), delayS: ~~(initialDelay / 1000) };
    if (!this.connecting) this.#applyOptions();
    return this;
  }

  /**
   * An idle timer on the host's scheduler: 'timeout' after `ms` without reads or writes (the
   * socket is not destroyed; that is the listener's call). 0 turns it off.
   */
  setTimeout(ms: number, callback?: () => void): this {
    ms = timerDuration(ms);
    this.timeout = ms;
    if (ms === 0) {
      this.#disarm();
      if (callback) this.removeListener('timeout', callback);
    } else {
      this.#lastActive = this.#cx.sched.now();
      this.#timer ??= new Timer(() => this.#onTimer());
      this.#cx.sched.armIn(this.#timer, ms);
      if (callback) this.once('timeout', callback);
    }
    return this;
  }

  /** Activity: the idle timer counts from now. Re-arming is lazy (checked when it fires). */
  #touch(): void {
    if (this.timeout === 0) return;
    this.#lastActive = this.#cx.sched.now();
    // After a 'timeout', the next activity starts a new idle period (Node refreshes its timer).
    if (this.#timer && !this.#timer.armed && !this.destroyed) this.#cx.sched.arm(this.#timer, this.#lastActive + this.timeout);
  }

  #onTimer(): void {
    if (this.timeout === 0 || this.destroyed) return;
    const due = this.#lastActive + this.timeout;
    if (this.#cx.sched.now() < due) {
      this.#cx.sched.arm(this.#timer!, due);
      return;
    }
    this.emit('timeout');
  }

  #disarm(): void {
    if (this.#timer) this.#cx.sched.disarm(this.#timer);
  }

  /** Nothing to do: sockstack sockets hold no libuv handle (see the class comment). */
  ref(): this {
    return this;
  }

  /** Nothing to do: sockstack sockets hold no libuv handle (see the class comment). */
  unref(): this {
    return this;
  }

  // ---- state -----------------------------------------------------------------------

  /** { address, family: 'IPv4', port } of our end; {} before bind/connect and after close. */
  address(): AddressInfo | Record<string, never> {
    if (this.#sockname) return { ...this.#sockname };
    if (this.#fd === null) return {};
    try {
      const l = this.#cx.api.getsockname(this.#fd);
      // Not bound yet (connect() is resolving or about to start): no name, as Node's {}.
      if (l.port === 0) return {};
      return { address: l.address, family: 'IPv4', port: l.port };
    } catch {
      return {};
    }
  }

  get localAddress(): string | undefined {
    const a = this.address();
    return 'address' in a ? a.address : undefined;
  }

  get localPort(): number | undefined {
    const a = this.address();
    return 'port' in a ? a.port : undefined;
  }

  get localFamily(): string | undefined {
    return this.localAddress === undefined ? undefined : 'IPv4';
  }

  get remoteAddress(): string | undefined {
    return this.#peername?.address;
  }

  get remotePort(): number | undefined {
    return this.#peername?.port;
  }

  get remoteFamily(): string | undefined {
    return this.#peername?.family;
  }

  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Bytes handed to the stack plus those still queued in the stream, as Node counts. */
  get bytesWritten(): number {
    let n = this.#bytesSent + this.#pendingBytes;
    const queued = (this as unknown as { writableBuffer?: Array<{ chunk: Buffer | string; encoding: BufferEncoding }> }).writableBuffer ?? [];
    for (const el of queued) {
      n += typeof el.chunk === 'string' ? Buffer.byteLength(el.chunk, el.encoding) : el.chunk.length;
    }
    return n;
  }

  /** True until connected (no descriptor yet, or the handshake is under way). */
  get pending(): boolean {
    return this.#fd === null || this.connecting;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  /** Node's deprecated bufferSize: bytes waiting to be written. */
  get bufferSize(): number {
    return this.writableLength + this.#pendingBytes;
  }

  /** The descriptor in the host's socket table (null once closed); a sockstack extra. */
  get fd(): number | null {
    return this.#fd;
  }
}

import { Buffer } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type * as dgram from 'node:dgram';
import { isIPv6, type AddressInfo } from 'node:net';
import type { Host } from '../sim/host.js';
import type { SocketApi } from '../socket/socket-api.js';
import { AF_INET, IPPROTO_IP, IP_TTL, SOCK_DGRAM, SOL_SOCKET, SO_BROADCAST, SO_RCVBUF, SO_REUSEADDR, SO_SNDBUF } from '../socket/constants.js';
import { RealClock } from '../time/clock.js';
import { argError, ipv6Error } from './node-errors.js';
import {
  bufferList,
  bufferSizeError,
  defaultLookup,
  errnoError,
  multicastError,
  sliceBuffer,
  toNodeError,
  validateNumber,
  validatePort,
  validateString,
  validateUint32,
  type LookupFunction,
} from './dgram-args.js';

type MessageListener = (msg: Buffer, rinfo: dgram.RemoteInfo) => void;
type SendCallback = (error: Error | null, bytes?: number) => void;

const UNBOUND = 0;
const BINDING = 1;
const BOUND = 2;
const DISCONNECTED = 0;
const CONNECTING = 1;
const CONNECTED = 2;

/** libuv reads datagrams into 64 KiB buffers. */
const RECV_BUFFER = 65536;

/**
 * What keeps a Node process alive while sockets listen, as libuv's active, referenced handles
 * do: one long timer shared by every bound, ref()'d socket on a real-clock network (on a virtual
 * network nothing can arrive outside net.run, which keeps the process alive by itself).
 */
let holders = 0;
let keepAlive: ReturnType<typeof setInterval> | null = null;
function holdProcess(on: boolean): void {
  holders += on ? 1 : -1;
  if (holders > 0 && keepAlive === null) keepAlive = setInterval(() => {}, 1 << 30);
  else if (holders === 0 && keepAlive !== null) {
    clearInterval(keepAlive);
    keepAlive = null;
  }
}

/**
 * node:dgram's Socket over a sockstack host: the same arguments, events, errors and ordering as
 * Node's (bind resolves its address first and emits 'listening'; a send before bind binds
 * implicitly and waits for it; errors carry Node's codes, negative errnos and messages).
 * Receiving is a recvfrom loop on the host's socket API while the socket is bound.
 */
export class DgramSocket extends EventEmitter implements dgram.Socket {
  readonly type: 'udp4' = 'udp4';
  /** The sockstack descriptor: made by the first bind, as libuv makes its socket there (-1 before). */
  #fd = -1;
  #running = true;
  #bindState = UNBOUND;
  #connectState = DISCONNECTED;
  /** Calls waiting for an implicit bind to finish. */
  #queue: Array<() => void> | undefined;
  #receiving = false;
  #refed = true;
  #holding = false;
  readonly #reuseAddr: boolean;
  readonly #recvBufferSize: number | undefined;
  readonly #sendBufferSize: number | undefined;
  readonly #lookupFn: LookupFunction;

  readonly #host: Host;

  constructor(host: Host, type: dgram.SocketType | dgram.SocketOptions, listener?: MessageListener) {
    super();
    this.#host = host;
    let options: dgram.SocketOptions | undefined;
    let kind: unknown = type;
    if (type !== null && typeof type === 'object') {
      options = type;
      kind = options.type;
      if (options.recvBufferSize) validateUint32(options.recvBufferSize, 'options.recvBufferSize');
      if (options.sendBufferSize) validateUint32(options.sendBufferSize, 'options.sendBufferSize');
    }
    if (kind === 'udp6') throw ipv6Error("dgram socket type 'udp6'", 'socket');
    if (kind !== 'udp4') throw argError('type', 'ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4, udp6');
    const lookup = options?.lookup;
    if (lookup !== undefined && typeof lookup !== 'function') {
      throw argError('type', 'ERR_INVALID_ARG_TYPE', `The "lookup" argument must be of type function. Received type ${typeof lookup}`);
    }
    this.#lookupFn = (lookup as unknown as LookupFunction | undefined) ?? defaultLookup;
    this.#reuseAddr = !!options?.reuseAddr;
    this.#recvBufferSize = options?.recvBufferSize;
    this.#sendBufferSize = options?.sendBufferSize;
    if (typeof listener === 'function') this.on('message', listener);
    const signal = options?.signal;
    if (signal !== undefined) {
      const onAbort = (): void => {
        if (this.#running) this.close();
      };
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        this.once('close', () => signal.removeEventListener('abort', onAbort));
      }
    }
  }

  private get api(): SocketApi {
    return this.#host.sockets;
  }

  private healthCheck(): void {
    if (!this.#running) throw argError('plain', 'ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
  }

  /** The descriptor for a call that needs one; EBADF (as libuv's fd -1) before the first bind. */
  private need(syscall: string): number {
    this.healthCheck();
    if (this.#fd < 0) throw errnoError('EBADF', syscall);
    return this.#fd;
  }

  /**
   * lookup4: the address (default 127.0.0.1) through the resolver. IPv6, given or resolved, is
   * EAFNOSUPPORT for `syscall` (Node would try it and fail with EINVAL; we say why).
   */
  private lookup(address: string | undefined, syscall: string, cb: (err: unknown, ip?: string) => void): void {
    const name = address || '127.0.0.1';
    if (isIPv6(name)) {
      process.nextTick(cb, ipv6Error(`'${name}' is an IPv6 address`, syscall));
      return;
    }
    this.#lookupFn(name, 4, (err, ip) => {
      if (err) cb(err);
      else if (typeof ip === 'string' && isIPv6(ip)) cb(ipv6Error(`'${name}' resolved to the IPv6 address '${ip}'`, syscall));
      else cb(null, ip);
    });
  }

  // ---- binding ---------------------------------------------------------------

  bind(port?: number, address?: string, callback?: () => void): this;
  bind(port?: number, callback?: () => void): this;
  bind(callback?: () => void): this;
  bind(options: dgram.BindOptions, callback?: () => void): this;
  bind(...args: unknown[]): this {
    this.healthCheck();
    if (this.#bindState !== UNBOUND) throw argError('plain', 'ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound');
    this.#bindState = BINDING;
    const cb = args.length ? args[args.length - 1] : undefined;
    if (typeof cb === 'function') {
      // The callback belongs to this attempt only: an error removes it along with itself.
      const onListening = (): void => {
        off();
        cb.call(this);
      };
      const off = (): void => {
        this.removeListener('error', off);
        this.removeListener('listening', onListening);
      };
      this.on('error', off);
      this.on('listening', onListening);
    }
    let port: unknown = args[0];
    let address: unknown;
    if (port !== null && typeof port === 'object') {
      const o = port as dgram.BindOptions;
      if (o.fd !== undefined && o.fd !== null) throw argError('plain', 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', 'bind({ fd }) is not available on sockstack: there are no host descriptors to adopt');
      address = o.address || '';
      port = o.port;
    } else {
      address = typeof args[1] === 'function' ? '' : args[1];
    }
    if (!address) address = '0.0.0.0';
    this.lookup(address as string, 'bind', (err, ip) => {
      if (!this.#running) return; // closed meanwhile
      if (err) {
        this.#bindState = UNBOUND;
        this.emit('error', err);
        return;
      }
      const p = Number(port) | 0;
      try {
        if (this.#fd < 0) this.#fd = this.api.socket(AF_INET, SOCK_DGRAM, 0);
        if (this.#reuseAddr) this.api.setsockopt(this.#fd, SOL_SOCKET, SO_REUSEADDR, 1);
        this.api.bind(this.#fd, { address: ip!, port: p });
      } catch (e) {
        this.#bindState = UNBOUND;
        this.emit('error', toNodeError(e, 'bind', ip, p));
        return;
      }
      this.startListening();
    });
    return this;
  }

  private startListening(): void {
    this.#receiving = true;
    this.#bindState = BOUND;
    this.updateHold();
    void this.receiveLoop(this.#fd);
    if (this.#recvBufferSize) this.bufferSize(this.#recvBufferSize, true);
    if (this.#sendBufferSize) this.bufferSize(this.#sendBufferSize, false);
    this.emit('listening');
  }

  /** libuv's recv_start: every datagram becomes a 'message'; a failed recvmsg an 'error'. */
  private async receiveLoop(fd: number): Promise<void> {
    while (this.#receiving && this.#fd === fd) {
      let data: Uint8Array;
      let from: { address: string; port: number };
      try {
        [data, from] = await this.api.recvfrom(fd, RECV_BUFFER);
      } catch (e) {
        if (!this.#receiving || this.#fd !== fd) return; // closed: the wake-up is EBADF
        this.deliver('error', toNodeError(e, 'recvmsg'));
        continue;
      }
      if (!this.#receiving || this.#fd !== fd) return; // nothing is emitted after close()
      const msg = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      this.deliver('message', msg, { address: from.address, family: 'IPv4', port: from.port, size: msg.length });
    }
  }

  /** Emits from the receive loop; a listener that throws is an uncaught exception, as in Node. */
  private deliver(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      process.nextTick(() => {
        throw err;
      });
    }
  }

  /** Calls made while an implicit bind is under way run once it is done (or are dropped if it fails). */
  private enqueue(call: () => void): void {
    if (this.#queue === undefined) {
      this.#queue = [];
      const onError = (): void => {
        this.removeListener('listening', onListening);
        this.#queue = undefined;
      };
      const onListening = (): void => {
        this.removeListener(EventEmitter.errorMonitor, onError);
        const q = this.#queue ?? [];
        this.#queue = undefined;
        for (const c of q) c();
      };
      this.once(EventEmitter.errorMonitor, onError);
      this.once('listening', onListening);
    }
    this.#queue.push(call);
  }

  // ---- association -------------------------------------------------------------

  connect(port: number, address?: string, callback?: () => void): void;
  connect(port: number, callback: () => void): void;
  connect(port: unknown, address?: unknown, callback?: unknown): void {
    const p = validatePort(port, 'Port', false);
    if (typeof address === 'function') {
      callback = address;
      address = '';
    } else if (address === undefined) {
      address = '';
    }
    validateString(address, 'address');
    if (this.#connectState !== DISCONNECTED) throw argError('plain', 'ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    this.#connectState = CONNECTING;
    if (this.#bindState === UNBOUND) this.bind({ port: 0, exclusive: true }, null as never);
    const go = (): void => this.doConnect(p, address as string, callback as (() => void) | undefined);
    if (this.#bindState !== BOUND) this.enqueue(go);
    else go();
  }

  private doConnect(port: number, address: string, callback: ((err?: unknown) => void) | undefined): void {
    if (callback) this.once('connect', callback);
    this.lookup(address, 'connect', (ex, ip) => {
      if (!this.#running) return;
      const fail = (err: unknown): void => {
        this.#connectState = DISCONNECTED;
        process.nextTick(() => {
          if (callback) {
            this.removeListener('connect', callback);
            callback(err);
          } else {
            this.emit('error', err);
          }
        });
      };
      if (ex) {
        fail(ex);
        return;
      }
      this.api.connect(this.#fd, { address: ip!, port }).then(
        () => {
          this.#connectState = CONNECTED;
          process.nextTick(() => this.emit('connect'));
        },
        (e: unknown) => fail(toNodeError(e, 'connect', address, port)),
      );
    });
  }

  disconnect(): void {
    if (this.#connectState !== CONNECTED) throw argError('plain', 'ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    // connect(AF_UNSPEC): done by the time the call returns (the UDP part of connect() never waits).
    void this.api.connect(this.#fd, null).catch(() => {});
    this.#connectState = DISCONNECTED;
  }

  // ---- sending -----------------------------------------------------------------

  send(msg: string | NodeJS.ArrayBufferView | readonly unknown[], offset?: unknown, length?: unknown, port?: unknown, address?: unknown, callback?: unknown): void {
    let list: Buffer[];
    let buffer: unknown = msg;
    const connected = this.#connectState === CONNECTED;
    // Node's overloads: (msg, offset, length, port, address, cb) and (msg, port, address, cb) when
    // not connected; (msg, offset, length, cb) and (msg, cb) when connected.
    if (!connected) {
      if (address || (port && typeof port !== 'function')) {
        buffer = sliceBuffer(buffer, offset, length);
      } else {
        callback = port;
        port = offset;
        address = length;
      }
    } else {
      if (typeof length === 'number') {
        buffer = sliceBuffer(buffer, offset, length);
        if (typeof port === 'function') {
          callback = port;
          port = null;
        }
      } else {
        callback = offset;
      }
      if (port || address) throw argError('plain', 'ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    }
    list = bufferList(buffer);
    if (!connected) port = validatePort(port, 'Port', false);
    if (typeof callback !== 'function') callback = undefined;
    if (typeof address === 'function') {
      callback = address;
      address = undefined;
    } else if (address !== undefined && address !== null) {
      validateString(address, 'address');
    }
    this.healthCheck();
    if (this.#bindState === UNBOUND) this.bind({ port: 0, exclusive: true }, null as never);
    if (list.length === 0) list = [Buffer.alloc(0)];
    if (this.#bindState !== BOUND) {
      const l = list;
      const [p, a, cb] = [port, address, callback];
      this.enqueue(() => this.send(l, p, a, cb));
      return;
    }
    const cb = callback as SendCallback | undefined;
    const addr = (address ?? undefined) as string | undefined;
    const afterLookup = (ex: unknown, ip?: string): void => this.doSend(ex, ip, list, addr, port as number | null | undefined, cb);
    if (!connected) this.lookup(addr, 'send', afterLookup);
    else afterLookup(null);
  }

  private doSend(ex: unknown, ip: string | undefined, list: Buffer[], address: string | undefined, port: number | null | undefined, cb: SendCallback | undefined): void {
    if (ex) {
      if (cb) process.nextTick(cb, ex);
      else process.nextTick(() => this.emit('error', ex));
      return;
    }
    if (!this.#running) return;
    // One datagram gathers every piece, as sendmsg with an iovec does.
    const data = list.length === 1 ? list[0]! : Buffer.concat(list);
    const sending = port ? this.api.sendto(this.#fd, data, 0, { address: ip!, port }) : this.api.send(this.#fd, data);
    sending.then(
      (n) => {
        if (cb) process.nextTick(cb, null, n);
      },
      (e: unknown) => {
        // A failed send reaches the callback only; without one Node drops it (dgram_legacy compatibility).
        if (cb) process.nextTick(cb, toNodeError(e, 'send', address, port ?? undefined));
      },
    );
  }

  // ---- names -------------------------------------------------------------------

  address(): AddressInfo {
    const fd = this.need('getsockname');
    const a = this.api.getsockname(fd);
    return { address: a.address, family: 'IPv4', port: a.port };
  }

  remoteAddress(): AddressInfo {
    this.healthCheck();
    if (this.#connectState !== CONNECTED) throw argError('plain', 'ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    try {
      const a = this.api.getpeername(this.#fd);
      return { address: a.address, family: 'IPv4', port: a.port };
    } catch (e) {
      throw toNodeError(e, 'getpeername');
    }
  }

  // ---- options -----------------------------------------------------------------

  setBroadcast(flag: boolean): void {
    this.api.setsockopt(this.need('setBroadcast'), SOL_SOCKET, SO_BROADCAST, flag ? 1 : 0);
  }

  setTTL(ttl: number): number {
    validateNumber(ttl, 'ttl');
    const fd = this.need('setTTL');
    if (ttl < 1 || ttl > 255) throw errnoError('EINVAL', 'setTTL'); // libuv's range check
    this.api.setsockopt(fd, IPPROTO_IP, IP_TTL, ttl | 0);
    return ttl;
  }

  /** uv_recv_buffer_size / uv_send_buffer_size: 0 reads the value, anything else sets it (Linux doubles it). */
  private bufferSize(size: number, recv: boolean): number {
    if (size >>> 0 !== size) throw argError('type', 'ERR_SOCKET_BAD_BUFFER_SIZE', 'Buffer size must be a positive integer');
    this.healthCheck();
    if (this.#fd < 0) throw bufferSizeError(recv, 'EBADF', 'bad file descriptor');
    const opt = recv ? SO_RCVBUF : SO_SNDBUF;
    if (size === 0) return this.api.getsockopt(this.#fd, SOL_SOCKET, opt) as number;
    this.api.setsockopt(this.#fd, SOL_SOCKET, opt, size);
    return size;
  }

  setRecvBufferSize(size: number): void {
    this.bufferSize(size, true);
  }

  setSendBufferSize(size: number): void {
    this.bufferSize(size, false);
  }

  getRecvBufferSize(): number {
    return this.bufferSize(0, true);
  }

  getSendBufferSize(): number {
    return this.bufferSize(0, false);
  }

  /** A datagram goes to the stack at once: nothing ever waits in a send queue. */
  getSendQueueSize(): number {
    return 0;
  }

  getSendQueueCount(): number {
    return 0;
  }

  setMulticastTTL(_ttl: number): number {
    throw multicastError('setMulticastTTL');
  }

  setMulticastLoopback(_flag: boolean): boolean {
    throw multicastError('setMulticastLoopback');
  }

  setMulticastInterface(_iface: string): void {
    throw multicastError('setMulticastInterface');
  }

  addMembership(_group: string, _iface?: string): void {
    throw multicastError('addMembership');
  }

  dropMembership(_group: string, _iface?: string): void {
    throw multicastError('dropMembership');
  }

  addSourceSpecificMembership(_source: string, _group: string, _iface?: string): void {
    throw multicastError('addSourceSpecificMembership');
  }

  dropSourceSpecificMembership(_source: string, _group: string, _iface?: string): void {
    throw multicastError('dropSourceSpecificMembership');
  }

  // ---- lifetime ----------------------------------------------------------------

  close(callback?: () => void): this {
    if (typeof callback === 'function') this.on('close', callback);
    if (this.#queue !== undefined) {
      // An implicit bind is under way: close after the calls already waiting for it.
      this.#queue.push(() => this.close());
      return this;
    }
    this.healthCheck();
    this.#receiving = false;
    this.#running = false;
    this.updateHold();
    if (this.#fd >= 0) {
      const fd = this.#fd;
      this.#fd = -1;
      void this.api.close(fd).catch(() => {});
    }
    process.nextTick(() => this.emit('close'));
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#running) return;
    await new Promise<void>((resolve) => this.close(() => resolve()));
  }

  ref(): this {
    this.#refed = true;
    this.updateHold();
    return this;
  }

  unref(): this {
    this.#refed = false;
    this.updateHold();
    return this;
  }

  private updateHold(): void {
    const want = this.#running && this.#receiving && this.#refed && this.#host.scheduler.clock instanceof RealClock;
    if (want === this.#holding) return;
    this.#holding = want;
    holdProcess(want);
  }
}

/** The node:dgram surface bound to one host. */
export interface NodeDgram {
  createSocket(type: dgram.SocketType, callback?: MessageListener): DgramSocket;
  createSocket(options: dgram.SocketOptions, callback?: MessageListener): DgramSocket;
  /** `new Socket('udp4')` works too, as in Node; instances are DgramSocket. */
  Socket: new (type: dgram.SocketType | dgram.SocketOptions, listener?: MessageListener) => DgramSocket;
}

/**
 * node:dgram over `host`: `const dgram = nodeDgram(host)` and then the usual
 * `dgram.createSocket('udp4')`. IPv4 only ('udp6' throws EAFNOSUPPORT); names resolve only as
 * 'localhost' or through a `lookup` option; multicast methods throw ENOSYS.
 */
export function nodeDgram(host: Host): NodeDgram {
  class Socket extends DgramSocket {
    constructor(type: dgram.SocketType | dgram.SocketOptions, listener?: MessageListener) {
      super(host, type, listener);
    }
  }
  return {
    createSocket: (type: dgram.SocketType | dgram.SocketOptions, callback?: MessageListener) => new Socket(type, callback),
    Socket,
  };
}

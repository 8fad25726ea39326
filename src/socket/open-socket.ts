import type { UdpEndpoint } from '../udp/udp-endpoint.js';
import type { RawEndpoint } from '../raw/raw-layer.js';
import type { WaitQueue } from '../stack/events.js';
import type { TcpEndpoint } from '../tcp/tcp-endpoint.js';
import { SOCK_DGRAM, SOCK_STREAM } from './constants.js';

/** The protocol object behind a descriptor. */
export type Endpoint = { kind: 'udp'; ep: UdpEndpoint } | { kind: 'raw'; ep: RawEndpoint } | { kind: 'tcp'; ep: TcpEndpoint };

/** SO_LINGER's value (struct linger). Immutable: setting the option replaces it. */
export type Linger = Readonly<{ l_onoff: number; l_linger: number }>;

/** SO_LINGER off, the default every socket shares. */
export const LINGER_OFF: Linger = Object.freeze({ l_onoff: 0, l_linger: 0 });

/** SO_RCVTIMEO, SO_SNDTIMEO and SO_LINGER of a socket that set one (OpenSocket.opts). */
class SocketTimeouts {
  rcvTimeoMs = 0;
  sndTimeoMs = 0;
  linger: Linger = LINGER_OFF;
}

/** Bits of OpenSocket.flags, one per boolean. */
const F_NONBLOCKING = 1 << 0;
const F_CLOEXEC = 1 << 1;
const F_KEEPALIVE = 1 << 2;
const F_CLOSED = 1 << 3;
const F_CONNECTING = 1 << 4;

/**
 * An open socket (the "open file description"): the endpoint plus the per-socket
 * settings that live above the protocol (blocking mode, timeouts, stored options).
 */
export class OpenSocket {
  /** The endpoint, held here rather than in an Endpoint object of its own (see `endpoint`). */
  readonly ep: Endpoint['ep'];
  /** The booleans below, one bit each: one field instead of five. */
  private flags = 0;
  /** Timeouts and linger, once one is set (rcvTimeoMs, sndTimeoMs, linger below). */
  private opts: SocketTimeouts | null = null;

  constructor(
    readonly domain: number,
    readonly type: number,
    readonly protocol: number,
    endpoint: Endpoint,
  ) {
    this.ep = endpoint.ep;
  }

  /** The endpoint's kind, which the socket type decides. */
  get kind(): Endpoint['kind'] {
    return this.type === SOCK_STREAM ? 'tcp' : this.type === SOCK_DGRAM ? 'udp' : 'raw';
  }

  /** The endpoint as the tagged union: the socket itself, whose `kind` and `ep` are that pair. */
  get endpoint(): Endpoint {
    return this as unknown as Endpoint;
  }

  /** SO_RCVTIMEO in ms; 0 = block forever, negative = never wait. */
  get rcvTimeoMs(): number {
    return this.opts === null ? 0 : this.opts.rcvTimeoMs;
  }
  set rcvTimeoMs(v: number) {
    (this.opts ??= new SocketTimeouts()).rcvTimeoMs = v;
  }

  /** SO_SNDTIMEO in ms, as rcvTimeoMs. */
  get sndTimeoMs(): number {
    return this.opts === null ? 0 : this.opts.sndTimeoMs;
  }
  set sndTimeoMs(v: number) {
    (this.opts ??= new SocketTimeouts()).sndTimeoMs = v;
  }

  /** SO_LINGER. */
  get linger(): Linger {
    return this.opts === null ? LINGER_OFF : this.opts.linger;
  }
  set linger(v: Linger) {
    (this.opts ??= new SocketTimeouts()).linger = v;
  }

  /** O_NONBLOCK. */
  get nonblocking(): boolean {
    return (this.flags & F_NONBLOCKING) !== 0;
  }
  set nonblocking(v: boolean) {
    this.setFlag(F_NONBLOCKING, v);
  }

  /** FD_CLOEXEC. */
  get cloexec(): boolean {
    return (this.flags & F_CLOEXEC) !== 0;
  }
  set cloexec(v: boolean) {
    this.setFlag(F_CLOEXEC, v);
  }

  /** SO_KEEPALIVE as set on the socket. */
  get keepalive(): boolean {
    return (this.flags & F_KEEPALIVE) !== 0;
  }
  set keepalive(v: boolean) {
    this.setFlag(F_KEEPALIVE, v);
  }

  /** close() was called: blocked calls on the socket fail with EBADF. */
  get closed(): boolean {
    return (this.flags & F_CLOSED) !== 0;
  }
  set closed(v: boolean) {
    this.setFlag(F_CLOSED, v);
  }

  /** A stream connect() is under way or finished unseen (Linux SS_CONNECTING): the next connect() reports it. */
  get connecting(): boolean {
    return (this.flags & F_CONNECTING) !== 0;
  }
  set connecting(v: boolean) {
    this.setFlag(F_CONNECTING, v);
  }

  get wait(): WaitQueue {
    return this.ep.wait;
  }

  readiness(): number {
    return this.ep.readiness();
  }

  private setFlag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }
}

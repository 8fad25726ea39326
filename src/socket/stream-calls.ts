import { EndpointError, SocketError } from '../stack/errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT } from '../stack/events.js';
import type { TimerScheduler } from '../time/scheduler.js';
import type { TcpLayer } from '../tcp/tcp-layer.js';
import type { DirectReader, TcpEndpoint } from '../tcp/tcp-endpoint.js';
import { TcpState } from '../tcp/state.js';
import { NOTHING_YET, tcpRecv, tcpRecvInto, tcpRecvOob, tcpSend } from '../tcp/stream-io.js';
import * as C from './constants.js';
import type { OpenSocket } from './open-socket.js';
import { AGAIN, RetryingCall, timeoDeadline, type BlockedCalls } from './wait.js';

/** Events that end any blocked socket call's sleep, whatever it waits for. */
const WAKE_ALWAYS = POLLERR | POLLHUP | POLLNVAL;

/** What the stream calls need from the socket API around them. */
export interface StreamContext {
  tcp: TcpLayer;
  sched: TimerScheduler;
  /** The process's calls asleep, for deadlock reports. */
  blocked: BlockedCalls;
  /** Blocks until `s` signals `mask` or the deadline passes (EAGAIN, from the call named `call`). */
  block(s: OpenSocket, mask: number, deadline: number, call: string, fd: number): Promise<unknown>;
}

function wrap(e: unknown, syscall: string): unknown {
  if (e instanceof EndpointError) return new SocketError(e.code, syscall, e.detail);
  return e;
}

function tcpOf(s: OpenSocket): TcpEndpoint {
  return s.endpoint.ep as TcpEndpoint;
}

/**
 * connect(2) on a stream socket (Linux __inet_stream_connect): EISCONN when connected or
 * listening, EALREADY while a non-blocking attempt is under way, a pending error from a failed
 * attempt, else a SYN; non-blocking returns EINPROGRESS, blocking waits (SO_SNDTIMEO bounds it).
 */
export async function streamConnect(cx: StreamContext, s: OpenSocket, fd: number, addr: { addr: number; port: number } | null): Promise<void> {
  const sys = 'connect';
  const ep = tcpOf(s);
  if (addr === null) {
    // AF_UNSPEC: tcp_disconnect, an abort.
    cx.tcp.abort(ep);
    ep.wasConnected = false;
    return;
  }
  const st = ep.state;
  if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECEIVED) {
    if (s.nonblocking) throw new SocketError('EALREADY', sys);
  } else if (st === TcpState.CLOSED && !ep.wasConnected) {
    const err = ep.takeError();
    if (err) throw new SocketError(err, sys);
    try {
      cx.tcp.connect(ep, addr.addr, addr.port);
    } catch (e) {
      throw wrap(e, sys);
    }
    s.connecting = true;
    if (s.nonblocking) throw new SocketError('EINPROGRESS', sys);
  } else if (s.connecting) {
    // __inet_stream_connect: SS_CONNECTING and the handshake is over: report its outcome once.
    s.connecting = false;
    if (ep.state === TcpState.CLOSED) throw new SocketError(ep.takeError() ?? 'ECONNREFUSED', sys);
    return;
  } else {
    throw new SocketError('EISCONN', sys);
  }
  const deadline = timeoDeadline(cx.sched, s.sndTimeoMs);
  for (;;) {
    if (s.closed) throw new SocketError('EBADF', sys);
    const now = ep.state;
    if (now !== TcpState.SYN_SENT && now !== TcpState.SYN_RECEIVED) break;
    try {
      await cx.block(s, POLLOUT, deadline, 'connect', fd);
    } catch (e) {
      // A timed-out blocking connect carries on in the background (Linux: EINPROGRESS).
      if (e instanceof SocketError && e.code === 'EAGAIN') throw new SocketError('EINPROGRESS', sys);
      throw e;
    }
  }
  s.connecting = false;
  if (ep.state === TcpState.CLOSED) throw new SocketError(ep.takeError() ?? 'ECONNREFUSED', sys);
  const err = ep.takeError();
  if (err) throw new SocketError(err, sys);
}

/** accept(2): the next established connection, or EAGAIN / a wait; EINVAL unless listening. */
export async function streamAccept(cx: StreamContext, s: OpenSocket, fd: number): Promise<TcpEndpoint> {
  const sys = 'accept';
  const deadline = timeoDeadline(cx.sched, s.rcvTimeoMs);
  for (;;) {
    if (s.closed) throw new SocketError('EBADF', sys);
    const l = tcpOf(s);
    if (l.state !== TcpState.LISTEN) throw new SocketError('EINVAL', sys, 'socket is not listening');
    const c = cx.tcp.accept(l);
    if (c) return c;
    if (s.nonblocking || s.rcvTimeoMs < 0) throw new SocketError('EAGAIN', sys);
    await cx.block(s, POLLIN, deadline, 'accept', fd);
  }
}

/** The last settled promise of a byte count handed out, and its count. */
let lastCount = -1;
let lastResolved: Promise<number> = Promise.resolve(-1);

/**
 * A promise already resolved with `n`. A program sending messages of one size gets the same
 * one each time: a settled promise never changes, so sharing it is safe, and a send that
 * completes at once then allocates nothing.
 */
function resolvedCount(n: number): Promise<number> {
  if (n !== lastCount) {
    lastResolved = Promise.resolve(n);
    lastCount = n;
  }
  return lastResolved;
}

/**
 * send(2) on a stream socket: blocks until every byte is queued (or EAGAIN without waiting);
 * bytes already queued are returned rather than a later error, as Linux tcp_sendmsg does.
 */
export function streamSend(cx: StreamContext, s: OpenSocket, fd: number, sys: string, data: Uint8Array, flags: number): Promise<number> {
  if (s.closed || (flags & C.MSG_OOB) !== 0) return new StreamSend(cx, s, fd, sys, data, flags, 0).run();
  // Most sends fit at once: the first turn of StreamSend's loop, without the call object.
  let n: number;
  const ip = cx.tcp.ip;
  ip.beginSend();
  try {
    n = tcpSend(cx.tcp, tcpOf(s), data, 0, false);
  } catch (e) {
    return Promise.reject(wrap(e, sys));
  } finally {
    ip.endSend();
  }
  if (n === data.length) return resolvedCount(n);
  return new StreamSend(cx, s, fd, sys, data, flags, n > 0 ? n : 0).run();
}

class StreamSend extends RetryingCall<number> {
  private readonly oob: boolean;
  private readonly dontwait: boolean;

  constructor(
    private readonly cx: StreamContext,
    private readonly s: OpenSocket,
    fd: number,
    sys: string,
    private readonly data: Uint8Array,
    flags: number,
    /** Bytes queued so far. */
    private sent: number,
  ) {
    super(cx.sched, s.wait, POLLOUT | WAKE_ALWAYS, sys, fd, cx.blocked, timeoDeadline(cx.sched, s.sndTimeoMs));
    this.oob = (flags & C.MSG_OOB) !== 0;
    this.dontwait = s.nonblocking || (flags & C.MSG_DONTWAIT) !== 0 || s.sndTimeoMs < 0;
  }

  protected attempt(): number | typeof AGAIN {
    const { s, data } = this;
    const ep = tcpOf(s);
    for (;;) {
      if (s.closed) throw new SocketError('EBADF', this.call);
      // Linux tcp_sendmsg: once bytes were queued, a failure ends the call with their count and
      // leaves the error (sk_err) for the next call, which reports it.
      if (this.sent > 0 && ep.pendingError) return this.sent;
      let n: number;
      const ip = this.cx.tcp.ip;
      ip.beginSend();
      try {
        n = tcpSend(this.cx.tcp, ep, data, this.sent, this.oob);
      } catch (e) {
        if (this.sent > 0) return this.sent;
        throw wrap(e, this.call);
      } finally {
        ip.endSend();
      }
      if (n > 0) this.sent += n;
      if (this.sent >= data.length) return this.sent;
      if (n > 0 && ep.sendBuf.free > 0) continue;
      if (this.dontwait) {
        if (this.sent > 0) return this.sent;
        throw new SocketError('EAGAIN', this.call);
      }
      return AGAIN;
    }
  }

  protected override timedOut(): number {
    if (this.sent > 0) return this.sent;
    return super.timedOut();
  }
}

/**
 * recv(2) on a stream socket: what is there (at least one byte), or a wait; MSG_WAITALL waits
 * for `length` bytes unless EOF, an error or a timeout comes first; MSG_OOB reads the urgent byte.
 * With `into` (length = into.length) the bytes land there, as C's recv(fd, buf, len), and the
 * result is a view of the part filled; otherwise it is a new array.
 */
export function streamRecv(cx: StreamContext, s: OpenSocket, fd: number, sys: string, length: number, flags: number, into: Uint8Array | null = null): Promise<Uint8Array> {
  if (flags & C.MSG_OOB) {
    try {
      const b = tcpRecvOob(tcpOf(s), (flags & C.MSG_PEEK) !== 0);
      if (into === null) return Promise.resolve(b);
      into.set(b.subarray(0, length));
      return Promise.resolve(into.subarray(0, Math.min(b.length, length)));
    } catch (e) {
      return Promise.reject(wrap(e, sys));
    }
  }
  return new StreamRecv(cx, s, fd, sys, length, flags, into).run();
}

class StreamRecv extends RetryingCall<Uint8Array> implements DirectReader {
  private readonly peek: boolean;
  private readonly waitall: boolean;
  private readonly dontwait: boolean;
  /** Pieces gathered so far under MSG_WAITALL into new arrays (otherwise the first read returns). */
  private readonly parts: Uint8Array[];
  /** Bytes received so far. */
  private got = 0;

  constructor(
    private readonly cx: StreamContext,
    private readonly s: OpenSocket,
    fd: number,
    sys: string,
    private readonly length: number,
    flags: number,
    private readonly into: Uint8Array | null,
  ) {
    super(cx.sched, s.wait, POLLIN | WAKE_ALWAYS, sys, fd, cx.blocked, timeoDeadline(cx.sched, s.rcvTimeoMs));
    this.peek = (flags & C.MSG_PEEK) !== 0;
    this.waitall = (flags & C.MSG_WAITALL) !== 0 && !this.peek;
    this.dontwait = s.nonblocking || (flags & C.MSG_DONTWAIT) !== 0 || s.rcvTimeoMs < 0;
    this.parts = this.waitall && into === null ? [] : (NO_PARTS as Uint8Array[]);
  }

  protected attempt(): Uint8Array | typeof AGAIN {
    const { s, into, length, waitall } = this;
    const ep = tcpOf(s);
    for (;;) {
      if (s.closed) throw new SocketError('EBADF', this.call);
      // Linux tcp_recvmsg: once bytes were copied, an error ends the call with them and stays
      // (sk_err) for the next call, which reports it.
      if (this.got > 0 && ep.pendingError !== null && ep.recvBuf.length === 0) return this.received();
      // Bytes this round; 0 is end of file.
      let n: number;
      try {
        if (into !== null) {
          n = tcpRecvInto(this.cx.tcp, ep, into, this.got, length - this.got, this.peek);
        } else {
          const r = tcpRecv(this.cx.tcp, ep, length - this.got, this.peek);
          if (r !== null && r.length > 0 && !waitall) return r;
          n = r === null ? NOTHING_YET : r.length;
          if (n > 0) this.parts.push(r!);
        }
      } catch (e) {
        if (this.got > 0) return this.received();
        throw wrap(e, this.call);
      }
      if (n !== NOTHING_YET) {
        if (n === 0) return this.received(); // EOF
        this.got += n;
        if (!waitall || this.got >= length) return this.received();
        continue;
      }
      if (this.dontwait) {
        if (this.got > 0) return this.received();
        throw new SocketError('EAGAIN', this.call);
      }
      return AGAIN;
    }
  }

  protected override timedOut(): Uint8Array {
    if (this.got > 0) return this.received();
    return super.timedOut();
  }

  /**
   * Asleep with a buffer to fill: arriving bytes may come straight to it (TcpEndpoint.reader),
   * but only when nothing else waits to read. A call that blocked earlier (a recv of a length,
   * a MSG_PEEK, a poll for POLLIN) must see the bytes first, as every waiter is woken in order;
   * a blocked send does not count.
   */
  protected override sleep(timeoutMs: number): void {
    super.sleep(timeoutMs);
    const ep = tcpOf(this.s);
    if (this.into !== null && !this.peek && ep.reader === null && this.s.wait.waitingFor(POLLIN) === 1) ep.reader = this;
  }

  protected override unlink(): boolean {
    const ep = tcpOf(this.s);
    if (ep.reader === this) ep.reader = null;
    return super.unlink();
  }

  /** In-order bytes from a segment while asleep: copied into the buffer; enough ends the call. */
  take(src: Uint8Array, off: number, len: number): number {
    const n = Math.min(len, this.length - this.got);
    this.into!.set(src.subarray(off, off + n), this.got);
    this.got += n;
    if (!this.waitall || this.got >= this.length) this.complete(this.received());
    return n;
  }

  /** What recv returns: the part of `into` filled, or the parts joined into one array. */
  private received(): Uint8Array {
    const into = this.into;
    if (into === null) return join(this.parts, this.got);
    // A filled buffer is its own filled part: no new view (the request/response case).
    return this.got === into.length ? into : into.subarray(0, this.got);
  }
}

const NO_PARTS: readonly Uint8Array[] = [];

function join(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * shutdown(2) on a stream socket (Linux inet_shutdown): ENOTCONN when closed (flags set all the
 * same), a listener stops on SHUT_RD, SYN-SENT disconnects, otherwise SHUT_WR sends the FIN.
 */
export function streamShutdown(cx: StreamContext, s: OpenSocket, how: number): void {
  const ep = tcpOf(s);
  const rd = how !== C.SHUT_WR;
  const wr = how !== C.SHUT_RD;
  switch (ep.state) {
    case TcpState.CLOSED:
      if (rd) ep.shutRead = true;
      if (wr) ep.shutWrite = true;
      ep.wait.notify(0xffffffff);
      throw new SocketError('ENOTCONN', 'shutdown');
    case TcpState.LISTEN:
      if (rd) cx.tcp.stopListening(ep);
      return;
    case TcpState.SYN_SENT:
      cx.tcp.abort(ep);
      return;
  }
  if (rd) {
    ep.shutRead = true;
    ep.wait.notify(POLLIN);
  }
  if (wr) cx.tcp.shutdownWrite(ep);
}

/**
 * close(2) on a stream socket: SO_LINGER {1, 0} aborts with RST; SO_LINGER {1, n} waits up to n
 * seconds for the FIN to be acknowledged (Linux sk_stream_wait_close); otherwise returns at once.
 */
export async function streamClose(cx: StreamContext, s: OpenSocket, fd: number): Promise<void> {
  const ep = tcpOf(s);
  const lingerZero = s.linger.l_onoff !== 0 && s.linger.l_linger === 0;
  cx.tcp.close(ep, lingerZero);
  if (s.linger.l_onoff === 0 || lingerZero) return;
  const deadline = cx.sched.now() + s.linger.l_linger * 1000;
  const closing = (): boolean => ep.state === TcpState.FIN_WAIT_1 || ep.state === TcpState.CLOSING || ep.state === TcpState.LAST_ACK;
  while (closing() && cx.sched.now() < deadline) {
    try {
      await cx.block(s, 0xffffffff, deadline, 'close', fd);
    } catch {
      return;
    }
  }
}

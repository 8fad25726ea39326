import { EndpointError, SocketError } from '../stack/errno.js';
import { POLLIN, POLLOUT } from '../stack/events.js';
import type { TcpLayer } from '../tcp/tcp-layer.js';
import type { TcpEndpoint } from '../tcp/tcp-endpoint.js';
import { TcpState } from '../tcp/state.js';
import { NOTHING_YET, tcpRecv, tcpRecvInto, tcpRecvOob, tcpSend } from '../tcp/stream-io.js';
import * as C from './constants.js';
import type { OpenSocket } from './open-socket.js';

/** What the stream calls need from the socket API around them. */
export interface StreamContext {
  tcp: TcpLayer;
  now(): number;
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
  const deadline = s.sndTimeoMs > 0 ? cx.now() + s.sndTimeoMs : Infinity;
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
  const deadline = s.rcvTimeoMs > 0 ? cx.now() + s.rcvTimeoMs : Infinity;
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

/**
 * send(2) on a stream socket: blocks until every byte is queued (or EAGAIN without waiting);
 * bytes already queued are returned rather than a later error, as Linux tcp_sendmsg does.
 */
export async function streamSend(cx: StreamContext, s: OpenSocket, fd: number, sys: string, data: Uint8Array, flags: number): Promise<number> {
  const ep = tcpOf(s);
  const dontwait = s.nonblocking || (flags & C.MSG_DONTWAIT) !== 0 || s.sndTimeoMs < 0;
  const oob = (flags & C.MSG_OOB) !== 0;
  const deadline = s.sndTimeoMs > 0 ? cx.now() + s.sndTimeoMs : Infinity;
  let sent = 0;
  for (;;) {
    if (s.closed) throw new SocketError('EBADF', sys);
    // Linux tcp_sendmsg: once bytes were queued, a failure ends the call with their count and
    // leaves the error (sk_err) for the next call, which reports it.
    if (sent > 0 && ep.pendingError) return sent;
    let n: number;
    try {
      n = tcpSend(cx.tcp, ep, data, sent, oob);
    } catch (e) {
      if (sent > 0) return sent;
      throw wrap(e, sys);
    }
    if (n > 0) sent += n;
    if (sent >= data.length) return sent;
    if (n > 0 && ep.sendBuf.free > 0) continue;
    if (dontwait) {
      if (sent > 0) return sent;
      throw new SocketError('EAGAIN', sys);
    }
    try {
      await cx.block(s, POLLOUT, deadline, sys, fd);
    } catch (e) {
      if (sent > 0 && e instanceof SocketError && e.code === 'EAGAIN') return sent;
      throw e;
    }
  }
}

/**
 * recv(2) on a stream socket: what is there (at least one byte), or a wait; MSG_WAITALL waits
 * for `length` bytes unless EOF, an error or a timeout comes first; MSG_OOB reads the urgent byte.
 * With `into` (length = into.length) the bytes land there, as C's recv(fd, buf, len), and the
 * result is a view of the part filled; otherwise it is a new array.
 */
export async function streamRecv(cx: StreamContext, s: OpenSocket, fd: number, sys: string, length: number, flags: number, into: Uint8Array | null = null): Promise<Uint8Array> {
  const ep = tcpOf(s);
  const peek = (flags & C.MSG_PEEK) !== 0;
  if (flags & C.MSG_OOB) {
    try {
      const b = tcpRecvOob(ep, peek);
      if (into === null) return b;
      into.set(b.subarray(0, length));
      return into.subarray(0, Math.min(b.length, length));
    } catch (e) {
      throw wrap(e, sys);
    }
  }
  const waitall = (flags & C.MSG_WAITALL) !== 0 && !peek;
  const dontwait = s.nonblocking || (flags & C.MSG_DONTWAIT) !== 0 || s.rcvTimeoMs < 0;
  const deadline = s.rcvTimeoMs > 0 ? cx.now() + s.rcvTimeoMs : Infinity;
  // Pieces gathered so far under MSG_WAITALL into new arrays (otherwise the first read returns).
  const parts = waitall && into === null ? ([] as Uint8Array[]) : (NO_PARTS as Uint8Array[]);
  let got = 0;
  for (;;) {
    if (s.closed) throw new SocketError('EBADF', sys);
    // Bytes this round; 0 is end of file.
    let n: number;
    try {
      if (into !== null) {
        n = tcpRecvInto(cx.tcp, ep, into, got, length - got, peek);
      } else {
        const r = tcpRecv(cx.tcp, ep, length - got, peek);
        if (r !== null && r.length > 0 && !waitall) return r;
        n = r === null ? NOTHING_YET : r.length;
        if (n > 0) parts.push(r!);
      }
    } catch (e) {
      if (got > 0) return received(into, parts, got);
      throw wrap(e, sys);
    }
    if (n !== NOTHING_YET) {
      if (n === 0) return received(into, parts, got); // EOF
      got += n;
      if (!waitall || got >= length) return received(into, parts, got);
      continue;
    }
    if (dontwait) {
      if (got > 0) return received(into, parts, got);
      throw new SocketError('EAGAIN', sys);
    }
    try {
      await cx.block(s, POLLIN, deadline, sys, fd);
    } catch (e) {
      if (got > 0 && e instanceof SocketError && e.code === 'EAGAIN') return received(into, parts, got);
      throw e;
    }
  }
}

const NO_PARTS: readonly Uint8Array[] = [];

/** What recv returns: the part of `into` filled, or the parts joined into one array. */
function received(into: Uint8Array | null, parts: Uint8Array[], got: number): Uint8Array {
  return into !== null ? into.subarray(0, got) : join(parts, got);
}

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
  const deadline = cx.now() + s.linger.l_linger * 1000;
  const closing = (): boolean => ep.state === TcpState.FIN_WAIT_1 || ep.state === TcpState.CLOSING || ep.state === TcpState.LAST_ACK;
  while (closing() && cx.now() < deadline) {
    try {
      await cx.block(s, 0xffffffff, deadline, 'close', fd);
    } catch {
      return;
    }
  }
}

import { EndpointError } from '../stack/errno.js';
import { TcpState } from './state.js';
import { URG_NONE, URG_PENDING, URG_READ, URG_VALID, type TcpEndpoint } from './tcp-endpoint.js';
import { maxWindow, openedWindow, output, sendAck } from './output.js';
import type { TcpLayer } from './tcp-layer.js';
import { autotuneOnRead, autotuneOnWrite } from './autotune.js';

const EMPTY = new Uint8Array(0);

/** send(2) would block: the connection is still opening or the send buffer is full. */
export const WOULD_BLOCK = -1;

/**
 * Queues up to all of data[off...] for sending (RFC 9293 §3.10.2 SEND) and pushes what the
 * windows allow. Returns the bytes queued, or WOULD_BLOCK. Errors as Linux tcp_sendmsg: a
 * pending error first, then EPIPE after shutdown or on a socket that is not connected.
 */
export function tcpSend(t: TcpLayer, ep: TcpEndpoint, data: Uint8Array, off: number, oob: boolean): number {
  const err = ep.takeError();
  if (err) throw new EndpointError(err);
  if (ep.shutWrite) throw new EndpointError('EPIPE');
  const st = ep.state;
  if (st !== TcpState.ESTABLISHED && st !== TcpState.CLOSE_WAIT) {
    // sk_stream_wait_connect: wait while opening, EPIPE otherwise (LISTEN, CLOSED).
    if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECEIVED) return WOULD_BLOCK;
    throw new EndpointError('EPIPE');
  }
  if (off >= data.length) return 0;
  // More than fits: the buffer may grow if it, not the windows, holds the sender back.
  if (ep.sendBuf.free < data.length - off) autotuneOnWrite(t, ep);
  const n = ep.sendBuf.write(data, off);
  if (n === 0) return WOULD_BLOCK;
  if (oob) {
    // RFC 9293 §3.8.5 with the BSD/Linux pointer: one past the last byte of this send.
    ep.sndUp = (ep.sndBufSeq + ep.sendBuf.length) >>> 0;
    ep.urgSend = true;
  }
  output(t, ep);
  return n;
}

/** tcpRecvInto() found nothing readable yet: recv(2) would block. */
export const NOTHING_YET = -1;

/**
 * Takes (or with peek, copies) up to `max` in-order bytes (RFC 9293 §3.10.3 RECEIVE) into a new
 * array. Returns null when nothing is readable yet; an empty array is end of file.
 */
export function tcpRecv(t: TcpLayer, ep: TcpEndpoint, max: number, peek: boolean): Uint8Array | null {
  // Sized for everything queued (the urgent mark may stop the copy short of it).
  const room = Math.min(max, ep.recvBuf.length);
  const out = room > 0 ? new Uint8Array(room) : EMPTY;
  const n = tcpRecvInto(t, ep, out, 0, max, peek);
  if (n === NOTHING_YET) return null;
  return n === out.length ? out : n === 0 ? EMPTY : out.subarray(0, n);
}

/**
 * Takes (or with peek, copies) up to `max` in-order bytes into dst[off...], which has room
 * for them, as C's recv(fd, buf, len) does. Reading stops at the urgent mark and skips the
 * urgent byte unless SO_OOBINLINE, as Linux tcp_recvmsg. Returns the count, 0 at end of file
 * (or when `max` is 0), or NOTHING_YET.
 */
export function tcpRecvInto(t: TcpLayer, ep: TcpEndpoint, dst: Uint8Array, off: number, max: number, peek: boolean): number {
  if (ep.state === TcpState.LISTEN) throw new EndpointError('ENOTCONN');
  if (max === 0) return 0;
  let skip = 0;
  let limit = ep.recvBuf.length;
  if ((ep.urgState === URG_VALID || ep.urgState === URG_READ) && !ep.oobInline && ep.urgInBuffer()) {
    const mark = (ep.urgSeq - ep.readSeq) | 0;
    if (mark === 0) skip = 1;
    else limit = mark;
  }
  const n = Math.min(max, limit - skip);
  if (n > 0) {
    ep.recvBuf.peek(dst, skip, n, off);
    if (!peek) {
      ep.recvBuf.discard(skip + n);
      if (skip) ep.urgState = URG_NONE; // the stream passed the mark: urgent data is gone (Linux)
      autotuneOnRead(t, ep, skip + n); // may grow recvBuf: the update below offers the new room
      windowUpdate(t, ep);
    }
    return n;
  }
  if (skip && !peek && ep.recvBuf.length === 1) {
    // Only the urgent byte is left: it leaves the stream; wait for more.
    ep.recvBuf.discard(1);
    ep.urgState = URG_NONE;
  }
  // Linux's order once nothing was copied: FIN received, error, shut down, not connected.
  if (ep.finReceived) return 0;
  const err = ep.takeError();
  if (err) throw new EndpointError(err);
  if (ep.shutRead) return 0;
  if (ep.state === TcpState.CLOSED) {
    if (ep.wasConnected) return 0;
    throw new EndpointError('ENOTCONN');
  }
  return NOTHING_YET;
}

/**
 * recv(MSG_OOB): the urgent byte (Linux tcp_recv_urg). EINVAL with SO_OOBINLINE or when
 * there is none (or it was read); EAGAIN while it is announced but has not arrived.
 */
export function tcpRecvOob(ep: TcpEndpoint, peek: boolean): Uint8Array {
  if (ep.state === TcpState.LISTEN) throw new EndpointError('ENOTCONN');
  if (ep.oobInline || ep.urgState === URG_NONE || ep.urgState === URG_READ) throw new EndpointError('EINVAL');
  if (ep.urgState === URG_VALID) {
    if (!peek) ep.urgState = URG_READ;
    return Uint8Array.of(ep.urgByte);
  }
  if (ep.urgState === URG_PENDING && (ep.state === TcpState.CLOSED || ep.finReceived)) return EMPTY;
  throw new EndpointError('EAGAIN');
}

/** After the application reads: a window update if readOpensWindow(). */
function windowUpdate(t: TcpLayer, ep: TcpEndpoint): void {
  if (readOpensWindow(ep)) sendAck(t, ep);
}

/**
 * After the application read: whether to tell the peer about a window that at least doubled,
 * when the one it knows is small (Linux tcp_cleanup_rbuf; with openedWindow's SWS rule, RFC
 * 1122 §4.2.3.3). Also for bytes a waiting reader took straight from a segment.
 */
export function readOpensWindow(ep: TcpEndpoint): boolean {
  const st = ep.state;
  if (!(st === TcpState.ESTABLISHED || st === TcpState.FIN_WAIT_1 || st === TcpState.FIN_WAIT_2)) return false;
  const offered = Math.max(0, (ep.rcvAdv - ep.rcvNxt) | 0);
  if (2 * offered > Math.min(ep.recvBuf.capacity, maxWindow(ep))) return false;
  const win = openedWindow(ep);
  return win >= 0 && win >= 2 * offered;
}

/**
 * Send and receive buffer auto-tuning with bounded memory, after Linux's design.
 *
 * Receive side, dynamic right-sizing (Linux tcp_rcv_space_adjust, tcp_rcv_rtt_measure[_ts]):
 * the receiver keeps its own RTT estimate (from the TSecr of arriving data when timestamps are
 * on, else the time one advertised window takes to arrive), and once per RTT compares the bytes
 * the application read in that RTT with the most it read in any earlier one. When the reader
 * speeds up, recvBuf grows to twice the bytes read plus a cushion, more while the sender is
 * still doubling (slow start). The advertised window follows the capacity by itself (output.ts
 * offers capacity - readable), up to config.rcvBufMax and the largest window our scale can say.
 *
 * Send side (Linux tcp_sndbuf_expand): when the application offers more than fits and the
 * buffer, not the windows, is what limits sending (it holds less than min(cwnd, SND.WND)), the
 * buffer grows to twice that, so one window can be in flight while the next is queued, up to
 * config.sndBufMax.
 *
 * SO_RCVBUF / SO_SNDBUF lock their direction, as Linux's SOCK_RCVBUF_LOCK / SOCK_SNDBUF_LOCK.
 * Host bound (in the spirit of tcp_mem): the capacity auto-tuning adds is charged to the
 * TcpLayer (tuneMem) until the endpoint is released; growth past config.memLimit is refused
 * (nothing fails, buffers just stop growing) and each episode counts extTCPMemoryPressures.
 *
 * Sizes are payload bytes: the ring holds data only, so where Linux budgets about twice the
 * window for skb overhead (tcp_space_from_win), a capacity here is the window itself.
 */
import type { TcpRepr } from '../wire/tcp.js';
import { TCP_INIT_CWND } from './congestion/congestion-control.js';
import { tsRtt } from './options.js';
import { maxWindow } from './output.js';
import { seqLt } from './seq.js';
import { POLLOUT } from '../stack/events.js';
import type { TcpEndpoint } from './tcp-endpoint.js';
import type { TcpLayer } from './tcp-layer.js';

/** ep.bufLocks bits, Linux's sk_userlocks values. */
export const SNDBUF_LOCK = 1;
export const RCVBUF_LOCK = 2;

/** Linux's cushion in tcp_rcv_space_adjust: 16 segments on top of twice the bytes read. */
const CUSHION_SEGMENTS = 16;

/** Per-connection tuning state (ep.tune), created when data first flows. Times in ms. */
export class BufTuneState {
  /** The receiver's RTT estimate (Linux rcv_rtt_est), ms; 0 until the first sample. */
  rcvRtt = 0;
  /** Per-window measurement without timestamps: started at rttTime (-1: none), ends when RCV.NXT passes rttSeq. */
  rttTime = -1;
  rttSeq = 0;
  /** TSecr of the last segment sampled: one sample per echoed value (Linux rcv_rtt_last_tsecr). */
  lastTsecr = -1;
  /** DRS (Linux rcvq_space): the most the application read in one RTT, and what it read since spaceTime. */
  space: number;
  copied = 0;
  spaceTime: number;
  /** Capacity this connection's buffers grew by, charged to the host (TcpLayer.tuneMem). */
  rcvCharged = 0;
  sndCharged = 0;

  constructor(space: number, now: number) {
    this.space = space;
    this.spaceTime = now;
  }
}

/** The endpoint's state; the first call starts the DRS measurement (Linux tcp_init_buffer_space). */
function stateOf(t: TcpLayer, ep: TcpEndpoint): BufTuneState {
  let st = ep.tune;
  if (st === null) {
    // rcvq_space.space starts at min(window, TCP_INIT_CWND * advmss): what a sender's first flight can fill.
    st = new BufTuneState(Math.max(1, Math.min(ep.recvBuf.capacity, TCP_INIT_CWND * ep.advMss)), t.scheduler.now());
    ep.tune = st;
  }
  return st;
}

/** Linux tcp_rcv_rtt_update: timestamp samples are smoothed (gain 1/8); per-window ones only lower the estimate. */
function rcvRttUpdate(st: BufTuneState, sample: number, windowBased: boolean): void {
  if (st.rcvRtt === 0) st.rcvRtt = sample;
  else if (windowBased) st.rcvRtt = Math.min(st.rcvRtt, sample);
  else st.rcvRtt += (sample - st.rcvRtt) / 8;
}

/**
 * In-order or out-of-order data arrived in a synchronized state (`len` bytes accepted from
 * `seg`; RCV.NXT already advanced): the receiver's RTT measurement. The lead's input.ts calls
 * this after receiveText; without the call, DRS falls back on the connection's SRTT.
 */
export function autotuneOnData(t: TcpLayer, ep: TcpEndpoint, seg: TcpRepr, len: number): void {
  const st = stateOf(t, ep);
  const now = t.scheduler.now();
  if (ep.tsOk) {
    // tcp_rcv_rtt_measure_ts: TSecr echoes the TSval of the ACK that let this data out, so
    // now - TSecr is a round trip. Only full-sized segments: a short one may have waited.
    const ts = seg.options.timestamp;
    if (ts === undefined || ts.echo === st.lastTsecr) return;
    st.lastTsecr = ts.echo;
    if (len < ep.rcvMss) return;
    const rtt = tsRtt(ep, seg.options, now);
    if (rtt > 0) rcvRttUpdate(st, rtt, false);
    return;
  }
  // tcp_rcv_rtt_measure: the time until the byte just past the right edge we advertised
  // arrives. The sender needs an ACK we send from now on to send it: at least one round trip.
  if (st.rttTime >= 0) {
    if (seqLt(ep.rcvNxt, st.rttSeq)) return;
    rcvRttUpdate(st, Math.max(now - st.rttTime, 0.001), true);
  }
  st.rttSeq = (ep.rcvAdv + 1) >>> 0;
  st.rttTime = now;
}

/**
 * The application consumed `n` bytes (recv without MSG_PEEK). Once per receiver RTT: if it
 * read more than in any earlier RTT, grow recvBuf (Linux tcp_rcv_space_adjust).
 */
export function autotuneOnRead(t: TcpLayer, ep: TcpEndpoint, n: number): void {
  if (n <= 0) return;
  const st = stateOf(t, ep);
  st.copied += n;
  const now = t.scheduler.now();
  const rtt = st.rcvRtt > 0 ? st.rcvRtt : ep.rtt.srtt;
  if (!(rtt > 0) || now - st.spaceTime < rtt) return;
  const copied = st.copied;
  if (copied > st.space) {
    if (t.config.moderateRcvBuf && !(ep.bufLocks & RCVBUF_LOCK)) {
      // Twice what was read (a loss costs a round trip) plus 16 segments of cushion; and as
      // much again per doubling while the sender's rate still grows: the window we offer
      // now is used a round trip later.
      let win = 2 * copied + CUSHION_SEGMENTS * ep.advMss;
      win += (2 * win * (copied - st.space)) / st.space;
      growRecv(t, ep, st, win);
    }
    st.space = copied;
  }
  st.copied = 0;
  st.spaceTime = now;
}

/**
 * The application offers more than the send buffer has room for. If the buffer is what limits
 * sending (it holds less than the windows would let out), grow it to twice min(cwnd, SND.WND),
 * as Linux tcp_sndbuf_expand sizes it from cwnd; the caller then queues into the new room.
 */
export function autotuneOnWrite(t: TcpLayer, ep: TcpEndpoint): void {
  if (ep.bufLocks & SNDBUF_LOCK) return;
  const cc = t.ccOf(ep); // data is being queued: the congestion control starts now
  const usable = Math.min(cc.cwnd, ep.sndWnd);
  const cap = ep.sendBuf.capacity;
  if (ep.sendBuf.length >= usable) return; // the windows are the limit, not the buffer
  const target = Math.floor(Math.min(2 * Math.max(usable, TCP_INIT_CWND * ep.sndMss), t.config.sndBufMax));
  if (target <= cap) return;
  const st = stateOf(t, ep);
  const n = grant(t, target - cap);
  if (n === 0) return;
  ep.sendBuf.grow(cap + n);
  st.sndCharged += n;
  // Anyone else waiting to write (poll, another task) sees the new room (Linux sk_write_space).
  if (ep.writable()) ep.notify(POLLOUT);
}

/** recvBuf toward `want` bytes, within rcvBufMax, the window our scale can say and the host budget. */
function growRecv(t: TcpLayer, ep: TcpEndpoint, st: BufTuneState, want: number): void {
  const cap = ep.recvBuf.capacity;
  const target = Math.floor(Math.min(want, t.config.rcvBufMax, maxWindow(ep)));
  if (target <= cap) return;
  const n = grant(t, target - cap);
  if (n === 0) return;
  ep.recvBuf.grow(cap + n);
  st.rcvCharged += n;
}

/**
 * Charges up to `want` bytes of growth to the host within config.memLimit; returns what was
 * granted. A request cut short enters memory pressure (counted once per episode, like
 * Linux's TCPMemoryPressures); one granted in full leaves it.
 */
function grant(t: TcpLayer, want: number): number {
  const n = Math.max(0, Math.min(want, t.config.memLimit - t.tuneMem));
  const short = n < want;
  if (short && !t.tunePressure) t.counters.extTCPMemoryPressures++;
  t.tunePressure = short;
  t.tuneMem += n;
  return n;
}

function uncharge(t: TcpLayer, n: number): void {
  t.tuneMem = Math.max(0, t.tuneMem - n);
}

/**
 * SO_RCVBUF / SO_SNDBUF: the user sized that direction (the caller has resized the ring); it is
 * no longer tuned, and growth it had is no longer auto-tuning's to charge.
 */
export function autotuneLock(t: TcpLayer, ep: TcpEndpoint, lock: number): void {
  ep.bufLocks |= lock;
  const st = ep.tune;
  if (st === null) return;
  if (lock & RCVBUF_LOCK) {
    uncharge(t, st.rcvCharged);
    st.rcvCharged = 0;
  }
  if (lock & SNDBUF_LOCK) {
    uncharge(t, st.sndCharged);
    st.sndCharged = 0;
  }
}

/**
 * Returns the charge of buffers that hold nothing any more: the send side once the connection
 * is in TIME-WAIT (its send buffer was freed), everything when the endpoint is released. The
 * layer calls this from release() and enterTimeWait().
 */
export function autotuneUncharge(t: TcpLayer, ep: TcpEndpoint): void {
  const st = ep.tune;
  if (st === null) return;
  uncharge(t, st.sndCharged);
  st.sndCharged = 0;
  if (!ep.released) return;
  uncharge(t, st.rcvCharged);
  ep.tune = null;
}

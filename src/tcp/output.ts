import { HEADROOM } from '../stack/ip-host.js';
import { framePool } from '../storage/frame-pool.js';
import { TCP_ACK, TCP_FIN, TCP_HEADER_LEN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, emitTcp, fillTcpChecksum, tcpOptionsLength, type TcpOptions } from '../wire/tcp.js';
import { fillSackBlocks, sackOptionBytes, wantsSack } from './sack-receiver.js';
import { inFlight as sackInFlight, sendLostHoles, sendRule3, skipSacked } from './sack-sender.js';
import { synOptions, tsNow } from './options.js';
import { seqGt, seqLt } from './seq.js';
import { TcpState } from './state.js';
import { RTX_PERSIST, RTX_RACK, RTX_RTO, type TcpEndpoint } from './tcp-endpoint.js';
import { armTlp, rackOnRetransmit, rackOnSend, tlpAllowed } from './rack.js';
import { armRtx } from './rtx-timer.js';
import { noteRetransmission } from './undo.js';
import { mtuProbe } from './pmtu.js';
import type { TcpLayer } from './tcp-layer.js';

/** Reused options of ACKs carrying SACK blocks, with and without timestamps. */
const sackOptions: TcpOptions = { sack: [] };
const tsSackOptions: TcpOptions = { timestamp: { value: 0, echo: 0 }, sack: [] };

/** The largest window the 16-bit field can say unscaled (RFC 9293 §3.1). */
export const MAX_WINDOW = 0xffff;

/** The largest window we can offer: 65535 << our shift once window scaling is agreed (RFC 7323 §2.3). */
export function maxWindow(ep: TcpEndpoint): number {
  return MAX_WINDOW * (1 << ep.rcvWscale);
}

/**
 * The window worth advertising now, or -1 to keep the right edge where it is. The right edge
 * never moves left (RFC 9293 §3.8.6.2.2 "shrinking the window" is strongly discouraged), and
 * moves right only by at least min(buffer / 2, MSS): receiver-side silly window avoidance
 * (RFC 9293 §3.8.6.2.2, RFC 1122 §4.2.3.3).
 */
export function openedWindow(ep: TcpEndpoint): number {
  const cap = ep.recvBuf.capacity;
  const max = maxWindow(ep);
  const win = Math.min(Math.max(0, cap - ep.recvBuf.length), max);
  const growth = (ep.rcvNxt + win - ep.rcvAdv) | 0;
  // RFC 1122 §4.2.3.3: RCV.BUFF is what the window can offer, at most the largest window; with
  // a 65495-byte MSS, half of that is the unit, or the window would reopen only when empty.
  return growth <= 0 || growth < Math.min(Math.min(cap, max) >>> 1, ep.advMss) ? -1 : win;
}

/**
 * The window field to send now (the window >> our shift), moving the right edge (rcvAdv) when
 * openedWindow() allows. With a shift, an opened window is rounded down to whole units, and a
 * kept one rounded up, so the right edge the peer computes never moves left (RFC 7323 §2.4;
 * Linux tcp_select_window does the same).
 */
export function selectWindow(ep: TcpEndpoint): number {
  const s = ep.rcvWscale;
  const win = openedWindow(ep);
  if (win >= 0) {
    const field = win >>> s;
    const edge = (ep.rcvNxt + field * (1 << s)) >>> 0;
    if (((edge - ep.rcvAdv) | 0) > 0) {
      ep.rcvAdv = edge;
      return field;
    }
  }
  const cur = Math.max(0, (ep.rcvAdv - ep.rcvNxt) | 0);
  if (s === 0) return Math.min(cur, MAX_WINDOW);
  const field = Math.min(Math.ceil(cur / (1 << s)), MAX_WINDOW);
  ep.rcvAdv = (ep.rcvNxt + field * (1 << s)) >>> 0;
  return field;
}

/** The window of a SYN or SYN-ACK: the receive buffer, or config.initRcvWnd when set, at most 65535. */
function synWindow(t: TcpLayer, ep: TcpEndpoint): number {
  const w = Math.min(ep.recvBuf.capacity, MAX_WINDOW);
  const init = t.config.initRcvWnd;
  return init > 0 && init < w ? init : w;
}

/**
 * Builds and sends one segment from `ep`: `len` bytes of sendBuf from `dataOff`, at `seq`.
 * Every segment but a SYN without ACK carries the ACK and the window; a SYN carries the MSS
 * option (RFC 9293 §3.7.1). Transport checksums are skipped where the route offloads them.
 */
export function transmit(t: TcpLayer, ep: TcpEndpoint, seq: number, flags: number, dataOff: number, len: number): void {
  const route = ep.route;
  if (!route) return;
  const h = t.hdr;
  h.srcPort = ep.localPort;
  h.dstPort = ep.remotePort;
  h.seq = seq >>> 0;
  h.urgentPointer = 0;
  const syn = (flags & TCP_SYN) !== 0;
  h.ack = flags & TCP_ACK ? ep.rcvNxt : 0;
  // RFC 7323 §2.2: the window in a SYN is never scaled; later ones are >> our shift.
  h.window = flags & TCP_RST ? 0 : syn ? synWindow(t, ep) : selectWindow(ep);
  if (syn) ep.rcvAdv = (ep.rcvNxt + h.window) >>> 0;
  if (ep.urgSend) {
    // RFC 9293 §3.8.5: the urgent pointer rides on every segment until the data passes it.
    if (seqGt(ep.sndUp, seq)) {
      flags |= TCP_URG;
      h.urgentPointer = Math.min((ep.sndUp - seq) >>> 0, 0xffff);
    }
  }
  h.flags = flags;
  const now = t.scheduler.now();
  if (syn) {
    h.options = synOptions(ep, (flags & TCP_ACK) !== 0, now);
  } else {
    // RFC 2018 §4: every ACK carries SACK blocks while the receiver holds out-of-order data.
    const sack = (flags & (TCP_ACK | TCP_RST)) === TCP_ACK && wantsSack(ep);
    if (ep.tsOk) {
      // RFC 7323 §3.2: once agreed, TSopt rides on every segment (RSTs too, as Linux sends them).
      const o = sack ? tsSackOptions : t.tsOptions;
      o.timestamp!.value = tsNow(now, ep);
      o.timestamp!.echo = ep.tsRecent;
      h.options = o;
    } else {
      h.options = sack ? sackOptions : t.noOptions;
    }
    if (sack) fillSackBlocks(ep, h.options);
  }
  const hdrLen = TCP_HEADER_LEN + tcpOptionsLength(h.options);
  // A recycled buffer, written whole: headroom for IP and Ethernet, header, payload.
  const pkt = framePool.acquire(HEADROOM + hdrLen + len);
  emitTcp(h, pkt, HEADROOM);
  if (len > 0) ep.sendBuf.peek(pkt, dataOff, len, HEADROOM + hdrLen);
  if (!route.offload) fillTcpChecksum(pkt, HEADROOM, hdrLen + len, ep.localAddr, ep.remoteAddr);
  t.ipOutput(ep.localAddr, ep.remoteAddr, ep.ttl, ep.tos, pkt, route);
  // PRR counts what goes out during recovery (RFC 6937 prr_out).
  if (len > 0 && ep.cc !== null) ep.cc.onTransmit(len, now);
  const c = t.counters;
  c.outSegs++;
  if (flags & TCP_RST) c.outRsts++;
  if (flags & TCP_ACK) {
    // Any segment carrying an ACK satisfies the delayed-ACK obligation (RFC 9293 §3.8.6.3).
    ep.unackedBytes = 0;
    ep.ackNow = false;
    ep.lastAckSent = ep.rcvNxt;
    // The delayed-ACK timer, if armed, is left to fire for nothing (TcpEndpoint.delackOwed).
    ep.delackOwed = false;
  }
}

/**
 * A bare ACK with the current RCV.NXT and window. Its sequence number is the highest sent
 * (SND.MAX, as BSD), not a SND.NXT rewound by a timeout: the peer already holds the data before
 * that, would find the ACK unacceptable and drop it, and both sides could stall retransmitting.
 */
export function sendAck(t: TcpLayer, ep: TcpEndpoint): void {
  transmit(t, ep, ep.sndMax, TCP_ACK, 0, 0);
}

/** SYN (active open) or SYN-ACK (passive or simultaneous open), always at ISS. */
export function sendSyn(t: TcpLayer, ep: TcpEndpoint): void {
  const flags = ep.state === TcpState.SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK;
  transmit(t, ep, ep.iss, flags, 0, 0);
}

/**
 * An RST from a connection being aborted (RFC 9293 §3.10.5 ABORT), with ACK, at the highest
 * sequence number sent (Linux tcp_acceptable_seq): after a timeout rewound SND.NXT the peer
 * would find an RST there below its window and drop it.
 */
export function sendAbortRst(t: TcpLayer, ep: TcpEndpoint): void {
  transmit(t, ep, ep.sndMax, TCP_RST | TCP_ACK, 0, 0);
}

/**
 * Resends the segment at SND.UNA, whatever the windows say: on a retransmission timeout
 * (RFC 6298 §5.4) with `rewind` (SND.NXT goes back, so the rest follows as cwnd allows), or
 * as fast retransmit (RFC 5681 §3.2) without. The retransmission timer restarts unless
 * `keepTimer` (a running one then stays as it is: RFC 6582 §3.2 step 3, a NewReno partial ACK
 * after the first). Returns true when something was sent.
 */
export function retransmitHead(t: TcpLayer, ep: TcpEndpoint, rewind: boolean, keepTimer = false): boolean {
  if (ep.sndUna === ep.iss && ep.sndBufSeq !== ep.iss) {
    // Our SYN is still unacknowledged (a FIN sent from SYN-RECEIVED): the SYN-ACK goes first.
    transmit(t, ep, ep.iss, TCP_SYN | TCP_ACK, 0, 0);
    t.counters.retransSegs++;
    ep.totalRetrans++;
    if (rewind) ep.sndNxt = ep.sndBufSeq;
    armRto(t, ep);
    return true;
  }
  const sent = retransmitAt(t, ep, ep.sndUna, ep.sndMss);
  if (sent < 0) return false;
  if (rewind) ep.sndNxt = (ep.sndUna + sent) >>> 0;
  if (!keepTimer || ep.rtxMode !== RTX_RTO || !ep.rtxRunning) armRto(t, ep);
  return true;
}

/**
 * Resends up to `max` bytes already sent, from `seq` (at or above SND.UNA), with the FIN if it
 * was sent and nothing but it remains. Returns the sequence space sent (the FIN counts one),
 * or -1 when there is nothing there. Does not touch SND.NXT or the timer.
 */
export function retransmitAt(t: TcpLayer, ep: TcpEndpoint, seq: number, max: number): number {
  const off = (seq - ep.sndBufSeq) | 0;
  const outstanding = (ep.sndMax - seq) | 0;
  if (outstanding <= 0 || off < 0) return -1;
  const len = Math.max(0, Math.min(max, dataMss(ep), ep.sendBuf.length - off, outstanding));
  let flags = TCP_ACK;
  const end = (seq + len) >>> 0;
  // The FIN goes again if it was sent and nothing but it (or the data before it) remains.
  if (ep.finQueued && end === ep.finSeq && seqGt(ep.sndMax, ep.finSeq)) flags |= TCP_FIN;
  if (len <= 0 && !(flags & TCP_FIN)) return -1;
  if (len > 0 && off + len === ep.sendBuf.length) flags |= TCP_PSH;
  transmit(t, ep, seq, flags, off, len);
  t.counters.retransSegs++;
  ep.totalRetrans++;
  ep.rttSeq = -1; // Karn's algorithm (RFC 6298 §3): no sample from a retransmitted segment
  ep.lastSendAt = t.scheduler.now(); // data went out: not idle (RFC 5681 §4.1; Linux lsndtime)
  noteRetransmission(ep, ep.lastSendAt);
  rackOnRetransmit(t, ep, seq, len);
  return len + (flags & TCP_FIN ? 1 : 0);
}

/**
 * A tail loss probe with new data (RFC 8985 §7.3): one segment beyond cwnd if the peer's
 * window has room. Returns false when there is nothing new to send.
 */
export function probeNewData(t: TcpLayer, ep: TcpEndpoint): boolean {
  const off = (ep.sndNxt - ep.sndBufSeq) | 0;
  const room = ep.sndWnd - ((ep.sndNxt - ep.sndUna) | 0);
  const len = Math.min(ep.sendBuf.length - off, dataMss(ep), room);
  if (len <= 0 || seqLt(ep.sndNxt, ep.sndMax)) return false;
  const seq = ep.sndNxt;
  transmit(t, ep, seq, TCP_ACK | (off + len === ep.sendBuf.length ? TCP_PSH : 0), off, len);
  rackOnSend(t, ep, seq, len);
  ep.sndNxt = ep.sndMax = (seq + len) >>> 0;
  ep.lastSendAt = t.scheduler.now();
  return true;
}

/** Payload per segment now: the send MSS less the SACK blocks the segment will carry. */
export function dataMss(ep: TcpEndpoint): number {
  return Math.max(1, ep.sndMss - sackOptionBytes(ep));
}

/** (Re)starts the retransmission timer with the current RTO (RFC 6298 §5.1, §5.3). */
export function armRto(t: TcpLayer, ep: TcpEndpoint): void {
  armRtx(t, ep, RTX_RTO, ep.rtt.rto);
}

/** Starts the persist timer (RFC 9293 §3.8.6.1) with Linux's backoff: RTO << probes, at most RTO max. */
export function armPersist(t: TcpLayer, ep: TcpEndpoint): void {
  armRtx(t, ep, RTX_PERSIST, Math.min(ep.rtt.rto * 2 ** Math.min(ep.probesOut, 20), ep.rtt.maxRto));
}

/** True while the connection may still send a FIN it has queued. */
function finPending(ep: TcpEndpoint): boolean {
  return ep.finQueued && !seqGt(ep.sndNxt, ep.finSeq);
}

/**
 * Sends whatever the windows, Nagle and silly-window avoidance allow (RFC 9293 §3.8.6.2.1,
 * RFC 1122 §4.2.3.4, RFC 896), then a bare ACK if one is owed and nothing carried it.
 */
export function output(t: TcpLayer, ep: TcpEndpoint): void {
  const st = ep.state;
  if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECEIVED || st === TcpState.LISTEN || st === TcpState.CLOSED) return;
  if (st === TcpState.TIME_WAIT) {
    if (ep.ackNow) sendAck(t, ep);
    return;
  }
  // The congestion control comes with the first data or FIN (an idle connection holds none).
  const cc = ep.cc ?? (ep.unsent > 0 || ep.finQueued ? t.ccOf(ep) : null);
  const now = t.scheduler.now();
  let sent = false;
  if (cc !== null && t.config.slowStartAfterIdle && ep.sndMax === ep.sndUna && ep.unsent > 0 && ep.lastSendAt >= 0 && now - ep.lastSendAt > ep.rtt.rto) {
    // RFC 5681 §4.1: restart from the restart window after an idle period longer than the RTO.
    cc.onIdleRestart(t.ccSample(ep));
  }
  // The MSS follows the path MTU (RFC 1191); an MTU probe may go first (RFC 4821 §7).
  if (mtuProbe(t, ep)) sent = true;
  // RFC 6675 §5 (C): in SACK recovery the lost holes go first (NextSeg rule 1).
  const sack = ep.scoreboard !== null;
  if (sack && sendLostHoles(t, ep)) sent = true;
  // SACK blocks riding on data take room from it (Linux tcp_current_mss).
  const mss = dataMss(ep);
  let sentNew = false;
  // Data went out with no retransmission timer running (or only the persist timer): the RTO
  // starts (RFC 6298 §5.1), unless the loss probe timer takes its place below.
  let rtoDue = false;
  for (;;) {
    if (cc === null) break; // nothing to send
    // After a timeout rewound SND.NXT, what the peer SACKed is skipped (RFC 6675 §5.1).
    const gap = sack ? skipSacked(ep) : Infinity;
    const off = (ep.sndNxt - ep.sndBufSeq) | 0;
    const avail = ep.sendBuf.length - off;
    const inFlight = (ep.sndNxt - ep.sndUna) | 0;
    // The peer's window counts sequence space; cwnd counts what is in the network (pipe with SACK).
    const usable = Math.min(ep.sndWnd - inFlight, cc.cwnd - (sack ? sackInFlight(ep) : inFlight));
    const len = Math.max(0, Math.min(avail, mss, usable, gap));
    // A FIN takes one sequence number of the peer's window, as in Linux (tcp_snd_wnd_test):
    // sent into a zero window it would be refused and retransmitted until R2 gave up.
    const fin = finPending(ep) && off + len === ep.sendBuf.length && ep.sndWnd - inFlight >= len + 1;
    if (len === 0 && !fin) break;
    if (len > 0 && len < mss && !fin) {
      const retransmission = seqLt(ep.sndNxt, ep.sndMax);
      const allQueued = len === avail;
      // Nagle: a small segment only when nothing is unacknowledged (or TCP_NODELAY), never while corked.
      const nagleOk = allQueued && !ep.cork && (ep.nodelay || ep.sndMax === ep.sndUna);
      // Sender SWS: or when it is at least half the largest window the peer has offered.
      const swsOk = ep.maxSndWnd > 0 && len >= ep.maxSndWnd >>> 1 && !ep.cork;
      if (!retransmission && !nagleOk && !swsOk) break;
    }
    let flags = TCP_ACK;
    if (len > 0 && off + len === ep.sendBuf.length) flags |= TCP_PSH;
    if (fin) flags |= TCP_FIN;
    const seq = ep.sndNxt;
    const fresh = !seqLt(seq, ep.sndMax);
    if (ep.sndNxt === ep.sndUna) ep.headSentAt = now;
    transmit(t, ep, seq, flags, off, len);
    if (!fresh) {
      t.counters.retransSegs++;
      ep.totalRetrans++;
      noteRetransmission(ep, now);
      rackOnRetransmit(t, ep, seq, len);
    } else {
      rackOnSend(t, ep, seq, len);
      if (len > 0 && ep.rttSeq < 0) {
        // Time one segment per round trip (RFC 6298 §3, without timestamps).
        ep.rttSeq = seq;
        ep.rttStart = now;
      }
    }
    ep.sndNxt = (seq + len + (fin ? 1 : 0)) >>> 0;
    if (seqGt(ep.sndNxt, ep.sndMax)) ep.sndMax = ep.sndNxt;
    ep.lastSendAt = now;
    if (!ep.rtxRunning || ep.rtxMode === RTX_PERSIST) rtoDue = true;
    sent = true;
    if (fresh) sentNew = true;
    if (fin) break;
  }
  // NextSeg rule 3: nothing lost and nothing new could go, but cwnd has room.
  if (sack && !sentNew) {
    for (let i = 0; i < 64 && sendRule3(t, ep); i++) sent = true;
  }
  // RFC 8985 §7.2: after new data, the loss probe timer replaces the RTO while it may (the
  // timer is armed once, for whichever it is).
  if (sentNew && (rtoDue || ep.rtxMode !== RTX_RACK) && tlpAllowed(t, ep)) armTlp(t, ep);
  else if (rtoDue) armRto(t, ep);
  // Nothing in flight and data (or a FIN) the window does not let out: probe it (§3.8.6.1).
  if (!sent && ep.sndMax === ep.sndUna && (ep.unsent > 0 || finPending(ep)) && !ep.rtxRunning) armPersist(t, ep);
  if (ep.ackNow) sendAck(t, ep);
}

import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type TcpRepr } from '../wire/tcp.js';
import { POLLIN, POLLOUT, POLLPRI, POLLRDHUP } from '../stack/events.js';
import { Assembler } from '../storage/assembler.js';
import { CC_NONE, CC_RETRANSMIT, type CcAction, type CcSample } from './congestion/congestion-control.js';
import { dsackBlock, fresh, lastDsack, readSackBlocks, sackDetectLoss } from './sack-sender.js';
import { UNDO_NONE, UNDO_RECOVERY, beginEpisode, checkUndo } from './undo.js';
import { armRackTimer, armTlp, rackOnAck, rackRecoveryEnded, tlpAllowed, tlpOnAck } from './rack.js';
import { RTO_FALLBACK_MS } from './rtt.js';
import { seqGt, seqInWindow, seqLe, seqLt } from './seq.js';
import { TcpState } from './state.js';
import { RTX_NONE, RTX_PERSIST, RTX_RACK, RTX_RTO, URG_NONE, URG_PENDING, URG_READ, URG_VALID, type TcpEndpoint } from './tcp-endpoint.js';
import { output, retransmitHead, sendAck, sendSyn } from './output.js';
import { negotiate, pawsReject, tsRtt, updateTsRecent } from './options.js';
import { noteDuplicate } from './sack-receiver.js';
import { autotuneOnData, autotuneOnRead } from './autotune.js';
import { readOpensWindow } from './stream-io.js';
import { armRtx, stopRtx } from './rtx-timer.js';
import { mtuProbe, onProbeAcked, onProbeLost } from './pmtu.js';
import type { TcpLayer } from './tcp-layer.js';

/**
 * The segment being processed, after trimming to the window (fields of the TcpRepr stay
 * untouched): its text is buf[off, off + len), in the frame (no view is made of it).
 */
interface Arrival {
  seq: number;
  flags: number;
  buf: Uint8Array;
  off: number;
  len: number;
}

const arrival: Arrival = { seq: 0, flags: 0, buf: new Uint8Array(0), off: 0, len: 0 };

/** SEG.LEN (RFC 9293 §3.4): payload plus one for SYN and one for FIN. */
function segLen(seg: TcpRepr): number {
  return seg.payloadLength + (seg.flags & TCP_SYN ? 1 : 0) + (seg.flags & TCP_FIN ? 1 : 0);
}

/** The window we offered the peer: what it may send beyond RCV.NXT. */
function rcvWindow(ep: TcpEndpoint): number {
  return Math.max(0, (ep.rcvAdv - ep.rcvNxt) | 0);
}

/** RFC 9293 §3.10.7.4 first: the four cases of the acceptable-segment test. */
export function acceptable(ep: TcpEndpoint, seq: number, len: number): boolean {
  const wnd = rcvWindow(ep);
  if (len === 0) return wnd === 0 ? seq === ep.rcvNxt : seqInWindow(seq, ep.rcvNxt, wnd);
  if (wnd === 0) return false;
  return seqInWindow(seq, ep.rcvNxt, wnd) || seqInWindow((seq + len - 1) >>> 0, ep.rcvNxt, wnd);
}

/** A segment for a connection in SYN-SENT (RFC 9293 §3.10.7.3). */
export function synSentInput(t: TcpLayer, ep: TcpEndpoint, seg: TcpRepr, payload: Uint8Array): void {
  const f = seg.flags;
  let ackOk = false;
  if (f & TCP_ACK) {
    // SEG.ACK =< ISS or SEG.ACK > SND.NXT: not for this connection.
    if (!seqGt(seg.ack, ep.iss) || seqGt(seg.ack, ep.sndMax)) {
      if (!(f & TCP_RST)) t.sendReset(ep.localAddr, ep.localPort, ep.remoteAddr, ep.remotePort, seg.ack, 0, TCP_RST);
      return;
    }
    ackOk = true;
  }
  if (f & TCP_RST) {
    // RFC 5961 §3.2 in SYN-SENT: an RST counts only if it acknowledges our SYN.
    if (ackOk) t.reset(ep);
    return;
  }
  if (!(f & TCP_SYN)) return;
  const now = t.scheduler.now();
  ep.irs = seg.seq;
  ep.rcvNxt = (seg.seq + 1) >>> 0;
  ep.rcvAdv = ep.rcvNxt;
  t.negotiateMss(ep, seg.options.mss);
  // RFC 7323 §2.2, §3.2: what our SYN offered and the peer's SYN carries is in use.
  negotiate(ep, seg.options, ep.wsOffered, ep.tsOffered, ep.sackOffered, now);
  if (ackOk) {
    ep.sndUna = seg.ack;
    if (seqLt(ep.sndNxt, ep.sndUna)) ep.sndNxt = ep.sndUna;
    ep.sndBufSeq = ep.sndUna;
    handshakeRtt(ep, seg, now);
    // RFC 7323 §2.2: the window of a SYN is never scaled.
    updateWindow(ep, seg.window, seg.seq, seg.ack);
    t.establish(ep);
    ep.ackNow = true;
    // Data or a FIN riding on the SYN-ACK (rare) goes through the normal path.
    if (payload.length > 0 || f & TCP_FIN) {
      arrival.seq = ep.rcvNxt;
      arrival.flags = f & ~TCP_SYN;
      arrival.buf = payload;
      arrival.off = 0;
      arrival.len = payload.length;
      processText(t, ep, seg, arrival);
    }
    output(t, ep);
    return;
  }
  // Simultaneous open (RFC 9293 §3.5 figure 8): SYN-RECEIVED, answer SYN-ACK from the same ISS.
  ep.sndWnd = seg.window;
  ep.maxSndWnd = Math.max(ep.maxSndWnd, seg.window);
  ep.sndWl1 = seg.seq;
  t.setState(ep, TcpState.SYN_RECEIVED);
  sendSyn(t, ep);
}

/**
 * A segment for a connection in SYN-RECEIVED or a synchronized state (RFC 9293 §3.10.7.4),
 * in the RFC's order: sequence number, RST, SYN, ACK, URG, text, FIN. `pkt` holds the
 * segment: its payload is seg.payloadLength bytes at seg.payloadOffset.
 */
export function connectionInput(t: TcpLayer, ep: TcpEndpoint, seg: TcpRepr, pkt: Uint8Array): void {
  const f = seg.flags;
  const cfg = t.config;
  ep.lastRecvAt = t.scheduler.now();
  if (ep.state === TcpState.TIME_WAIT) {
    timeWaitInput(t, ep, seg);
    return;
  }
  if (predicted(t, ep, seg, pkt)) return;
  const dataLen = seg.payloadLength;
  const synRecv = ep.state === TcpState.SYN_RECEIVED;
  // Simultaneous open: the peer's SYN-ACK acknowledges our SYN (RFC 9293 figure 8, line 5).
  if (synRecv && !ep.passive && f & TCP_SYN && f & TCP_ACK && !(f & TCP_RST) && seg.seq === ep.irs && seg.ack === ((ep.iss + 1) >>> 0)) {
    updateWindow(ep, seg.window, seg.seq, seg.ack);
    ep.sndUna = seg.ack;
    ep.sndBufSeq = seg.ack;
    t.establish(ep);
    ep.ackNow = true;
    output(t, ep);
    return;
  }
  // A retransmitted SYN in SYN-RECEIVED: the SYN-ACK was lost; send it again (Linux tcp_check_req).
  if (synRecv && ep.passive && f === TCP_SYN && seg.seq === ep.irs) {
    sendSyn(t, ep);
    return;
  }
  // RFC 5961 §4 (and Linux): a SYN in a synchronized state, whatever its sequence number,
  // gets a challenge ACK and is dropped.
  if (f & TCP_SYN && !(f & TCP_RST) && !synRecv) {
    t.counters.extTCPSYNChallenge++;
    if (cfg.rfc5961) t.challengeAck(ep);
    else if (acceptable(ep, seg.seq, segLen(seg))) t.reset(ep); // RFC 793: an in-window SYN resets
    else sendAck(t, ep);
    return;
  }
  // RFC 7323 §5.3 R1, before the sequence number (as Linux tcp_validate_incoming): PAWS drops a
  // non-RST segment with an old TSval and acknowledges it (tcp_send_dupack). An RST is judged
  // on its sequence number alone.
  const now = ep.lastRecvAt;
  if (!(f & TCP_RST) && pawsReject(ep, seg.options, now)) {
    if (!synRecv || !(f & TCP_SYN)) sendAck(t, ep);
    return;
  }
  // First: the sequence number.
  if (!acceptable(ep, seg.seq, segLen(seg))) {
    // An unacceptable RST is dropped silently (RFC 5961 §3.2); anything else gets an ACK.
    if (!(f & TCP_RST)) {
      if (synRecv && ep.passive && f & TCP_SYN) return;
      // "If the RCV.WND is zero, no segments will be acceptable, but special allowance should be
      // made to accept valid ACKs, URGs, and RSTs": the text is dropped, the ACK field counts.
      if (rcvWindow(ep) === 0 && seg.seq === ep.rcvNxt && f & TCP_ACK && !synRecv) {
        if (dataLen > 0) t.counters.extTCPZeroWindowDrop++;
        if (!processAck(t, ep, seg, dataLen) || ep.released) return;
        if (f & TCP_URG && seg.urgentPointer > 0) checkUrgent(ep, seg);
        ep.ackNow = true;
        output(t, ep);
        return;
      }
      // RFC 2883 §4: a duplicate of data already acknowledged is reported with a D-SACK.
      if (dataLen > 0 && seqLt(seg.seq, ep.rcvNxt)) noteOldDuplicate(t, ep, seg.seq, dataLen);
      sendAck(t, ep);
    }
    return;
  }
  // Second: RST (RFC 5961 §3.2: only an exact RCV.NXT resets; in-window gets a challenge ACK).
  if (f & TCP_RST) {
    if (seg.seq !== ep.rcvNxt && cfg.rfc5961) {
      t.challengeAck(ep);
      return;
    }
    if (synRecv && ep.passive) {
      // RFC 9293: a passive open returns to LISTEN: the embryonic child just goes away.
      t.counters.extEmbryonicRsts++;
      t.dropChild(ep);
      return;
    }
    t.reset(ep);
    return;
  }
  // Fourth: SYN in SYN-RECEIVED (passive) with another sequence number: Linux resets the embryonic connection.
  if (f & TCP_SYN) {
    t.sendReset(ep.localAddr, ep.localPort, ep.remoteAddr, ep.remotePort, f & TCP_ACK ? seg.ack : 0, 0, TCP_RST);
    t.counters.extEmbryonicRsts++;
    t.dropChild(ep);
    return;
  }
  // RFC 7323 §4.3 (2): an acceptable segment may carry the next TS.Recent.
  updateTsRecent(ep, seg.options, seg.seq, now);
  // Fifth: ACK. Without it the segment is dropped.
  if (!(f & TCP_ACK)) return;
  if (synRecv) {
    if (!(seqGt(seg.ack, ep.sndUna) && seqLe(seg.ack, ep.sndMax))) {
      t.sendReset(ep.localAddr, ep.localPort, ep.remoteAddr, ep.remotePort, seg.ack, 0, TCP_RST);
      return;
    }
    // Accept queue full: Linux drops the ACK (tcp_abort_on_overflow = 0) and the child stays
    // in SYN-RECEIVED, retransmitting its SYN-ACK, until accept() makes room.
    if (t.acceptQueueFull(ep)) return;
    ep.sndUna = seg.ack;
    ep.sndBufSeq = seg.ack;
    handshakeRtt(ep, seg, t.scheduler.now());
    // RFC 7323 §2.2: the first window after the SYNs is scaled.
    updateWindow(ep, seg.window * (1 << ep.sndWscale), seg.seq, seg.ack);
    t.establish(ep);
  } else if (!processAck(t, ep, seg, dataLen)) {
    return;
  }
  if (ep.released) return;
  arrival.seq = seg.seq;
  arrival.flags = f;
  arrival.buf = pkt;
  arrival.off = seg.payloadOffset;
  arrival.len = dataLen;
  if (dataLen > 0 && seqLt(seg.seq, ep.rcvNxt)) noteOldDuplicate(t, ep, seg.seq, dataLen);
  trim(ep, arrival);
  processText(t, ep, seg, arrival);
  if (!ep.released) output(t, ep);
}

/**
 * Header prediction (Van Jacobson's; Linux's tcp_rcv_established fast path): the segment is the
 * next in-order data in ESTABLISHED and nothing else unusual — ACK (and PSH) only, no SACK
 * blocks, all of it inside our window, no hole or pending FIN behind it. Two kinds qualify:
 * - pure data for a receiver: acknowledging SND.UNA again with nothing of ours in flight, the
 *   same window, no retransmission timer or undo under way; processAck would change nothing but
 *   SND.WL1/WL2, so only the window bookkeeping is done;
 * - a request/response exchange: acknowledging new data of ours (SND.UNA < SEG.ACK <= SND.MAX;
 *   Linux's tcp_ack with FLAG_DATA); the whole ACK is processed.
 * Every other check of connectionInput passes for these, and trimming, URG and FIN have nothing
 * to do: what is left is PAWS and TS.Recent (RFC 7323 §5.3, §4.3), the ACK, the text, and
 * output() — reduced to what it does with nothing to send when nothing of ours is unsent or in
 * flight (outputNothingToSend) — in the full path's order. False: the full path.
 */
function predicted(t: TcpLayer, ep: TcpEndpoint, seg: TcpRepr, pkt: Uint8Array): boolean {
  const len = seg.payloadLength;
  if (ep.state !== TcpState.ESTABLISHED || (seg.flags & ~TCP_PSH) !== TCP_ACK || len === 0) return false;
  const seq = seg.seq;
  const ack = seg.ack;
  if (seq !== ep.rcvNxt || len > rcvWindow(ep) || seg.options.sack !== undefined) return false;
  if ((ep.ooo !== null && !ep.ooo.isEmpty) || ep.finPendingSeq >= 0) return false;
  const pureData = ack === ep.sndUna && ep.sndMax === ack;
  if (pureData) {
    if (seg.window * (1 << ep.sndWscale) !== ep.sndWnd || ep.rtxMode !== RTX_NONE) return false;
    if (ep.undo !== null && ep.undo.kind !== UNDO_NONE) return false;
  } else if (!seqGt(ack, ep.sndUna) || seqGt(ack, ep.sndMax)) {
    return false;
  }
  const now = ep.lastRecvAt;
  if (pawsReject(ep, seg.options, now)) {
    sendAck(t, ep); // as the full path: an old duplicate is acknowledged and dropped
    return true;
  }
  updateTsRecent(ep, seg.options, seq, now);
  if (pureData) {
    ep.probesOut = 0;
    if (seqLt(ep.sndWl1, seq) || (ep.sndWl1 === seq && seqLe(ep.sndWl2, ack))) updateWindow(ep, ep.sndWnd, seq, ack);
  } else if (!processAck(t, ep, seg, len) || ep.released) {
    return true;
  }
  receiveText(t, ep, seq, pkt, seg.payloadOffset, len);
  autotuneOnData(t, ep, seg, len);
  if (ep.released) return true;
  // With nothing of ours unsent or in flight, output() has nothing to send (Linux:
  // tcp_data_snd_check finds no send head, __tcp_ack_snd_check remains).
  if (ep.unsent > 0 || ep.finQueued || ep.sndMax !== ep.sndUna) output(t, ep);
  else outputNothingToSend(t, ep);
  return true;
}

/**
 * What output() does when nothing of ours is unsent or in flight: the MSS follows the path MTU
 * and RFC 4821 may restart its search (mtuProbe, which sends nothing without data), and an owed
 * ACK goes out. The fast paths call this instead of output() in that state.
 */
function outputNothingToSend(t: TcpLayer, ep: TcpEndpoint): void {
  mtuProbe(t, ep);
  if (ep.ackNow) sendAck(t, ep);
}

/** Cuts what lies before RCV.NXT or beyond the window (RFC 9293 §3.10.7.4 first, trimming). */
function trim(ep: TcpEndpoint, a: Arrival): void {
  let skip = (ep.rcvNxt - a.seq) | 0;
  if (skip > 0) {
    if (a.flags & TCP_SYN) {
      a.flags &= ~TCP_SYN;
      skip--;
      a.seq = (a.seq + 1) >>> 0;
    }
    if (skip >= a.len) {
      // The FIN too is old if it lies before RCV.NXT.
      if (skip > a.len) a.flags &= ~TCP_FIN;
      a.off += a.len;
      a.len = 0;
    } else {
      a.off += skip;
      a.len -= skip;
    }
    a.seq = ep.rcvNxt;
  }
  const room = rcvWindow(ep) - ((a.seq - ep.rcvNxt) | 0);
  if (a.len > room) {
    a.len = Math.max(0, room);
    a.flags &= ~TCP_FIN;
  }
}

/**
 * The RTT of the handshake (our SYN or SYN-ACK acknowledged): from its send time when it was
 * not retransmitted (RFC 6298 §2.1), else from the TSecr (RFC 7323 §4.1, as Linux), else none
 * and RTO = 3 s once established (RFC 6298 §5.7).
 */
function handshakeRtt(ep: TcpEndpoint, seg: TcpRepr, now: number): void {
  if (ep.retransmits === 0) {
    ep.rtt.sample(now - ep.rttStart);
    return;
  }
  const rtt = tsRtt(ep, seg.options, now);
  if (rtt >= 0) ep.rtt.sample(rtt);
  else ep.rtt.reset(RTO_FALLBACK_MS);
}

/** SND.WND update rule (RFC 9293 §3.10.7.4, ESTABLISHED, fifth check). */
function updateWindow(ep: TcpEndpoint, window: number, seq: number, ack: number): void {
  ep.sndWnd = window;
  ep.sndWl1 = seq;
  ep.sndWl2 = ack;
  if (window > ep.maxSndWnd) ep.maxSndWnd = window;
}

/**
 * The ACK field in a synchronized state: RFC 5961 §5 validation, SND.UNA advance, RTT, congestion
 * control, duplicate ACKs, window update and the FIN-acknowledged transitions. False when the
 * segment is to be dropped.
 */
function processAck(t: TcpLayer, ep: TcpEndpoint, seg: TcpRepr, dataLen: number): boolean {
  const ack = seg.ack;
  // RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT]; others get an ACK.
  const tooOld = seqLt(ack, (ep.sndUna - ep.maxSndWnd) >>> 0);
  if (seqGt(ack, ep.sndMax) || tooOld) {
    if (t.config.rfc5961) t.challengeAck(ep);
    else sendAck(t, ep);
    return false;
  }
  ep.probesOut = 0;
  const oldWnd = ep.sndWnd;
  // RFC 7323 §2.3: every window after the SYNs is shifted by the peer's scale.
  const wnd = seg.window * (1 << ep.sndWscale);
  const cc = ep.cc!;
  const priorUna = ep.sndUna;
  const advanced = seqGt(ack, ep.sndUna);
  const sackedBefore = ep.scoreboard !== null ? ep.scoreboard.sacked : 0;
  let acked = 0;
  let dataAcked = 0;
  if (advanced) {
    acked = (ack - ep.sndUna) >>> 0;
    dataAcked = Math.min(acked, ep.sendBuf.length);
    ep.sendBuf.discard(dataAcked);
    ep.sndBufSeq = (ep.sndBufSeq + dataAcked) >>> 0;
    ep.sndUna = ack;
    if (seqLt(ep.sndNxt, ack)) ep.sndNxt = ack;
    if (ep.urgSend && !seqGt(ep.sndUp, ack)) ep.urgSend = false;
  }
  // RFC 2018 §5: the blocks update the scoreboard whatever else the ACK does.
  const sacked = ep.sackOk ? readSackBlocks(t, ep, seg) : 0;
  // RFC 6937 DeliveredData = acked + the change in SACKed bytes: bytes SACKed before and now
  // cumulatively acknowledged count once (so the change may be negative).
  const sackedDelta = ep.scoreboard !== null ? ep.scoreboard.sacked - sackedBefore : 0;
  let ccAction: CcAction = CC_NONE;
  let sample: CcSample | null = null;
  /** A later NewReno partial ACK: the retransmission timer keeps its deadline. */
  let keepTimer = false;
  if (advanced) {
    const s = (sample = t.ccSample(ep));
    s.ackedBytes = acked;
    s.sackedBytes = sackedDelta;
    let rtt = -1;
    if (ep.rttSeq >= 0 && seqGt(ack, ep.rttSeq)) {
      rtt = t.scheduler.now() - ep.rttStart;
      ep.rttSeq = -1;
    } else {
      // RFC 7323 §4.1 RTTM: every ACK that advances SND.UNA gives a sample from its TSecr, even
      // for a retransmitted segment (Karn does not apply). Linux too prefers its own send-time
      // sample when it has one, and falls back on TSecr.
      rtt = tsRtt(ep, seg.options, t.scheduler.now());
    }
    if (rtt >= 0) {
      ep.rtt.sample(rtt);
      s.rttMs = rtt;
    }
    ep.retransmits = 0;
    ep.dupAcks = 0;
    ep.headSentAt = t.scheduler.now();
    // An MTU probe acknowledged raises the MSS (RFC 4821 §7.6).
    if (ep.mtup !== null) onProbeAcked(t, ep);
    const recovering = cc.inRecovery;
    ccAction = cc.onAck(s);
    if (recovering && !cc.inRecovery) rackRecoveryEnded(ep);
    // A NewReno partial ACK (RFC 6582 §3.2 step 3): the segment at SND.UNA goes again, and
    // only the first partial ACK of the recovery restarts the timer (RFC 3782 §4's Impatient
    // variant): restarted by every one, a window that lost N segments takes N round trips to
    // repair; left running, the RTO ends it with slow start from SND.UNA instead.
    if (ccAction === CC_RETRANSMIT && !ep.sackOk) {
      keepTimer = ep.partialAcked;
      ep.partialAcked = true;
      retransmitHead(t, ep, false, keepTimer);
    }
    if (dataAcked > 0) ep.notify(POLLOUT);
  } else if (ack === ep.sndUna && ep.sndMax !== ep.sndUna && isDupAck(ep, seg, dataLen, wnd, oldWnd, sacked)) {
    ep.dupAcks++;
    // A lost MTU probe is no congestion signal (RFC 4821 §7.6.2): it is resent at the old size.
    if (ep.mtup === null || !onProbeLost(t, ep)) {
      const s = (sample = t.ccSample(ep));
      s.sackedBytes = sackedDelta;
      ccAction = cc.onDupAck(s);
      if (ccAction === CC_RETRANSMIT && !ep.sackOk) {
        t.counters.extTCPFastRetrans++;
        ep.partialAcked = false;
        beginEpisode(ep, UNDO_RECOVERY);
        retransmitHead(t, ep, false);
      }
    }
  }
  // RFC 6675 §5 / RFC 8985: with SACK, the scoreboard and RACK decide when a segment is lost.
  let reo = 0;
  if (ep.sackOk) {
    reo = rackOnAck(t, ep, fresh, lastDsack, seg.options.timestamp ? seg.options.timestamp.echo : -1);
    if (tlpOnAck(t, ep, ack, lastDsack, advanced)) {
      // RFC 8985 §7.4: the probe repaired a loss: one congestion response, as fast recovery's.
      const s = t.ccSample(ep);
      cc.enterRecovery(s);
      cc.exitRecovery(s);
    }
    sackDetectLoss(t, ep, ccAction, sample);
  }
  // A reduction that turns out spurious is undone (RFC 3522, RFC 2883 §5, RFC 9438 §4.9).
  if (ep.undo !== null && ep.undo.kind !== UNDO_NONE) checkUndo(t, ep, seg, priorUna, lastDsack ? dsackBlock : null);
  if ((advanced && !keepTimer) || reo > 0 || ep.rtxMode === RTX_RACK) rearmRtx(t, ep, reo);
  if (seqLt(ep.sndWl1, seg.seq) || (ep.sndWl1 === seg.seq && seqLe(ep.sndWl2, ack))) {
    updateWindow(ep, wnd, seg.seq, ack);
    // A window opened while probing: stop probing, output() sends.
    if (ep.sndWnd > 0 && ep.rtxMode === RTX_PERSIST) t.scheduler.disarm(ep.rtxTimer);
  }
  if (ep.finQueued && ep.finAcked) {
    switch (ep.state) {
      case TcpState.FIN_WAIT_1:
        t.setState(ep, TcpState.FIN_WAIT_2);
        if (ep.orphan) t.armFinWait2(ep);
        break;
      case TcpState.CLOSING:
        t.enterTimeWait(ep);
        return false;
      case TcpState.LAST_ACK:
        t.done(ep);
        return false;
    }
  }
  return true;
}

/**
 * The retransmission timer after an ACK: stopped when all is acknowledged (RFC 6298 §5.2);
 * else RACK's reordering timer when a segment may still turn out lost (RFC 8985 §6.3), the
 * loss probe timer when one may be sent (§7.2), or the RTO restarted (RFC 6298 §5.3).
 */
function rearmRtx(t: TcpLayer, ep: TcpEndpoint, reo: number): void {
  if (ep.sndUna === ep.sndMax) {
    if (ep.rtxMode !== RTX_PERSIST) stopRtx(ep);
  } else if (reo > 0) {
    armRackTimer(t, ep, reo);
  } else if (tlpAllowed(t, ep)) {
    armTlp(t, ep);
  } else {
    armRtx(t, ep, RTX_RTO, ep.rtt.rto);
  }
}

/**
 * A duplicate ACK as RFC 5681 §2 defines it (no data, no SYN/FIN, the same window), or with
 * SACK one whose blocks newly SACK data (RFC 6675 §2 and §5: the SACK information, not the
 * window, tells that a segment left the network).
 */
function isDupAck(ep: TcpEndpoint, seg: TcpRepr, dataLen: number, wnd: number, oldWnd: number, sacked: number): boolean {
  if (ep.sackOk && sacked > 0) return true;
  return dataLen === 0 && !(seg.flags & (TCP_SYN | TCP_FIN)) && wnd === oldWnd;
}

/** URG, segment text and FIN (RFC 9293 §3.10.7.4 sixth to eighth). */
function processText(t: TcpLayer, ep: TcpEndpoint, seg: TcpRepr, a: Arrival): void {
  const st = ep.state;
  const receiving = st === TcpState.ESTABLISHED || st === TcpState.FIN_WAIT_1 || st === TcpState.FIN_WAIT_2 || st === TcpState.SYN_RECEIVED;
  if (a.len > 0 && receiving && ep.shutRead && (st === TcpState.FIN_WAIT_1 || st === TcpState.FIN_WAIT_2)) {
    // Linux: new data for a socket that will never read it again aborts the connection (TCPAbortOnData).
    t.counters.extTCPAbortOnData++;
    t.sendReset(ep.localAddr, ep.localPort, ep.remoteAddr, ep.remotePort, seg.ack, 0, TCP_RST);
    t.reset(ep);
    return;
  }
  if (seg.flags & TCP_URG && receiving && seg.urgentPointer > 0) checkUrgent(ep, seg);
  if (a.len > 0 && receiving) {
    receiveText(t, ep, a.seq, a.buf, a.off, a.len);
    autotuneOnData(t, ep, seg, a.len);
  }
  if (a.flags & TCP_FIN && receiving) {
    const finSeq = (a.seq + a.len) >>> 0;
    if (finSeq === ep.rcvNxt) processFin(t, ep);
    else if (seqGt(finSeq, ep.rcvNxt)) {
      // After a hole: processed when the hole fills. An out-of-order segment is ACKed at once
      // (RFC 5681 §4.2: the duplicate ACK tells the sender about the hole), FIN or not.
      ep.finPendingSeq = finSeq;
      ep.ackNow = true;
    }
  } else if (a.flags & TCP_FIN && (st === TcpState.CLOSE_WAIT || st === TcpState.CLOSING || st === TcpState.LAST_ACK)) {
    ep.ackNow = true; // a retransmitted FIN: acknowledge it again
  }
}

/** RFC 9293 §3.8.5 / RFC 6093: the urgent pointer points one past the urgent byte (BSD and Linux). */
function checkUrgent(ep: TcpEndpoint, seg: TcpRepr): void {
  const up = (seg.seq + seg.urgentPointer) >>> 0;
  const urgSeq = (up - 1) >>> 0;
  if (seqLt(urgSeq, ep.rcvNxt) && ep.urgState !== URG_NONE && ep.urgState !== URG_READ) return;
  if (ep.urgState !== URG_NONE && !seqGt(urgSeq, ep.urgSeq)) return; // not a new mark
  if (seqLt(urgSeq, ep.readSeq)) return; // already consumed
  ep.urgSeq = urgSeq;
  ep.urgState = URG_PENDING;
  if (seqLt(urgSeq, ep.rcvNxt)) captureUrgent(ep);
}

function captureUrgent(ep: TcpEndpoint): void {
  const off = (ep.urgSeq - ep.readSeq) | 0;
  const b = new Uint8Array(1);
  if (ep.recvBuf.peek(b, off, 1) === 1) {
    ep.urgByte = b[0]!;
    ep.urgState = URG_VALID;
    ep.notify(POLLPRI | POLLIN);
  }
}

/**
 * In-order bytes go straight to a recv waiting on an empty queue (TcpEndpoint.reader) when
 * nothing is queued ahead of them and no urgent mark is about: they count as read at once.
 * Returns the bytes it took of the `len` bytes of `src` from `srcOff`.
 */
function takeDirect(t: TcpLayer, ep: TcpEndpoint, src: Uint8Array, srcOff: number, len: number): number {
  const r = ep.reader;
  if (r === null || ep.recvBuf.length !== 0 || ep.urgState !== URG_NONE) return 0;
  const n = r.take(src, srcOff, len);
  autotuneOnRead(t, ep, n);
  return n;
}

/**
 * In-order text joins the receive buffer; out-of-order text waits beside it (RFC 9293 §3.10.7.4
 * seventh). The text is `len` bytes of `src` from `srcOff`.
 */
function receiveText(t: TcpLayer, ep: TcpEndpoint, seq: number, src: Uint8Array, srcOff: number, len: number): void {
  const off = (seq - ep.rcvNxt) | 0;
  if (len > ep.rcvMss) ep.rcvMss = len;
  if (off === 0) {
    let n: number;
    // Bytes a waiting reader took (readable by nobody else).
    let taken = 0;
    const hadHoles = ep.ooo !== null && !ep.ooo.isEmpty;
    if (!hadHoles) {
      taken = takeDirect(t, ep, src, srcOff, len);
      n = taken === len ? taken : taken + ep.recvBuf.write(src, srcOff + taken, len - taken, windowOverdraft(t, ep));
    } else {
      const asm = ep.ooo!;
      reportOverlap(t, ep, asm, 0, len);
      const od = windowOverdraft(t, ep);
      const w = ep.recvBuf.writeAt(0, src, srcOff, len, od);
      asm.add(0, w);
      n = asm.frontContiguous();
      asm.consumeFront(n);
      ep.recvBuf.commit(n, od);
      // RFC 5681 §4.2: ACK at once when a segment fills (part of) a hole.
      ep.ackNow = true;
    }
    if (n < len && !hadHoles) t.counters.extTCPRcvQDrop++;
    ep.rcvNxt = (ep.rcvNxt + n) >>> 0;
    // Bytes taken by a waiting reader were read at once: the window update a read would send
    // rides on this segment's ACK, sent now.
    if (taken > 0 && readOpensWindow(ep)) ep.ackNow = true;
    if (ep.urgState === URG_PENDING && seqLt(ep.urgSeq, ep.rcvNxt)) captureUrgent(ep);
    // Delayed ACK (RFC 9293 §3.8.6.3, RFC 5681 §4.2): at least every second full-sized segment.
    ep.unackedBytes += n;
    // With delayed ACKs off (FreeBSD net.inet.tcp.delayed_ack=0) every segment is ACKed at once.
    if (!t.config.delayedAck) ep.ackNow = true;
    else if (ep.unackedBytes >= 2 * ep.rcvMss) ackFullSegments(t, ep);
    else if (!ep.ackNow && !ep.delackOwed) armDelack(t, ep, t.scheduler.now() + t.config.delayedAckMs);
    if (ep.finPendingSeq >= 0 && ep.finPendingSeq === ep.rcvNxt) processFin(t, ep);
    if (n > taken) ep.notify(POLLIN);
    return;
  }
  // Out of order: keep it (within the window, so within the buffer) and ACK at once (RFC 5681 §4.2).
  ep.ackNow = true;
  if (!ep.ooo) ep.ooo = new Assembler();
  reportOverlap(t, ep, ep.ooo, off, len);
  const w = ep.recvBuf.writeAt(off, src, srcOff, len, windowOverdraft(t, ep));
  if (w > 0 && ep.ooo.add(off, w)) t.counters.extTCPOFOQueue++;
  else t.counters.extTCPOFODrop++;
}

/**
 * How far past the receive buffer's capacity arriving bytes may go: as far as the window we
 * offered reaches beyond it. A window kept while data arrives is rounded up to a whole unit of
 * our window scale at every ACK (the right edge never moves left: RFC 7323 §2.4, Linux
 * tcp_select_window), so while the buffer fills, the edge creeps past it by up to a unit less a
 * byte per ACK. Linux takes those bytes in the slack of its buffer accounting (and grows
 * sk_rcvbuf: the reason for its tcp_shrink_window); dropping them leaves a sender facing a full
 * receiver with a window that never reaches zero, retransmitting into it until R2 ends the
 * connection, where it should probe a zero window. Bounded by config.rcvBufMax (tcp_rmem[2]),
 * for a sender trickling less than the window, whose every ACK moves the rounded edge again.
 */
function windowOverdraft(t: TcpLayer, ep: TcpEndpoint): number {
  const cap = ep.recvBuf.capacity;
  const beyond = ((ep.rcvAdv - ep.rcvNxt) | 0) + ep.recvBuf.length - cap;
  return beyond <= 0 ? 0 : Math.min(beyond, Math.max(0, t.config.rcvBufMax - cap));
}

/**
 * The ACK owed once two full-sized segments are unacknowledged. With ACK batching
 * (TcpConfig.ackBatchBytes) it goes at the end of the arrival batch rather than at once:
 * the delayed-ACK timer is armed for now, and a timer armed now fires after the frames already
 * due at this instant (a link queued them before) and, under virtual time, before the
 * application runs or the clock moves (in real time: at the next turn of the event loop, after
 * the frames of the same read), as Linux acknowledges once what GRO merged from one NAPI poll.
 * So a burst of in-order segments delivered together costs one ACK, or one per ackBatchBytes,
 * the bound on the stretch; segments arriving one at a time are still acknowledged every
 * second one.
 */
function ackFullSegments(t: TcpLayer, ep: TcpEndpoint): void {
  const limit = t.config.ackBatchBytes;
  if (limit <= 0 || ep.unackedBytes >= limit) {
    ep.ackNow = true;
    return;
  }
  if (ep.ackNow) return;
  const now = t.scheduler.now();
  if (!ep.delackOwed || ep.delack.at > now) armDelack(t, ep, now);
}

/**
 * An ACK is owed by `at` at the latest: the delayed-ACK timer is armed for then. A timer still
 * armed for an ACK since sent (TcpEndpoint.delackOwed) is moved, or kept when it is already
 * due then (TimerScheduler.armUnlessAt; under virtual time, a request/response exchange at one
 * instant re-arms nothing). Keeping its place among timers due at that instant, such an ACK
 * may leave before a frame due at that very instant rather than after it.
 */
function armDelack(t: TcpLayer, ep: TcpEndpoint, at: number): void {
  ep.delackOwed = true;
  t.scheduler.armUnlessAt(ep.delack, at);
}

/**
 * Bytes [off, off + len) beyond RCV.NXT arrived; any already held out of order are a duplicate:
 * the first such range goes in a D-SACK (RFC 2883 §4; Linux reports the first overlap too).
 */
function reportOverlap(t: TcpLayer, ep: TcpEndpoint, asm: Assembler, off: number, len: number): void {
  for (let i = 0; i < asm.count; i++) {
    const s = Math.max(asm.rangeStart(i), off);
    const e = Math.min(asm.rangeEnd(i), off + len);
    if (e > s) {
      noteDuplicate(t, ep, (ep.rcvNxt + s) >>> 0, (ep.rcvNxt + e) >>> 0, false);
      return;
    }
    if (asm.rangeStart(i) >= off + len) return;
  }
}

/** The part of [seq, seq + len) below RCV.NXT arrived again: D-SACK it (RFC 2883 §4 (1)). */
function noteOldDuplicate(t: TcpLayer, ep: TcpEndpoint, seq: number, len: number): void {
  const end = (seq + len) >>> 0;
  noteDuplicate(t, ep, seq, seqLt(end, ep.rcvNxt) ? end : ep.rcvNxt, true);
}

/** RFC 9293 §3.10.7.4 eighth: the FIN advances RCV.NXT and closes the receive side. */
function processFin(t: TcpLayer, ep: TcpEndpoint): void {
  ep.rcvNxt = (ep.rcvNxt + 1) >>> 0;
  ep.finPendingSeq = -1;
  ep.finReceived = true;
  ep.shutRead = true;
  ep.ackNow = true;
  switch (ep.state) {
    case TcpState.SYN_RECEIVED:
    case TcpState.ESTABLISHED:
      t.setState(ep, TcpState.CLOSE_WAIT);
      break;
    case TcpState.FIN_WAIT_1:
      if (ep.finAcked) t.enterTimeWait(ep);
      else t.setState(ep, TcpState.CLOSING);
      break;
    case TcpState.FIN_WAIT_2:
      t.enterTimeWait(ep);
      break;
  }
  ep.notify(POLLIN | POLLRDHUP);
}

/**
 * TIME-WAIT (RFC 9293 §3.10.7.4): a retransmitted FIN is ACKed and restarts the 2MSL timer;
 * an acceptable RST ends it (Linux, tcp_rfc1337 = 0); a new SYN with a higher sequence number
 * may reopen the port through its listener (RFC 6191-style, as Linux).
 */
function timeWaitInput(t: TcpLayer, ep: TcpEndpoint, seg: TcpRepr): void {
  const f = seg.flags;
  if (f & TCP_RST) {
    // Only an RST at exactly RCV.NXT (Linux tcp_timewait_state_process; RFC 5961 spirit).
    if (seg.seq === ep.rcvNxt) t.done(ep);
    return;
  }
  if (f & TCP_SYN && !(f & TCP_ACK) && seqGt(seg.seq, ep.rcvNxt) && t.reopenFromTimeWait(ep, seg)) return;
  if (f & TCP_SYN) {
    t.challengeAck(ep);
    return;
  }
  if (f & TCP_FIN && ((seg.seq + seg.payloadLength + 1) >>> 0) === ep.rcvNxt) {
    sendAck(t, ep);
    t.armTimeWait(ep);
    return;
  }
  if (seg.payloadLength > 0 || !acceptable(ep, seg.seq, segLen(seg))) sendAck(t, ep);
}


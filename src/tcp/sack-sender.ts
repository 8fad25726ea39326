/**
 * The sending half of SACK: reading the blocks of incoming ACKs into the scoreboard
 * (RFC 2018 §5, D-SACK detection per RFC 2883 §4), conservative SACK-based loss recovery
 * (RFC 6675 §5: entering recovery, NextSeg() rules 1 and 3, pipe), and what a
 * retransmission timeout does to SACK state (RFC 6675 §5.1, reneging per RFC 2018 §8).
 *
 * output() asks this module how much is in the network (inFlight) and lets it send the
 * lost holes first; new data (NextSeg rule 2) stays with output(). With RACK (rack.ts) the
 * holes to resend are the segments RACK marked lost, and the retransmission timer's RACK and
 * loss-probe modes land here (rackTimerFired, tlpTimerFired).
 */
import type { TcpRepr } from '../wire/tcp.js';
import { CC_NONE, CC_RETRANSMIT, DUP_THRESH, type CcSample } from './congestion/congestion-control.js';
import { SackScoreboard } from './sack-scoreboard.js';
import { seqGe, seqGt, seqLt } from './seq.js';
import { armRto, output, probeNewData, retransmitAt } from './output.js';
import { armRackTimer, inLossState, nextLost, rackLostBytes, rackReoTimeout, tlpCancel, tlpSent } from './rack.js';
import { RTX_NONE, type TcpEndpoint } from './tcp-endpoint.js';
import { UNDO_RECOVERY, beginEpisode } from './undo.js';
import type { TcpLayer } from './tcp-layer.js';

/** Bytes SACKed above a hole that make it lost (RFC 6675 §4 IsLost, byte form). */
function lostThreshold(ep: TcpEndpoint): number {
  return (DUP_THRESH - 1) * ep.sndMss;
}

/**
 * Reads an ACK's SACK blocks into the scoreboard (after SND.UNA moved to `ack`) and returns
 * the bytes they newly SACK. The first block is a D-SACK when it lies below the cumulative ACK
 * or inside the second block (RFC 2883 §4): counted, never marked. Blocks beyond SND.MAX or
 * inverted are discarded (Linux tcp_is_sackblock_valid).
 */
export function readSackBlocks(t: TcpLayer, ep: TcpEndpoint, seg: TcpRepr): number {
  const blocks = seg.options.sack;
  if (fresh.length !== 0) fresh.length = 0; // the length setter is not free: most ACKs bring no blocks
  lastDsack = false;
  if (ep.scoreboard) ep.scoreboard.advance(ep.sndUna);
  if (!ep.sackOk || blocks === undefined || blocks.length === 0) return 0;
  const sb = (ep.scoreboard ??= new SackScoreboard(ep.sndUna));
  const limit = (ep.sndMax - sb.base) | 0;
  let added = 0;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    const s = b[0];
    const e = b[1];
    if (i === 0 && isDsack(seg, blocks)) {
      t.counters.extTCPDSACKRecv++;
      lastDsack = true;
      dsackBlock[0] = s;
      dsackBlock[1] = e;
      continue;
    }
    if (!seqLt(s, e) || seqGt(e, ep.sndMax) || !seqGt(e, ep.sndUna)) {
      t.counters.extTCPSACKDiscard++;
      continue;
    }
    added += sb.add(s, e, limit, fresh);
  }
  return added;
}

/** The newly SACKed parts of the last ACK (offset pairs from the scoreboard base), for RACK. */
export const fresh: number[] = [];
/** The last ACK carried a D-SACK, and its block. */
export let lastDsack = false;
export const dsackBlock: [number, number] = [0, 0];

function isDsack(seg: TcpRepr, blocks: Array<[number, number]>): boolean {
  const b = blocks[0]!;
  if (seqLt(b[0], seg.ack)) return true;
  if (blocks.length < 2) return false;
  const c = blocks[1]!;
  return seqGe(b[0], c[0]) && !seqGt(b[1], c[1]);
}

/** Offset (from the scoreboard base, SND.UNA) below which every unSACKed byte is lost. */
function lostEdge(ep: TcpEndpoint): number {
  return ep.scoreboard!.lostEdge(lostThreshold(ep));
}

/**
 * What is in the network (bytes), for the send loop. In SACK recovery, RFC 6675 pipe; with a
 * scoreboard otherwise, what was sent below SND.NXT and not SACKed (so a SACK frees room, as
 * limited transmit, RFC 3042, does for the first duplicates); else SND.NXT - SND.UNA.
 */
export function inFlight(ep: TcpEndpoint): number {
  const flight = (ep.sndNxt - ep.sndUna) | 0;
  const sb = ep.scoreboard;
  if (!sb || sb.isEmpty) return flight;
  sb.advance(ep.sndUna);
  if (inLossState(ep)) return Math.max(0, flight - sb.sackedIn(0, flight));
  // RACK marks segments lost one by one: in flight is what was sent, less SACKed and lost.
  if (ep.rack !== null) return Math.max(0, flight - sb.sackedIn(0, flight) - rackLostBytes(ep));
  if (ep.cc!.inRecovery) return sb.pipe((ep.sndMax - sb.base) | 0, lostEdge(ep), (ep.highRxt - sb.base) | 0);
  return Math.max(0, flight - sb.sackedIn(0, flight));
}

/**
 * After an ACK's processing: enter loss recovery when RACK (or, without it, the scoreboard's
 * IsLost or DupThresh duplicate ACKs, RFC 6675 §5 steps 1-4) says a segment is lost, and
 * retransmit it. `ccAction` is what the congestion control answered this ACK and `sample` the
 * sample it got (null from a timer). Not during the slow start that follows a timeout (Linux:
 * no Recovery from the Loss state).
 */
export function sackDetectLoss(t: TcpLayer, ep: TcpEndpoint, ccAction: number, sample: CcSample | null): void {
  const cc = ep.cc!;
  if (ep.sndMax === ep.sndUna) return;
  if (inLossState(ep)) return;
  const sb = ep.scoreboard;
  if (cc.inRecovery) {
    // A partial ACK (CC_RETRANSMIT) while the segment now at SND.UNA was not yet resent:
    // resend it (RFC 6582's hint; RFC 6675 would wait for IsLost). A hole never retransmitted
    // below HighRxt cannot exist: rule 1 walks upwards.
    if (ep.rack === null && ccAction === CC_RETRANSMIT && !seqGt(ep.highRxt, ep.sndUna)) retransmitHole(t, ep, 0);
    return;
  }
  // RFC 8985: with RACK a segment is lost when RACK says so; else RFC 6675's DupThresh rules.
  const lost = ep.rack !== null ? rackLostBytes(ep) > 0 : (sb !== null && !sb.isEmpty && lostEdge(ep) > 0) || ep.dupAcks >= DUP_THRESH;
  if (!lost) return;
  // The ACK's own sample, so its delivery counts for PRR (RFC 6937), with pipe after RACK's marks.
  const s = sample ?? t.ccSample(ep);
  s.pipe = inFlight(ep);
  cc.enterRecovery(s);
  if (!cc.inRecovery) return;
  t.counters.extTCPSackRecovery++;
  t.counters.extTCPFastRetrans++;
  beginEpisode(ep, UNDO_RECOVERY);
  tlpCancel(ep);
  ep.highRxt = ep.sndUna;
  // RFC 6675 §5 (4.2): the first segment presumed dropped goes now, whatever cwnd says.
  if (ep.rack !== null) {
    if (nextLost(ep, lostSeg)) retransmitLost(t, ep);
  } else {
    retransmitHole(t, ep, 0);
  }
}

const lostSeg = { seq: 0, len: 0 };

/** Resends the segment nextLost() found (at most one SMSS of it). */
function retransmitLost(t: TcpLayer, ep: TcpEndpoint): number {
  return retransmitAt(t, ep, lostSeg.seq, Math.min(lostSeg.len, ep.sndMss));
}

/** Retransmits up to one SMSS of the hole at offset `off` from SND.UNA; moves HighRxt. */
function retransmitHole(t: TcpLayer, ep: TcpEndpoint, off: number): number {
  const sb = ep.scoreboard;
  const limit = (ep.sndMax - ep.sndUna) | 0;
  const end = sb && !sb.isEmpty ? sb.nextSackedStart(off, limit) : limit;
  const seq = (ep.sndUna + off) >>> 0;
  const sent = retransmitAt(t, ep, seq, Math.min(ep.sndMss, end - off));
  if (sent > 0 && seqGt((seq + sent) >>> 0, ep.highRxt)) ep.highRxt = (seq + sent) >>> 0;
  return sent;
}

/**
 * RFC 6675 §5 (C) NextSeg() rule 1: while cwnd - pipe allows a segment, retransmit the lowest
 * lost hole above HighRxt. Returns true if anything was sent.
 */
export function sendLostHoles(t: TcpLayer, ep: TcpEndpoint): boolean {
  const sb = ep.scoreboard;
  if (!sb || sb.isEmpty || !ep.cc!.inRecovery) return false;
  let sent = false;
  if (ep.rack !== null) {
    // RFC 8985 §6.2: what RACK marked lost, lowest first, as cwnd - in flight allows.
    while (ep.cc!.cwnd - inFlight(ep) >= ep.sndMss && nextLost(ep, lostSeg)) {
      if (retransmitLost(t, ep) <= 0) break;
      sent = true;
    }
    return sent;
  }
  for (;;) {
    if (ep.cc!.cwnd - inFlight(ep) < ep.sndMss) break;
    const edge = lostEdge(ep);
    let off = Math.max(0, (ep.highRxt - sb.base) | 0);
    const inSacked = sb.sackedRangeEnd(off);
    if (inSacked >= 0) off = inSacked;
    if (off >= edge) break;
    if (retransmitHole(t, ep, off) <= 0) break;
    sent = true;
  }
  return sent;
}

/**
 * RFC 6675 §5 (C) NextSeg() rule 3: no lost hole and no new data could go, yet cwnd has room:
 * retransmit one unSACKed segment above HighRxt and below the highest SACKed byte.
 */
export function sendRule3(t: TcpLayer, ep: TcpEndpoint): boolean {
  const sb = ep.scoreboard;
  // With RACK the tail is the loss probe's business (RFC 8985 §7), not rule 3's.
  if (!sb || sb.isEmpty || !ep.cc!.inRecovery || ep.rack !== null) return false;
  if (ep.cc!.cwnd - inFlight(ep) < ep.sndMss) return false;
  let off = Math.max(0, (ep.highRxt - sb.base) | 0);
  const inSacked = sb.sackedRangeEnd(off);
  if (inSacked >= 0) off = inSacked;
  if (off >= sb.highSacked) return false;
  return retransmitHole(t, ep, off) > 0;
}

/**
 * In the send loop after a timeout rewound SND.NXT: skip what the peer SACKed (RFC 6675 §5.1:
 * SACKed data is not sent again). Returns how many bytes from SND.NXT may go before the next
 * SACKed range (Infinity without a scoreboard).
 */
export function skipSacked(ep: TcpEndpoint): number {
  const sb = ep.scoreboard;
  if (!sb || sb.isEmpty || !seqLt(ep.sndNxt, ep.sndMax)) return Infinity;
  sb.advance(ep.sndUna);
  let off = (ep.sndNxt - sb.base) | 0;
  const end = sb.sackedRangeEnd(off);
  if (end >= 0) {
    off = end;
    ep.sndNxt = (sb.base + end) >>> 0;
  }
  const high = (ep.sndMax - sb.base) | 0;
  if (off >= high) return Infinity;
  return sb.nextSackedStart(off, high) - off;
}

/**
 * A retransmission timeout (RFC 6675 §5.1): leave SACK recovery for the Loss state (Linux
 * TCP_CA_Loss) until SND.UNA passes what was sent, resending everything not SACKed. If the
 * peer SACKed the very byte at SND.UNA it has reneged (RFC 2018 §8): forget the scoreboard.
 */
export function sackOnTimeout(t: TcpLayer, ep: TcpEndpoint): void {
  tlpCancel(ep);
  ep.rack?.log.clearLost();
  ep.highRxt = ep.sndUna;
  const sb = ep.scoreboard;
  if (sb && !sb.isEmpty && sb.rangeStart(0) === 0) {
    t.counters.extTCPSACKReneging++;
    sb.clear();
  }
}

/**
 * The retransmission timer in RACK's mode (RFC 8985 §6.3): segments whose reordering
 * allowance ran out are lost; recovery starts or goes on; the timer is re-armed for what may
 * still be reordered, else as the RTO.
 */
export function rackTimerFired(t: TcpLayer, ep: TcpEndpoint): void {
  ep.rtxMode = RTX_NONE;
  if (ep.sndMax === ep.sndUna) return;
  const reo = rackReoTimeout(t, ep);
  sackDetectLoss(t, ep, CC_NONE, null);
  output(t, ep);
  if (ep.sndMax === ep.sndUna) return;
  if (reo > 0) armRackTimer(t, ep, reo);
  else armRto(t, ep);
}

/**
 * The loss probe timeout (RFC 8985 §7.3): send one new segment if the peer's window allows,
 * else resend the last one, so that its ACK (with SACK) reveals a lost tail; then the RTO.
 */
export function tlpTimerFired(t: TcpLayer, ep: TcpEndpoint): void {
  ep.rtxMode = RTX_NONE;
  if (ep.sndMax === ep.sndUna) return;
  let retransmission = false;
  if (!probeNewData(t, ep)) {
    const r = ep.rack;
    const n = r ? r.log.count : 0;
    const lastStart = n > 0 ? r!.log.start(n - 1) : ep.sndUna;
    const seq = seqLt(lastStart, ep.sndUna) ? ep.sndUna : lastStart;
    if (retransmitAt(t, ep, seq, ep.sndMss) <= 0) {
      armRto(t, ep);
      return;
    }
    retransmission = true;
  }
  tlpSent(t, ep, retransmission);
  armRto(t, ep);
}

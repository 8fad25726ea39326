/**
 * RACK-TLP loss detection (RFC 8985), for connections with SACK: a segment is lost when one
 * sent sufficiently later has been delivered (time, not DupThresh counting), and a tail loss
 * probe makes the receiver reveal a lost tail with a SACK instead of waiting for an RTO.
 *
 * State lives in a RackState the endpoint creates when it first sends data; the records of
 * what is in flight are a SentLog. Entry points: rackOnSend / rackOnRetransmit (output),
 * rackOnAck (input, after the scoreboard took the ACK's blocks), rackReoTimeout and
 * tlpTimeout (the retransmission timer in its RACK and TLP modes).
 */
import { DUP_THRESH, TCP_CA_LOSS } from './congestion/congestion-control.js';
import { SentLog, REC_LOST, REC_RETRANS } from './sent-log.js';
import { seqGe, seqGt, seqLt } from './seq.js';
import { RTX_RACK, RTX_TLP, type TcpEndpoint } from './tcp-endpoint.js';
import { armRtx } from './rtx-timer.js';
import type { TcpLayer } from './tcp-layer.js';

/** RFC 8985 §7.2 WCDelAckT: the worst-case delayed ACK a lone probe may wait for. */
const WC_DEL_ACK_MS = 200;
/** RFC 8985 §6.2 reo_wnd_persist: recoveries the DSACK-grown window lasts. */
const REO_WND_PERSIST = 16;
const MAX_REO_MULT = 16;
/** The shortest reordering timer (ms), so float time always moves on when it fires. */
const MIN_TIMER_MS = 0.01;

export class RackState {
  readonly log = new SentLog();
  /** RACK.xmit_ts / RACK.end_seq: the most recently sent segment known delivered. */
  xmitTs = -1;
  endSeq = 0;
  /** RACK.rtt: that segment's round trip; RACK.min_RTT. */
  rtt = 0;
  minRtt = Infinity;
  /** RACK.fack: the highest sequence number delivered; reordering seen below it. */
  fack = 0;
  fackValid = false;
  reorderingSeen = false;
  /** DSACK-driven growth of the reordering window (RFC 8985 §6.2 step 4). */
  reoWndMult = 1;
  reoWndPersist = 0;
  dsackRound = 0;
  dsackRoundValid = false;
  /** TLP (RFC 8985 §7): TLP.end_seq of the probe in flight, and whether it was a retransmission. */
  tlpEnd = 0;
  tlpActive = false;
  tlpRetrans = false;
}

/** RACK and TLP run on this connection (SACK agreed, config.rack). */
export function rackEnabled(t: TcpLayer, ep: TcpEndpoint): boolean {
  return ep.sackOk && t.config.rack;
}

function state(ep: TcpEndpoint): RackState {
  return (ep.rack ??= new RackState());
}

/** Fresh data [seq, seq + len) went out. */
export function rackOnSend(t: TcpLayer, ep: TcpEndpoint, seq: number, len: number): void {
  if (len > 0 && rackEnabled(t, ep)) state(ep).log.append(seq, (seq + len) >>> 0, t.scheduler.now());
}

/** [seq, seq + len) went out again. */
export function rackOnRetransmit(t: TcpLayer, ep: TcpEndpoint, seq: number, len: number): void {
  if (ep.rack && len > 0) ep.rack.log.retransmitted(seq, (seq + len) >>> 0, t.scheduler.now());
}

/** Bytes deemed lost and not yet resent (for pipe: RFC 8985 with RFC 6675's accounting). */
export function rackLostBytes(ep: TcpEndpoint): number {
  return ep.rack ? ep.rack.log.lostBytes : 0;
}

// The ACK being processed, for the per-record callback (no closure per ACK).
let ackNow = 0;
let ackState: RackState | null = null;
let ackMinRtt = Infinity;
/** TSecr of the ACK as our TSval clock reads it, or -1 without timestamps. */
let ackTsEcr = -1;
let ackTsOffset = 0;

function sentAfter(t1: number, s1: number, t2: number, s2: number): boolean {
  return t1 > t2 || (t1 === t2 && seqGt(s1, s2));
}

/** RFC 8985 §6.2 steps 2 and 3 for one delivered record. */
function delivered(log: SentLog, i: number): void {
  const r = ackState!;
  const ts = log.time(i);
  const end = log.end(i);
  const retrans = (log.flags(i) & REC_RETRANS) !== 0;
  const rtt = ackNow - ts;
  // Step 3: delivered below the highest delivered, never retransmitted: the network reordered.
  if (!r.fackValid || seqGt(end, r.fack)) {
    r.fack = end;
    r.fackValid = true;
  } else if (seqLt(end, r.fack) && !retrans) {
    r.reorderingSeen = true;
  }
  // Step 2: an ACK for a retransmitted segment may be for the original: its TSecr older than
  // the retransmission, or a sample below the minimum RTT, says it was.
  if (retrans) {
    if (ackTsEcr >= 0 && ((ackTsEcr - ((Math.floor(ts) + ackTsOffset) >>> 0)) | 0) < 0) return;
    if (rtt < ackMinRtt) return;
  } else if (rtt < r.minRtt) {
    r.minRtt = rtt;
    if (rtt < ackMinRtt) ackMinRtt = rtt;
  }
  if (sentAfter(ts, end, r.xmitTs, r.endSeq)) {
    r.xmitTs = ts;
    r.endSeq = end;
    r.rtt = rtt;
  }
}

/** RFC 8985 §6.2 step 4: RACK.reo_wnd. */
/**
 * After a retransmission timeout until SND.UNA passes what was sent before it (Linux
 * TCP_CA_Loss, which the congestion control keeps): go-back-N resends all not SACKed.
 */
export function inLossState(ep: TcpEndpoint): boolean {
  return ep.cc !== null && ep.cc.caState === TCP_CA_LOSS;
}

function reoWnd(ep: TcpEndpoint, r: RackState): number {
  if (!r.reorderingSeen) {
    if (ep.cc!.inRecovery || inLossState(ep)) return 0;
    if (ep.scoreboard !== null && ep.scoreboard.sacked >= DUP_THRESH * ep.sndMss) return 0;
  }
  const lowest = Math.min(r.minRtt, ep.rtt.minRtt);
  const min = lowest === Infinity ? 0 : lowest;
  return Math.min((min * r.reoWndMult) / 4, ep.rtt.srtt);
}

/**
 * After an ACK: update RACK from what it delivered (cumulatively up to SND.UNA, which has
 * already moved, and the `fresh` newly SACKed offset pairs; `tsEcr` is its TSecr or -1), adapt the reordering window to
 * D-SACKs, mark what is now lost, and return the reordering timeout (ms, 0 = none) for the
 * segments that may still be merely reordered.
 */
export function rackOnAck(t: TcpLayer, ep: TcpEndpoint, fresh: number[], dsack: boolean, tsEcr: number): number {
  const r = ep.rack;
  if (!r || !rackEnabled(t, ep)) return 0;
  const log = r.log;
  ackNow = t.scheduler.now();
  ackState = r;
  // min_RTT over every sample the connection took (the handshake's too), as Linux tcp_min_rtt.
  ackMinRtt = Math.min(r.minRtt, ep.rtt.minRtt);
  ackTsEcr = ep.tsOk ? tsEcr : -1;
  ackTsOffset = ep.tsOffset;
  log.ackTo(ep.sndUna, delivered);
  const sb = ep.scoreboard;
  if (sb !== null) {
    // In ascending sequence order whatever the order of the blocks (RFC 8985 §6.2: blocks
    // listed newest first must not look like reordering).
    sortPairs(fresh);
    for (let k = 0; k < fresh.length; k += 2) {
      const s = (sb.base + fresh[k]!) >>> 0;
      const e = (sb.base + fresh[k + 1]!) >>> 0;
      // Records wholly inside the newly SACKed part were delivered.
      for (let i = log.find(s); i < log.count && !seqGt(log.end(i), e); i++) {
        if (seqGe(log.start(i), s)) delivered(log, i);
      }
    }
  }
  ackState = null;
  // D-SACK: the reordering window grows for REO_WND_PERSIST recoveries (RFC 8985 §6.2 step 4).
  if (r.dsackRoundValid && !seqLt(ep.sndUna, r.dsackRound)) r.dsackRoundValid = false;
  if (dsack && !r.dsackRoundValid) {
    r.dsackRound = ep.sndMax;
    r.dsackRoundValid = true;
    r.reoWndMult = Math.min(r.reoWndMult + 1, MAX_REO_MULT);
    r.reoWndPersist = REO_WND_PERSIST;
  }
  return detectLoss(t, ep, r);
}

/** Sorts flat [start, end] offset pairs by start (insertion sort: an ACK brings a handful). */
function sortPairs(a: number[]): void {
  for (let i = 2; i < a.length; i += 2) {
    const s = a[i]!;
    const e = a[i + 1]!;
    let j = i - 2;
    while (j >= 0 && a[j]! > s) {
      a[j + 2] = a[j]!;
      a[j + 3] = a[j + 1]!;
      j -= 2;
    }
    a[j + 2] = s;
    a[j + 3] = e;
  }
}

/** A recovery ended: the DSACK-grown reordering window decays (RFC 8985 §6.2 step 4). */
export function rackRecoveryEnded(ep: TcpEndpoint): void {
  const r = ep.rack;
  if (r && r.reoWndPersist > 0 && --r.reoWndPersist === 0) r.reoWndMult = 1;
}

/**
 * RFC 8985 §6.2 step 5: every unSACKed segment sent before RACK.xmit_ts by more than
 * RACK.rtt + reo_wnd ago is lost. Walks the holes of the scoreboard in sequence order and
 * stops at the first never-retransmitted segment sent after RACK.xmit_ts (all later ones were
 * sent later still). Returns the time until the next segment would be declared lost, or 0.
 */
function detectLoss(t: TcpLayer, ep: TcpEndpoint, r: RackState): number {
  const sb = ep.scoreboard;
  // Without SACKed data above SND.UNA nothing unacknowledged can have been overtaken (a later
  // segment delivered would have been acknowledged cumulatively with it): the common case, O(1).
  if (r.xmitTs < 0 || sb === null || sb.isEmpty) return 0;
  const log = r.log;
  const now = t.scheduler.now();
  const wnd = reoWnd(ep, r);
  let timeout = 0;
  let i = 0;
  while (i < log.count) {
    const end = sb.sackedRangeEnd((log.start(i) - sb.base) | 0);
    if (end >= 0 && !seqGt(log.end(i), (sb.base + end) >>> 0)) {
      // SACKed: jump past its range.
      i = log.find((sb.base + end) >>> 0);
      continue;
    }
    const f = log.flags(i);
    const ts = log.time(i);
    if (!(f & REC_LOST)) {
      if (sentAfter(r.xmitTs, r.endSeq, ts, log.end(i))) {
        const remaining = ts + r.rtt + wnd - now;
        // A segment sent at this very instant is not judged yet: with zero-delay frames (a
        // simulated path with jitter) an RTT of 0 would otherwise mark it lost as it leaves.
        if (remaining <= 0 && ts < now) log.markLost(i);
        else if (remaining > timeout) timeout = remaining;
      } else if (!(f & REC_RETRANS)) {
        break;
      }
    }
    i++;
  }
  return timeout;
}

/**
 * The lowest segment deemed lost and not yet resent, at or above SND.UNA: its sequence number
 * and length through `out`. False when there is none.
 */
export function nextLost(ep: TcpEndpoint, out: { seq: number; len: number }): boolean {
  const r = ep.rack;
  if (!r || r.log.lostBytes <= 0) return false;
  const log = r.log;
  for (let i = 0; i < log.count; i++) {
    if (log.flags(i) & REC_LOST) {
      out.seq = log.start(i);
      out.len = (log.end(i) - log.start(i)) | 0;
      return true;
    }
  }
  return false;
}

/** The reordering timer fired (RFC 8985 §6.3): whatever is now overdue is lost. */
export function rackReoTimeout(t: TcpLayer, ep: TcpEndpoint): number {
  const r = ep.rack;
  if (!r) return 0;
  return detectLoss(t, ep, r);
}

/** Arms the reordering timer for `ms` (the retransmission timer in its RACK mode). */
export function armRackTimer(t: TcpLayer, ep: TcpEndpoint, ms: number): void {
  armRtx(t, ep, RTX_RACK, Math.max(ms, MIN_TIMER_MS));
}

/** RFC 8985 §7.2: a probe may be scheduled (SACK, RACK, open state, no probe outstanding, an RTT known). */
export function tlpAllowed(t: TcpLayer, ep: TcpEndpoint): boolean {
  if (!rackEnabled(t, ep) || !t.config.tlp || ep.sndMax === ep.sndUna) return false;
  if (ep.cc === null || ep.cc.inRecovery || inLossState(ep) || !ep.rtt.hasSample) return false;
  return !(ep.rack !== null && ep.rack.tlpActive);
}

/** Arms the probe timeout (RFC 8985 §7.2): 2 SRTT, plus WCDelAckT for a lone segment, at most the RTO. */
export function armTlp(t: TcpLayer, ep: TcpEndpoint): void {
  let pto = 2 * ep.rtt.srtt;
  if (((ep.sndMax - ep.sndUna) | 0) <= ep.sndMss) pto += WC_DEL_ACK_MS;
  else pto += 2;
  pto = Math.min(pto, ep.rtt.rto);
  armRtx(t, ep, RTX_TLP, pto);
}

/** The probe was sent (RFC 8985 §7.3): remember its end and kind. */
export function tlpSent(t: TcpLayer, ep: TcpEndpoint, retransmission: boolean): void {
  const r = state(ep);
  r.tlpActive = true;
  r.tlpEnd = ep.sndMax;
  r.tlpRetrans = retransmission;
  t.counters.extTCPLossProbes++;
}

/**
 * RFC 8985 §7.4 (as Linux tcp_process_tlp_ack): did the probe repair a loss? An ACK beyond the
 * probe that is not a D-SACK of it says a segment was lost: the congestion control responds
 * once (returns true). A D-SACK or a bare duplicate says the probe was redundant.
 */
export function tlpOnAck(t: TcpLayer, ep: TcpEndpoint, ack: number, dsack: boolean, advanced: boolean): boolean {
  const r = ep.rack;
  if (!r || !r.tlpActive || seqLt(ack, r.tlpEnd)) return false;
  if (!r.tlpRetrans || dsack) {
    r.tlpActive = false;
    return false;
  }
  if (seqGt(ack, r.tlpEnd)) {
    r.tlpActive = false;
    t.counters.extTCPLossProbeRecovery++;
    return true;
  }
  if (!advanced) r.tlpActive = false;
  return false;
}

/** Recovery or a timeout took over: no probe is outstanding any more. */
export function tlpCancel(ep: TcpEndpoint): void {
  if (ep.rack) ep.rack.tlpActive = false;
}

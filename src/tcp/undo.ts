/**
 * Undoing a spurious window reduction. A retransmission timeout or a fast recovery cuts cwnd;
 * when the segments taken for lost had in fact arrived (a delay spike, reordering), the cut
 * costs throughput for nothing. Two kinds of evidence, as Linux uses them:
 * - Eifel (RFC 3522): with timestamps, an ACK whose TSecr predates the first retransmission
 *   was sent for an original segment;
 * - D-SACK (RFC 2883 §5, RFC 3708): every retransmission of the episode came back as a
 *   duplicate.
 * Then the congestion control restores cwnd and ssthresh (RFC 9438 §4.9) and the sender stops
 * resending what a timeout had rewound. An episode begins at a reduction (beginEpisode) and
 * lasts until the next one.
 */
import type { TcpRepr } from '../wire/tcp.js';
import { seqGt, seqLe, seqLt } from './seq.js';
import { tsNow } from './options.js';
import type { TcpEndpoint } from './tcp-endpoint.js';
import type { TcpLayer } from './tcp-layer.js';

/** No episode; one that began with a fast recovery; one that began with a timeout. */
export const UNDO_NONE = 0;
export const UNDO_RECOVERY = 1;
export const UNDO_TIMEOUT = 2;

/** The episode under way (TcpEndpoint.undo; created at the connection's first reduction). */
export class UndoEpisode {
  /** UNDO_RECOVERY or UNDO_TIMEOUT; UNDO_NONE once undone (until the next reduction). */
  kind = UNDO_NONE;
  /** SND.UNA when it began. */
  marker = 0;
  /** Its retransmissions not yet shown needless by a D-SACK. */
  retrans = 0;
  /** All its retransmissions. */
  sent = 0;
  /** The TSval of its first retransmission (-1: none yet, or no timestamps). */
  tsval = -1;
}

/** A reduction happened: recovery entered (UNDO_RECOVERY) or a segment's first timeout (UNDO_TIMEOUT). */
export function beginEpisode(ep: TcpEndpoint, kind: number): void {
  const u = (ep.undo ??= new UndoEpisode());
  u.kind = kind;
  u.marker = ep.sndUna;
  u.retrans = 0;
  u.sent = 0;
  u.tsval = -1;
}

/** A segment was retransmitted at `now`. */
export function noteRetransmission(ep: TcpEndpoint, now: number): void {
  const u = ep.undo;
  if (u === null || u.kind === UNDO_NONE) return;
  u.retrans++;
  u.sent++;
  if (u.tsval < 0 && ep.tsOk) u.tsval = tsNow(now, ep);
}

/**
 * After an ACK (SND.UNA was `priorUna` before it; `dsack` its D-SACK block, if any): count the
 * duplicates it reports, and undo the reduction when the evidence says it was spurious.
 */
export function checkUndo(t: TcpLayer, ep: TcpEndpoint, seg: TcpRepr, priorUna: number, dsack: [number, number] | null): void {
  const u = ep.undo;
  if (u === null || u.kind === UNDO_NONE || ep.cc === null || u.sent === 0) return;
  // A D-SACK for data between the episode's start and the ACK before this one reports a
  // retransmission that was not needed (Linux tcp_check_dsack).
  if (dsack !== null && seqLe(dsack[1], priorUna) && seqGt(dsack[1], u.marker)) {
    const segs = Math.max(1, Math.ceil(((dsack[1] - dsack[0]) | 0) / ep.sndMss));
    u.retrans = Math.max(0, u.retrans - segs);
  }
  const ts = seg.options.timestamp;
  // Eifel: the ACK advanced SND.UNA and echoes a TSval sent before the first retransmission.
  const eifel = ep.tsOk && u.tsval >= 0 && ts !== undefined && ts.echo !== 0 && seqGt(seg.ack, priorUna) && ((ts.echo - u.tsval) | 0) < 0;
  const allDuplicates = u.retrans === 0;
  if (!eifel && !allDuplicates) return;
  if (!ep.cc.undo(t.ccSample(ep))) return;
  const c = t.counters;
  if (u.kind === UNDO_TIMEOUT) c.extTCPSpuriousRTOs++;
  u.kind = UNDO_NONE;
  if (eifel) c.extTCPLossUndo++;
  else c.extTCPDSACKUndo++;
  // The originals arrived: stop resending what the timeout rewound, forget RACK's verdicts.
  if (seqLt(ep.sndNxt, ep.sndMax)) ep.sndNxt = ep.sndMax;
  ep.rack?.log.clearLost();
}

/**
 * The pluggable congestion controller: one per connection, chosen by name like Linux's
 * TCP_CONGESTION socket option ("reno" = NewReno here; "cubic" later).
 *
 * Division of labour (as Linux's tcp_congestion_ops, gVisor's congestionControl):
 * - the sender owns sequence state, the retransmission queue and timers, RTT estimation and
 *   the SACK scoreboard. It classifies every ACK (new data acknowledged, or a duplicate as
 *   RFC 5681 §2 defines it, or neither) and reports it here, then sends while what it has in
 *   flight (FlightSize, or RFC 6675 "pipe") is below cwnd;
 * - the controller owns cwnd, ssthresh and the loss-recovery phase, and answers each event
 *   with an action: CC_RETRANSMIT means "retransmit now" (NewReno: the segment at SND.UNA;
 *   a SACK sender: its next hole, RFC 6675 §5 NextSeg()).
 *
 * Room to grow without changing callers: CUBIC (RFC 9438) replaces the growth and the
 * reduction (it gets nowMs and rttMs in every sample); SACK-based recovery (RFC 6675) and
 * PRR (RFC 6937) need the delivered and pipe figures, which the sample already carries, and
 * a SACK sender may call enterRecovery() itself when its scoreboard says a segment is lost.
 */

/** No action beyond sending what cwnd now allows. */
export const CC_NONE = 0;
/** Retransmit the first unacknowledged segment (or next SACK hole) now, even beyond cwnd. */
export const CC_RETRANSMIT = 1;
export type CcAction = typeof CC_NONE | typeof CC_RETRANSMIT;

/** Duplicate ACKs that signal a loss (RFC 5681 §3.2, DupThresh in RFC 6675 §2). */
export const DUP_THRESH = 3;
/** "Arbitrarily high" initial ssthresh (RFC 5681 §3.1); Linux's TCP_INFINITE_SSTHRESH. */
export const TCP_INFINITE_SSTHRESH = 0x7fffffff;
/** Linux's initial window in segments, TCP_INIT_CWND (RFC 6928). */
export const TCP_INIT_CWND = 10;

/** The initial window of RFC 5681 §3.1 (eq. 1), for those who want the RFC and not IW10. */
export function rfc5681InitialWindow(smss: number): number {
  if (smss > 2190) return 2 * smss;
  if (smss > 1095) return 3 * smss;
  return 4 * smss;
}

/**
 * What the sender knows when it reports an event. One object may be reused for every call
 * (the controller keeps no reference), so reporting allocates nothing. Bytes and uint32
 * sequence numbers throughout.
 */
export interface CcSample {
  /** Current time, ms. */
  nowMs: number;
  /** SND.UNA after processing the ACK. */
  sndUna: number;
  /** One past the highest sequence number transmitted so far (BSD snd_max; RFC 6582 "recover" is this - 1). */
  sndMax: number;
  /** FlightSize (RFC 5681 §2): bytes sent and not yet cumulatively acknowledged. */
  flightSize: number;
  /** Bytes newly acknowledged cumulatively by this ACK (0 for a duplicate ACK). */
  ackedBytes: number;
  /** An RTT sample from this ACK if Karn's algorithm allows one, else undefined. */
  rttMs: number | undefined;
  /** Bytes newly SACKed by this ACK (RFC 6937 DeliveredData = ackedBytes + this); 0 without SACK. */
  sackedBytes: number;
  /** RFC 6675 §4 pipe, if the sender keeps a scoreboard; else equal to flightSize. */
  pipe: number;
}

export interface CongestionControl {
  /** The TCP_CONGESTION name. */
  readonly name: string;
  /** Sender maximum segment size, bytes. */
  readonly smss: number;
  /** Congestion window, bytes. */
  readonly cwnd: number;
  /** Slow start threshold, bytes. */
  readonly ssthresh: number;
  /** True during fast recovery. */
  readonly inRecovery: boolean;
  /** Consecutive duplicate ACKs (the sender's limited transmit, RFC 3042, reads it). */
  readonly dupAcks: number;

  /** An ACK that advanced SND.UNA. May ask for a retransmission (a partial ACK in recovery). */
  onAck(s: CcSample): CcAction;
  /** A duplicate ACK (RFC 5681 §2). May start fast retransmit. */
  onDupAck(s: CcSample): CcAction;
  /** Loss detected by the sender's own means (SACK scoreboard); no-op if already recovering. */
  enterRecovery(s: CcSample): CcAction;
  /** Leave recovery with cwnd = ssthresh (done internally on a full ACK). */
  exitRecovery(s: CcSample): void;
  /** The retransmission timer expired (call once per expiry, before retransmitting). */
  onRetransmitTimeout(s: CcSample): void;
  /** Sending resumes after an idle period longer than the RTO (RFC 5681 §4.1). */
  onIdleRestart(s: CcSample): void;
}

/** Creates a controller once the connection's SMSS is known. */
export type CongestionControlFactory = (smss: number) => CongestionControl;

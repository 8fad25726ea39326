/**
 * The pluggable congestion controller: one per connection, chosen by name like Linux's
 * TCP_CONGESTION socket option ("reno" = NewReno, "cubic" = CUBIC, the default as on Linux).
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
 * The contract with the sender, per ACK (one CcSample may be reused for every call):
 * - an ACK that advances SND.UNA: onAck(s); a duplicate ACK: onDupAck(s). With a SACK
 *   scoreboard, every ACK that delivers data (new SACK blocks) while in recovery must reach
 *   one of the two, or PRR under-counts what was delivered;
 * - without SACK (s.sackOk false): NewReno recovery as RFC 5681 §3.2 / RFC 6582 — the third
 *   duplicate ACK starts recovery by itself (CC_RETRANSMIT), cwnd is inflated by each further
 *   duplicate and deflated by partial ACKs (CC_RETRANSMIT again), cwnd = ssthresh on the full ACK;
 * - with SACK (s.sackOk true; the sender keeps an RFC 6675 scoreboard and s.pipe is its pipe):
 *   onDupAck() never starts recovery. The sender calls enterRecovery(s) when its scoreboard
 *   says a segment is lost (RFC 6675 §5), AFTER onAck()/onDupAck() of the same ACK and with
 *   the same sample (that ACK's ackedBytes and sackedBytes count as delivered, once). From
 *   then on every ACK runs Proportional Rate Reduction (RFC 6937, PRR-SSRB) and sets
 *   cwnd = pipe + sndcnt, so the sender sends what cwnd - pipe allows. Recovery ends with
 *   cwnd = ssthresh when SND.UNA passes `recover` (SND.MAX at entry). enterRecovery() answers
 *   CC_RETRANSMIT (send the first lost segment now, even beyond cwnd: RFC 6675 §5 (4.2));
 *   a partial ACK answers CC_RETRANSMIT too (the RFC 6582 hint that SND.UNA's segment is
 *   lost), which a sender that trusts its scoreboard may ignore;
 * - sackedBytes is the change in SACKed bytes this ACK made: RFC 6937 DeliveredData is
 *   ackedBytes + sackedBytes, so when SND.UNA passes bytes SACKed earlier the sender either
 *   subtracts them from sackedBytes (which may go negative) or leaves them out of ackedBytes;
 * - onTransmit(bytes, nowMs) for every data segment sent, new or retransmitted (PRR's
 *   prr_out; CUBIC keeps idle time out of its curve); setMss(mss) when the send MSS changes;
 * - onRetransmitTimeout(s) once per expiry, before retransmitting; onIdleRestart(s) before
 *   sending after an idle period longer than the RTO.
 * The ssthresh on a loss is the algorithm's own: Reno max(FlightSize / 2, 2 * SMSS) (RFC 5681
 * eq. 4), CUBIC max(cwnd * 0.7, 2 * SMSS) in whole segments (RFC 9438 §4.6, as Linux).
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

/** Linux's congestion-avoidance states (tcpi_ca_state): no loss seen. */
export const TCP_CA_OPEN = 0;
/** Duplicate ACKs or SACKs seen, no recovery yet. */
export const TCP_CA_DISORDER = 1;
/** Window reduced for an ECN echo (not used: no ECN). */
export const TCP_CA_CWR = 2;
/** Fast recovery (RFC 5681 §3.2, RFC 6675). */
export const TCP_CA_RECOVERY = 3;
/** After a retransmission timeout, until what was sent before it is acknowledged. */
export const TCP_CA_LOSS = 4;

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
  /**
   * The sender keeps a SACK scoreboard (RFC 6675 recovery: the sender starts recovery with
   * enterRecovery(), pipe is meaningful, PRR sets cwnd). Absent means false.
   */
  sackOk?: boolean;
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
  /** Linux's tcpi_ca_state: TCP_CA_OPEN, _DISORDER, _RECOVERY or _LOSS. */
  readonly caState: number;

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
  /**
   * The last reduction (a recovery or a timeout) was spurious: the sender learnt that the
   * segments it took for lost had arrived (RFC 3522 Eifel with timestamps, RFC 2883 D-SACKs of
   * every retransmission). cwnd and ssthresh return to what they were before it (RFC 9438 §4.9,
   * Linux tcp_undo_cwnd_reduction) and recovery / the Loss state end. False when there is
   * nothing to undo.
   */
  undo(s: CcSample): boolean;
  /** A data segment of `bytes` went out at `nowMs`, new or retransmitted (PRR prr_out, RFC 6937). */
  onTransmit(bytes: number, nowMs: number): void;
  /**
   * The sender's MSS changed (path MTU discovery): cwnd and ssthresh keep their size in bytes,
   * and what is counted in SMSS (growth, the loss window after a timeout, NewReno's inflation
   * per duplicate ACK) uses the new one. A controller left with a stale, larger SMSS inflates
   * cwnd by far more than each small segment delivered.
   */
  setMss(smss: number): void;
  /**
   * Takes over from `prev` on a live connection (TCP_CONGESTION switched, as Linux
   * tcp_reinit_congestion_control): cwnd, ssthresh and the recovery state carry over; what
   * the algorithm keeps for itself starts afresh.
   */
  adopt(prev: CongestionControl): void;
}

/** Settings a controller is made with, from the host's TcpConfig. */
export interface CcOptions {
  /**
   * RFC 3465's L, in SMSS (TcpConfig.abcLimitSegments): the most one ACK grows cwnd by in slow
   * start, with the RFC's other per-ACK limits. 0 or Infinity (the default): every
   * acknowledged byte counts, as Linux's tcp_slow_start and tcp_cong_avoid_ai.
   */
  abcLimitSegments?: number;
}

/** Creates a controller once the connection's SMSS is known. */
export type CongestionControlFactory = (smss: number, options?: CcOptions) => CongestionControl;

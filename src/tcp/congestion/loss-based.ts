/**
 * What NewReno and CUBIC share: the loss-recovery bookkeeping around a window-growth rule.
 *
 * - Slow start (RFC 5681 §3.1) and congestion avoidance by byte counting (RFC 3465 §2.1), with
 *   Linux's handling of stretch ACKs (an ACK for many segments: GRO, ACK batching, thinning):
 *   slow start counts every byte acknowledged up to ssthresh and carries the rest into
 *   congestion avoidance (tcp_slow_start), which adds one SMSS per cwnd of bytes, several for
 *   an ACK larger than cwnd (tcp_cong_avoid_ai). RFC 3465's per-ACK limit L (2 * SMSS, 1 *
 *   SMSS after a timeout, §2.2-2.3) is an option (CcOptions.abcLimitSegments); by default only
 *   the slow start after a timeout of a connection without SACK keeps L = 1 * SMSS (why:
 *   slowStart below).
 * - Without SACK: fast retransmit / fast recovery (RFC 5681 §3.2) with the NewReno changes for
 *   partial ACKs and `recover` (RFC 6582 §3.2); a full ACK sets cwnd = ssthresh (option 2).
 * - With SACK (sample.sackOk): the sender starts recovery (RFC 6675 §5) and Proportional
 *   Rate Reduction (RFC 6937, PRR-SSRB) sets cwnd = pipe + sndcnt on every ACK; recovery ends
 *   with cwnd = ssthresh once SND.UNA passes `recover`.
 * - A timeout: ssthresh from the algorithm on the first expiry only (RFC 5681 §3.1), cwnd =
 *   1 * SMSS, and no fast retransmit for duplicates of what was sent before it (RFC 6582 §3.2
 *   step 4; RFC 6675 §5.1); Linux calls the time until then TCP_CA_Loss.
 *
 * Subclasses give the name, the ssthresh of a loss (lossSsthresh), and may replace slow start
 * and congestion avoidance. Choices where the RFCs leave one: initial window 10 * SMSS like
 * Linux (RFC 6928), not RFC 5681 eq. 1 (rfc5681InitialWindow).
 */
import { seqAdd, seqGt } from '../seq.js';
import {
  CC_NONE,
  CC_RETRANSMIT,
  DUP_THRESH,
  TCP_CA_DISORDER,
  TCP_CA_LOSS,
  TCP_CA_OPEN,
  TCP_CA_RECOVERY,
  TCP_INFINITE_SSTHRESH,
  TCP_INIT_CWND,
  type CcAction,
  type CcSample,
  type CongestionControl,
  type CcOptions,
} from './congestion-control.js';
import { Prr } from './prr.js';

export interface LossBasedOptions extends CcOptions {
  /** Initial cwnd in bytes; default TCP_INIT_CWND * SMSS. */
  initialWindow?: number;
}

/** CcOptions.abcLimitSegments as a limit: 0 (unbounded) for anything but a positive finite L. */
function abcLimit(l: number | undefined): number {
  return l !== undefined && l > 0 && l < Infinity ? l : 0;
}

export abstract class LossBasedControl implements CongestionControl {
  abstract readonly name: string;
  private _smss: number;
  /** The initial window in bytes (the restart window's bound, RFC 5681 §4.1). */
  private _initialWindow: number;
  protected _cwnd: number;
  protected _ssthresh = TCP_INFINITE_SSTHRESH;
  protected _inRecovery = false;
  protected _dupAcks = 0;
  /** RFC 6582 §3.2 `recover`, meaningful while recoverValid (SND.UNA has not passed it). */
  protected recover = 0;
  protected recoverValid = false;
  /** RFC 3465 §2.1 bytes_acked, for congestion avoidance. */
  protected bytesAcked = 0;
  /** RFC 3465's L in SMSS when its per-ACK limits are on (CcOptions.abcLimitSegments), else 0. */
  protected abcL: number;
  /** In the slow start that follows a timeout (RFC 3465 §2.3: L = 1 * SMSS; see slowStart). */
  protected afterTimeout = false;
  /** A timeout fired and SND.UNA has not moved since: a re-timeout keeps ssthresh (RFC 5681 §3.1). */
  protected timedOut = false;
  /** From a timeout until SND.UNA passes `recover` (Linux TCP_CA_Loss). */
  protected inLoss = false;
  /** This recovery is SACK-based: PRR sets cwnd. */
  protected prrActive = false;
  /** cwnd and ssthresh before the last reduction (Linux prior_cwnd / prior_ssthresh), for undo(). */
  protected priorCwnd = 0;
  protected priorSsthresh = 0;
  protected undoValid = false;
  /** Created at the first SACK recovery (an idle connection never needs one). */
  protected prr: Prr | null = null;
  /**
   * The largest FlightSize found when an ACK arrived during the current round trip (maxFS),
   * and the SND.MAX at which that round ends: whether the sender used its cwnd (cwndUsed).
   */
  private maxFlight = 0;
  private maxFlightEnd = 0;

  constructor(smss: number, options: LossBasedOptions = {}) {
    this._smss = smss;
    this._initialWindow = options.initialWindow ?? TCP_INIT_CWND * smss;
    this._cwnd = this._initialWindow;
    this.abcL = abcLimit(options.abcLimitSegments);
  }

  /** RFC 3465's L (SMSS) when its per-ACK limits are on, else 0: every byte counts (Linux). */
  get abcLimitSegments(): number {
    return this.abcL;
  }

  get smss(): number {
    return this._smss;
  }
  get initialWindow(): number {
    return this._initialWindow;
  }
  get cwnd(): number {
    return this._cwnd;
  }
  get ssthresh(): number {
    return this._ssthresh;
  }
  get inRecovery(): boolean {
    return this._inRecovery;
  }
  get dupAcks(): number {
    return this._dupAcks;
  }
  get caState(): number {
    if (this._inRecovery) return TCP_CA_RECOVERY;
    if (this.inLoss) return TCP_CA_LOSS;
    return this._dupAcks > 0 ? TCP_CA_DISORDER : TCP_CA_OPEN;
  }
  /** PRR's figures during SACK recovery (for tests and TCP_INFO-like views). */
  get prrState(): Readonly<Prr> | null {
    return this.prrActive ? this.prr : null;
  }

  onAck(s: CcSample): CcAction {
    this._dupAcks = 0;
    this.timedOut = false;
    if (this._inRecovery) {
      if (seqGt(s.sndUna, this.recover)) {
        // RFC 6582 §3.2 step 3 (RFC 6675 §5: the RecoveryPoint): everything up to `recover`
        // is acknowledged; recovery ends.
        this.exitRecovery(s);
        this.recoverValid = false;
        return CC_NONE;
      }
      if (this.prrActive) {
        this.prrUpdate(s);
        return CC_RETRANSMIT;
      }
      // RFC 6582 §3.2 step 3, partial ACK: deflate by the bytes acknowledged, add back one
      // SMSS if at least one was, and retransmit the next unacknowledged segment.
      let cwnd = this._cwnd - s.ackedBytes;
      if (s.ackedBytes >= this.smss) cwnd += this.smss;
      this._cwnd = Math.max(cwnd, this.smss);
      return CC_RETRANSMIT;
    }
    // Once SND.UNA passes `recover` the guard has done its job (and must not meet a wrap).
    if (this.recoverValid && seqGt(s.sndUna, this.recover)) {
      this.recoverValid = false;
      this.inLoss = false;
    }
    this.grow(s.ackedBytes, s);
    return CC_NONE;
  }

  onDupAck(s: CcSample): CcAction {
    if (this._inRecovery) {
      if (this.prrActive) {
        this.prrUpdate(s);
        return CC_NONE;
      }
      // RFC 5681 §3.2 step 4: each further duplicate ACK means a segment left the network.
      this._cwnd += this.smss;
      return CC_NONE;
    }
    // RFC 5681 §3.2 steps 1-2: nothing changes before the third duplicate ACK. With SACK the
    // scoreboard decides (RFC 6675 §5) and the sender calls enterRecovery().
    if (++this._dupAcks === DUP_THRESH && !s.sackOk) return this.enterRecovery(s);
    return CC_NONE;
  }

  enterRecovery(s: CcSample): CcAction {
    if (this._inRecovery) return CC_NONE;
    // RFC 6582 §3.2 step 2: only if the ACK covers more than `recover` (one reduction per
    // window of data, and none for duplicates of data sent before a timeout; RFC 6675 §5.1).
    if (this.recoverValid && !seqGt(s.sndUna, this.recover)) return CC_NONE;
    this.savePrior();
    this._ssthresh = this.lossSsthresh(s);
    this.recover = seqAdd(s.sndMax, -1);
    this.recoverValid = true;
    this._inRecovery = true;
    this.bytesAcked = 0;
    this.afterTimeout = false;
    if (s.sackOk) {
      // RFC 6937 §3: PRR from here on; the ACK that revealed the loss counts as delivered.
      this.prrActive = true;
      (this.prr ??= new Prr()).start(this._ssthresh, s.flightSize);
      this.prrUpdate(s);
    } else {
      // RFC 5681 §3.2 steps 2-3: retransmit, cwnd = ssthresh + 3 * SMSS.
      this.prrActive = false;
      this._cwnd = this._ssthresh + DUP_THRESH * this.smss;
    }
    return CC_RETRANSMIT;
  }

  exitRecovery(_s: CcSample): void {
    if (!this._inRecovery) return;
    // RFC 5681 §3.2 step 6, RFC 6582 §3.2 step 3, RFC 6937 §3: the window becomes ssthresh.
    this._inRecovery = false;
    this.prrActive = false;
    this._cwnd = this._ssthresh;
    this._dupAcks = 0;
    this.bytesAcked = 0;
  }

  onRetransmitTimeout(s: CcSample): void {
    // RFC 5681 §3.1: ssthresh on the first timeout of a segment, not on re-timeouts of the
    // same one; then cwnd = LW = 1 * SMSS.
    if (!this.timedOut) {
      // A timeout during recovery keeps the prior figures of the recovery it ends.
      if (!this._inRecovery) this.savePrior();
      this._ssthresh = this.timeoutSsthresh(s);
    }
    this.timedOut = true;
    this._cwnd = this.smss;
    this._inRecovery = false;
    this.prrActive = false;
    this._dupAcks = 0;
    this.bytesAcked = 0;
    this.afterTimeout = true;
    this.inLoss = true;
    // RFC 6582 §3.2 step 4: no fast retransmit for duplicates of data sent before the timeout.
    this.recover = seqAdd(s.sndMax, -1);
    this.recoverValid = true;
  }

  undo(_s: CcSample): boolean {
    if (!this.undoValid) return false;
    // RFC 9438 §4.9 / Linux tcp_undo_cwnd_reduction: the window and threshold come back, and
    // neither recovery nor the Loss state goes on.
    this._cwnd = Math.max(this._cwnd, this.priorCwnd);
    if (this.priorSsthresh > this._ssthresh) this._ssthresh = this.priorSsthresh;
    this._inRecovery = false;
    this.prrActive = false;
    this.inLoss = false;
    this.timedOut = false;
    this.afterTimeout = false;
    this.recoverValid = false;
    this._dupAcks = 0;
    this.bytesAcked = 0;
    this.undoValid = false;
    this.restorePrior();
    return true;
  }

  /** Remembers what a reduction is about to change, for undo(). */
  private savePrior(): void {
    this.priorCwnd = this._cwnd;
    this.priorSsthresh = this._ssthresh;
    this.undoValid = true;
    this.savePriorState();
  }

  /** Subclasses keep what they change on a loss (CUBIC: its curve) ... */
  protected savePriorState(): void {}

  /** ... and put it back when the loss turns out spurious. */
  protected restorePrior(): void {}

  onIdleRestart(_s: CcSample): void {
    // RFC 5681 §4.1: cwnd = min(cwnd, RW) with the restart window RW = min(IW, cwnd).
    this._cwnd = Math.min(this._cwnd, this.initialWindow);
    this.bytesAcked = 0;
  }

  onTransmit(bytes: number, _nowMs: number): void {
    if (this.prrActive) this.prr!.onTransmit(bytes);
  }

  setMss(smss: number): void {
    if (!(smss > 0) || smss === this._smss) return;
    // cwnd and ssthresh are byte counts (RFC 5681) and keep their size; growth, the loss
    // window and the floors use the new SMSS from here on.
    this._smss = smss;
    if (this._cwnd < smss) this._cwnd = smss;
    if (this._ssthresh < 2 * smss) this._ssthresh = 2 * smss;
  }

  adopt(prev: CongestionControl): void {
    this._cwnd = prev.cwnd;
    this._ssthresh = prev.ssthresh;
    if (prev instanceof LossBasedControl) {
      this.abcL = prev.abcL;
      this._inRecovery = prev._inRecovery;
      this._dupAcks = prev._dupAcks;
      this.recover = prev.recover;
      this.recoverValid = prev.recoverValid;
      this.afterTimeout = prev.afterTimeout;
      this.timedOut = prev.timedOut;
      this.inLoss = prev.inLoss;
      this.prrActive = prev.prrActive;
      this.maxFlight = prev.maxFlight;
      this.maxFlightEnd = prev.maxFlightEnd;
      if (prev.prr !== null) (this.prr ??= new Prr()).copyFrom(prev.prr);
    }
  }

  /** The ssthresh of a loss detected by duplicate ACKs or SACK (RFC 5681 eq. 4 for Reno). */
  protected abstract lossSsthresh(s: CcSample): number;

  /**
   * The ssthresh of a retransmission timeout: the rule of a loss, except that a timeout ending
   * a fast recovery keeps the recovery's, as Linux's tcp_enter_loss (one reduction per window
   * of data, RFC 6582 §3.2). FlightSize then also counts what NewReno's inflated cwnd sent
   * past the holes, and half of it can be several times what the path holds.
   */
  protected timeoutSsthresh(s: CcSample): number {
    return this._inRecovery ? this._ssthresh : this.lossSsthresh(s);
  }

  /** RFC 6937 §3 on an ACK in SACK recovery: cwnd = pipe + sndcnt. */
  protected prrUpdate(s: CcSample): void {
    const delivered = s.ackedBytes + s.sackedBytes;
    const sndcnt = this.prr!.onAck(delivered > 0 ? delivered : 0, s.pipe, this.smss);
    this._cwnd = s.pipe + sndcnt;
  }

  /** Window growth on an ACK of new data outside recovery. */
  protected grow(acked: number, s: CcSample): void {
    const used = this.cwndUsed(s);
    if (this._cwnd < this._ssthresh) {
      // Rate-limited (the application, or the peer's window, sent less than half of cwnd
      // all round trip): slow start would grow a window nothing tests.
      if (!used) {
        this.rateLimitedSlowStart();
        return;
      }
      acked = this.slowStart(acked, s);
      if (acked === 0) return;
    }
    this.congestionAvoidance(acked, s);
  }

  /** An ACK in slow start that grows nothing (cwndUsed is false); CUBIC's HyStart++ hears of it. */
  protected rateLimitedSlowStart(): void {}

  /**
   * Whether the sender used its cwnd lately, as draft-ietf-ccwg-ratelimited-increase (updating
   * RFC 5681 and RFC 9438 §5.8) and Linux's tcp_is_cwnd_limited in slow start have it: cwnd
   * grows only while it is less than twice the largest FlightSize of the last round trip. An
   * application sending requests of a few bytes then keeps its initial window, where every ACK
   * would otherwise add the bytes it acknowledged (12 MB after 200,000 round trips of 64 B), and
   * a burst after such a period would go out at a window the path never carried.
   */
  protected cwndUsed(s: CcSample): boolean {
    // FlightSize as the ACK arrived: what is still out plus what it acknowledged.
    const before = s.flightSize + s.ackedBytes;
    // A new round trip begins with the first ACK for data sent after the last one's largest flight.
    if (before >= this.maxFlight || seqGt(s.sndUna, this.maxFlightEnd)) {
      this.maxFlight = before;
      this.maxFlightEnd = s.sndMax;
    }
    return this._cwnd < 2 * this.maxFlight;
  }

  /**
   * Slow start (RFC 5681 §3.1 eq. 2): cwnd grows by the bytes acknowledged, up to ssthresh.
   * Returns the part of `acked` left over for congestion avoidance once cwnd reached ssthresh.
   *
   * By default every byte counts, as Linux's tcp_slow_start (cwnd = min(cwnd + acked,
   * ssthresh)), against RFC 3465 §2.2's SHOULD of L = 2 * SMSS per ACK: that limit assumes an
   * ACK for every second segment, and receivers that batch (Linux's GRO, ours:
   * TcpConfig.ackBatchBytes) acknowledge a whole arrival of up to 64 KiB at once, so a capped
   * slow start would grow cwnd by two segments per batch and become linear. The burst a stretch
   * ACK lets out is what the receiver got in one batch, and slow start stops at ssthresh.
   *
   * The slow start after a timeout (§2.3: L = 1 * SMSS) is where the two part. Linux has no
   * limit there, and with SACK none is needed: the sender resends only the holes. Without SACK
   * it resends everything from SND.UNA (go-back-N), and a cumulative ACK for data the receiver
   * held across the timeout, §2.3's worry, would let cwnd jump to ssthresh and burst copies of
   * data the receiver already has into the bottleneck: in the netsim table, Reno without SACK
   * at 1 Gbit/s, 1 ms, 0.1% loss fell from 454 to 0.3 Mbit/s. So a connection without SACK
   * keeps L = 1 * SMSS until ssthresh (linear growth when its ACKs are batched), one with SACK
   * does not (or a long outage would be followed by a linear climb back: 2.4 s after a 2 s
   * partition on a 50 ms path instead of 8.9 s). With abcLimitSegments set, both limits
   * apply as the RFC writes them.
   */
  protected slowStart(acked: number, s: CcSample): number {
    const l = this.abcL;
    let inc = acked;
    if (l > 0) inc = Math.min(acked, (this.afterTimeout ? 1 : l) * this.smss);
    else if (this.afterTimeout && !s.sackOk) inc = Math.min(acked, this.smss);
    if (this._cwnd + inc < this._ssthresh) {
      this._cwnd += inc;
      return 0;
    }
    const rest = this._cwnd + inc - this._ssthresh;
    this._cwnd = this._ssthresh;
    this.afterTimeout = false;
    return rest;
  }

  /**
   * Congestion avoidance by byte counting (RFC 5681 §3.1, RFC 3465 §2.1): once a whole
   * cwnd of bytes has been acknowledged, cwnd grows by one SMSS, i.e. one SMSS per RTT. A
   * stretch ACK that brings bytes_acked to several cwnds (what is left when an ACK ends slow
   * start with cwnd still small) earns one SMSS per cwnd, as Linux's tcp_cong_avoid_ai; with
   * RFC 3465's limits on, one per ACK and the rest waits in bytes_acked (§2.1).
   */
  protected congestionAvoidance(acked: number, _s: CcSample): void {
    // Rate-limited, as in slow start (cwndUsed, which grow() just ran).
    if (this._cwnd >= 2 * this.maxFlight) return;
    this.bytesAcked += acked;
    const cwnd = this._cwnd;
    if (this.bytesAcked < cwnd) return;
    const n = this.abcL > 0 ? 1 : Math.floor(this.bytesAcked / cwnd);
    this.bytesAcked -= n * cwnd;
    this._cwnd += n * this.smss;
  }
}

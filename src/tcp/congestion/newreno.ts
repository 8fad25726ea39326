/**
 * NewReno: slow start and congestion avoidance (RFC 5681 §3.1) with appropriate byte counting
 * (RFC 3465), fast retransmit / fast recovery (RFC 5681 §3.2) with the NewReno changes for
 * partial ACKs and the `recover` variable (RFC 6582 §3.2). Linux calls this "reno".
 *
 * Choices where the RFCs leave one:
 * - initial window 10 * SMSS like Linux (RFC 6928), not RFC 5681 eq. 1 (rfc5681InitialWindow);
 * - slow start counts bytes with L = 2 * SMSS (RFC 3465 §2.2), L = 1 * SMSS in the slow
 *   start that follows a timeout (RFC 3465 §2.3), and stops at ssthresh, carrying the rest of
 *   the ACK into congestion avoidance (as Linux's tcp_slow_start does);
 * - a full ACK sets cwnd = ssthresh (RFC 6582 §3.2 step 3, option 2).
 * Linux halves cwnd on loss; RFC 5681 eq. 4, done here, halves FlightSize.
 */
import { seqAdd, seqGt } from '../seq.js';
import {
  CC_NONE,
  CC_RETRANSMIT,
  DUP_THRESH,
  TCP_INFINITE_SSTHRESH,
  TCP_INIT_CWND,
  type CcAction,
  type CcSample,
  type CongestionControl,
} from './congestion-control.js';

export interface NewRenoOptions {
  /** Initial cwnd in bytes; default TCP_INIT_CWND * SMSS. */
  initialWindow?: number;
}

export class NewReno implements CongestionControl {
  readonly name: string = 'reno';
  readonly smss: number;
  readonly initialWindow: number;
  protected _cwnd: number;
  protected _ssthresh = TCP_INFINITE_SSTHRESH;
  protected _inRecovery = false;
  protected _dupAcks = 0;
  /** RFC 6582 §3.2 `recover`, meaningful while recoverValid (SND.UNA has not passed it). */
  protected recover = 0;
  protected recoverValid = false;
  /** RFC 3465 §2.1 bytes_acked, for congestion avoidance. */
  protected bytesAcked = 0;
  /** In the slow start that follows a timeout (RFC 3465 §2.3: L = 1 * SMSS). */
  protected afterTimeout = false;
  /** A timeout fired and SND.UNA has not moved since: a re-timeout keeps ssthresh (RFC 5681 §3.1). */
  protected timedOut = false;

  constructor(smss: number, options: NewRenoOptions = {}) {
    this.smss = smss;
    this.initialWindow = options.initialWindow ?? TCP_INIT_CWND * smss;
    this._cwnd = this.initialWindow;
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

  onAck(s: CcSample): CcAction {
    this._dupAcks = 0;
    this.timedOut = false;
    if (this._inRecovery) {
      if (seqGt(s.sndUna, this.recover)) {
        // RFC 6582 §3.2 step 3, full ACK: everything up to `recover` is acknowledged.
        this.exitRecovery(s);
        this.recoverValid = false;
        return CC_NONE;
      }
      // RFC 6582 §3.2 step 3, partial ACK: deflate by the bytes acknowledged, add back one
      // SMSS if at least one was, and retransmit the next unacknowledged segment.
      let cwnd = this._cwnd - s.ackedBytes;
      if (s.ackedBytes >= this.smss) cwnd += this.smss;
      this._cwnd = Math.max(cwnd, this.smss);
      return CC_RETRANSMIT;
    }
    // Once SND.UNA passes `recover` the guard has done its job (and must not meet a wrap).
    if (this.recoverValid && seqGt(s.sndUna, this.recover)) this.recoverValid = false;
    this.grow(s.ackedBytes, s);
    return CC_NONE;
  }

  onDupAck(s: CcSample): CcAction {
    if (this._inRecovery) {
      // RFC 5681 §3.2 step 4: each further duplicate ACK means a segment left the network.
      this._cwnd += this.smss;
      return CC_NONE;
    }
    // RFC 5681 §3.2 steps 1-2: nothing changes before the third duplicate ACK.
    if (++this._dupAcks === DUP_THRESH) return this.enterRecovery(s);
    return CC_NONE;
  }

  enterRecovery(s: CcSample): CcAction {
    if (this._inRecovery) return CC_NONE;
    // RFC 6582 §3.2 step 2: only if the ACK covers more than `recover` (one reduction per
    // window of data, and none for duplicates of data sent before a timeout).
    if (this.recoverValid && !seqGt(s.sndUna, this.recover)) return CC_NONE;
    this.recover = seqAdd(s.sndMax, -1);
    this.recoverValid = true;
    // RFC 5681 §3.2 steps 2-3: ssthresh by eq. 4, retransmit, cwnd = ssthresh + 3 * SMSS.
    this._ssthresh = this.ssthreshAfterLoss(s);
    this._cwnd = this._ssthresh + DUP_THRESH * this.smss;
    this._inRecovery = true;
    this.bytesAcked = 0;
    this.afterTimeout = false;
    return CC_RETRANSMIT;
  }

  exitRecovery(_s: CcSample): void {
    if (!this._inRecovery) return;
    // RFC 5681 §3.2 step 6, RFC 6582 §3.2 step 3: deflate the window to ssthresh.
    this._inRecovery = false;
    this._cwnd = this._ssthresh;
    this._dupAcks = 0;
    this.bytesAcked = 0;
  }

  onRetransmitTimeout(s: CcSample): void {
    // RFC 5681 §3.1: ssthresh by eq. 4 on the first timeout of a segment, not on re-timeouts
    // of the same one; then cwnd = LW = 1 * SMSS.
    if (!this.timedOut) this._ssthresh = this.ssthreshAfterLoss(s);
    this.timedOut = true;
    this._cwnd = this.smss;
    this._inRecovery = false;
    this._dupAcks = 0;
    this.bytesAcked = 0;
    this.afterTimeout = true;
    // RFC 6582 §3.2 step 4: no fast retransmit for duplicates of data sent before the timeout.
    this.recover = seqAdd(s.sndMax, -1);
    this.recoverValid = true;
  }

  onIdleRestart(_s: CcSample): void {
    // RFC 5681 §4.1: cwnd = min(cwnd, RW) with the restart window RW = min(IW, cwnd).
    this._cwnd = Math.min(this._cwnd, this.initialWindow);
    this.bytesAcked = 0;
  }

  /** RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS). CUBIC overrides (RFC 9438 §4.6). */
  protected ssthreshAfterLoss(s: CcSample): number {
    return Math.max(Math.floor(s.flightSize / 2), 2 * this.smss);
  }

  /** Window growth on an ACK of new data outside recovery. */
  protected grow(acked: number, s: CcSample): void {
    if (this._cwnd < this._ssthresh) {
      // Slow start (RFC 5681 §3.1 eq. 2 with RFC 3465 §2.2's limit L).
      const inc = Math.min(acked, (this.afterTimeout ? 1 : 2) * this.smss);
      if (this._cwnd + inc < this._ssthresh) {
        this._cwnd += inc;
        return;
      }
      acked = this._cwnd + inc - this._ssthresh;
      this._cwnd = this._ssthresh;
      this.afterTimeout = false;
      if (acked === 0) return;
    }
    this.congestionAvoidance(acked, s);
  }

  /**
   * Congestion avoidance by byte counting (RFC 5681 §3.1, RFC 3465 §2.1): once a whole
   * cwnd of bytes has been acknowledged, cwnd grows by one SMSS, i.e. one SMSS per RTT.
   */
  protected congestionAvoidance(acked: number, _s: CcSample): void {
    this.bytesAcked += acked;
    if (this.bytesAcked >= this._cwnd) {
      this.bytesAcked -= this._cwnd;
      this._cwnd += this.smss;
    }
  }
}

/** The factory registered under the name "reno". */
export function newReno(smss: number): NewReno {
  return new NewReno(smss);
}

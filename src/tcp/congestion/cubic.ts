/**
 * CUBIC (RFC 9438), the default congestion control of Linux, Windows and Apple stacks.
 *
 * After a loss the window follows a cubic function of the time t since congestion avoidance
 * began (§4.2): W_cubic(t) = C * (t - K)^3 + W_max, with W_max the window before the loss and
 * K the time the curve takes from cwnd_epoch back to W_max: concave up to W_max (§4.4), a
 * plateau around it, then convex as it probes beyond (§4.5). Each ACK moves cwnd towards
 * target = W_cubic(t + RTT), bounded to [cwnd, 1.5 * cwnd]. Where Reno would do better
 * (short RTTs, small windows) CUBIC follows W_est, Reno's window with AIMD(alpha_cubic, 0.7)
 * (the Reno-friendly region, §4.3). A loss sets ssthresh = cwnd * beta_cubic (§4.6) and, with
 * fast convergence (§4.7), lowers W_max further when the flow had not regained its last
 * W_max. After a timeout the next epoch starts at K = 0 with W_max = cwnd_epoch (§4.8).
 * The initial slow start is HyStart++ (RFC 9406; RFC 9438 §4.10), which may end it without a
 * loss: then cwnd_prior = cwnd and the epoch starts with K = 0 too.
 *
 * Recovery itself (NewReno without SACK, PRR with SACK) is shared with Reno (loss-based.ts).
 *
 * Units: W_max, W_est, cwnd_epoch, cwnd_prior in segments (floats), t, K and C in seconds as
 * the RFC writes them; cwnd itself stays in bytes and grows in whole SMSS, like Linux, with the
 * fraction carried over. Choices where the RFC leaves one, as Linux: ssthresh from cwnd (not
 * FlightSize), in whole segments; growth counts acknowledged segments (byte counting, as §4.3
 * asks for W_est); RTT in the target is the smoothed RTT of the samples seen.
 * Since ssthresh comes from cwnd, cwnd does not grow in congestion avoidance while the sender
 * does not fill it (§4.6's MUST), and t leaves out those periods and idle ones (§5.8).
 * A spurious loss is undone (§4.9): undo() restores cwnd, ssthresh and the curve.
 */
import { TCP_INFINITE_SSTHRESH, type CcAction, type CcSample, type CongestionControl } from './congestion-control.js';
import { HS_DONE, HYSTART_L, HyStart } from './hystart.js';
import { LossBasedControl, type LossBasedOptions } from './loss-based.js';

/** §5.1: C, in segments / s^3. */
export const CUBIC_C = 0.4;
/** §4.6: the multiplicative decrease factor, and the same as a ratio of integers (exact ssthresh). */
export const CUBIC_BETA = 0.7;
const BETA_NUM = 7;
const BETA_DEN = 10;
/** §4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta), Reno's average window with beta = 0.7. */
export const ALPHA_CUBIC = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

/** §4.2 eq. 2: K = cbrt((W_max - cwnd_epoch) / C), seconds (0 when cwnd_epoch >= W_max). */
export function cubicK(wMax: number, cwndEpoch: number): number {
  return wMax > cwndEpoch ? Math.cbrt((wMax - cwndEpoch) / CUBIC_C) : 0;
}

/** §4.2 eq. 1: W_cubic(t) = C * (t - K)^3 + W_max, segments, t in seconds. */
export function wCubic(t: number, k: number, wMax: number): number {
  const d = t - k;
  return CUBIC_C * d * d * d + wMax;
}

export interface CubicOptions extends LossBasedOptions {
  /** §4.7 fast convergence (on, as Linux's tcp_cubic fast_convergence=1). */
  fastConvergence?: boolean;
  /** HyStart++ for the initial slow start (on); off: RFC 5681 slow start. */
  hystart?: boolean;
}

export class Cubic extends LossBasedControl {
  readonly name: string = 'cubic';
  readonly fastConvergence: boolean;
  /** HyStart++ state; null when disabled or before the first slow-start ACK. */
  hystart: HyStart | null = null;
  /** HyStart++ runs in the initial slow start (its state is created at the first ACK there). */
  private readonly useHystart: boolean;
  /** W_max, segments; 0 until a loss, and after a timeout (the next epoch sets it). */
  wMax = 0;
  /** cwnd_prior: cwnd (segments) when ssthresh was last set. */
  cwndPrior = 0;
  /** K of the current epoch, seconds. */
  k = 0;
  /** t_epoch, ms: when the current congestion avoidance stage began; -1 when none has. */
  epochStart = -1;
  /** cwnd_epoch, segments. */
  cwndEpoch = 0;
  /** W_est, segments (§4.3). */
  wEst = 0;
  /** Smoothed RTT of the samples seen (ms; RFC 6298's gain 1/8), for target = W_cubic(t + RTT). */
  srttMs = -1;
  /** Growth (bytes) earned and not yet added to cwnd, which grows in whole SMSS. */
  private credit = 0;
  /** Slow-start growth (bytes) not yet added (CSS grows by quarters). */
  private ssCredit = 0;
  /** When the last ACK emptied the network (ms), or -1: idle time is left out of t. */
  private idleSince = -1;
  /** When the last ACK of new data arrived in congestion avoidance (ms). */
  private lastCaAckMs = -1;

  constructor(smss: number, options: CubicOptions = {}) {
    super(smss, options);
    this.fastConvergence = options.fastConvergence ?? true;
    this.useHystart = options.hystart !== false;
  }

  override onAck(s: CcSample): CcAction {
    const rtt = s.rttMs;
    if (rtt !== undefined && rtt >= 0) this.srttMs = this.srttMs < 0 ? rtt : this.srttMs + (rtt - this.srttMs) / 8;
    const action = super.onAck(s);
    this.idleSince = s.flightSize === 0 ? s.nowMs : -1;
    return action;
  }

  override onTransmit(bytes: number, nowMs: number): void {
    super.onTransmit(bytes, nowMs);
    if (this.idleSince < 0) return;
    // Sending after the network emptied (Linux CA_EVENT_TX_START): the idle time is not part
    // of t (RFC 9438 §5.8), or W_cubic would have run ahead meanwhile.
    if (this.epochStart >= 0 && nowMs > this.idleSince) {
      this.epochStart = Math.min(this.epochStart + (nowMs - this.idleSince), nowMs);
      this.lastCaAckMs = nowMs;
    }
    this.idleSince = -1;
  }

  override onIdleRestart(s: CcSample): void {
    super.onIdleRestart(s);
    // The restart window starts a new epoch from the same W_max (§5.8: t leaves out idle
    // time); with no loss yet, HyStart++ watches the new slow start from a fresh round.
    this.epochStart = -1;
    this.credit = 0;
    if (this.hystart !== null && this._ssthresh === TCP_INFINITE_SSTHRESH) this.hystart.reset();
  }

  override setMss(smss: number): void {
    const old = this.smss;
    super.setMss(smss);
    if (this.smss === old) return;
    // The windows keep their size in bytes: so do W_max and cwnd_prior, counted in the new
    // segments; the curve starts a new epoch (K from the new figures) at the next ACK.
    const f = old / this.smss;
    this.wMax *= f;
    this.cwndPrior *= f;
    this.epochStart = -1;
    this.credit = 0;
    this.ssCredit = 0;
  }

  override adopt(prev: CongestionControl): void {
    super.adopt(prev);
    // Nothing is known of the previous algorithm's curve: the next epoch starts at K = 0
    // from the current cwnd (as after a timeout), as Linux's bictcp_init resets its state.
    this.wMax = 0;
    this.cwndPrior = this._cwnd / this.smss;
    this.epochStart = -1;
    this.credit = 0;
    this.ssCredit = 0;
  }

  /** §4.9: the curve as it was before the reduction, for a spurious one. */
  private prior: { wMax: number; cwndPrior: number; k: number; epochStart: number; cwndEpoch: number; wEst: number } | null = null;

  protected override savePriorState(): void {
    const p = (this.prior ??= { wMax: 0, cwndPrior: 0, k: 0, epochStart: -1, cwndEpoch: 0, wEst: 0 });
    p.wMax = this.wMax;
    p.cwndPrior = this.cwndPrior;
    p.k = this.k;
    p.epochStart = this.epochStart;
    p.cwndEpoch = this.cwndEpoch;
    p.wEst = this.wEst;
  }

  protected override restorePrior(): void {
    const p = this.prior;
    if (p === null) return;
    this.wMax = p.wMax;
    this.cwndPrior = p.cwndPrior;
    this.k = p.k;
    this.epochStart = p.epochStart;
    this.cwndEpoch = p.cwndEpoch;
    this.wEst = p.wEst;
    this.credit = 0;
  }

  /** §4.6 and §4.7: W_max (with fast convergence), cwnd_prior, ssthresh = cwnd * beta_cubic. */
  protected lossSsthresh(_s: CcSample): number {
    const smss = this.smss;
    const segs = this._cwnd / smss;
    this.wMax = this.fastConvergence && segs < this.wMax ? (segs * (1 + CUBIC_BETA)) / 2 : segs;
    this.cwndPrior = segs;
    this.epochStart = -1;
    this.credit = 0;
    // Whole segments, as Linux (max(cwnd * beta, 2) packets); integer arithmetic is exact.
    return Math.max(Math.floor((this._cwnd * BETA_NUM) / (BETA_DEN * smss)), 2) * smss;
  }

  /**
   * §4.8: the timeout reduces as a loss does (Linux: not again for a window already being
   * recovered), and the next congestion avoidance starts at K = 0 with W_max = cwnd_epoch.
   */
  protected override timeoutSsthresh(s: CcSample): number {
    const ssthresh = super.timeoutSsthresh(s);
    this.wMax = 0;
    return ssthresh;
  }

  protected override rateLimitedSlowStart(): void {
    if (this.hystart !== null) this.hystart.interrupt();
  }

  /** HyStart++ (RFC 9406 §4.2) for the initial slow start, else RFC 5681 slow start. */
  protected override slowStart(acked: number, s: CcSample): number {
    const hs = this.useHystart ? (this.hystart ??= new HyStart()) : null;
    if (hs === null || this._ssthresh !== TCP_INFINITE_SSTHRESH) return super.slowStart(acked, s);
    if (hs.beginAck(s.sndUna, s.sndMax) === HS_DONE) {
      // CSS_ROUNDS rounds of CSS: congestion avoidance with ssthresh = cwnd (RFC 9406 §4.2),
      // cwnd_prior = cwnd and the epoch from K = 0 (RFC 9438 §4.10).
      this._ssthresh = this._cwnd;
      this.cwndPrior = this._cwnd / this.smss;
      this.wMax = 0;
      this.epochStart = -1;
      this.ssCredit = 0;
      return acked;
    }
    // cwnd += min(N, L * SMSS), a quarter of that in CSS (RFC 9406 §4.2). L is the RFC's 8
    // for a sender without pacing (§4.3) only with RFC 3465's limits on; by default every byte
    // counts, as in Linux's CUBIC, whose HyStart has no L (the reasons: LossBasedControl.slowStart).
    const n = this.abcL > 0 ? Math.min(acked, HYSTART_L * this.smss) : acked;
    this.ssCredit += n / hs.divisor();
    const whole = Math.floor(this.ssCredit);
    this._cwnd += whole;
    this.ssCredit -= whole;
    hs.endAck(s.rttMs);
    return 0;
  }

  /** §4.2-§4.5 on an ACK of new data in congestion avoidance. */
  protected override congestionAvoidance(acked: number, s: CcSample): void {
    const smss = this.smss;
    const now = s.nowMs;
    if (this.epochStart < 0) this.startEpoch(now);
    else if (s.flightSize + s.ackedBytes + smss <= this._cwnd) {
      // Not cwnd-limited (the application or the peer's window held the sender back): no
      // growth, and the time does not count towards t (§4.2, §4.6, §5.8).
      if (now > this.lastCaAckMs) this.epochStart = Math.min(this.epochStart + (now - this.lastCaAckMs), now);
      this.lastCaAckMs = now;
      return;
    }
    this.lastCaAckMs = now;
    const exact = this._cwnd + this.credit;
    const cwndSeg = exact / smss;
    const segsAcked = acked / smss;
    const t = (now - this.epochStart) / 1000;
    // §4.3: W_est grows by alpha_cubic per window acknowledged; alpha = 1 once W_est has
    // regained cwnd_prior.
    const alpha = this.wEst >= this.cwndPrior ? 1 : ALPHA_CUBIC;
    this.wEst += (alpha * segsAcked) / cwndSeg;
    let next: number;
    if (wCubic(t, this.k, this.wMax) < this.wEst) {
      // The Reno-friendly region: cwnd follows W_est.
      next = Math.max(cwndSeg, this.wEst);
    } else {
      // The concave and convex regions (§4.4, §4.5): (target - cwnd) / cwnd per segment acked.
      const rtt = this.srttMs > 0 ? this.srttMs / 1000 : 0;
      let target = wCubic(t + rtt, this.k, this.wMax);
      if (target < cwndSeg) target = cwndSeg;
      else if (target > 1.5 * cwndSeg) target = 1.5 * cwndSeg;
      next = cwndSeg + ((target - cwndSeg) / cwndSeg) * segsAcked;
    }
    const gain = next * smss - this._cwnd;
    const whole = Math.floor(gain / smss) * smss;
    this._cwnd += whole;
    this.credit = gain - whole;
  }

  /** §4.2: a congestion avoidance stage begins: t_epoch, cwnd_epoch, K and W_est. */
  private startEpoch(now: number): void {
    const segs = this._cwnd / this.smss;
    this.epochStart = now;
    this.lastCaAckMs = now;
    this.cwndEpoch = segs;
    if (this.wMax <= segs) {
      // No W_max above us (first epoch, after a timeout or HyStart++): K = 0, W_max = cwnd_epoch.
      this.wMax = segs;
      this.k = 0;
    } else {
      this.k = cubicK(this.wMax, segs);
    }
    this.wEst = segs;
    this.credit = 0;
  }
}

/** The factory registered under the name "cubic". */
export function cubic(smss: number, options?: CubicOptions): Cubic {
  return new Cubic(smss, options);
}

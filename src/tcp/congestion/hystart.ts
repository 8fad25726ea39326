/**
 * HyStart++ (RFC 9406): leaves the initial slow start when the round-trip time rises (the
 * bottleneck queue fills) instead of overshooting into a burst of losses. After a rise it
 * grows cwnd at a quarter of the slow-start rate for CSS_ROUNDS rounds (Conservative Slow
 * Start); if the RTT falls back below the level that triggered it, the rise was jitter and
 * slow start resumes, otherwise congestion avoidance begins with ssthresh = cwnd.
 *
 * Rounds are counted by sequence number (§4.2): a round ends when SND.UNA reaches windowEnd,
 * SND.MAX when the round began. This module only keeps the state machine; the congestion
 * control applies the growth (cwnd += min(N, L * SMSS) / divisor(), §4.2) and reacts to
 * HS_DONE. Used for the initial slow start only (§4.3's SHOULD).
 */
import { seqGe } from '../seq.js';

/** §4.3 constants: bounds of the RTT rise that ends slow start (ms), its divisor, samples per round. */
export const MIN_RTT_THRESH_MS = 4;
export const MAX_RTT_THRESH_MS = 16;
export const MIN_RTT_DIVISOR = 8;
export const N_RTT_SAMPLE = 8;
/** CSS grows cwnd at 1/CSS_GROWTH_DIVISOR of slow start's rate, for CSS_ROUNDS rounds. */
export const CSS_GROWTH_DIVISOR = 4;
export const CSS_ROUNDS = 5;
/**
 * L for a sender without pacing (§4.3): an ACK grows cwnd by at most L * SMSS. Applied only
 * with RFC 3465's limits on (TcpConfig.abcLimitSegments); by default an ACK counts whole.
 */
export const HYSTART_L = 8;

/** Standard slow start (with the RTT watch). */
export const HS_SLOW_START = 0;
/** Conservative Slow Start. */
export const HS_CSS = 1;
/** CSS lasted CSS_ROUNDS rounds: congestion avoidance from here (ssthresh = cwnd). */
export const HS_DONE = 2;
export type HyStartPhase = typeof HS_SLOW_START | typeof HS_CSS | typeof HS_DONE;

/** The delay threshold of §4.2: lastRoundMinRTT / 8 clamped to [4 ms, 16 ms]. */
export function rttThresh(lastRoundMinRtt: number): number {
  return Math.max(MIN_RTT_THRESH_MS, Math.min(lastRoundMinRtt / MIN_RTT_DIVISOR, MAX_RTT_THRESH_MS));
}

export class HyStart {
  phase: HyStartPhase = HS_SLOW_START;
  /** SND.MAX at the start of the current round; the round ends when SND.UNA reaches it. */
  windowEnd = 0;
  private started = false;
  lastRoundMinRtt = Infinity;
  currentRoundMinRtt = Infinity;
  rttSampleCount = 0;
  cssBaselineMinRtt = Infinity;
  /** Rounds completed in CSS. */
  cssRounds = 0;
  /** Rounds started since the last reset (for tests and traces). */
  rounds = 0;

  /** Back to the state of a fresh connection (also when slow start restarts after idle). */
  reset(): void {
    this.phase = HS_SLOW_START;
    this.started = false;
    this.lastRoundMinRtt = Infinity;
    this.currentRoundMinRtt = Infinity;
    this.rttSampleCount = 0;
    this.cssBaselineMinRtt = Infinity;
    this.cssRounds = 0;
  }

  /**
   * The sender went rate-limited (LossBasedControl.cwndUsed): the round in progress is given
   * up, and the next ACK that grows cwnd starts a new one. Otherwise windowEnd would go stale
   * while no ACK reaches beginAck, and after 2^31 bytes sit on the wrong side of SND.UNA:
   * no round would ever end again.
   */
  interrupt(): void {
    this.started = false;
  }

  /**
   * Round accounting at an ACK, before the growth it allows (§4.2: "at the start of each
   * round"). Returns the phase in which this ACK grows cwnd; HS_DONE means CSS is over.
   */
  beginAck(sndUna: number, sndMax: number): HyStartPhase {
    if (!this.started || seqGe(sndUna, this.windowEnd)) {
      this.started = true;
      this.windowEnd = sndMax;
      this.rounds++;
      this.lastRoundMinRtt = this.currentRoundMinRtt;
      this.currentRoundMinRtt = Infinity;
      this.rttSampleCount = 0;
      if (this.phase === HS_CSS && ++this.cssRounds >= CSS_ROUNDS) this.phase = HS_DONE;
    }
    return this.phase;
  }

  /** The growth divisor of the current phase (1 in slow start, CSS_GROWTH_DIVISOR in CSS). */
  divisor(): number {
    return this.phase === HS_CSS ? CSS_GROWTH_DIVISOR : 1;
  }

  /**
   * After the growth: note the ACK's RTT sample (ms, if any) and decide between slow start
   * and CSS (§4.2). Returns the phase for the next ACK.
   */
  endAck(rttMs: number | undefined): HyStartPhase {
    if (rttMs === undefined || this.phase === HS_DONE) return this.phase;
    if (rttMs < this.currentRoundMinRtt) this.currentRoundMinRtt = rttMs;
    this.rttSampleCount++;
    if (this.rttSampleCount < N_RTT_SAMPLE) return this.phase;
    const cur = this.currentRoundMinRtt;
    if (this.phase === HS_SLOW_START) {
      const last = this.lastRoundMinRtt;
      if (last !== Infinity && cur >= last + rttThresh(last)) {
        // The delay rose: leave slow start for CSS, remembering the RTT that triggered it.
        this.cssBaselineMinRtt = cur;
        this.phase = HS_CSS;
        this.cssRounds = 0;
      }
    } else if (cur < this.cssBaselineMinRtt) {
      // The RTT came back down: the exit was spurious; resume slow start.
      this.cssBaselineMinRtt = Infinity;
      this.phase = HS_SLOW_START;
    }
    return this.phase;
  }
}

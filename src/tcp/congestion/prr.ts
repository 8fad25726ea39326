/**
 * Proportional Rate Reduction (RFC 6937): how much a sender in SACK-based fast recovery may
 * send on each ACK, so that the window comes down to ssthresh smoothly across one round trip
 * (rather than RFC 6675's half window of silence) and, when losses took pipe below ssthresh,
 * climbs back to it no faster than slow start (the Slow Start Reduction Bound, PRR-SSRB).
 *
 * Pure arithmetic in bytes, no sender state: the controller calls start() on entering recovery,
 * onAck() for every ACK in recovery (cwnd = pipe + the answer) and onTransmit() for every
 * segment sent. RecoverFS is FlightSize at the start of recovery (snd.nxt - snd.una, RFC 6937
 * §3); the examples of RFC 6937 §3.1 come out exactly with it (test/tcp/congestion/prr.test.ts).
 * The draft that followed (RFC 6937bis) sets RecoverFS from pipe and picks SSRB only on ACKs
 * that advance SND.UNA; the examples are RFC 6937's, so this is RFC 6937.
 */

/** Which term decided the last sndcnt (RFC 6937 §3.1's "RB" row, plus the proportional part). */
export const PRR_PROPORTIONAL = 0;
/** sndcnt = ssthresh - pipe ("s"). */
export const PRR_BOUND_SSTHRESH = 1;
/** sndcnt = prr_delivered - prr_out (+ SMSS with SSRB): the banked sending opportunities ("b"). */
export const PRR_BOUND_BANKED = 2;
/** sndcnt = DeliveredData + SMSS ("d", PRR-SSRB only). */
export const PRR_BOUND_DELIVERED = 3;

/** ceil(a / b) for non-negative integers (exact while a < 2^53). */
function ceilDiv(a: number, b: number): number {
  const q = Math.floor(a / b);
  return q * b < a ? q + 1 : q;
}

export class Prr {
  /** The target of the reduction (set by the congestion control at the start of recovery). */
  ssthresh = 0;
  /** FlightSize at the start of recovery. */
  recoverFs = 1;
  /** Bytes delivered to the receiver during recovery (cumulatively ACKed or newly SACKed). */
  delivered = 0;
  /** Bytes sent during recovery, new or retransmitted. */
  out = 0;
  /** PRR_PROPORTIONAL or the PRR_BOUND_* that decided the last answer. */
  bound = PRR_PROPORTIONAL;

  /** @param conservative PRR-CRB (the strict packet conservation bound) instead of PRR-SSRB. */
  constructor(readonly conservative = false) {}

  /** RFC 6937 §3, at the beginning of recovery. */
  start(ssthresh: number, recoverFs: number): void {
    this.ssthresh = ssthresh;
    this.recoverFs = Math.max(1, recoverFs);
    this.delivered = 0;
    this.out = 0;
    this.bound = PRR_PROPORTIONAL;
  }

  /**
   * RFC 6937 §3, on every ACK during recovery: `deliveredData` = change in SND.UNA + change in
   * SACKed bytes, `pipe` = RFC 6675 pipe after the ACK. Returns sndcnt, the bytes the sender
   * may send now (never negative).
   */
  onAck(deliveredData: number, pipe: number, smss: number): number {
    this.delivered += deliveredData;
    const ssthresh = this.ssthresh;
    let sndcnt: number;
    if (pipe > ssthresh) {
      // Proportional Rate Reduction: send ssthresh/RecoverFS of what was delivered, rounded up
      // to whole segments (as the RFC's examples count, and Linux, which counts packets).
      sndcnt = ceilDiv(this.delivered * ssthresh, this.recoverFs * smss) * smss - this.out;
      this.bound = PRR_PROPORTIONAL;
    } else {
      // The reduction bound: catch up towards ssthresh, at most as fast as slow start (SSRB)
      // or as packet conservation (CRB) allows.
      const banked = this.delivered - this.out;
      let limit: number;
      if (this.conservative) {
        limit = banked;
        this.bound = PRR_BOUND_BANKED;
      } else {
        limit = Math.max(banked, deliveredData) + smss;
        this.bound = banked >= deliveredData ? PRR_BOUND_BANKED : PRR_BOUND_DELIVERED;
      }
      if (ssthresh - pipe <= limit) {
        sndcnt = ssthresh - pipe;
        this.bound = PRR_BOUND_SSTHRESH;
      } else {
        sndcnt = limit;
      }
    }
    return sndcnt > 0 ? sndcnt : 0;
  }

  /** RFC 6937 §3, on any data transmission or retransmission. */
  onTransmit(bytes: number): void {
    this.out += bytes;
  }

  /** Copies another instance's state (a congestion control taking over mid-recovery). */
  copyFrom(o: Prr): void {
    this.ssthresh = o.ssthresh;
    this.recoverFs = o.recoverFs;
    this.delivered = o.delivered;
    this.out = o.out;
    this.bound = o.bound;
  }
}

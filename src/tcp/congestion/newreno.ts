/**
 * NewReno: slow start and congestion avoidance (RFC 5681 §3.1) with appropriate byte counting
 * (RFC 3465), fast retransmit / fast recovery (RFC 5681 §3.2) with the NewReno changes for
 * partial ACKs and the `recover` variable (RFC 6582 §3.2), and with SACK, RFC 6675 recovery
 * paced by PRR (RFC 6937). Linux calls this "reno". The shared machinery is in loss-based.ts;
 * what is Reno's own is the growth by one SMSS per RTT and the loss response.
 *
 * Linux halves cwnd on loss; RFC 5681 eq. 4, done here, halves FlightSize.
 */
import type { CcSample } from './congestion-control.js';
import { LossBasedControl, type LossBasedOptions } from './loss-based.js';

export type NewRenoOptions = LossBasedOptions;

export class NewReno extends LossBasedControl {
  readonly name: string = 'reno';

  constructor(smss: number, options: NewRenoOptions = {}) {
    super(smss, options);
  }

  /** RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS). */
  protected lossSsthresh(s: CcSample): number {
    return Math.max(Math.floor(s.flightSize / 2), 2 * this.smss);
  }
}

/** The factory registered under the name "reno". */
export function newReno(smss: number, options?: NewRenoOptions): NewReno {
  return new NewReno(smss, options);
}

import { TimerBase } from '../time/scheduler.js';
import type { TcpEndpoint } from './tcp-endpoint.js';

/** The retransmission timer: RTO, persist, RACK reordering, tail loss probe (Linux icsk_retransmit_timer). */
export const TIMER_RTX = 0;
/** The delayed-ACK timer (Linux icsk_delack_timer). */
export const TIMER_DELACK = 1;
/** Keepalive, orphaned FIN-WAIT-2 and TIME-WAIT (Linux sk_timer). */
export const TIMER_SLOW = 2;

/**
 * One of a connection's three timers. It names its endpoint and purpose, and the endpoint's
 * owner dispatches when it fires: no closure (and closure context) is kept per timer. An
 * endpoint creates each one when first armed, so an idle connection holds none.
 */
export class TcpTimer extends TimerBase {
  /** What it is timing: the endpoint's rtxMode or slowMode (RTX_*, SLOW_*); 0 = nothing. */
  mode = 0;

  constructor(
    readonly ep: TcpEndpoint,
    readonly which: number,
  ) {
    super();
  }
  /** TCP's timers are the stack's own: the user's blocked calls are woken by what they do. */
  get internal(): boolean {
    return true;
  }
  fire(): void {
    this.ep.owner.timerFired(this.ep, this.which);
  }
}

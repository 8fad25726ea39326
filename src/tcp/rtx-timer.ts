import { RTX_NONE, type TcpEndpoint } from './tcp-endpoint.js';
import type { TcpLayer } from './tcp-layer.js';

/**
 * The retransmission timer (what TcpEndpoint.rtxMode says it times) is stopped lazily, as
 * Linux leaves icsk_retransmit_timer pending and its handler checks icsk_pending: stopRtx()
 * only says nothing is timed, and the timer, if armed, fires for nothing. Armed again for the
 * deadline it already has, it stays where it is in the scheduler. So a request/response
 * exchange, whose every ACK stops the loss-probe timer that the next send starts again for
 * the same instant under virtual time, moves nothing in the scheduler. TcpEndpoint.rtxRunning
 * tells whether something is timed.
 */
export function armRtx(t: TcpLayer, ep: TcpEndpoint, mode: number, delayMs: number): void {
  ep.rtxMode = mode;
  t.scheduler.armUnlessAt(ep.rtx, t.scheduler.now() + delayMs);
}

/** Nothing is timed any more (the timer, if armed, fires for nothing). */
export function stopRtx(ep: TcpEndpoint): void {
  ep.rtxMode = RTX_NONE;
}

/**
 * Congestion controls by name, as Linux's tcp_register_congestion_control list: what
 * TCP_CONGESTION and the tcp_congestion_control tunable choose from.
 */
import type { CongestionControl, CongestionControlFactory } from './congestion-control.js';
import { Cubic } from './cubic.js';
import { NewReno } from './newreno.js';

/** Linux TCP_CA_NAME_MAX: a name is at most 15 characters (16 with its NUL). */
export const TCP_CA_NAME_MAX = 16;

/** Registration order as Linux lists them in tcp_available_congestion_control: "reno cubic". */
const factories = new Map<string, CongestionControlFactory>([
  ['reno', (smss, options) => new NewReno(smss, options)],
  ['cubic', (smss, options) => new Cubic(smss, options)],
]);

/** The factory registered under `name`, or undefined. */
export function congestionControlFactory(name: string): CongestionControlFactory | undefined {
  return factories.get(name);
}

/** Every registered name (Linux tcp_available_congestion_control), in registration order. */
export function availableCongestionControls(): string[] {
  return [...factories.keys()];
}

/**
 * A controller named `name` that takes over from `prev` on a live connection, keeping cwnd,
 * ssthresh, the recovery state and the settings it was made with (Linux
 * tcp_reinit_congestion_control); undefined if no such algorithm is registered.
 */
export function switchCongestionControl(prev: CongestionControl, name: string): CongestionControl | undefined {
  const f = factories.get(name);
  if (!f) return undefined;
  const next = f(prev.smss);
  next.adopt(prev);
  return next;
}

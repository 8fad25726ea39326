/**
 * Congestion controls by name, as Linux's tcp_register_congestion_control list: what
 * TCP_CONGESTION and the tcp_congestion_control tunable choose from.
 */
import type { CongestionControlFactory } from './congestion-control.js';
import { NewReno } from './newreno.js';

const factories = new Map<string, CongestionControlFactory>([['reno', (smss) => new NewReno(smss)]]);

/** The factory registered under `name`, or undefined. */
export function congestionControlFactory(name: string): CongestionControlFactory | undefined {
  return factories.get(name);
}

/** Every registered name (Linux tcp_available_congestion_control), in registration order. */
export function availableCongestionControls(): string[] {
  return [...factories.keys()];
}

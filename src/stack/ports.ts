import type { Rng } from '../time/rng.js';

/** Linux net.ipv4.ip_local_port_range default. */
export const EPHEMERAL_LOW = 32768;
export const EPHEMERAL_HIGH = 60999;
/** Linux net.ipv4.ip_unprivileged_port_start: ports below need privilege (EACCES). */
export const PRIVILEGED_BELOW = 1024;

/**
 * Ephemeral port choice like Linux's inet_csk_find_open_port: a random starting
 * point in the range, then a linear scan. Returns 0 when every port is taken.
 */
export function pickEphemeralPort(rng: Rng, inUse: (port: number) => boolean, low = EPHEMERAL_LOW, high = EPHEMERAL_HIGH): number {
  const span = high - low + 1;
  const start = rng.int(0, span - 1);
  for (let i = 0; i < span; i++) {
    const p = low + ((start + i) % span);
    if (!inUse(p)) return p;
  }
  return 0;
}

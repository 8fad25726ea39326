import type { Benchmark } from './lib/types.js';
import { bulk1500, bulk65535 } from './tcp-bulk.js';
import { connectRate } from './tcp-connect-rate.js';
import { rrLatency, rrLoopback } from './tcp-rr-latency.js';
import { udp64, udp1400 } from './udp-pps.js';
import { idleMemory } from './tcp-idle-memory.js';
import { scale } from './tcp-scale.js';

/** Every benchmark, in the order the runner runs them. */
export const BENCHMARKS: readonly Benchmark[] = [bulk65535, bulk1500, connectRate, rrLatency, rrLoopback, udp64, udp1400, idleMemory, scale];

/** Benchmarks whose name contains any of `filters` (all when none). */
export function select(filters: readonly string[]): Benchmark[] {
  if (filters.length === 0) return [...BENCHMARKS];
  return BENCHMARKS.filter((b) => filters.some((f) => b.name.includes(f)));
}

/**
 * The stack the table measures: the tsc build of src/ when bench/netsim/main.ts made one
 * (SOCKSTACK_BENCH_BUILD, as the benchmark runner does), else the sources through tsx. The
 * congestion-control registry comes from the same place, so availableCongestionControls()
 * answers for the stack that runs.
 */
import type * as Registry from '../../src/tcp/congestion/registry.js';
import { ss, loadedFrom } from '../lib/stack.js';

const build = process.env.SOCKSTACK_BENCH_BUILD;

const registry: typeof Registry = build
  ? await import(new URL('./tcp/congestion/registry.js', build).href)
  : await import('../../src/tcp/congestion/registry.js');

/** The congestion controls the stack under measurement has registered. */
export function availableCongestionControls(): string[] {
  return registry.availableCongestionControls();
}

export { ss, loadedFrom };

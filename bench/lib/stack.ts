/**
 * The sockstack module the benchmarks measure. The runner compiles src/ with tsc (what users
 * run) and passes the compiled index.js here through SOCKSTACK_BENCH_BUILD; without it (or
 * with `--tsx`) the TypeScript sources are loaded through tsx, whose transform adds a
 * measurable cost of its own (a name-keeping helper call per closure created).
 */
import type * as Sockstack from '../../src/index.js';

const build = process.env.SOCKSTACK_BENCH_BUILD;

export const ss: typeof Sockstack = build ? await import(build) : await import('../../src/index.js');

/** How the measured code was loaded, for the report. */
export const loadedFrom = build ? 'compiled by tsc' : 'TypeScript sources through tsx';

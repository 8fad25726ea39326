/** What every benchmark module exports, and what it hands back to the runner. */

export type Mode = 'full' | 'quick' | 'smoke';

export interface BenchOptions {
  /** full: the figures we publish; quick: the whole suite under two minutes; smoke: tiny workloads for the test. */
  mode: Mode;
  /** Measured repetitions per side (a warm-up round comes first and is not counted). */
  reps: number;
  /** Progress reporter (lines the runner records; the last one survives a crash). */
  progress(note: string, data?: Record<string, unknown>): void;
}

/** Summary of one side's repetitions. */
export interface Stats {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

/**
 * A target from the issue. `ratio` targets compare sockstack's median with the peer's
 * (ratio = sockstack / peer); `absolute` ones compare sockstack's median with a value.
 */
export interface Target {
  kind: 'ratio' | 'absolute';
  op: '>=' | '<=';
  value: number;
  /** How the target reads in the issue, e.g. ">= 1.0x Node net". */
  text: string;
}

/** What a benchmark's run() returns; the runner adds status and ratio. */
export interface SideResults {
  sockstack: Stats;
  /** The peer's figures, or null when no peer could run this workload (say why in notes). */
  peer: Stats | null;
  /** The workload as run (sizes, counts, settings): enough to reproduce. */
  workload: Record<string, unknown>;
  /** Secondary figures (virtual time, per-variant memory, counters...). */
  extra?: Record<string, unknown>;
  /** Anything a reader must know: scaled-down sizes, peer limits, stack findings. */
  notes?: string[];
  /** For targets on a count (scale): whether the goal was reached, when the median alone cannot say it. */
  reached?: boolean;
  /** Set when this run cannot be judged against the target (e.g. scaled down): the reason; status becomes n/a. */
  unjudged?: string;
}

export interface Benchmark {
  /** Short id used on the command line and in the JSON: 'tcp-bulk-1500'. */
  name: string;
  title: string;
  unit: string;
  /** Which direction is good, for the table's wording. */
  better: 'higher' | 'lower';
  /** Who the peer is: "Node net, 127.0.0.1". */
  peerName: string;
  target: Target | null;
  /** Extra node flags the child process needs (the runner always adds --expose-gc). */
  nodeFlags?(mode: Mode): string[];
  /** Wall-clock limit for the child in ms. */
  timeoutMs(mode: Mode): number;
  run(opts: BenchOptions): Promise<SideResults>;
}

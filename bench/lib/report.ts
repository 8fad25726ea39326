import type { Benchmark, SideResults, Stats, Target } from './types.js';
import type { Machine } from './machine.js';
import { fmt } from './stats.js';

export type Status = 'met' | 'missed' | 'n/a' | 'error';

/** One benchmark's entry in the JSON report. */
export interface Entry {
  name: string;
  title: string;
  unit: string;
  better: 'higher' | 'lower';
  peerName: string;
  sockstack: Stats | null;
  peer: Stats | null;
  /** median(sockstack) / median(peer), or null without a peer. */
  ratio: number | null;
  target: Target | null;
  status: Status;
  workload: Record<string, unknown>;
  extra: Record<string, unknown>;
  notes: string[];
  /** Wall-clock seconds the benchmark's process ran. */
  seconds: number;
  error?: string;
}

export interface Report {
  schema: 'sockstack-bench/1';
  mode: string;
  filters: string[];
  reps: number;
  /** What was measured: the tsc build of src/ (default) or the sources through tsx. */
  build: { loadedFrom: string; tscErrors: number };
  machine: Machine;
  seconds: number;
  benchmarks: Entry[];
}

function judge(target: Target | null, s: SideResults, ratio: number | null): Status {
  if (!target || s.unjudged) return 'n/a';
  if (target.kind === 'absolute' && s.reached !== undefined) return s.reached ? 'met' : 'missed';
  const x = target.kind === 'ratio' ? ratio : s.sockstack.median;
  if (x === null) return 'n/a';
  return (target.op === '>=' ? x >= target.value : x <= target.value) ? 'met' : 'missed';
}

export function entryFrom(b: Benchmark, r: SideResults, seconds: number): Entry {
  const ratio = r.peer && r.peer.median !== 0 ? r.sockstack.median / r.peer.median : null;
  return {
    name: b.name,
    title: b.title,
    unit: b.unit,
    better: b.better,
    peerName: b.peerName,
    sockstack: r.sockstack,
    peer: r.peer,
    ratio,
    target: b.target,
    status: judge(b.target, r, ratio),
    workload: r.workload,
    extra: r.extra ?? {},
    notes: r.notes ?? [],
    seconds,
  };
}

export function errorEntry(b: Benchmark, error: string, seconds: number, notes: string[] = []): Entry {
  return {
    name: b.name,
    title: b.title,
    unit: b.unit,
    better: b.better,
    peerName: b.peerName,
    sockstack: null,
    peer: null,
    ratio: null,
    target: b.target,
    status: 'error',
    workload: {},
    extra: {},
    notes,
    seconds,
    error,
  };
}

const stat = (s: Stats | null): string => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : '—');

function pad(rows: string[][]): string[] {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd());
}

/** The human table: medians (min–max) of both sides, the ratio, the target and met/missed. */
export function formatTable(rep: Report): string {
  const m = rep.machine;
  const lines = [
    `sockstack benchmarks — ${rep.mode} run, ${rep.reps} measured repetitions per side (median, min–max), ${m.date}`,
    `measured: sockstack ${rep.build.loadedFrom}; peers in the same processes, same workloads`,
    `machine: ${m.cpu}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${m.node} (V8 ${m.v8}), ${m.platform} ${m.release} ${m.arch}`,
    '',
  ];
  const rows = [['benchmark', 'unit', 'sockstack', 'peer', 'ratio', 'target', 'status']];
  for (const e of rep.benchmarks) {
    rows.push([
      e.name,
      e.unit,
      e.status === 'error' ? 'error' : stat(e.sockstack),
      stat(e.peer),
      e.ratio === null ? '—' : `${e.ratio.toFixed(2)}x`,
      e.target ? e.target.text : '(none)',
      e.status,
    ]);
  }
  lines.push(...pad(rows), '');
  for (const e of rep.benchmarks) {
    const parts = [`${e.name}: ${e.title}; peer: ${e.peerName}.`];
    if (e.error) parts.push(`ERROR: ${e.error.split('\n')[0]}`);
    for (const n of e.notes) parts.push(`note: ${n}`);
    const ex = Object.entries(e.extra).filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean');
    if (ex.length) parts.push(ex.map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : String(v)}`).join(', '));
    lines.push(`- ${parts.join('\n    ')}`);
  }
  lines.push('', `total ${rep.seconds.toFixed(1)} s`);
  return lines.join('\n') + '\n';
}

/**
 * The goodput simulation table: `npm run netsim [-- options]`.
 *
 * Runs a grid of bulk transfers over simulated paths (rate, RTT, loss, reordering) for NewReno
 * and CUBIC with SACK off and on, each on its own seeded Network under virtual time, and
 * writes the table next to the bounds that explain it.
 *   (no option)   the full grid: bench/results/netsim.json and docs/netsim.md, table on stdout
 *   --quick       a small grid for CI (under ~30 s): bench/results/partial-netsim-quick.json only
 *   --tiny        the test's two paths (seconds): bench/results/partial-netsim-tiny.json only
 *   --filter S    only cells whose id contains S (S may list alternatives: a,b); repeat to
 *                 narrow further. Ids read `1G/100ms/0.1%/noreord/cubic/sack`. A filtered run
 *                 writes bench/results/partial-netsim.json only.
 *   --json        print the JSON report on stdout (the table and progress go to stderr)
 *   --jobs N      worker processes (default: 2, at most the CPU count)
 *   --tsx         run the TypeScript sources through tsx instead of a tsc build of src/
 *   --no-save     write nothing
 *   --list        print the selected cells' ids and plans, run nothing
 *   --render      run nothing: rewrite docs/netsim.md from bench/results/netsim.json (after a
 *                 change to the document's text; the figures, command and date stay the run's)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStack, type Build } from '../lib/build.js';
import { machine } from '../lib/machine.js';
import { applyFilter, cellsOf, gridFor } from './grid.js';
import { BUDGETS, planCell } from './plan.js';
import { boundsFor, windowLimits } from './bounds.js';
import { byCost, runInWorkers } from './run.js';
import { formatDoc, formatHeadline, formatTables, mbps } from './table.js';
import { checkReport, makeReport } from './report.js';
import type { CellResult, GridMode, NetsimReport } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

interface Args {
  mode: GridMode;
  filters: string[];
  json: boolean;
  jobs: number;
  tsx: boolean;
  save: boolean;
  list: boolean;
  render: boolean;
}

function usage(msg: string): never {
  process.stderr.write(`netsim: ${msg}\nusage: npm run netsim -- [--quick] [--filter S]... [--json] [--jobs N] [--tsx] [--no-save] [--list] [--render]\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { mode: 'full', filters: [], json: false, jobs: Math.max(1, Math.min(2, cpus().length)), tsx: false, save: true, list: false, render: false };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === '--quick') a.mode = 'quick';
    else if (x === '--tiny') a.mode = 'tiny';
    else if (x === '--json') a.json = true;
    else if (x === '--tsx') a.tsx = true;
    else if (x === '--no-save') a.save = false;
    else if (x === '--list') a.list = true;
    else if (x === '--render') a.render = true;
    else if (x === '--filter' || x === '--jobs') {
      const v = argv[++i];
      if (v === undefined) usage(`${x} needs a value`);
      if (x === '--filter') a.filters.push(v);
      else {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) usage('--jobs needs a positive integer');
        a.jobs = n;
      }
    } else if (x.startsWith('--filter=')) a.filters.push(x.slice('--filter='.length));
    else usage(`unknown option ${x}`);
  }
  return a;
}

function commandLine(a: Args): string {
  const parts = ['npm run netsim'];
  const opts: string[] = [];
  if (a.mode === 'quick') opts.push('--quick');
  if (a.mode === 'tiny') opts.push('--tiny');
  for (const f of a.filters) opts.push(`--filter ${f}`);
  if (a.tsx) opts.push('--tsx');
  if (opts.length) parts.push('--', ...opts);
  return parts.join(' ');
}

/** The commit measured and whether src/ differs from it (read-only git calls). */
function gitSource(): { commit: string; dirty: boolean } | null {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (head.status !== 0) return null;
  const st = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' });
  return { commit: head.stdout.trim(), dirty: st.status === 0 && st.stdout.trim().length > 0 };
}

/** --render: the document again from the saved full run. */
function render(): void {
  const file = join(root, 'bench', 'results', 'netsim.json');
  const report = JSON.parse(readFileSync(file, 'utf8')) as NetsimReport;
  const problems = checkReport(report);
  if (problems.length) throw new Error(`netsim: ${file} does not have the report's shape: ${problems.slice(0, 5).join('; ')}`);
  writeFileSync(join(root, 'docs', 'netsim.md'), formatDoc(report));
  process.stderr.write('netsim: wrote docs/netsim.md from bench/results/netsim.json\n');
  process.stdout.write(`${formatHeadline(report.cells)}\n${formatTables(report.cells)}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.render) return render();
  const log = (s: string): void => void process.stderr.write(s);
  const cells = applyFilter(cellsOf(gridFor(args.mode)), args.filters);
  if (cells.length === 0) usage(`no cell matches --filter ${args.filters.join(' --filter ')}`);
  const t0 = performance.now();
  const load0 = loadavg()[0]!;
  const build: Build = args.tsx || args.list ? { url: null, dir: null, loadedFrom: 'TypeScript sources through tsx', tscErrors: 0 } : buildStack(log);
  // This process loads the stack the workers will load, for the registry and the defaults.
  if (build.url) process.env.SOCKSTACK_BENCH_BUILD = build.url;
  else delete process.env.SOCKSTACK_BENCH_BUILD;
  const { defaultConfig } = await import('./cell.js');
  const { availableCongestionControls, loadedFrom } = await import('./stack.js');
  const cfg = defaultConfig();
  const order = byCost(cells, args.mode, cfg);
  if (args.list) {
    const w = windowLimits(cfg);
    for (const c of order) {
      const p = planCell(c.path, boundsFor(c.path, w), BUDGETS[args.mode]);
      process.stdout.write(`${c.id.padEnd(40)} warmup ${p.warmupMs.toFixed(0)} ms, measure ${p.measureMs.toFixed(0)} ms, ~${p.estSegments} segments\n`);
    }
    return;
  }
  log(`netsim: ${cells.length} cells (${args.mode}${args.filters.length ? `, filter ${args.filters.join(' & ')}` : ''}) in ${args.jobs} worker process(es); stack ${loadedFrom}\n`);
  const progress = (r: CellResult, done: number, total: number): void => {
    const g = r.goodputBps === null ? r.status : `${mbps(r.goodputBps)} Mbit/s (${Math.round((r.ofBound ?? 0) * 100)}% of ${r.cc === 'cubic' ? r.bounds.cubicBound.by : r.bounds.bound.by})`;
    log(`[${String(done).padStart(String(total).length)}/${total}] ${r.id.padEnd(40)} ${g}  ${Math.round(r.wallMs)} ms\n`);
  };
  let results: CellResult[];
  try {
    results = await runInWorkers(cells, order, args.mode, { jobs: args.jobs, env: { ...process.env }, config: cfg, onCell: progress, log });
  } finally {
    if (build.dir) rmSync(build.dir, { recursive: true, force: true });
  }
  const report = makeReport(
    {
      command: commandLine(args),
      mode: args.mode,
      filter: args.filters,
      machine: machine(),
      loadedFrom,
      source: gitSource(),
      available: availableCongestionControls(),
      config: cfg,
      seconds: (performance.now() - t0) / 1000,
      load: { start: load0, end: loadavg()[0]! },
      jobs: Math.min(args.jobs, cells.length),
    },
    results,
  );
  const json = JSON.stringify(report, null, 2) + '\n';
  const tables = `${formatHeadline(results)}\n${formatTables(results)}`;
  if (args.save) {
    const dir = join(root, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const full = args.mode === 'full' && args.filters.length === 0;
    const stem = full ? 'netsim' : args.mode === 'full' ? 'partial-netsim' : `partial-netsim-${args.mode}`;
    writeFileSync(join(dir, `${stem}.json`), json);
    log(`netsim: wrote bench/results/${stem}.json\n`);
    if (full) {
      writeFileSync(join(root, 'docs', 'netsim.md'), formatDoc(report));
      log('netsim: wrote docs/netsim.md\n');
    }
  }
  if (args.json) {
    log(tables);
    process.stdout.write(json);
  } else process.stdout.write(tables);
  log(`netsim: ${results.length} cells in ${report.seconds.toFixed(1)} s\n`);
  if (results.some((r) => r.status === 'error')) process.exitCode = 1;
}

await main();

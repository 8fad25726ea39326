/**
 * The benchmark runner: `npm run bench [-- --json] [--quick] [names...]`.
 *
 * Runs each selected benchmark in a child process of its own (node --expose-gc, plus the
 * benchmark's flags), collects its result, judges it against the issue's target, prints a
 * table (or, with --json, one JSON object on stdout) and writes both under bench/results/.
 * Options:
 *   --json        print the JSON report on stdout (the table and progress go to stderr)
 *   --quick       smaller workloads and fewer repetitions: the whole suite in under two minutes
 *   --reps N      measured repetitions per side (default: 5 full, 3 quick)
 *   --out DIR     where to write results (default bench/results)
 *   --no-save     write nothing
 *   --list        list the benchmarks and exit
 *   --tsx         measure the TypeScript sources through tsx instead of a tsc build of src/
 *   --smoke       tiny workloads, one repetition (for the test suite; the figures mean nothing)
 *   names...      run only benchmarks whose name contains one of these
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHMARKS, select } from './registry.js';
import type { Benchmark, Mode, SideResults } from './lib/types.js';
import { machine } from './lib/machine.js';
import { buildStack, type Build } from './lib/build.js';
import { entryFrom, errorEntry, formatTable, type Entry, type Report } from './lib/report.js';

const RESULT_MARK = '@@bench-result ';
const PROGRESS_MARK = '@@bench-progress ';
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

interface Args {
  json: boolean;
  mode: Mode;
  reps: number | null;
  out: string;
  save: boolean;
  list: boolean;
  tsx: boolean;
  filters: string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = { json: false, mode: 'full', reps: null, out: join(here, 'results'), save: true, list: false, tsx: false, filters: [] };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === '--json') a.json = true;
    else if (x === '--quick') a.mode = 'quick';
    else if (x === '--smoke') a.mode = 'smoke';
    else if (x === '--no-save') a.save = false;
    else if (x === '--list') a.list = true;
    else if (x === '--tsx') a.tsx = true;
    else if (x === '--reps' || x === '--out') {
      const v = argv[++i];
      if (v === undefined) usage(`${x} needs a value`);
      if (x === '--out') a.out = resolve(v!);
      else {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) usage('--reps needs a positive integer');
        a.reps = n;
      }
    } else if (x.startsWith('-')) usage(`unknown option ${x}`);
    else a.filters.push(x);
  }
  return a;
}

function usage(msg: string): never {
  process.stderr.write(`bench: ${msg}\nusage: npm run bench -- [--json] [--quick] [--reps N] [--out DIR] [--no-save] [--list] [--tsx] [names...]\n`);
  process.exit(2);
}

interface ChildOutcome {
  result: (SideResults & { seconds: number }) | { error: string; seconds: number } | null;
  lastProgress: string | null;
  exit: string;
  stderrTail: string;
}

function runChild(b: Benchmark, mode: Mode, reps: number, build: Build, log: (s: string) => void): Promise<ChildOutcome> {
  const args = ['--expose-gc', ...(b.nodeFlags?.(mode) ?? []), '--import', 'tsx', join(here, 'child.ts'), b.name, mode, String(reps)];
  const env = { ...process.env };
  if (build.url) env.SOCKSTACK_BENCH_BUILD = build.url;
  else delete env.SOCKSTACK_BENCH_BUILD;
  return new Promise((resolveOutcome) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let result: ChildOutcome['result'] = null;
    let lastProgress: string | null = null;
    let buf = '';
    let errTail = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, b.timeoutMs(mode));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith(RESULT_MARK)) result = JSON.parse(line.slice(RESULT_MARK.length));
        else if (line.startsWith(PROGRESS_MARK)) {
          lastProgress = (JSON.parse(line.slice(PROGRESS_MARK.length)) as { note: string }).note;
          log(`  ${b.name}: ${lastProgress}\n`);
        } else log(`  ${b.name}| ${line}\n`);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      errTail = (errTail + d).slice(-4000);
      log(d.replace(/^/gm, `  ${b.name}! `));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const exit = timedOut ? `killed after its ${b.timeoutMs(mode) / 1000} s time limit` : signal ? `killed by ${signal}` : `exit code ${code}`;
      resolveOutcome({ result, lastProgress, exit, stderrTail: errTail });
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const b of BENCHMARKS) process.stdout.write(`${b.name.padEnd(18)} ${b.title}\n`);
    return;
  }
  const chosen = select(args.filters);
  if (chosen.length === 0) usage(`no benchmark matches ${args.filters.join(', ')} (see --list)`);
  const reps = args.reps ?? (args.mode === 'full' ? 5 : args.mode === 'quick' ? 3 : 1);
  const log = (s: string): void => void process.stderr.write(s);
  const t0 = performance.now();
  const build: Build = args.tsx
    ? { url: null, dir: null, loadedFrom: 'TypeScript sources through tsx (--tsx)', tscErrors: 0 }
    : buildStack(log);
  const entries: Entry[] = [];
  for (const b of chosen) {
    log(`${b.name}: ${b.title} (${args.mode})\n`);
    const o = await runChild(b, args.mode, reps, build, log);
    const r = o.result;
    if (r && !('error' in r)) entries.push(entryFrom(b, r, r.seconds));
    else {
      const why = r && 'error' in r ? r.error : `no result (${o.exit})${o.stderrTail ? `: ${o.stderrTail.trim().split('\n').slice(-3).join(' / ')}` : ''}`;
      const notes = o.lastProgress ? [`last progress before it ended: ${o.lastProgress}`] : [];
      entries.push(errorEntry(b, why, r?.seconds ?? 0, notes));
    }
  }
  const report: Report = {
    schema: 'sockstack-bench/1',
    mode: args.mode,
    filters: args.filters,
    reps,
    build: { loadedFrom: build.loadedFrom, tscErrors: build.tscErrors },
    machine: machine(),
    seconds: (performance.now() - t0) / 1000,
    benchmarks: entries,
  };
  if (build.dir) rmSync(build.dir, { recursive: true, force: true });
  const table = formatTable(report);
  const json = JSON.stringify(report, null, 2) + '\n';
  if (args.save) {
    // An unfiltered full run is the record (latest); quick and partial runs keep their own names.
    const stem = args.filters.length ? `partial-${args.mode}` : args.mode === 'full' ? 'latest' : args.mode;
    mkdirSync(args.out, { recursive: true });
    writeFileSync(join(args.out, `${stem}.json`), json);
    writeFileSync(join(args.out, `${stem}.txt`), table);
    log(`results written to ${join(args.out, `${stem}.json`)} and ${stem}.txt\n`);
  }
  if (args.json) {
    log(table);
    process.stdout.write(json);
  } else process.stdout.write(table);
  if (entries.some((e) => e.status === 'error')) process.exitCode = 1;
}

await main();

/**
 * Runs a list of cells: in this process (the test), or spread over worker processes (the
 * command), longest first so the workers finish together. Results come back in grid order.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boundsFor, windowLimits } from './bounds.js';
import { BUDGETS, estimatedCost, planCell } from './plan.js';
import type { CellResult, CellSpec, GridMode } from './types.js';

/** Marks a worker's result line on its stdout. */
export const RESULT_MARK = '@@netsim-cell ';

const here = dirname(fileURLToPath(import.meta.url));

export type OnCell = (r: CellResult, done: number, total: number) => void;

/** Runs every cell here, one after the other. */
export async function runInProcess(cells: readonly CellSpec[], mode: GridMode, onCell?: OnCell): Promise<CellResult[]> {
  const { runCell } = await import('./cell.js');
  const out: CellResult[] = [];
  for (const c of cells) {
    const r = await runCell(c, BUDGETS[mode]);
    out.push(r);
    onCell?.(r, out.length, cells.length);
  }
  return out;
}

/** Cells ordered by estimated cost, largest first (longest-processing-time scheduling). */
export function byCost(cells: readonly CellSpec[], mode: GridMode, cfg: object): CellSpec[] {
  const w = windowLimits(cfg);
  const cost = new Map<string, number>();
  for (const c of cells) {
    const b = boundsFor(c.path, w);
    cost.set(c.id, estimatedCost(planCell(c.path, b, BUDGETS[mode]), b, c.path.rttMs));
  }
  return [...cells].sort((x, y) => cost.get(y.id)! - cost.get(x.id)!);
}

/** Wall-clock limit of one cell in a worker, by mode: past it the worker is killed and the cell is an error. */
export const CELL_TIMEOUT_MS: Readonly<Record<GridMode, number>> = { full: 600_000, quick: 60_000, tiny: 60_000 };

/** An error cell for `spec` (a worker died or timed out while running it). */
function failed(spec: CellSpec, mode: GridMode, cfg: object, note: string, wallMs: number): CellResult {
  const bounds = boundsFor(spec.path, windowLimits(cfg));
  return {
    id: spec.id,
    pathId: spec.pathId,
    path: spec.path,
    cc: spec.cc,
    sack: spec.sack,
    seed: spec.seed,
    status: 'error',
    note,
    goodputBps: null,
    ofBound: null,
    bufferLimited: false,
    excessRetrans: false,
    bounds,
    plan: planCell(spec.path, bounds, BUDGETS[mode]),
    measured: null,
    stats: null,
    wallMs,
    virtualMs: 0,
  };
}

export interface WorkerOptions {
  jobs: number;
  /** The environment of the workers (SOCKSTACK_BENCH_BUILD: the stack they load). */
  env: NodeJS.ProcessEnv;
  /** The hosts' default TCP tunables (for the bounds of a cell that failed). */
  config: object;
  onCell?: OnCell;
  log?: (s: string) => void;
  cellTimeoutMs?: number;
}

/**
 * Runs `order` (the cells, longest first) in worker processes (node --import tsx worker.ts),
 * each fed one cell at a time. A worker that dies or passes the cell's time limit is replaced
 * and its cell becomes an error cell. Results come back in the order of `cells`.
 */
export function runInWorkers(cells: readonly CellSpec[], order: readonly CellSpec[], mode: GridMode, o: WorkerOptions): Promise<CellResult[]> {
  const queue = [...order];
  const results = new Map<string, CellResult>();
  const log = o.log ?? (() => undefined);
  const limit = o.cellTimeoutMs ?? CELL_TIMEOUT_MS[mode];
  return new Promise((resolve) => {
    let live = 0;
    let spawned = 0;
    const finish = (): void => {
      if (live === 0) resolve(cells.map((c) => results.get(c.id)).filter((r): r is CellResult => r !== undefined));
    };
    const record = (r: CellResult): void => {
      results.set(r.id, r);
      o.onCell?.(r, results.size, cells.length);
    };
    const startWorker = (): void => {
      const w = spawned++;
      live++;
      const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'worker.ts'), mode], { env: o.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let current: CellSpec | undefined;
      let startedAt = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let timedOut = false;
      const next = (): void => {
        clearTimeout(timer);
        current = queue.shift();
        if (!current) {
          child.stdin.end();
          return;
        }
        startedAt = performance.now();
        timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, limit);
        child.stdin.write(`${JSON.stringify(current)}\n`);
      };
      let buf = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.startsWith(RESULT_MARK)) {
            record(JSON.parse(line.slice(RESULT_MARK.length)) as CellResult);
            next();
          } else if (line.trim()) log(`worker ${w}| ${line}\n`);
        }
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d: string) => log(d.replace(/^/gm, `worker ${w}! `)));
      child.stdin.on('error', () => undefined); // a worker that died: its close handler reports it
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        live--;
        if (current && !results.has(current.id)) {
          const why = timedOut ? `the cell passed its ${limit / 1000} s wall-clock limit` : `the worker ended (${signal ?? `exit code ${code}`})`;
          log(`netsim: ${current.id}: ${why}\n`);
          record(failed(current, mode, o.config, why, performance.now() - startedAt));
          if (queue.length > 0) startWorker();
        }
        finish();
      });
      next();
    };
    const n = Math.max(1, Math.min(o.jobs, queue.length));
    if (queue.length === 0) return resolve([]);
    for (let i = 0; i < n; i++) startWorker();
  });
}

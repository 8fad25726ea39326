/**
 * A worker process of `npm run netsim`: reads cells as JSON lines on stdin, runs each in turn
 * and prints each result as a marked JSON line. Usage (main.ts does this):
 *   node --import tsx bench/netsim/worker.ts full|quick|tiny
 */
import { createInterface } from 'node:readline';
import { runCell } from './cell.js';
import { BUDGETS } from './plan.js';
import { RESULT_MARK } from './run.js';
import type { CellSpec, GridMode } from './types.js';

const mode = process.argv[2] as GridMode;
if (!(mode in BUDGETS)) {
  process.stderr.write('usage: worker.ts full|quick|tiny (cells as JSON lines on stdin)\n');
  process.exit(2);
}
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const spec = JSON.parse(line) as CellSpec;
  const r = await runCell(spec, BUDGETS[mode]);
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(r)}\n`);
}

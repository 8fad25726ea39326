/**
 * Runs one benchmark in a process of its own (fresh heap and JIT, its own node flags) and
 * prints its result as a marked JSON line for bench/run.ts. Usage (the runner does this):
 *   node --expose-gc --import tsx bench/child.ts NAME MODE REPS
 */
import { BENCHMARKS } from './registry.js';
import type { Mode } from './lib/types.js';

const RESULT_MARK = '@@bench-result ';
const PROGRESS_MARK = '@@bench-progress ';

const [name, mode, reps] = process.argv.slice(2);
const bench = BENCHMARKS.find((b) => b.name === name);
if (!bench || (mode !== 'full' && mode !== 'quick' && mode !== 'smoke') || !Number.isInteger(Number(reps))) {
  console.error(`usage: child.ts NAME full|quick|smoke REPS (names: ${BENCHMARKS.map((b) => b.name).join(', ')})`);
  process.exit(2);
}
const t0 = performance.now();
try {
  const result = await bench.run({
    mode: mode as Mode,
    reps: Number(reps),
    progress(note, data) {
      process.stdout.write(`${PROGRESS_MARK}${JSON.stringify({ note, ...data })}\n`);
    },
  });
  process.stdout.write(`${RESULT_MARK}${JSON.stringify({ ...result, seconds: (performance.now() - t0) / 1000 })}\n`);
  process.exit(0);
} catch (e) {
  const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stdout.write(`${RESULT_MARK}${JSON.stringify({ error: msg, seconds: (performance.now() - t0) / 1000 })}\n`);
  process.exit(1);
}

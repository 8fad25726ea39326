/**
 * The goodput simulation table (bench/netsim): its bounds against the RFCs' own figures, the
 * grid and plans, and a tiny grid run for real (two cells, a few seconds) whose results must
 * obey the physics of the path. No timing assertions: every figure is virtual time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundsFor, cubicAvgWindow, cubicBps, cubicLossFor, mathisBps, windowLimits } from '../../bench/netsim/bounds.js';
import { applyFilter, cellsOf, FULL_GRID, QUICK_GRID, TINY_GRID, pathId, seedOf } from '../../bench/netsim/grid.js';
import { BUDGETS, planCell, queueBytes } from '../../bench/netsim/plan.js';
import { runInProcess, runInWorkers } from '../../bench/netsim/run.js';
import { checkReport, makeReport } from '../../bench/netsim/report.js';
import { formatDoc, formatTables, mbps } from '../../bench/netsim/table.js';
import { defaultConfig, runCell } from '../../bench/netsim/cell.js';
import { machine } from '../../bench/lib/machine.js';
import type { CellResult } from '../../bench/netsim/types.js';

test('Mathis: 1448-byte segments over 100 ms at 0.1% loss is 4.49 Mbit/s', () => {
  assert.equal(Math.round(mathisBps(1448, 100, 1e-3) / 1e4), 449);
});

test("CUBIC's response function reproduces RFC 8312 §5.1 Tables 1-3 (C = 0.4)", () => {
  // Table 1 (RTT 0.1 s): p = 1e-4 -> 187, 1e-5 -> 1054, 1e-6 -> 5926 segments (Eq. 7).
  assert.equal(Math.round(cubicAvgWindow(100, 1e-4)), 187);
  assert.equal(Math.round(cubicAvgWindow(100, 1e-5)), 1054);
  assert.equal(Math.round(cubicAvgWindow(100, 1e-6)), 5926);
  // Where Reno's window is larger (p = 1e-3: 38.7 against 33.3), CUBIC keeps Reno's (Table 1: 38).
  assert.equal(Math.round(cubicBps(1448, 100, 1e-3)), Math.round(mathisBps(1448, 100, 1e-3)));
  // Table 2 (RTT 0.01 s, p = 1e-6): Eq. 7 gives 1054 segments, below Reno's 1.22/sqrt(p) = 1225,
  // so CUBIC runs in its Reno-friendly region (the table's 1200).
  assert.equal(Math.round(cubicAvgWindow(10, 1e-6)), 1054);
  assert.equal(Math.round((cubicBps(1000, 10, 1e-6) * 0.01) / 8000), 1225);
  // Table 3: 1 Gbit/s with 1500-byte packets over 100 ms needs p = 6.3e-7.
  assert.equal(+cubicLossFor(1e9, 1500, 100).toPrecision(2), 6.3e-7);
});

test('bounds: link as goodput, window from the buffer maxima, bound = the smallest term', () => {
  const w = windowLimits({ timestamps: true, rcvBuf: 131072, sndBuf: 65536, rcvBufMax: 6291456, sndBufMax: 4194304, moderateRcvBuf: true });
  assert.deepEqual([w.mss, w.frameBytes, w.autotune, w.rcvBytes, w.sndBytes], [1448, 1514, true, 6291456, 4194304]);
  const fixed = windowLimits({ timestamps: false, rcvBuf: 131072, sndBuf: 65536, rcvBufMax: 6291456 });
  assert.deepEqual([fixed.mss, fixed.frameBytes, fixed.autotune, fixed.rcvBytes, fixed.sndBytes], [1460, 1514, false, 131072, 65536]);
  const lossless = boundsFor({ rateBps: 1e9, rttMs: 100, loss: 0, reorder: 0 }, w);
  assert.equal(lossless.bound.by, 'window');
  assert.equal(Math.round(lossless.windowBps / 1e6), 336);
  assert.equal(lossless.mathisBps, null);
  assert.ok(Math.abs(lossless.linkBps - (1e9 * 1448) / 1514) < 1);
  const lossy = boundsFor({ rateBps: 1e9, rttMs: 100, loss: 1e-3, reorder: 0 }, w);
  assert.equal(lossy.bound.by, 'Mathis');
  assert.equal(lossy.cubicBound.by, 'CUBIC');
  const fast = boundsFor({ rateBps: 10e6, rttMs: 1, loss: 1e-4, reorder: 0 }, w);
  assert.equal(fast.bound.by, 'link');
});

test('grid: the full grid spans the issue (10 Mbit/s-10 Gbit/s, 1-200 ms, 0-5%, reordering) with unique ids', () => {
  const cells = cellsOf(FULL_GRID);
  assert.equal(cells.length, 4 * 4 * 5 * 2 * 4);
  assert.equal(new Set(cells.map((c) => c.id)).size, cells.length);
  const rates = cells.map((c) => c.path.rateBps);
  assert.deepEqual([Math.min(...rates), Math.max(...rates)], [10e6, 10e9]);
  assert.ok(cells.some((c) => c.id === '1G/100ms/0.1%/noreord/cubic/sack'));
  assert.ok(cellsOf(QUICK_GRID).some((c) => c.id === '1G/100ms/0.1%/noreord/cubic/sack'), 'the quick grid keeps the headline path');
  // Every column of a row shares the path's seed.
  const row = cells.filter((c) => c.pathId === '1G/100ms/0.1%/noreord');
  assert.equal(row.length, 4);
  assert.equal(new Set(row.map((c) => c.seed)).size, 1);
  assert.equal(row[0]!.seed, seedOf(pathId(row[0]!.path)));
});

test('filter: commas are alternatives, repeated filters narrow', () => {
  const cells = cellsOf(FULL_GRID);
  assert.equal(applyFilter(cells, []).length, cells.length);
  assert.equal(applyFilter(cells, ['1G/100ms/0.1%/']).length, 8);
  assert.equal(applyFilter(cells, ['1G/100ms/0.1%/', 'cubic/sack']).length, 2);
  assert.equal(applyFilter(cells, ['1G/100ms/0.1%/', 'cubic/sack,reno/nosack']).length, 4);
  assert.equal(applyFilter(cells, ['nothing']).length, 0);
});

test('plans: every full-grid cell fits the segment budget and measures at least 5 RTTs', () => {
  const w = windowLimits(defaultConfig());
  const budget = BUDGETS.full;
  let total = 0;
  for (const c of cellsOf(FULL_GRID)) {
    const b = boundsFor(c.path, w);
    const p = planCell(c.path, b, budget);
    assert.ok(p.estSegments <= budget.capSegments + 1, `${c.id}: ${p.estSegments} segments`);
    assert.ok(p.measureMs >= 5 * c.path.rttMs, c.id);
    assert.ok(p.maxWarmupMs >= p.warmupMs, c.id);
    assert.ok(p.capBytes >= p.estSegments * b.mss, c.id);
    assert.equal(p.queueBytes, queueBytes(c.path));
    total += p.estSegments;
  }
  assert.ok(total < 40e6, `the full grid expects ${total} segments in its measurements`);
  assert.equal(queueBytes({ rateBps: 10e6, rttMs: 1, loss: 0, reorder: 0 }), 65536, 'at least 64 KiB');
  assert.equal(queueBytes({ rateBps: 1e9, rttMs: 100, loss: 0, reorder: 0 }), 12_500_000, 'one BDP');
});

let tiny: CellResult[] = [];

test('tiny grid: every cell ran, goodput is positive and never above the link rate', async () => {
  tiny = await runInProcess(cellsOf(TINY_GRID), 'tiny');
  assert.equal(tiny.length, 4);
  for (const r of tiny) {
    assert.equal(r.status, 'ok', `${r.id}: ${r.note ?? ''}`);
    assert.ok(r.goodputBps! > 0, `${r.id}: no goodput`);
    assert.ok(r.goodputBps! <= r.bounds.linkBps * 1.001, `${r.id}: ${mbps(r.goodputBps!)} Mbit/s above the link's ${mbps(r.bounds.linkBps)}`);
    assert.ok(r.measured!.endMs - r.measured!.startMs >= r.path.rttMs * 5);
    // Whole RTTs: a window-limited sender delivers in bursts once per round trip.
    const rtts = (r.measured!.endMs - r.measured!.startMs) / r.path.rttMs;
    assert.ok(Math.abs(rtts - Math.round(rtts)) < 1e-6, `${r.id}: ${rtts} RTTs measured`);
    assert.ok(r.stats!.segmentsOut > 0);
  }
});

test('tiny grid: the lossless 10 ms path runs near the link rate; 5% loss costs goodput (Mathis: a third of the link)', () => {
  for (const sack of [false, true]) {
    const lossless = tiny.find((r) => r.path.loss === 0 && r.sack === sack)!;
    const lossy = tiny.find((r) => r.path.loss > 0 && r.sack === sack)!;
    const what = sack ? 'SACK' : 'no SACK';
    assert.ok(lossless.goodputBps! >= 0.7 * lossless.bounds.linkBps, `${what}, lossless: ${mbps(lossless.goodputBps!)} of ${mbps(lossless.bounds.linkBps)} Mbit/s`);
    assert.equal(lossless.stats!.lostFrames, 0);
    assert.ok(lossy.stats!.lostFrames > 0, `${what}: the 5% path lost frames`);
    assert.ok(lossy.stats!.retransSegs > 0, `${what}: and the sender repaired them`);
    assert.ok(lossy.goodputBps! < lossless.goodputBps!, `${what}: lossy ${mbps(lossy.goodputBps!)} >= lossless ${mbps(lossless.goodputBps!)}`);
  }
});

test('a cell is deterministic: the same seed gives the same bytes in the same virtual time', async () => {
  const spec = cellsOf(TINY_GRID).find((c) => c.path.loss > 0)!;
  const again = await runCell(spec, BUDGETS.tiny);
  const first = tiny.find((r) => r.id === spec.id)!;
  assert.deepEqual(again.measured, first.measured);
  assert.equal(again.stats!.lostFrames, first.stats!.lostFrames);
});

test('a worker process gives the figures this process gave; a cell past its time limit is an error and its worker is replaced', async () => {
  const [lossy, lossless] = [cellsOf(TINY_GRID).find((c) => c.path.loss > 0 && c.sack)!, cellsOf(TINY_GRID).find((c) => c.path.loss === 0 && c.sack)!];
  const env = { ...process.env };
  delete env.SOCKSTACK_BENCH_BUILD;
  const [r] = await runInWorkers([lossy], [lossy], 'tiny', { jobs: 1, env, config: defaultConfig() });
  const here = tiny.find((t) => t.id === lossy.id)!;
  assert.equal(r!.status, 'ok', r!.note);
  assert.deepEqual(r!.measured, here.measured);
  const seen: string[] = [];
  const out = await runInWorkers([lossy, lossless], [lossy, lossless], 'tiny', { jobs: 1, env, config: defaultConfig(), cellTimeoutMs: 1, onCell: (c) => seen.push(c.id) });
  assert.deepEqual(out.map((c) => c.status), ['error', 'error']);
  assert.match(out[0]!.note!, /wall-clock limit/);
  assert.deepEqual(seen.sort(), [lossless.id, lossy.id].sort(), 'the second cell ran in a new worker');
});

test('an unregistered congestion control gives an n/a cell, not a silent fallback', async () => {
  const spec = { ...cellsOf(TINY_GRID)[0]!, cc: 'vegas', id: 'x/vegas/sack' };
  const r = await runCell(spec, BUDGETS.tiny);
  assert.equal(r.status, 'n/a');
  assert.match(r.note!, /not registered/);
  assert.equal(r.goodputBps, null);
});

test('report: the JSON schema holds for the tiny run and catches a broken report; the doc names command, date and machine', () => {
  const report = makeReport(
    { command: 'npm run netsim -- --tiny', mode: 'tiny', filter: [], machine: machine(), loadedFrom: 'test', source: null, available: ['reno'], config: defaultConfig(), seconds: 1, load: null, jobs: 1 },
    tiny,
  );
  const back = JSON.parse(JSON.stringify(report)) as unknown;
  assert.deepEqual(checkReport(back), []);
  const broken = JSON.parse(JSON.stringify(report)) as { cells: Array<Record<string, unknown>> };
  delete broken.cells[0]!.goodputBps;
  broken.cells[1]!.id = broken.cells[0]!.id;
  const problems = checkReport(broken);
  assert.ok(problems.some((p) => /goodput/.test(p)) && problems.some((p) => /repeated/.test(p)), problems.join('; '));
  const doc = formatDoc(report);
  assert.match(doc, /npm run netsim -- --tiny/);
  assert.ok(doc.includes(report.machine.cpu) && doc.includes(report.machine.date.slice(0, 10)));
  const table = formatTables(tiny);
  assert.equal(table.split('\n').filter((l) => l.startsWith('| 10 ms')).length, 2, table);
});

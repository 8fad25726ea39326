import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize, fmt } from '../../bench/lib/stats.js';
import { entryFrom, formatTable, type Report } from '../../bench/lib/report.js';
import type { Benchmark, SideResults } from '../../bench/lib/types.js';
import { select } from '../../bench/registry.js';

test('summarize: median of odd and even sample counts, min and max', () => {
  assert.deepEqual(summarize([3, 1, 2]), { median: 2, min: 1, max: 3, samples: [3, 1, 2] });
  assert.equal(summarize([4, 1, 3, 2]).median, 2.5);
  assert.throws(() => summarize([]));
});

test('fmt: readable numbers', () => {
  assert.equal(fmt(1234567.8), '1,234,568');
  assert.equal(fmt(12.345), '12.35');
  assert.equal(fmt(0), '0');
});

function bench(target: Benchmark['target'], better: 'higher' | 'lower' = 'higher'): Benchmark {
  return { name: 'x', title: 'X', unit: 'u', better, peerName: 'p', target, timeoutMs: () => 1, run: async () => { throw new Error('unused'); } };
}
const side = (s: number, p: number | null, more: Partial<SideResults> = {}): SideResults => ({
  sockstack: summarize([s]),
  peer: p === null ? null : summarize([p]),
  workload: {},
  ...more,
});

test('entryFrom: ratio targets are judged on median(sockstack) / median(peer), both directions', () => {
  const ge = bench({ kind: 'ratio', op: '>=', value: 3, text: '>= 3x' });
  assert.equal(entryFrom(ge, side(30, 10), 1).status, 'met');
  assert.equal(entryFrom(ge, side(29, 10), 1).status, 'missed');
  assert.equal(entryFrom(ge, side(29, 10), 1).ratio, 2.9);
  const le = bench({ kind: 'ratio', op: '<=', value: 0.2, text: '<= 0.2x' }, 'lower');
  assert.equal(entryFrom(le, side(2, 10), 1).status, 'met');
  assert.equal(entryFrom(le, side(3, 10), 1).status, 'missed');
  assert.equal(entryFrom(le, side(3, null), 1).status, 'n/a', 'no peer, no ratio to judge');
});

test('entryFrom: absolute targets, goals reached or not, and runs that cannot be judged', () => {
  const mem = bench({ kind: 'absolute', op: '<=', value: 1024, text: '<= 1 KiB' }, 'lower');
  assert.equal(entryFrom(mem, side(1000, 2000), 1).status, 'met');
  assert.equal(entryFrom(mem, side(1025, 500), 1).status, 'missed');
  const scale = bench({ kind: 'absolute', op: '>=', value: 1e6, text: '1M open' });
  assert.equal(entryFrom(scale, side(1e6, null, { reached: true }), 1).status, 'met');
  assert.equal(entryFrom(scale, side(999_999, null, { reached: false }), 1).status, 'missed');
  assert.equal(entryFrom(scale, side(1000, null, { reached: false, unjudged: 'scaled down' }), 1).status, 'n/a');
  assert.equal(entryFrom(bench(null), side(1, 1), 1).status, 'n/a');
});

test('formatTable: one row per benchmark with its status, and the machine', () => {
  const e = entryFrom(bench({ kind: 'ratio', op: '>=', value: 1, text: '>= 1.0x' }), side(5, 10), 2);
  const rep: Report = {
    schema: 'sockstack-bench/1',
    mode: 'quick',
    filters: [],
    reps: 1,
    build: { loadedFrom: 'compiled by tsc', tscErrors: 0 },
    machine: { cpu: 'Test CPU', cores: 2, memoryBytes: 2 ** 30, node: 'v20', v8: '11', platform: 'linux', release: '6', arch: 'x64', date: 'today' },
    seconds: 3,
    benchmarks: [e],
  };
  const t = formatTable(rep);
  assert.match(t, /^x +u +5 \(5–5\) +10 \(10–10\) +0\.50x +>= 1\.0x +missed$/m);
  assert.match(t, /Test CPU, 2 cores/);
});

test('select: names filter by substring; none selects all', () => {
  assert.ok(select([]).length >= 8);
  assert.deepEqual(select(['bulk']).map((b) => b.name).sort(), ['tcp-bulk-1500', 'tcp-bulk-65535']);
  assert.deepEqual(select(['nothing-matches']), []);
});

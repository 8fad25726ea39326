import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Assembler } from '../../src/storage/assembler.js';

test('in-order data is contiguous at once', () => {
  const a = new Assembler();
  assert.equal(a.isEmpty, true);
  assert.equal(a.add(0, 100), true);
  assert.equal(a.frontContiguous(), 100);
  a.consumeFront(100);
  assert.equal(a.isEmpty, true);
  assert.equal(a.frontContiguous(), 0);
});

test('a hole is filled later and the ranges merge', () => {
  const a = new Assembler();
  assert.equal(a.add(100, 50), true);
  assert.equal(a.add(200, 10), true);
  assert.equal(a.frontContiguous(), 0);
  assert.deepEqual(a.ranges(), [[100, 150], [200, 210]]);
  assert.equal(a.add(150, 50), true); // touches both neighbours: one range
  assert.deepEqual(a.ranges(), [[100, 210]]);
  assert.equal(a.add(0, 100), true);
  assert.equal(a.frontContiguous(), 210);
  a.consumeFront(210);
  assert.equal(a.isEmpty, true);
});

test('the out-of-order range cap refuses new ranges but never in-order data', () => {
  const a = new Assembler(2);
  assert.equal(a.add(10, 1), true);
  assert.equal(a.add(20, 1), true);
  assert.equal(a.add(30, 1), false); // a third out-of-order range
  assert.deepEqual(a.ranges(), [[10, 11], [20, 21]]);
  assert.equal(a.add(15, 2), false);
  assert.equal(a.add(11, 3), true); // extends an existing range
  assert.equal(a.add(21, 20), true); // swallows what would have been the third
  assert.equal(a.add(0, 5), true); // front data is always taken
  assert.equal(a.count, 3);
  assert.equal(a.frontContiguous(), 5);
  a.consumeFront(5);
  assert.deepEqual(a.ranges(), [[5, 9], [15, 36]]);
});

test('negative offsets (already consumed bytes) are clipped', () => {
  const a = new Assembler();
  assert.equal(a.add(-10, 5), true);
  assert.equal(a.isEmpty, true);
  assert.equal(a.add(-10, 15), true);
  assert.equal(a.frontContiguous(), 5);
});

test('recentRanges lists the range that grew last first (RFC 2018 §4)', () => {
  const a = new Assembler();
  a.add(10, 5);
  a.add(30, 5);
  a.add(50, 5);
  assert.deepEqual(a.recentRanges(), [[50, 55], [30, 35], [10, 15]]);
  a.add(15, 2);
  assert.deepEqual(a.lastRange(), [10, 17]);
  assert.deepEqual(a.recentRanges(2), [[10, 17], [50, 55]]);
  a.clear();
  assert.equal(a.lastRange(), null);
  assert.deepEqual(a.recentRanges(), []);
});

test('truncate and covers', () => {
  const a = new Assembler();
  a.add(10, 10);
  a.add(30, 10);
  assert.equal(a.covers(12, 5), true);
  assert.equal(a.covers(12, 10), false);
  assert.equal(a.covers(-5, 5), true);
  assert.equal(a.covers(0, 1), false);
  a.truncate(35);
  assert.deepEqual(a.ranges(), [[10, 20], [30, 35]]);
  a.truncate(30);
  assert.deepEqual(a.ranges(), [[10, 20]]);
  assert.equal(a.rangeStart(0), 10);
  assert.equal(a.rangeEnd(0), 20);
});

// Model: the set of received byte positions, absolute; `origin` moves forward.
type Op =
  | { op: 'add'; off: number; len: number }
  | { op: 'consume'; n: number }
  | { op: 'consumeFront' }
  | { op: 'truncate'; limit: number }
  | { op: 'clear' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('add' as const), off: fc.integer({ min: -20, max: 200 }), len: fc.nat(40) }), weight: 10 },
  { arbitrary: fc.record({ op: fc.constant('consume' as const), n: fc.nat(60) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('consumeFront' as const) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('truncate' as const), limit: fc.nat(220) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('clear' as const) }), weight: 1 },
);

function runs(got: Set<number>, origin: number): Array<[number, number]> {
  const sorted = [...got].filter((x) => x >= origin).sort((x, y) => x - y);
  const out: Array<[number, number]> = [];
  for (const x of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === x - origin) last[1]++;
    else out.push([x - origin, x - origin + 1]);
  }
  return out;
}

test('property: the assembler matches a set-of-bytes model', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.array(opArb, { maxLength: 80 }), fc.array(fc.tuple(fc.integer({ min: -5, max: 250 }), fc.nat(30)), { minLength: 3, maxLength: 3 }), (max, ops, probes) => {
      const a = new Assembler(max);
      let origin = 0;
      let got = new Set<number>();
      for (const o of ops) {
        switch (o.op) {
          case 'add': {
            const next = new Set(got);
            for (let i = Math.max(0, o.off); i < o.off + o.len; i++) next.add(origin + i);
            const r = runs(next, origin);
            const ooo = r.filter(([s]) => s > 0).length;
            const ok = ooo <= max;
            assert.equal(a.add(o.off, o.len), ok);
            if (ok) {
              got = next;
              if (o.off + o.len > 0 && o.len > 0) {
                const last = a.lastRange();
                assert.ok(last !== null && last[0] <= Math.max(0, o.off) && last[1] >= o.off + o.len);
              }
            }
            break;
          }
          case 'consume':
            a.consumeFront(o.n);
            origin += o.n;
            break;
          case 'consumeFront': {
            const n = a.frontContiguous();
            a.consumeFront(n);
            origin += n;
            break;
          }
          case 'truncate':
            a.truncate(o.limit);
            got = new Set([...got].filter((x) => x < origin + o.limit));
            break;
          case 'clear':
            a.clear();
            got = new Set();
            break;
        }
        const expect = runs(got, origin);
        assert.deepEqual(a.ranges(), expect);
        assert.equal(a.count, expect.length);
        assert.equal(a.isEmpty, expect.length === 0);
        assert.equal(a.frontContiguous(), expect[0]?.[0] === 0 ? expect[0][1] : 0);
        assert.ok(expect.filter(([s]) => s > 0).length <= max);
        const recent = a.recentRanges();
        assert.deepEqual([...recent].sort((x, y) => x[0] - y[0]), expect);
        assert.deepEqual(recent[0] ?? null, a.lastRange());
        for (const [off, len] of probes) {
          let all = true;
          for (let i = Math.max(0, off); i < off + len; i++) if (!got.has(origin + i)) all = false;
          assert.equal(a.covers(off, len), all, `covers(${off}, ${len})`);
        }
      }
    }),
    { numRuns: 500 },
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt, seqMax, seqMin } from '../../src/tcp/seq.js';

const MAX = 0xffffffff;

test('comparisons across the 2^32 wrap', () => {
  assert.equal(seqLt(MAX, 0), true);
  assert.equal(seqGt(0, MAX), true);
  assert.equal(seqLt(0xfffffff0, 0x10), true);
  assert.equal(seqGe(0x10, 0xfffffff0), true);
  assert.equal(seqLe(5, 5), true);
  assert.equal(seqLt(5, 5), false);
  assert.equal(seqGe(5, 5), true);
  assert.equal(seqGt(5, 5), false);
  assert.equal(seqLt(1, 2), true);
  assert.equal(seqGt(1, 2), false);
});

test('seqDiff is the signed 32-bit distance', () => {
  assert.equal(seqDiff(0, MAX), 1);
  assert.equal(seqDiff(MAX, 0), -1);
  assert.equal(seqDiff(0x10, 0xfffffff0), 0x20);
  assert.equal(seqDiff(100, 40), 60);
  assert.equal(seqDiff(0x80000000, 0), -0x80000000);
});

test('seqAdd wraps to uint32', () => {
  assert.equal(seqAdd(MAX, 1), 0);
  assert.equal(seqAdd(0xfffffff0, 0x20), 0x10);
  assert.equal(seqAdd(0, -1), MAX);
  assert.equal(seqAdd(10, 5), 15);
});

test('seqInWindow handles a window straddling the wrap', () => {
  const left = 0xfffffff0;
  assert.equal(seqInWindow(left, left, 0x20), true);
  assert.equal(seqInWindow(MAX, left, 0x20), true);
  assert.equal(seqInWindow(0, left, 0x20), true);
  assert.equal(seqInWindow(0xf, left, 0x20), true);
  assert.equal(seqInWindow(0x10, left, 0x20), false); // right edge is exclusive
  assert.equal(seqInWindow(left - 1, left, 0x20), false);
  assert.equal(seqInWindow(left, left, 0), false); // empty window holds nothing
});

test('seqMax / seqMin across the wrap', () => {
  assert.equal(seqMax(MAX, 3), 3);
  assert.equal(seqMin(MAX, 3), MAX);
});

test('property: a + d compares with a by the sign of d', () => {
  fc.assert(
    fc.property(fc.nat(MAX), fc.integer({ min: -0x7fffffff, max: 0x7fffffff }), (a, d) => {
      const b = seqAdd(a, d);
      assert.equal(b >= 0 && b <= MAX, true);
      assert.equal(seqDiff(b, a), d);
      assert.equal(seqGt(b, a), d > 0);
      assert.equal(seqLt(b, a), d < 0);
      assert.equal(seqGe(b, a), d >= 0);
      assert.equal(seqLe(b, a), d <= 0);
    }),
  );
});

test('property: seqInWindow matches an offset test', () => {
  fc.assert(
    fc.property(fc.nat(MAX), fc.nat(0x40000000), fc.integer({ min: -0x40000000, max: 0x7fffffff }), (left, size, d) => {
      assert.equal(seqInWindow(seqAdd(left, d), left, size), d >= 0 && d < size);
    }),
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FramePool, MAX_FRAME } from '../../src/storage/frame-pool.js';

test('acquire gives a frame of exactly the asked length', () => {
  const p = new FramePool();
  for (const n of [0, 1, 60, 128, 129, 1514, 9014, 65535, MAX_FRAME]) assert.equal(p.acquire(n).length, n);
});

test('a released frame is lent again for the same size class, without a new allocation', () => {
  const p = new FramePool();
  const a = p.acquire(1514);
  assert.equal(p.allocations, 1);
  p.release(a);
  const b = p.acquire(1200);
  assert.equal(b.buffer, a.buffer);
  assert.equal(p.allocations, 1);
  // Another class gets a buffer of its own.
  const c = p.acquire(66);
  assert.notEqual(c.buffer, a.buffer);
  assert.equal(p.allocations, 2);
});

test('a view of a lent frame releases its buffer (the loopback queue holds the IP part)', () => {
  const p = new FramePool();
  const a = p.acquire(100);
  p.release(a.subarray(14));
  assert.equal(p.freeCount, 1);
  assert.equal(p.acquire(100).buffer, a.buffer);
});

test('foreign buffers and a second release are ignored', () => {
  const p = new FramePool();
  p.release(new Uint8Array(1514));
  assert.equal(p.freeCount, 0);
  const a = p.acquire(1514);
  p.release(a);
  p.release(a);
  assert.equal(p.freeCount, 1);
  // Lent once only: two acquisitions never share a buffer.
  const x = p.acquire(1514);
  const y = p.acquire(1514);
  assert.notEqual(x.buffer, y.buffer);
});

test('frames over the largest class are plain arrays, never pooled', () => {
  const p = new FramePool();
  const big = p.acquire(MAX_FRAME + 1);
  assert.equal(big.length, MAX_FRAME + 1);
  p.release(big);
  assert.equal(p.freeCount, 0);
});

test('the free bytes of a class are bounded (a few MiB)', () => {
  const p = new FramePool();
  const lent = Array.from({ length: 200 }, () => p.acquire(65535));
  for (const f of lent) p.release(f);
  assert.ok(p.freeCount < 200);
  assert.ok(p.freeCount > 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoragePool } from '../../src/storage/storage-pool.js';
import { RingBuffer } from '../../src/storage/ring-buffer.js';

test('storage of a kept size comes back from the pool; other sizes and views are never kept', () => {
  const pool = new StoragePool();
  const a = pool.acquire(512);
  assert.equal(a.length, 512);
  assert.equal(pool.allocations, 1);
  pool.release(a);
  assert.equal(pool.freeCount, 1);
  assert.equal(pool.acquire(512), a, 'the same buffer is lent again');
  assert.equal(pool.allocations, 1);
  assert.equal(pool.acquire(1024).length, 1024);
  assert.equal(pool.allocations, 2);
  // Not powers of two, too small, too large, views of a larger buffer: left to the collector.
  for (const b of [new Uint8Array(1000), new Uint8Array(256), new Uint8Array(1 << 17), new Uint8Array(2048).subarray(0, 1024), new Uint8Array(2048).subarray(1024)]) pool.release(b);
  assert.equal(pool.freeCount, 0);
  // Bounded: at most 1 MiB of free storage per size.
  const many = Array.from({ length: 40 }, () => pool.acquire(65536));
  for (const b of many) pool.release(b);
  assert.equal(pool.freeCount, 16);
});

test('rings sharing recycled storage read back only what each wrote', () => {
  const r1 = new RingBuffer(4096);
  const first = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  assert.equal(r1.write(first), 300);
  assert.equal(r1.allocated, 512);
  r1.discard(300);
  assert.ok(r1.release());
  assert.equal(r1.allocated, 0);
  // A second ring most likely gets r1's old storage: only its own bytes come out.
  const r2 = new RingBuffer(4096);
  const second = new Uint8Array(100).fill(0xee);
  r2.write(second);
  const out = new Uint8Array(200);
  assert.equal(r2.read(out), 100);
  assert.deepEqual(out.subarray(0, 100), second);
  assert.equal(r2.length, 0);
  // Growth hands the old storage back and keeps the content.
  const r3 = new RingBuffer(1 << 16);
  const big = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
  for (let off = 0; off < big.length; off += 500) r3.write(big, off, 500);
  const back = new Uint8Array(3000);
  assert.equal(r3.read(back), 3000);
  assert.deepEqual(back, big);
});

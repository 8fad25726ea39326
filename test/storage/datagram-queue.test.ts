import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramQueue, DATAGRAM_OVERHEAD } from '../../src/storage/datagram-queue.js';

test('admits while the charged bytes are at most the capacity, then refuses (Linux __udp_enqueue_schedule_skb)', () => {
  const q = new DatagramQueue<number>(4 * (100 + DATAGRAM_OVERHEAD));
  let accepted = 0;
  for (let i = 0; i < 20; i++) if (q.push(new Uint8Array(100), i)) accepted++;
  // Four fill it exactly; a fifth is admitted because the queue is not yet OVER the limit.
  assert.equal(accepted, 5);
  assert.equal(q.length, 5);
  assert.equal(q.bytes, 500);
  assert.equal(q.chargedBytes, 5 * (100 + DATAGRAM_OVERHEAD));
  q.shift();
  q.shift();
  assert.equal(q.push(new Uint8Array(100), 99), true);
});

test('an empty queue takes a datagram larger than its capacity', () => {
  const q = new DatagramQueue<null>(2304);
  assert.equal(q.push(new Uint8Array(3000), null), true);
  assert.equal(q.push(new Uint8Array(1), null), false);
});

test('a flood of empty datagrams stays bounded', () => {
  const q = new DatagramQueue<null>(212_992);
  let n = 0;
  while (q.push(new Uint8Array(0), null)) n++;
  assert.ok(n > 0 && n <= Math.ceil(212_992 / DATAGRAM_OVERHEAD) + 1, `queued ${n}`);
});

test('FIFO order, peek does not consume, clear resets the accounting', () => {
  const q = new DatagramQueue<number>(1 << 20);
  for (let i = 0; i < 200; i++) q.push(new Uint8Array([i]), i);
  assert.equal(q.peek()!.meta, 0);
  for (let i = 0; i < 150; i++) assert.equal(q.shift()!.meta, i);
  assert.equal(q.length, 50);
  q.clear();
  assert.equal(q.length, 0);
  assert.equal(q.bytes, 0);
  assert.equal(q.chargedBytes, 0);
  assert.equal(q.shift(), undefined);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REC_LOST, REC_RETRANS, SentLog } from '../../src/tcp/sent-log.js';

const records = (log: SentLog): Array<[number, number, number, number]> =>
  Array.from({ length: log.count }, (_, i) => [log.start(i), log.end(i), log.time(i), log.flags(i)]);

test('records in order across growth and wrap-around, with sequence numbers past 2^31 and 2^32', () => {
  const log = new SentLog();
  const base = 0xffff_f000;
  let seq = base;
  const want: Array<[number, number, number, number]> = [];
  for (let i = 0; i < 10; i++) {
    log.append(seq, (seq + 100) >>> 0, i);
    want.push([seq, (seq + 100) >>> 0, i, 0]);
    seq = (seq + 100) >>> 0;
  }
  // Acknowledge four records and half of the fifth: the head moves, then the ring wraps and grows.
  const una = (base + 450) >>> 0;
  const acked: number[] = [];
  log.ackTo(una, (l, i) => acked.push(l.start(i)));
  assert.deepEqual(acked, want.slice(0, 4).map((r) => r[0]));
  want.splice(0, 4);
  want[0]![0] = una;
  for (let i = 10; i < 40; i++) {
    log.append(seq, (seq + 100) >>> 0, i);
    want.push([seq, (seq + 100) >>> 0, i, 0]);
    seq = (seq + 100) >>> 0;
  }
  assert.deepEqual(records(log), want);
  assert.equal(log.find((base + 1000) >>> 0), 6, 'the first record ending after a sequence number');
});

test('lost and retransmitted marks keep lostBytes', () => {
  const log = new SentLog();
  for (let i = 0; i < 4; i++) log.append(1000 * i, 1000 * (i + 1), i);
  log.markLost(1);
  log.markLost(1);
  log.markLost(2);
  assert.equal(log.lostBytes, 2000);
  log.retransmitted(1000, 2000, 9);
  assert.equal(log.lostBytes, 1000);
  assert.equal(log.flags(1), REC_RETRANS);
  assert.equal(log.time(1), 9);
  assert.equal(log.flags(2), REC_LOST);
  log.ackTo(2500, () => {});
  assert.equal(log.lostBytes, 500, 'half of the lost record acknowledged');
  log.clearLost();
  assert.equal(log.lostBytes, 0);
  assert.equal(log.flags(0), 0);
});

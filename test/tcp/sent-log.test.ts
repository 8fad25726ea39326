import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
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

/** The same log as a plain array of records: the model the ring must agree with. */
interface Rec {
  s: number;
  e: number;
  t: number;
  f: number;
}

type Op =
  | { kind: 'append'; len: number }
  | { kind: 'ack'; at: number; upTo: number }
  | { kind: 'lose'; at: number }
  | { kind: 'rexmit'; at: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), len: fc.integer({ min: 1, max: 3000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('ack' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), upTo: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('lose' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rexmit' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
);

test('the ring of records agrees with a plain array through growth, wrap-around and sequence wrap', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.array(opArb, { maxLength: 300 }), (isn, ops) => {
      const log = new SentLog();
      const model: Rec[] = [];
      let next = isn >>> 0;
      let now = 0;
      const lostBytes = (): number => model.reduce((sum, r) => sum + (r.f & REC_LOST ? (r.e - r.s) >>> 0 : 0), 0);
      for (const op of ops) {
        now += 1;
        if (op.kind === 'append') {
          const end = (next + op.len) >>> 0;
          log.append(next, end, now);
          model.push({ s: next, e: end, t: now, f: 0 });
          next = end;
        } else if (model.length > 0) {
          const i = Math.min(model.length - 1, Math.floor(op.at * model.length));
          if (op.kind === 'lose') {
            log.markLost(i);
            model[i]!.f |= REC_LOST;
          } else if (op.kind === 'rexmit') {
            const r = model[i]!;
            log.retransmitted(r.s, r.e, now);
            r.f = (r.f | REC_RETRANS) & ~REC_LOST;
            r.t = now;
          } else {
            // Acknowledge up to a point inside record i (or its end).
            const r = model[i]!;
            const una = (r.s + Math.max(1, Math.floor(op.upTo * ((r.e - r.s) >>> 0)))) >>> 0;
            const gone: number[] = [];
            log.ackTo(una, (l, k) => gone.push(l.end(k)));
            const full = model.splice(0, i + (una === r.e ? 1 : 0));
            assert.deepEqual(gone, full.map((x) => x.e));
            if (una !== r.e) model[0]!.s = una;
          }
        }
        assert.equal(log.count, model.length);
        assert.equal(log.lostBytes, lostBytes());
      }
      for (let i = 0; i < model.length; i++) {
        const r = model[i]!;
        assert.deepEqual([log.start(i), log.end(i), log.time(i), log.flags(i)], [r.s, r.e, r.t, r.f], `record ${i}`);
        assert.equal(log.find(r.s), i);
      }
    }),
    { numRuns: 300 },
  );
});

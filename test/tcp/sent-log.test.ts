import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SentLog, REC_LOST, REC_RETRANS } from '../../src/tcp/sent-log.js';

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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RTO_FALLBACK_MS, RTO_INITIAL_MS, RTO_MAX_MS, RTO_MIN_MS, RttEstimator } from '../../src/tcp/rtt.js';

test('before any sample: RTO is the initial 1 s, SRTT and RTTVAR are 0', () => {
  const e = new RttEstimator();
  assert.equal(RTO_INITIAL_MS, 1000);
  assert.equal(e.rto, 1000);
  assert.equal(e.srtt, 0);
  assert.equal(e.rttvar, 0);
  assert.equal(e.hasSample, false);
  assert.equal(e.backoffs, 0);
});

test('first sample: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4*RTTVAR', () => {
  const e = new RttEstimator();
  assert.equal(e.sample(100), true);
  assert.equal(e.srtt, 100);
  assert.equal(e.rttvar, 50);
  assert.equal(e.rto, 300);
  assert.equal(e.hasSample, true);
});

test('a hand-computed sequence (alpha 1/8, beta 1/4, RTTVAR updated with the old SRTT)', () => {
  const e = new RttEstimator();
  e.sample(100); // SRTT 100, RTTVAR 50, RTO 300
  e.sample(200); // RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5
  assert.equal(e.rttvar, 62.5);
  assert.equal(e.srtt, 112.5);
  assert.equal(e.rto, 362.5);
  e.sample(50); // RTTVAR = 3/4*62.5 + 1/4*62.5 = 62.5; SRTT = 7/8*112.5 + 50/8 = 104.6875
  assert.equal(e.rttvar, 62.5);
  assert.equal(e.srtt, 104.6875);
  assert.equal(e.rto, 354.6875);
  e.sample(104.6875); // RTTVAR = 3/4*62.5 = 46.875; SRTT unchanged
  assert.equal(e.rttvar, 46.875);
  assert.equal(e.srtt, 104.6875);
  assert.equal(e.rto, 104.6875 + 187.5);
});

test('steady RTT converges and the RTO floor of 200 ms holds', () => {
  const e = new RttEstimator();
  for (let i = 0; i < 200; i++) e.sample(40);
  assert.equal(e.srtt, 40);
  assert.ok(e.rttvar < 1e-9);
  assert.equal(e.rto, RTO_MIN_MS);
  e.sample(10); // 10 + 20 = 30 -> floor
  assert.equal(e.rto, 200);
});

test('clock granularity G bounds the variance term: RTO = SRTT + max(G, 4*RTTVAR)', () => {
  const e = new RttEstimator({ minRtoMs: 0 });
  e.sample(0.25); // RTTVAR 0.125, 4*RTTVAR = 0.5 < G = 1
  assert.equal(e.rto, 1.25);
  const coarse = new RttEstimator({ minRtoMs: 0, granularityMs: 10 });
  coarse.sample(4); // 4*2 = 8 < 10
  assert.equal(coarse.rto, 14);
});

test('the RTO ceiling of 120 s holds for huge samples', () => {
  const e = new RttEstimator();
  e.sample(100_000); // 100 s + 4 * 50 s
  assert.equal(e.rto, RTO_MAX_MS);
  assert.equal(RTO_MAX_MS, 120_000);
});

test('backoff doubles to the cap and counts; a new sample collapses it', () => {
  const e = new RttEstimator();
  const seen: number[] = [];
  for (let i = 0; i < 9; i++) seen.push(e.backoff());
  assert.deepEqual(seen, [2000, 4000, 8000, 16000, 32000, 64000, 120000, 120000, 120000]);
  assert.equal(e.backoffs, 9);
  e.sample(100);
  assert.equal(e.backoffs, 0);
  assert.equal(e.rto, 300);
  assert.equal(e.backoff(), 600);
  assert.equal(e.backoff(), 1200);
  assert.equal(e.backoffs, 2);
});

test('invalid samples are ignored', () => {
  const e = new RttEstimator();
  e.sample(100);
  e.backoff();
  for (const bad of [-1, NaN, Infinity, -Infinity]) assert.equal(e.sample(bad), false);
  assert.equal(e.srtt, 100);
  assert.equal(e.rto, 600);
  assert.equal(e.backoffs, 1);
});

test('configurable bounds and initial RTO; reset restores the start state', () => {
  const e = new RttEstimator({ initialRtoMs: 3000, minRtoMs: 1000, maxRtoMs: 10_000 });
  assert.equal(e.rto, 3000);
  assert.equal(e.backoff(), 6000);
  assert.equal(e.backoff(), 10_000);
  e.sample(10);
  assert.equal(e.rto, 1000); // RFC 6298 §2.4's 1 s floor when configured
  e.reset();
  assert.equal(e.rto, 3000);
  assert.equal(e.hasSample, false);
  assert.equal(e.srtt, 0);
  e.sample(400); // a first sample again after reset
  assert.equal(e.rttvar, 200);
  assert.equal(e.rto, 1200);
  e.reset(RTO_FALLBACK_MS);
  assert.equal(e.rto, 3000);
  // An initial RTO outside the bounds is clamped into them.
  assert.equal(new RttEstimator({ initialRtoMs: 50 }).rto, 200);
});

test('property: RTO always within [min, max], backoffs never exceed max', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constant(-1)), { maxLength: 60 }),
      (ops) => {
        const e = new RttEstimator();
        for (const op of ops) {
          if (op < 0) e.backoff();
          else e.sample(op);
          assert.ok(e.rto >= RTO_MIN_MS && e.rto <= RTO_MAX_MS);
          assert.ok(e.srtt >= 0 && e.rttvar >= 0);
        }
      },
    ),
  );
});

/**
 * CUBIC (RFC 9438) and HyStart++ (RFC 9406) against the RFC formulas, driven by a synthetic
 * ACK-clocked sender (driver.ts): the window after a loss, the cubic curve through its concave,
 * plateau and convex parts, the Reno-friendly region, fast convergence, the timeout rule,
 * HyStart++'s exit on an RTT rise (and not without one), idle and application-limited time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CC_NONE,
  CC_RETRANSMIT,
  TCP_CA_DISORDER,
  TCP_CA_LOSS,
  TCP_CA_OPEN,
  TCP_CA_RECOVERY,
  TCP_INFINITE_SSTHRESH,
} from '../../../src/tcp/congestion/congestion-control.js';
import { ALPHA_CUBIC, CUBIC_BETA, CUBIC_C, Cubic, cubic, cubicK, wCubic } from '../../../src/tcp/congestion/cubic.js';
import {
  CSS_ROUNDS,
  HS_CSS,
  HS_DONE,
  HS_SLOW_START,
  HyStart,
  N_RTT_SAMPLE,
  rttThresh,
} from '../../../src/tcp/congestion/hystart.js';
import { NewReno } from '../../../src/tcp/congestion/newreno.js';
import { availableCongestionControls, congestionControlFactory, switchCongestionControl } from '../../../src/tcp/congestion/registry.js';
import { CcDriver } from './driver.js';

const MSS = 1000;

/** A driver whose CUBIC had a loss at `w` segments (no SACK) and has left recovery. */
function afterLoss(w: number, opts: { fastConvergence?: boolean } = {}): CcDriver {
  const d = new CcDriver(new Cubic(MSS, { initialWindow: w * MSS, hystart: false, ...opts }), MSS);
  d.fill();
  assert.equal(d.sentAt.length, w);
  d.dup();
  d.dup();
  assert.equal(d.dup(), CC_RETRANSMIT, 'the third duplicate ACK: fast retransmit');
  d.advance(1);
  d.ack(w, false); // the retransmission repaired the hole: a full ACK
  assert.equal(d.cc.inRecovery, false);
  return d;
}

test('constants and formulas: C = 0.4, beta = 0.7, alpha = 3(1-beta)/(1+beta), K and W_cubic (RFC 9438 §4.2, §4.3)', () => {
  assert.equal(CUBIC_C, 0.4);
  assert.equal(CUBIC_BETA, 0.7);
  assert.ok(Math.abs(ALPHA_CUBIC - 0.9 / 1.7) < 1e-12);
  const k = cubicK(100, 70);
  assert.ok(Math.abs(k - Math.cbrt(75)) < 1e-12, 'K = cbrt((W_max - cwnd_epoch) / C)');
  assert.ok(Math.abs(wCubic(0, k, 100) - 70) < 1e-9, 'the curve starts at cwnd_epoch');
  assert.equal(wCubic(k, k, 100), 100, 'and reaches W_max at K');
  assert.ok(wCubic(k + 2, k, 100) - 100 === 100 - wCubic(k - 2, k, 100), 'symmetric about (K, W_max)');
  assert.equal(cubicK(60, 80), 0, 'no W_max above cwnd_epoch: K = 0');
  assert.equal(cubic(1460).name, 'cubic');
  assert.deepEqual(availableCongestionControls(), ['reno', 'cubic']);
  assert.ok(congestionControlFactory('cubic')!(1460) instanceof Cubic);
});

test('a loss: ssthresh = cwnd * 0.7 in whole segments, NewReno recovery (cwnd = ssthresh + 3), then cwnd = ssthresh', () => {
  const d = new CcDriver(new Cubic(MSS, { initialWindow: 100 * MSS, hystart: false }), MSS);
  const cc = d.cc as Cubic;
  d.fill();
  d.dup();
  assert.equal(cc.caState, TCP_CA_DISORDER);
  d.dup();
  assert.equal(d.dup(), CC_RETRANSMIT);
  assert.equal(cc.ssthresh, 70 * MSS);
  assert.equal(cc.cwnd, 73 * MSS, 'RFC 5681 §3.2: ssthresh + 3 * SMSS');
  assert.equal(cc.caState, TCP_CA_RECOVERY);
  assert.equal(cc.wMax, 100);
  assert.equal(cc.cwndPrior, 100);
  d.dup();
  assert.equal(cc.cwnd, 74 * MSS, 'inflation by each further duplicate');
  d.ack(100);
  assert.equal(cc.cwnd, 70 * MSS, 'full ACK: cwnd = ssthresh');
  assert.equal(cc.caState, TCP_CA_OPEN);
  // Odd windows round down to whole segments, as Linux (max(cwnd * beta, 2)).
  for (const [w, ss] of [[11, 7], [3, 2], [2, 2], [33, 23]] as const) {
    const e = new CcDriver(new Cubic(MSS, { initialWindow: w * MSS }), MSS);
    e.fill();
    e.dup();
    e.dup();
    e.dup();
    assert.equal(e.cc.ssthresh, ss * MSS, `cwnd ${w}`);
  }
});

test('after a loss cwnd follows W_cubic(t) = C(t-K)^3 + W_max: concave to W_max, a plateau at K, convex beyond (§4.2, §4.4, §4.5)', () => {
  const RTT = 100;
  const d = afterLoss(100);
  const cc = d.cc as Cubic;
  assert.equal(cc.cwnd, 70 * MSS, 'cwnd = 0.7 * W_max after the loss');
  const K = cubicK(100, 70);
  let t0 = -1;
  let maxBeforePlateau = 0;
  const samples: Array<[number, number]> = [];
  for (let r = 0; r < 90; r++) {
    d.round(RTT);
    if (t0 < 0) t0 = cc.epochStart;
    const t = (d.now - t0) / 1000;
    const w = d.w;
    samples.push([t, w]);
    // cwnd lies between the curve now and the curve one RTT ahead (the per-ACK target), or
    // follows W_est where that is higher (the Reno-friendly region: late on the plateau, where
    // W_est, growing by 1 per RTT past cwnd_prior, overtakes the flat curve).
    const hi = Math.max(wCubic(t + RTT / 1000, K, 100), cc.wEst);
    assert.ok(w >= wCubic(t, K, 100) - 2 && w <= hi + 1, `t=${t.toFixed(2)}: cwnd ${w} vs W_cubic ${wCubic(t, K, 100).toFixed(2)}..${hi.toFixed(2)}`);
    if (t < K - 1) maxBeforePlateau = Math.max(maxBeforePlateau, w);
  }
  assert.equal(cc.k, K, 'K from W_max = 100 and cwnd_epoch = 70');
  assert.equal(cc.cwndEpoch, 70);
  assert.ok(maxBeforePlateau < 100, 'concave: below W_max until the plateau');
  const near = samples.filter(([t]) => Math.abs(t - K) <= 0.5).map(([, w]) => w);
  assert.ok(near.length >= 5 && near.every((w) => w >= 98 && w <= 101), `plateau around W_max at K: ${near.join(' ')}`);
  // Convex: beyond K the increments grow.
  const late = samples.filter(([t]) => t > K + 1);
  const inc = late.slice(1).map(([, w], i) => w - late[i]![1]);
  assert.ok(late[late.length - 1]![1] > 130, 'probing well beyond W_max');
  assert.ok(inc.slice(-5).reduce((a, b) => a + b, 0) > inc.slice(0, 5).reduce((a, b) => a + b, 0), 'growth accelerates');
});

test('the Reno-friendly region: with a short RTT cwnd follows W_est, alpha_cubic per RTT up to cwnd_prior, then 1 (§4.3)', () => {
  const d = afterLoss(20);
  const cc = d.cc as Cubic;
  assert.equal(cc.cwnd, 14 * MSS);
  let model = 14;
  for (let r = 1; r <= 40; r++) {
    d.round(10);
    model += model >= 20 ? 1 : ALPHA_CUBIC;
    const t = (d.now - cc.epochStart) / 1000;
    assert.ok(wCubic(t, cc.k, cc.wMax) < cc.wEst, `round ${r}: in the Reno-friendly region`);
    assert.ok(Math.abs(d.w - model) <= 1.5, `round ${r}: cwnd ${d.w} vs W_est model ${model.toFixed(2)}`);
  }
  assert.ok(d.w > 40, 'Reno-like growth: one segment per RTT once W_est passed cwnd_prior');
});

test('fast convergence: a loss below the last W_max lowers W_max to cwnd * (1 + beta) / 2 (§4.7); off, W_max = cwnd', () => {
  for (const fastConvergence of [true, false]) {
    const d = afterLoss(100, { fastConvergence });
    const cc = d.cc as Cubic;
    d.round(100);
    const w = d.w;
    assert.ok(w < 100);
    d.fill();
    d.dup();
    d.dup();
    d.dup();
    assert.equal(cc.wMax, fastConvergence ? (w * 1.7) / 2 : w);
    assert.equal(cc.ssthresh, Math.floor(w * 0.7) * MSS);
  }
});

for (const [abc, sack] of [[0, true], [0, false], [2, false]] as const) {
test(`a timeout: cwnd = 1 SMSS, ssthresh = 0.7 cwnd (kept on a re-timeout), then from cwnd_epoch with K = 0 (§4.8); abcLimitSegments ${abc}, ${sack ? 'SACK' : 'no SACK'}`, () => {
  const d = new CcDriver(new Cubic(MSS, { initialWindow: 100 * MSS, hystart: false, abcLimitSegments: abc }), MSS);
  d.s.sackOk = sack;
  const cc = d.cc as Cubic;
  d.fill();
  cc.onRetransmitTimeout(d.sample(0));
  assert.equal(cc.cwnd, MSS);
  assert.equal(cc.ssthresh, 70 * MSS);
  assert.equal(cc.caState, TCP_CA_LOSS);
  cc.onRetransmitTimeout(d.sample(0));
  assert.equal(cc.ssthresh, 70 * MSS, 'RFC 5681 §3.1: not again for the same segment');
  assert.equal(cc.wMax, 0);
  // The retransmission fills the only hole: one cumulative ACK for everything sent before.
  d.advance(200);
  assert.equal(d.ack(100, false), CC_NONE);
  if (sack) {
    // With SACK, Linux's rule: the ACK counts whole, slow start stops at ssthresh and the 31
    // segments left over begin congestion avoidance (Reno-friendly W_est: a fraction of a
    // segment, no growth yet).
    assert.equal(cc.cwnd, 70 * MSS, 'slow start after a timeout up to ssthresh in one ACK');
    assert.equal(cc.epochStart, d.now, 'the epoch starts with the rest of the ACK');
    assert.equal(cc.k, 0);
    assert.equal(cc.wMax, 70);
  } else {
    assert.equal(cc.cwnd, 2 * MSS, 'slow start after a timeout without SACK: L = 1 SMSS (RFC 3465 §2.3)');
  }
  assert.equal(cc.caState, TCP_CA_OPEN, 'SND.UNA passed what was sent before the timeout');
  // Slow start back to ssthresh (with RFC 3465: L = 1 SMSS per ACK after a timeout), then the cubic epoch.
  const RTT = 500;
  let rounds = 0;
  while (cc.cwnd < cc.ssthresh && rounds++ < 20) d.round(RTT);
  assert.equal(cc.ssthresh, 70 * MSS);
  d.round(RTT);
  const epoch = cc.epochStart;
  const w0 = cc.cwndEpoch;
  assert.ok(w0 >= 70);
  assert.equal(cc.k, 0, 'K = 0');
  assert.equal(cc.wMax, w0, 'W_max = cwnd at the start of congestion avoidance');
  for (let r = 0; r < 8; r++) {
    d.round(RTT);
    const t = (d.now - epoch) / 1000;
    assert.ok(d.w >= wCubic(t, 0, w0) - 2 && d.w <= wCubic(t + RTT / 1000, 0, w0) + 1, `t=${t}: cwnd ${d.w} on the convex curve from ${w0}`);
  }
  assert.ok(d.w > w0 + 20, 'convex growth from the start');
});
}

test('HyStart++ state machine: the RTT threshold, CSS on a rise after N_RTT_SAMPLE samples, resume on a fall, CA after CSS_ROUNDS (RFC 9406 §4.2, §4.3)', () => {
  assert.equal(rttThresh(20), 4);
  assert.equal(rttThresh(100), 12.5);
  assert.equal(rttThresh(400), 16);
  const round = (hs: HyStart, start: number, rtts: number[]): number => {
    let una = start;
    hs.beginAck(una, start + 100);
    for (const r of rtts) {
      hs.beginAck(una, start + 100);
      hs.endAck(r);
      una++;
    }
    return start + 100;
  };
  const hs = new HyStart();
  let seq = round(hs, 0, new Array(10).fill(100));
  assert.equal(hs.phase, HS_SLOW_START);
  seq = round(hs, seq, new Array(N_RTT_SAMPLE - 1).fill(130));
  assert.equal(hs.phase, HS_SLOW_START, 'fewer than N_RTT_SAMPLE samples decide nothing');
  seq = round(hs, seq, new Array(10).fill(100));
  seq = round(hs, seq, new Array(10).fill(112));
  assert.equal(hs.phase, HS_SLOW_START, '112 < 100 + 12.5');
  seq = round(hs, seq, new Array(10).fill(126));
  assert.equal(hs.phase, HS_CSS, '126 >= 112 + 14');
  assert.equal(hs.divisor(), 4);
  seq = round(hs, seq, new Array(10).fill(120));
  assert.equal(hs.phase, HS_SLOW_START, 'the RTT fell below the CSS baseline: resume slow start');
  seq = round(hs, seq, new Array(10).fill(140));
  assert.equal(hs.phase, HS_CSS);
  for (let i = 1; i < CSS_ROUNDS; i++) seq = round(hs, seq, new Array(10).fill(140));
  assert.equal(hs.phase, HS_CSS);
  assert.equal(hs.beginAck(seq, seq + 100), HS_DONE, 'CSS_ROUNDS rounds of CSS: congestion avoidance');
});

test('HyStart++ in CUBIC: no exit without an RTT rise; an RTT rise means CSS (growth / 4), then CA with ssthresh = cwnd and K = 0', () => {
  // Constant RTT: slow start doubles the window every round, ssthresh stays infinite.
  const flat = new CcDriver(new Cubic(MSS), MSS);
  for (let r = 0; r < 6; r++) flat.round(100);
  assert.equal(flat.w, 640);
  assert.equal(flat.cc.ssthresh, TCP_INFINITE_SSTHRESH);
  // The RTT rises by 20 ms from the fourth round: CSS, then congestion avoidance.
  const d = new CcDriver(new Cubic(MSS), MSS);
  const cc = d.cc as Cubic;
  for (let r = 0; r < 3; r++) d.round(100);
  assert.equal(d.w, 80);
  d.round(100, 120);
  assert.equal(cc.hystart!.phase, HS_CSS);
  const before = d.w;
  d.round(100, 120);
  assert.ok(Math.abs(d.w - before * 1.25) <= 1, `CSS grows by a quarter per round: ${before} -> ${d.w}`);
  for (let r = 0; r < CSS_ROUNDS; r++) d.round(100, 120);
  assert.ok(cc.ssthresh < TCP_INFINITE_SSTHRESH, 'HyStart++ ended slow start');
  assert.ok(cc.epochStart >= 0 && cc.k === 0, 'the epoch starts at K = 0');
  assert.equal(cc.cwndPrior, cc.ssthresh / MSS);
  assert.equal(cc.wMax, cc.cwndEpoch);
  // A stretch ACK of 10 segments adds 10 in slow start, HyStart++ or not (Linux). With RFC
  // 3465's limits on, HyStart++'s L = 8 for a sender without pacing (RFC 9406 §4.3) adds 8,
  // and Reno's L = 2 adds 2.
  for (const [abc, cubicW, renoW] of [[0, 20, 20], [2, 18, 12]] as const) {
    const s = new CcDriver(new Cubic(MSS, { abcLimitSegments: abc }), MSS);
    s.fill();
    s.advance(100);
    s.ack(10);
    assert.equal(s.w, cubicW, `cubic, abcLimitSegments ${abc}`);
    assert.equal(s.cc.ssthresh, TCP_INFINITE_SSTHRESH);
    const r = new CcDriver(new NewReno(MSS, { abcLimitSegments: abc }), MSS);
    r.fill();
    r.ack(10);
    assert.equal(r.w, renoW, `reno, abcLimitSegments ${abc}`);
  }
});

test('no growth while the sender does not fill cwnd, and that time is not part of t (§4.6, §5.8); nor is idle time', () => {
  const d = afterLoss(100);
  const cc = d.cc as Cubic;
  d.round(100);
  const w = d.w;
  const epoch = cc.epochStart;
  // Application-limited: 5 segments per round trip for 2 s.
  for (let r = 0; r < 20; r++) {
    d.appSegments = 5;
    d.round(100);
  }
  assert.equal(d.w, w, 'cwnd did not grow');
  assert.ok(cc.epochStart - epoch >= 1900, `t left out the application-limited time (epoch moved ${cc.epochStart - epoch} ms)`);
  // Idle: the network empties, 10 s pass, sending resumes.
  d.appSegments = Infinity;
  const e2 = cc.epochStart;
  d.advance(10_000);
  d.sendOne();
  assert.ok(cc.epochStart - e2 >= 10_000, 'the idle time is left out too');
});

test('switching algorithms keeps cwnd, ssthresh and the recovery state (TCP_CONGESTION on a live connection)', () => {
  const d = new CcDriver(new NewReno(MSS, { initialWindow: 20 * MSS }), MSS);
  d.fill();
  d.dup();
  d.dup();
  d.dup();
  assert.equal(d.cc.ssthresh, 10 * MSS);
  const next = switchCongestionControl(d.cc, 'cubic')!;
  assert.equal(next.name, 'cubic');
  assert.equal(next.cwnd, d.cc.cwnd);
  assert.equal(next.ssthresh, 10 * MSS);
  assert.equal(next.inRecovery, true);
  assert.equal(switchCongestionControl(d.cc, 'vegas'), undefined);
  const rfc = switchCongestionControl(new NewReno(MSS, { abcLimitSegments: 2 }), 'cubic') as Cubic;
  assert.equal(rfc.abcLimitSegments, 2, 'the settings it was made with carry over too');
  const e = new CcDriver(next, MSS);
  e.s.sndUna = d.s.sndUna;
  e.s.sndMax = d.s.sndMax;
  e.sentAt.push(...d.sentAt);
  e.ack(20);
  assert.equal(next.inRecovery, false, 'the full ACK ends the recovery the old algorithm began');
  assert.equal(next.cwnd, 10 * MSS);
  const back = switchCongestionControl(next, 'reno')!;
  assert.deepEqual([back.cwnd, back.ssthresh, back.caState], [next.cwnd, next.ssthresh, TCP_CA_OPEN]);
});

test('an MSS change (path MTU): cwnd and ssthresh keep their bytes; the loss window, inflation and growth use the new SMSS', () => {
  for (const cc of [new Cubic(1460), new NewReno(1460)]) {
    const d = new CcDriver(cc, 1460);
    d.fill();
    d.dup();
    d.dup();
    d.dup();
    d.ack(10);
    const bytes = [cc.cwnd, cc.ssthresh];
    const wMax = cc instanceof Cubic ? cc.wMax : 0;
    cc.setMss(512);
    assert.equal(cc.smss, 512);
    assert.deepEqual([cc.cwnd, cc.ssthresh], bytes, cc.name);
    if (cc instanceof Cubic) assert.ok(Math.abs(cc.wMax * 512 - wMax * 1460) < 1e-6, 'W_max keeps its size in bytes');
    // NewReno inflation adds the new SMSS per duplicate ACK (not the stale, larger one).
    const e = new CcDriver(cc, 512);
    e.s.sndUna = d.s.sndUna;
    e.s.sndMax = d.s.sndMax;
    e.fill();
    e.dup();
    e.dup();
    e.dup();
    const inflated = cc.cwnd;
    e.dup();
    assert.equal(cc.cwnd - inflated, 512, `${cc.name}: inflation by the new SMSS`);
    cc.onRetransmitTimeout(e.sample(0));
    assert.equal(cc.cwnd, 512, 'LW = 1 * the new SMSS');
    cc.setMss(0);
    assert.equal(cc.smss, 512, 'nonsense is ignored');
  }
});

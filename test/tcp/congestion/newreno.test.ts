import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CC_NONE,
  CC_RETRANSMIT,
  TCP_INFINITE_SSTHRESH,
  rfc5681InitialWindow,
  type CcSample,
  type CongestionControl,
} from '../../../src/tcp/congestion/congestion-control.js';
import { NewReno, newReno } from '../../../src/tcp/congestion/newreno.js';
import { seqAdd } from '../../../src/tcp/seq.js';

const SMSS = 1000;

/** A minimal sender: tracks SND.UNA / SND.MAX and reports events through one reused sample. */
class Sender {
  readonly cc: CongestionControl;
  readonly s: CcSample = {
    nowMs: 0, sndUna: 0, sndMax: 0, flightSize: 0, ackedBytes: 0, rttMs: undefined, sackedBytes: 0, pipe: 0,
  };
  /** `sack`: the sender keeps a SACK scoreboard (CcSample.sackOk; RFC 6675 recovery). */
  constructor(cc: CongestionControl = new NewReno(SMSS), start = 0, sack = false) {
    this.cc = cc;
    this.s.sndUna = this.s.sndMax = start;
    this.s.sackOk = sack;
  }
  private fill(acked: number): CcSample {
    const s = this.s;
    s.nowMs += 1;
    s.ackedBytes = acked;
    s.flightSize = s.pipe = (s.sndMax - s.sndUna) >>> 0;
    return s;
  }
  send(bytes: number): void {
    this.s.sndMax = seqAdd(this.s.sndMax, bytes);
  }
  ack(bytes: number): number {
    this.s.sndUna = seqAdd(this.s.sndUna, bytes);
    return this.cc.onAck(this.fill(bytes));
  }
  dup(): number {
    return this.cc.onDupAck(this.fill(0));
  }
  rto(): void {
    this.cc.onRetransmitTimeout(this.fill(0));
  }
  get w(): [number, number] {
    return [this.cc.cwnd, this.cc.ssthresh];
  }
}

test('initial window: IW10 like Linux by default; RFC 5681 eq. 1 on request', () => {
  const cc = new NewReno(1460);
  assert.equal(cc.cwnd, 14600);
  assert.equal(cc.ssthresh, TCP_INFINITE_SSTHRESH);
  assert.equal(cc.name, 'reno');
  assert.equal(newReno(536).cwnd, 5360);
  assert.equal(rfc5681InitialWindow(1460), 4380);
  assert.equal(rfc5681InitialWindow(1095), 4380);
  assert.equal(rfc5681InitialWindow(3000), 6000);
  assert.equal(new NewReno(1460, { initialWindow: 4380 }).cwnd, 4380);
});

test('slow start: cwnd grows by every byte acked, a stretch ACK counted whole (Linux tcp_slow_start)', () => {
  const t = new Sender();
  t.send(100_000);
  assert.deepEqual(t.w, [10_000, TCP_INFINITE_SSTHRESH]);
  assert.equal((t.cc as NewReno).abcLimitSegments, 0);
  assert.equal(t.ack(1000), CC_NONE);
  assert.equal(t.cc.cwnd, 11_000);
  t.ack(500);
  assert.equal(t.cc.cwnd, 11_500);
  t.ack(40_000); // one ACK for a batch of forty segments: forty segments more
  assert.equal(t.cc.cwnd, 51_500);
});

test('RFC 3465 on request (abcLimitSegments = 2): at most L = 2*SMSS per ACK in slow start (§2.2)', () => {
  const t = new Sender(new NewReno(SMSS, { abcLimitSegments: 2 }));
  assert.equal((t.cc as NewReno).abcLimitSegments, 2);
  assert.equal(new NewReno(SMSS, { abcLimitSegments: Infinity }).abcLimitSegments, 0, 'Infinity: no limit');
  t.send(10_000);
  assert.deepEqual(t.w, [10_000, TCP_INFINITE_SSTHRESH]);
  assert.equal(t.ack(1000), CC_NONE);
  assert.equal(t.cc.cwnd, 11_000);
  t.ack(1000);
  assert.equal(t.cc.cwnd, 12_000);
  t.ack(2000);
  assert.equal(t.cc.cwnd, 14_000);
  t.ack(5000); // a stretch ACK counts for 2 SMSS only
  assert.equal(t.cc.cwnd, 16_000);
  t.ack(500);
  assert.equal(t.cc.cwnd, 16_500);
});

test('after a timeout with SACK (Linux): a stretch ACK counts whole up to ssthresh, the rest goes to congestion avoidance', () => {
  const t = new Sender(new NewReno(SMSS), 0, true);
  t.send(15_000);
  t.rto();
  assert.deepEqual(t.w, [1000, 7500]); // ssthresh = FlightSize / 2
  t.ack(2000); // no L = 1 SMSS after an RTO with SACK (Linux has none)
  assert.equal(t.cc.cwnd, 3000);
  t.ack(6000); // 3000 + 6000 crosses 7500: cwnd = ssthresh, 1500 bytes carried over
  assert.deepEqual(t.w, [7500, 7500]);
  t.send(20_000);
  t.ack(5999); // 1500 + 5999 < 7500
  assert.equal(t.cc.cwnd, 7500);
  t.ack(1); // 7500 bytes counted: one SMSS
  assert.equal(t.cc.cwnd, 8500);
  // A stretch ACK far past ssthresh: what is left earns one SMSS per cwnd of it.
  const u = new Sender(new NewReno(SMSS), 0, true);
  u.send(15_000);
  u.rto();
  u.send(40_000);
  u.ack(31_000); // 6500 of it take cwnd to ssthresh; 24500 left = 3 * 7500 + 2000
  assert.deepEqual(u.w, [10_500, 7500]);
  u.ack(5500); // 2000 + 5500 < 10500
  assert.equal(u.cc.cwnd, 10_500);
  u.ack(3000); // 10500 bytes counted: one SMSS
  assert.equal(u.cc.cwnd, 11_500);
});

for (const [what, make] of [
  ['without SACK', () => new NewReno(SMSS)],
  ['RFC 3465 on request', () => new NewReno(SMSS, { abcLimitSegments: 2 })],
] as const) {
test(`after a timeout, ${what}: L = 1*SMSS (RFC 3465 §2.3; go-back-N), slow start stops at ssthresh, the rest goes to congestion avoidance`, () => {
  const t = new Sender(make());
  t.send(15_000);
  t.rto();
  assert.deepEqual(t.w, [1000, 7500]); // ssthresh = FlightSize / 2
  t.ack(2000); // L = 1 SMSS after an RTO
  assert.equal(t.cc.cwnd, 2000);
  for (let i = 0; i < 5; i++) t.ack(1000);
  assert.equal(t.cc.cwnd, 7000);
  t.ack(1000); // 7000 + 1000 crosses 7500: cwnd = ssthresh, 500 bytes carried over
  assert.deepEqual(t.w, [7500, 7500]);
  t.send(20_000);
  t.ack(6999); // 500 + 6999 < 7500
  assert.equal(t.cc.cwnd, 7500);
  t.ack(1); // 7500 bytes counted: one SMSS
  assert.equal(t.cc.cwnd, 8500);
});
}

test('congestion avoidance with a stretch ACK larger than cwnd: one SMSS per cwnd it covers (Linux tcp_cong_avoid_ai); RFC 3465 on request: one per ACK', () => {
  for (const rfc of [false, true]) {
    const t = new Sender(new NewReno(SMSS, rfc ? { abcLimitSegments: 2 } : {}));
    t.send(20_000);
    t.rto(); // ssthresh 10000, cwnd 1000
    for (let i = 0; i < 9; i++) t.ack(1000); // slow start 1000 -> 10000
    assert.deepEqual(t.w, [10_000, 10_000]);
    t.send(100_000);
    t.ack(25_000); // two and a half windows in one ACK
    if (!rfc) {
      assert.equal(t.cc.cwnd, 12_000, 'two SMSS at once, 5000 bytes carried');
      t.ack(5000);
      assert.equal(t.cc.cwnd, 12_000, '10000 < 12000 bytes counted');
      t.ack(2000);
      assert.equal(t.cc.cwnd, 13_000);
    } else {
      assert.equal(t.cc.cwnd, 11_000, 'one SMSS per ACK, 15000 bytes carried');
      t.ack(1);
      assert.equal(t.cc.cwnd, 12_000, 'the next ACK takes the next SMSS from the carried bytes');
      t.ack(1);
      assert.equal(t.cc.cwnd, 12_000, '3002 bytes left: not a window');
    }
  }
});

test('congestion avoidance: one SMSS per window of acknowledged bytes (per RTT)', () => {
  const t = new Sender();
  t.send(20_000);
  t.rto(); // ssthresh 10000, cwnd 1000
  for (let i = 0; i < 9; i++) t.ack(1000); // slow start 1000 -> 10000
  assert.deepEqual(t.w, [10_000, 10_000]);
  t.send(100_000);
  const perRtt: number[] = [];
  for (let rtt = 0; rtt < 3; rtt++) {
    const acks = t.cc.cwnd / SMSS; // one RTT: a whole window of 1-SMSS ACKs
    for (let i = 0; i < acks - 1; i++) t.ack(1000);
    perRtt.push(t.cc.cwnd); // not grown yet, one ACK short of a window
    t.ack(1000);
    perRtt.push(t.cc.cwnd);
  }
  assert.deepEqual(perRtt, [10_000, 11_000, 11_000, 12_000, 12_000, 13_000]);
  assert.equal(t.cc.ssthresh, 10_000);
});

test('fast retransmit and NewReno fast recovery: partial then full ACK (RFC 5681 §3.2, RFC 6582)', () => {
  // Ten segments in flight at 0..9999; segments 0 and 4 are lost.
  const t = new Sender();
  t.send(10_000);
  assert.equal(t.dup(), CC_NONE);
  assert.equal(t.dup(), CC_NONE);
  assert.equal(t.cc.dupAcks, 2);
  assert.deepEqual(t.w, [10_000, TCP_INFINITE_SSTHRESH]);
  assert.equal(t.dup(), CC_RETRANSMIT); // third duplicate: fast retransmit
  assert.equal(t.cc.inRecovery, true);
  assert.deepEqual(t.w, [8000, 5000]); // ssthresh = 10000/2, cwnd = ssthresh + 3 SMSS
  const inflated: number[] = [];
  for (let i = 0; i < 5; i++) {
    assert.equal(t.dup(), CC_NONE);
    inflated.push(t.cc.cwnd);
  }
  assert.deepEqual(inflated, [9000, 10_000, 11_000, 12_000, 13_000]);
  t.send(3000); // cwnd 13000 > FlightSize 10000: three new segments go out
  // The retransmission of segment 0 fills the first hole; segment 4 is still missing.
  assert.equal(t.ack(4000), CC_RETRANSMIT); // partial ACK: retransmit segment 4
  assert.equal(t.cc.cwnd, 13_000 - 4000 + 1000);
  assert.equal(t.cc.inRecovery, true);
  for (let i = 0; i < 3; i++) assert.equal(t.dup(), CC_NONE); // the new segments arrive
  assert.equal(t.cc.cwnd, 13_000);
  assert.equal(t.cc.ssthresh, 5000); // still one reduction
  assert.equal(t.ack(9000), CC_NONE); // acks through 12999 > recover (9999): full ACK
  assert.equal(t.cc.inRecovery, false);
  assert.deepEqual(t.w, [5000, 5000]);
  t.send(10_000);
  t.ack(4000);
  assert.equal(t.cc.cwnd, 5000); // congestion avoidance: 4000 < 5000 bytes counted
  t.ack(1000);
  assert.equal(t.cc.cwnd, 6000);
});

test('partial ACK: no SMSS added back when less than one SMSS is acked; acking up to recover is partial', () => {
  const t = new Sender();
  t.send(10_000);
  t.dup(); t.dup(); t.dup();
  assert.deepEqual(t.w, [8000, 5000]);
  assert.equal(t.ack(500), CC_RETRANSMIT);
  assert.equal(t.cc.cwnd, 7500);
  assert.equal(t.ack(9499), CC_RETRANSMIT); // SND.UNA = 9999 = recover: still partial
  assert.equal(t.cc.cwnd, 1000); // deflation never takes cwnd below one SMSS
  assert.equal(t.ack(1), CC_NONE); // SND.UNA = 10000 > recover: full
  assert.deepEqual(t.w, [5000, 5000]);
});

test('recover: one reduction per window, even if more losses show up inside it', () => {
  const t = new Sender();
  t.send(20_000);
  t.dup(); t.dup(); t.dup();
  assert.deepEqual(t.w, [13_000, 10_000]);
  // The sender's own loss detector cannot start a second recovery inside this one.
  assert.equal(t.cc.enterRecovery(t.s), CC_NONE);
  assert.deepEqual(t.w, [13_000, 10_000]);
  t.ack(20_000); // full ACK
  assert.deepEqual(t.w, [10_000, 10_000]);
  // A loss in the next window is a new congestion event.
  t.send(10_000);
  t.dup(); t.dup();
  assert.equal(t.dup(), CC_RETRANSMIT);
  assert.deepEqual(t.w, [8000, 5000]);
});

test('recover after a timeout: duplicate ACKs for data sent before it do not fast-retransmit (RFC 6582 §3.2 step 4)', () => {
  const t = new Sender();
  t.send(10_000);
  t.rto();
  assert.deepEqual(t.w, [1000, 5000]);
  t.ack(1000); // the retransmission is acked; the rest of the old window is in doubt
  assert.equal(t.cc.cwnd, 2000);
  for (let i = 0; i < 4; i++) assert.equal(t.dup(), CC_NONE);
  assert.equal(t.cc.inRecovery, false);
  assert.deepEqual(t.w, [2000, 5000]);
  t.ack(9000); // SND.UNA = 10000 passes recover (9999)
  assert.equal(t.cc.cwnd, 3000); // L = 1 SMSS still (slow start after the RTO, no SACK)
  t.send(5000);
  t.dup(); t.dup();
  assert.equal(t.dup(), CC_RETRANSMIT); // now fast retransmit is allowed again
  assert.deepEqual(t.w, [5500, 2500]);
});

test('RTO: ssthresh = max(FlightSize/2, 2*SMSS), cwnd = 1 SMSS; re-timeouts keep ssthresh', () => {
  const t = new Sender();
  t.send(3000);
  t.rto();
  assert.deepEqual(t.w, [1000, 2000]); // 2 SMSS floor
  t.send(100_000); // FlightSize changes, but this is the same segment timing out again
  t.rto();
  t.rto();
  assert.deepEqual(t.w, [1000, 2000]);
  t.ack(1000); // progress: the next timeout is a new loss event
  t.rto();
  assert.deepEqual(t.w, [1000, 51_000]); // (103000 - 1000) / 2
});

test('RTO during fast recovery ends it', () => {
  const t = new Sender();
  t.send(10_000);
  t.dup(); t.dup(); t.dup(); t.dup();
  assert.equal(t.cc.inRecovery, true);
  t.rto();
  assert.equal(t.cc.inRecovery, false);
  assert.deepEqual(t.w, [1000, 5000]);
  assert.equal(t.ack(1000), CC_NONE); // an ordinary ACK now, not a partial one
  assert.equal(t.cc.cwnd, 2000);
});

test('an RTO ending a fast recovery keeps its ssthresh, whatever inflation sent meanwhile (Linux tcp_enter_loss)', () => {
  const t = new Sender();
  t.send(10_000);
  t.dup(); t.dup(); t.dup();
  assert.deepEqual(t.w, [8000, 5000]);
  for (let i = 0; i < 10; i++) {
    t.dup();
    t.send(1000); // inflation lets new data out past the holes
  }
  assert.equal(t.s.sndMax - t.s.sndUna, 20_000);
  t.rto();
  // Not FlightSize / 2 = 10000: one reduction for the window, as RFC 6582's recover intends.
  assert.deepEqual(t.w, [1000, 5000]);
});

test('a new ACK resets the duplicate count', () => {
  const t = new Sender();
  t.send(10_000);
  t.dup(); t.dup();
  t.ack(1000);
  assert.equal(t.cc.dupAcks, 0);
  t.dup(); t.dup();
  assert.equal(t.cc.inRecovery, false);
  assert.equal(t.dup(), CC_RETRANSMIT);
});

test('restart after idle: cwnd = min(cwnd, IW) (RFC 5681 §4.1)', () => {
  const t = new Sender();
  t.send(20_000);
  for (let i = 0; i < 4; i++) t.ack(2000);
  assert.equal(t.cc.cwnd, 18_000);
  t.cc.onIdleRestart(t.s);
  assert.equal(t.cc.cwnd, 10_000);
  t.send(10_000);
  t.rto();
  t.cc.onIdleRestart(t.s);
  assert.equal(t.cc.cwnd, 1000);
});

test('works across the sequence-number wrap', () => {
  const t = new Sender(new NewReno(SMSS), 0xffffe000);
  t.send(10_000); // SND.MAX wraps past 2^32
  t.dup(); t.dup();
  assert.equal(t.dup(), CC_RETRANSMIT);
  assert.equal(t.ack(4000), CC_RETRANSMIT); // partial, across the wrap
  assert.equal(t.ack(6000), CC_NONE); // full
  assert.deepEqual(t.w, [5000, 5000]);
});

test('property: cwnd >= 1 SMSS; after a loss ssthresh >= 2 SMSS; full ACKs end recovery', () => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('send' as const), n: fc.integer({ min: 1, max: 20_000 }) }),
    fc.record({ k: fc.constant('ack' as const), n: fc.integer({ min: 1, max: 20_000 }) }),
    fc.record({ k: fc.constant('dup' as const), n: fc.constant(0) }),
    fc.record({ k: fc.constant('rto' as const), n: fc.constant(0) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const t = new Sender();
      let lost = false;
      for (const { k, n } of ops) {
        const flight = (t.s.sndMax - t.s.sndUna) >>> 0;
        if (k === 'send') t.send(n);
        else if (k === 'ack' && flight > 0) {
          const a = Math.min(n, flight);
          t.ack(a);
          if (a === flight) assert.equal(t.cc.inRecovery, false);
        } else if (k === 'dup' && flight > 0) t.dup();
        else if (k === 'rto' && flight > 0) {
          t.rto();
          lost = true;
        }
        if (t.cc.inRecovery) lost = true;
        assert.ok(t.cc.cwnd >= SMSS);
        if (lost) assert.ok(t.cc.ssthresh >= 2 * SMSS);
      }
    }),
  );
});

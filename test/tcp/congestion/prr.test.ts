/**
 * Proportional Rate Reduction (RFC 6937): the arithmetic against the examples of §3.1, and the
 * congestion controls' SACK recovery (cwnd = pipe + sndcnt) against a model RFC 6675 sender
 * replaying those examples.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Prr,
  PRR_BOUND_BANKED,
  PRR_BOUND_DELIVERED,
  PRR_BOUND_SSTHRESH,
  PRR_PROPORTIONAL,
} from '../../../src/tcp/congestion/prr.js';
import {
  CC_NONE,
  CC_RETRANSMIT,
  TCP_CA_DISORDER,
  TCP_CA_OPEN,
  TCP_CA_RECOVERY,
  type CcSample,
  type CongestionControl,
} from '../../../src/tcp/congestion/congestion-control.js';
import { NewReno } from '../../../src/tcp/congestion/newreno.js';
import { Cubic } from '../../../src/tcp/congestion/cubic.js';

const MSS = 1000;

test('PRR arithmetic, one loss (RFC 6937 §3.1 first example): a send on every other ACK, then ssthresh - pipe', () => {
  // cwnd = FlightSize = 20, two limited-transmit segments: RecoverFS = 22, ssthresh = 11.
  const prr = new Prr();
  prr.start(11 * MSS, 22 * MSS);
  // pipe after each ACK from the one that starts recovery (ack 3) to ack 19, and what PRR sends.
  let pipe = 18;
  const sends: number[] = [];
  const bounds: number[] = [];
  for (let ack = 3; ack <= 19; ack++) {
    const n = prr.onAck(MSS, pipe * MSS, MSS) / MSS;
    sends.push(n);
    bounds.push(prr.bound);
    prr.onTransmit(n * MSS);
    pipe += n - 1; // the sends join the pipe; the next ACK takes one out
  }
  // The "sent" row of the PRR diagram: R at 3, N at 5, 7, 9, 11, 13, 15, 18, 19.
  assert.deepEqual(sends, [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1]);
  assert.deepEqual(bounds.slice(0, 14), new Array(14).fill(PRR_PROPORTIONAL), 'pipe > ssthresh until ack 16');
  assert.deepEqual(bounds.slice(15), [PRR_BOUND_SSTHRESH, PRR_BOUND_SSTHRESH], 'RB "s" at acks 18 and 19');
  assert.equal(prr.out, 9 * MSS);
  assert.equal(prr.delivered, 17 * MSS);
});

test('PRR arithmetic, 15 losses (RFC 6937 §3.1 second example): SSRB sends 2 per ACK, CRB 1', () => {
  const ssrb = new Prr();
  const crb = new Prr(true);
  for (const p of [ssrb, crb]) p.start(11 * MSS, 22 * MSS);
  // SSRB: pipe 4, 5, 6 after acks 17, 18, 19; 2R each ("bd", "d", "d").
  const ssrbRows: Array<[number, number]> = [];
  let pipe = 4;
  for (let i = 0; i < 3; i++) {
    const n = ssrb.onAck(MSS, pipe * MSS, MSS) / MSS;
    ssrbRows.push([n, ssrb.bound]);
    ssrb.onTransmit(n * MSS);
    pipe += n - 1;
  }
  assert.deepEqual(ssrbRows, [
    [2, PRR_BOUND_BANKED],
    [2, PRR_BOUND_DELIVERED],
    [2, PRR_BOUND_DELIVERED],
  ]);
  // CRB: pipe stays 4; 1R each ("b").
  pipe = 4;
  const crbRows: number[] = [];
  for (let i = 0; i < 3; i++) {
    const n = crb.onAck(MSS, pipe * MSS, MSS) / MSS;
    crbRows.push(n);
    assert.equal(crb.bound, PRR_BOUND_BANKED);
    crb.onTransmit(n * MSS);
    pipe += n - 1;
  }
  assert.deepEqual(crbRows, [1, 1, 1]);
});

test('PRR properties: never negative; the proportional part sends ceil(delivered * ssthresh / RecoverFS) in all (whole segments); CRB never sends more than was delivered', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 4, max: 200 }),
      // Whole segments delivered (the proportional part rounds up to whole segments).
      fc.array(fc.record({ delivered: fc.integer({ min: 0, max: 4 }).map((n) => n * MSS), pipeDelta: fc.integer({ min: -3 * MSS, max: 3 * MSS }) }), { maxLength: 60 }),
      fc.boolean(),
      (flightSegs, acks, conservative) => {
        const recoverFs = flightSegs * MSS;
        const ssthresh = Math.max(Math.floor(recoverFs / 2), 2 * MSS);
        const prr = new Prr(conservative);
        prr.start(ssthresh, recoverFs);
        let pipe = recoverFs;
        for (const a of acks) {
          pipe = Math.max(0, pipe + a.pipeDelta - a.delivered);
          const n = prr.onAck(a.delivered, pipe, MSS);
          assert.ok(n >= 0);
          if (pipe > ssthresh) assert.equal(prr.out + n, Math.max(prr.out, Math.ceil((prr.delivered * ssthresh) / (recoverFs * MSS)) * MSS));
          prr.onTransmit(n);
          pipe += n;
          if (conservative) assert.ok(prr.out <= prr.delivered, `CRB: out ${prr.out} <= delivered ${prr.delivered}`);
        }
      },
    ),
    { numRuns: 300 },
  );
});

/**
 * A model RFC 6675 sender with a per-segment scoreboard, limited transmit (RFC 3042) and
 * DupThresh = 3, driving a congestion control in SACK mode exactly as the contract says
 * (onDupAck, then enterRecovery with the same sample; onTransmit for every segment).
 */
class SackSender {
  readonly s: CcSample = { nowMs: 0, sndUna: 0, sndMax: 0, flightSize: 0, ackedBytes: 0, rttMs: undefined, sackedBytes: 0, pipe: 0, sackOk: true };
  /** Per segment (index = segment number from 0): 0 in flight, 1 SACKed, 2 lost, 3 lost and retransmitted. */
  readonly state: number[] = [];
  una = 0;
  /** What each ACK made the sender send: 'N' new, 'R' retransmission. */
  lastSent = '';
  constructor(readonly cc: CongestionControl) {}

  get next(): number {
    return this.state.length;
  }
  pipe(): number {
    let p = 0;
    for (let i = this.una; i < this.state.length; i++) {
      const st = this.state[i]!;
      if (st === 0) p++;
      else if (st === 3) p++;
    }
    return p * MSS;
  }
  sample(acked: number, sacked: number): CcSample {
    const s = this.s;
    s.sndUna = this.una * MSS;
    s.sndMax = this.state.length * MSS;
    s.flightSize = s.sndMax - s.sndUna;
    s.pipe = this.pipe();
    s.ackedBytes = acked;
    s.sackedBytes = sacked;
    return s;
  }
  sendNew(n: number): void {
    for (let i = 0; i < n; i++) {
      this.state.push(0);
      this.cc.onTransmit(MSS, 0);
      this.lastSent += 'N';
    }
  }
  /** RFC 6675 IsLost (segment form): DupThresh SACKed segments above. */
  markLost(): void {
    let above = 0;
    for (let i = this.state.length - 1; i >= this.una; i--) {
      if (this.state[i] === 1) above++;
      else if (this.state[i] === 0 && above >= 3) this.state[i] = 2;
    }
  }
  /** Retransmit lost segments first, then new data, while pipe + SMSS <= cwnd (NextSeg rules 1, 2). */
  output(): void {
    for (;;) {
      if (this.pipe() + MSS > this.cc.cwnd) return;
      const lost = this.state.indexOf(2, this.una);
      if (lost >= 0) {
        this.state[lost] = 3;
        this.cc.onTransmit(MSS, 0);
        this.lastSent += 'R';
      } else this.sendNew(1);
    }
  }
  /** The receiver SACKs segment k (the segment at SND.UNA is missing). */
  sack(k: number): string {
    this.lastSent = '';
    this.state[k] = 1;
    const s = this.sample(0, MSS);
    const wasRecovering = this.cc.inRecovery;
    this.cc.onDupAck(s);
    if (!wasRecovering) {
      this.markLost();
      if (this.state.includes(2, this.una)) {
        const a = this.cc.enterRecovery(this.sample(0, MSS));
        assert.equal(a, CC_RETRANSMIT, 'entering recovery asks for the first retransmission');
        const first = this.state.indexOf(2, this.una);
        this.state[first] = 3;
        this.cc.onTransmit(MSS, 0);
        this.lastSent += 'R';
      } else if (this.cc.dupAcks <= 2) {
        this.sendNew(1); // limited transmit (RFC 3042)
        return this.lastSent;
      }
    }
    this.output();
    return this.lastSent;
  }
  /** A cumulative ACK up to segment `upTo` (exclusive). */
  ackTo(upTo: number): string {
    this.lastSent = '';
    let sackedBefore = 0;
    for (let i = this.una; i < upTo; i++) if (this.state[i] === 1) sackedBefore++;
    const acked = (upTo - this.una) * MSS;
    this.una = upTo;
    // DeliveredData = change in SND.UNA + change in SACKed bytes (negative: SACKed data now below SND.UNA).
    this.cc.onAck(this.sample(acked, -sackedBefore * MSS));
    this.output();
    return this.lastSent;
  }
}

function sackRecovery(cc: CongestionControl, lost: number): { sent: string[]; pipes: number[]; sender: SackSender } {
  const snd = new SackSender(cc);
  snd.sendNew(20);
  const sent: string[] = [];
  const pipes: number[] = [];
  for (let k = lost; k < 20; k++) {
    sent.push(snd.sack(k));
    pipes.push(snd.pipe() / MSS);
  }
  return { sent, pipes, sender: snd };
}

test('NewReno with SACK: PRR paces the first example (RFC 6937 §3.1): N N R, then N on every other ACK', () => {
  const cc = new NewReno(MSS, { initialWindow: 20 * MSS });
  const { sent, sender } = sackRecovery(cc, 1);
  assert.deepEqual(sent, ['N', 'N', 'R', '', 'N', '', 'N', '', 'N', '', 'N', '', 'N', '', 'N', '', '', 'N', 'N']);
  assert.equal(cc.ssthresh, 11 * MSS, 'RFC 5681 eq. 4: FlightSize 22 / 2');
  assert.equal(cc.caState, TCP_CA_RECOVERY);
  assert.equal(cc.cwnd, sender.pipe(), 'cwnd = pipe + sndcnt, and the sender sent sndcnt');
  assert.equal(sender.pipe(), 11 * MSS, 'pipe is ssthresh at the end of the round trip');
  // The retransmission arrives: the cumulative ACK covers everything sent before recovery
  // began: recovery ends with cwnd = ssthresh.
  sender.ackTo(22);
  assert.equal(cc.inRecovery, false);
  assert.equal(cc.cwnd, 11 * MSS);
  assert.equal(cc.caState, TCP_CA_OPEN);
});

test('NewReno with SACK: 15 losses, PRR-SSRB sends 2 retransmissions per ACK (RFC 6937 §3.1)', () => {
  const cc = new NewReno(MSS, { initialWindow: 20 * MSS });
  const { sent, pipes } = sackRecovery(cc, 15);
  assert.deepEqual(sent, ['N', 'N', 'RR', 'RR', 'RR']);
  assert.deepEqual(pipes.slice(2), [6, 7, 8], 'pipe after the sends: 4, 5, 6 before them');
});

test('CUBIC with SACK: the same recovery towards ssthresh = 0.7 * cwnd', () => {
  const cc = new Cubic(MSS, { initialWindow: 20 * MSS });
  const { sender } = sackRecovery(cc, 1);
  assert.equal(cc.ssthresh, 14 * MSS, 'RFC 9438 §4.6: 20 * 0.7');
  // One loss: by the end of the round trip pipe has come down to exactly ssthresh (RFC 6937 §4).
  assert.equal(sender.pipe(), 14 * MSS);
  assert.equal(cc.cwnd, 14 * MSS);
  sender.ackTo(22);
  assert.equal(cc.cwnd, 14 * MSS);
  assert.equal(cc.inRecovery, false);
});

test('with SACK, duplicate ACKs alone never start recovery; without SACK the third does (RFC 5681)', () => {
  for (const make of [() => new NewReno(MSS), () => new Cubic(MSS)]) {
    const cc = make();
    const s: CcSample = { nowMs: 0, sndUna: 0, sndMax: 10 * MSS, flightSize: 10 * MSS, ackedBytes: 0, rttMs: undefined, sackedBytes: MSS, pipe: 9 * MSS, sackOk: true };
    for (let i = 0; i < 5; i++) assert.equal(cc.onDupAck(s), CC_NONE);
    assert.equal(cc.inRecovery, false);
    assert.equal(cc.caState, TCP_CA_DISORDER);
    const plain = make();
    s.sackOk = false;
    s.sackedBytes = 0;
    plain.onDupAck(s);
    plain.onDupAck(s);
    assert.equal(plain.onDupAck(s), CC_RETRANSMIT);
    assert.equal(plain.inRecovery, true);
  }
});

test('onTransmit counts prr_out only during SACK recovery; a timeout ends PRR', () => {
  const cc = new NewReno(MSS, { initialWindow: 20 * MSS });
  const prr = (): { out: number } | null => cc.prrState;
  cc.onTransmit(MSS, 0);
  assert.equal(prr(), null);
  const snd = new SackSender(cc);
  snd.sendNew(20);
  for (let k = 1; k <= 3; k++) snd.sack(k);
  const out = prr()!.out;
  assert.ok(out > 0, 'the fast retransmission counted');
  cc.onTransmit(500, 0);
  assert.equal(prr()!.out, out + 500);
  cc.onRetransmitTimeout(snd.sample(0, 0));
  assert.equal(prr(), null);
  assert.equal(cc.cwnd, MSS);
});

/**
 * A rate-limited sender (the application, or the peer's window, gives it less than cwnd) does
 * not grow cwnd: draft-ietf-ccwg-ratelimited-increase, RFC 9438 §5.8, Linux's
 * tcp_is_cwnd_limited. cwnd grows only while it is below twice the largest FlightSize of the
 * last round trip (LossBasedControl.cwndUsed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TCP_INFINITE_SSTHRESH, type CongestionControl } from '../../../src/tcp/congestion/congestion-control.js';
import { Cubic } from '../../../src/tcp/congestion/cubic.js';
import { switchCongestionControl } from '../../../src/tcp/congestion/registry.js';
import { NewReno } from '../../../src/tcp/congestion/newreno.js';
import { TcpState } from '../../../src/tcp/state.js';
import { CcDriver } from './driver.js';
import { connectPair, readN, tcpPair } from '../helpers.js';

const SMSS = 1000;

const algorithms: Array<[string, () => CongestionControl]> = [
  ['reno', () => new NewReno(SMSS)],
  ['cubic', () => new Cubic(SMSS)],
];

/** One round trip in which the application hands over `segs` segments, all acknowledged at `rttMs`. */
function appRound(d: CcDriver, segs: number, rttMs = 10): void {
  d.appSegments = segs;
  d.fill();
  d.advance(rttMs);
  d.ack(d.sentAt.length);
}

for (const [name, make] of algorithms) {
  test(`${name}: slow start does not grow cwnd while the application sends one segment per round trip`, () => {
    const d = new CcDriver(make(), SMSS);
    for (let i = 0; i < 500; i++) appRound(d, 1);
    assert.equal(d.w, 10, 'cwnd stays at the initial window');
    // The application now has data to send: the same connection grows as any bulk sender.
    d.appSegments = Infinity;
    const w = d.round(10);
    assert.ok(w > 10, `cwnd grows once used (got ${w} segments)`);
  });

  test(`${name}: the boundary is half of cwnd in flight (cwnd < 2 * maxFS)`, () => {
    const half = new CcDriver(make(), SMSS);
    appRound(half, 5); // 5 of 10 segments: cwnd == 2 * FlightSize, not below it
    assert.equal(half.w, 10);
    const more = new CcDriver(make(), SMSS);
    appRound(more, 6); // one ACK for six segments: slow start counts every byte
    assert.equal(more.w, 16);
  });

  test(`${name}: the largest flight of the round counts for every ACK of that round`, () => {
    const d = new CcDriver(make(), SMSS);
    d.appSegments = 10;
    d.fill();
    d.advance(10);
    // One ACK per segment: the flight falls from 10 to 1 as they come, and the window keeps
    // growing for all ten, as the sender did use it at the start of the round.
    for (let i = 0; i < 10; i++) d.ack(1);
    assert.equal(d.w, 20);
    // The next round carries one segment: the round above no longer counts once it is acknowledged.
    appRound(d, 1);
    appRound(d, 1);
    assert.equal(d.w, 20);
  });
}

for (const start of [1000, 0xffff_f000]) test(`reno: congestion avoidance does not grow cwnd while rate-limited either (sequence numbers from ${start})`, () => {
  const cc = new NewReno(SMSS);
  const d = new CcDriver(cc, SMSS, start);
  // Leave slow start: a timeout sets ssthresh, then slow start to it.
  d.appSegments = Infinity;
  d.round(10);
  cc.onRetransmitTimeout(d.sample(0));
  d.sentAt.length = 0;
  d.s.sndUna = d.s.sndMax;
  for (let i = 0; i < 10; i++) d.round(10);
  assert.ok(cc.cwnd >= cc.ssthresh, 'in congestion avoidance');
  // The application runs dry: what is in flight is acknowledged (a window it used: it counts).
  d.appSegments = 0;
  d.advance(10);
  d.ack(d.sentAt.length);
  const w = d.w;
  for (let i = 0; i < 200; i++) appRound(d, 1);
  assert.equal(d.w, w, 'no growth from 200 round trips of one segment');
});

test('a request/response connection keeps its initial window; a bulk transfer after it grows it', async () => {
  const { net, a, b } = tcpPair(3, { latency: 1 });
  await net.run(async () => {
    const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7000);
    const cli = a.tcp.endpoints().find((e) => e.state === TcpState.ESTABLISHED)!;
    const req = new Uint8Array(64).fill(1);
    for (let i = 0; i < 300; i++) {
      await a.sockets.send(c, req);
      await readN(b.sockets, s, req.length);
      await b.sockets.send(s, req);
      await readN(a.sockets, c, req.length);
    }
    const iw = 10 * cli.sndMss;
    assert.equal(cli.cc!.cwnd, iw, '300 exchanges of 64 bytes leave cwnd at IW10');
    const bulk = new Uint8Array(1 << 20);
    const reading = readN(b.sockets, s, bulk.length);
    await a.sockets.send(c, bulk);
    await reading;
    assert.ok(cli.cc!.cwnd > 4 * iw, `cwnd grew with the bulk transfer (${cli.cc!.cwnd} bytes)`);
    await a.sockets.close(c);
    await b.sockets.close(s);
  });
});

test('cubic: HyStart++ still ends slow start after 2^31 bytes of rate-limited round trips (no stale round)', () => {
  const smss = 60_000;
  const cc = new Cubic(smss);
  const d = new CcDriver(cc, smss);
  appRound(d, 10); // a used round: HyStart++ starts counting rounds
  // Past 2^31 bytes of one-segment round trips: no growth, and HyStart++'s round is given up.
  for (let i = 0; i < Math.ceil(2 ** 31 / smss) + 10; i++) appRound(d, 1);
  assert.equal(d.w, 20);
  // Now a bulk transfer whose RTT rises round after round (a queue filling): HyStart++ leaves
  // slow start (CSS, then congestion avoidance with ssthresh = cwnd) instead of growing on.
  d.appSegments = Infinity;
  for (let r = 0; r < 12 && cc.ssthresh === TCP_INFINITE_SSTHRESH; r++) d.round(20 + r * 5);
  assert.notEqual(cc.ssthresh, TCP_INFINITE_SSTHRESH, `slow start ended (cwnd ${d.w} segments)`);
});

test('switching the algorithm mid-round (TCP_CONGESTION) keeps what the round has used', () => {
  const d = new CcDriver(new NewReno(SMSS), SMSS);
  d.appSegments = 10;
  d.fill();
  d.advance(10);
  d.ack(5); // cwnd 15
  (d as { cc: CongestionControl }).cc = switchCongestionControl(d.cc, 'cubic')!;
  assert.equal(d.cc.name, 'cubic');
  // The rest of the round: the flight is down to 5, but the round had 10 out.
  for (let i = 0; i < 5; i++) d.ack(1);
  assert.equal(d.w, 20);
});

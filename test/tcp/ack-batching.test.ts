/**
 * ACK batching (TcpConfig.ackBatchBytes; input.ts ackFullSegments): in-order segments that
 * arrive together, in one arrival batch, are acknowledged once at the end of the batch, at the
 * same virtual instant, and at least every ackBatchBytes; segments arriving one at a time are
 * still acknowledged every second one; out-of-order data, a filled hole and a FIN are
 * acknowledged at once as before; with the knob at 0, every second segment as it arrives.
 *
 * A burst is the scripted peer injecting segments in one synchronous loop: nothing else runs
 * in between, as when a link delivers a window's frames in one pass. peer.log.length read
 * right after an injection tells whether the host answered at once (it transmits
 * synchronously to the peer) or later.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, IPPROTO_TCP, SHUT_WR, SOCK_STREAM } from '../../src/socket/constants.js';
import { Network } from '../../src/sim/network.js';
import type { Host } from '../../src/sim/host.js';
import { ACK, FIN, expectSeg, scenario, seqAdd, type Conn, type ScriptedPeer, type Seg } from './harness.js';

const MSS = 1000;
const SEG = new Uint8Array(MSS);

/**
 * The peer sends `n` full segments in order, back to back in one batch, the last with `lastFlags`
 * (FIN). Returns how many segments the host had sent after each one.
 */
function burst(peer: ScriptedPeer, c: Conn, n: number, lastFlags = 0): number[] {
  const base = peer.log.length;
  const after: number[] = [];
  for (let i = 0; i < n; i++) {
    peer.sendData(c, SEG, i === n - 1 ? lastFlags : 0);
    after.push(peer.log.length - base);
  }
  return after;
}

/** A segment at `off` bytes past the connection's RCV.NXT, out of order or not (c.rcvNxt stays). */
function sendAt(peer: ScriptedPeer, c: Conn, off: number): void {
  peer.send({ srcPort: c.peerPort, dstPort: c.hostPort, seq: seqAdd(c.rcvNxt, off), ack: c.sndNxt, flags: ACK, payload: SEG });
}

/** The host's ACKs within `ms`, each checked to be a pure ACK. */
async function acks(peer: ScriptedPeer, c: Conn, ms: number): Promise<Seg[]> {
  const out = await peer.collect(ms);
  for (const s of out) expectSeg(s, { flags: ACK, seq: c.sndNxt }, 'pure ACK');
  return out;
}

test('a burst of in-order segments delivered together gets one ACK, at the end of the batch and at the same instant', async () => {
  await scenario(async ({ net, peer }) => {
    const c = await peer.handshakePassive();
    const t0 = net.now();
    const after = burst(peer, c, 40);
    assert.deepEqual(after, new Array(40).fill(0), 'no ACK while the batch arrives');
    const got = await acks(peer, c, 500);
    assert.equal(got.length, 1, 'one ACK for 40 segments');
    assert.equal(got[0]!.ack, c.rcvNxt, 'it acknowledges the whole batch');
    assert.equal(got[0]!.at, t0, 'it leaves at the instant the batch arrived');
  });
});

test('the stretch is bounded: an ACK at once every ackBatchBytes, the rest at the end of the batch (ceil(N * MSS / limit) ACKs)', async () => {
  await scenario(async ({ host, net, peer }) => {
    host.tcp.config.ackBatchBytes = 16_000;
    const c = await peer.handshakePassive();
    const t0 = net.now();
    const start = c.rcvNxt;
    const after = burst(peer, c, 40);
    // 16 segments make 16,000 bytes unacknowledged: that ACK goes at once, within the batch.
    assert.equal(after[14], 0);
    assert.equal(after[15], 1);
    assert.equal(after[30], 1);
    assert.equal(after[31], 2);
    assert.equal(after[39], 2);
    const got = await acks(peer, c, 500);
    assert.equal(got.length, Math.ceil((40 * MSS) / 16_000));
    assert.deepEqual(got.map((s) => (s.ack - start) >>> 0), [16_000, 32_000, 40_000]);
    assert.ok(got.every((s) => s.at === t0), 'all at the same instant');
  });
});

test('out-of-order segments and the segment that fills the hole are acknowledged at once within a batch (RFC 5681 §4.2)', async () => {
  await scenario(async ({ peer }) => {
    const c = await peer.handshakePassive();
    const start = c.rcvNxt;
    const base = peer.log.length;
    const after: number[] = [];
    const note = (): void => void after.push(peer.log.length - base);
    sendAt(peer, c, 0);
    note();
    sendAt(peer, c, MSS); // two in order: an ACK is owed, for the end of the batch
    note();
    sendAt(peer, c, 3 * MSS); // out of order: a duplicate ACK at once
    note();
    sendAt(peer, c, 4 * MSS);
    note();
    sendAt(peer, c, 2 * MSS); // fills the hole: an ACK at once for everything
    note();
    c.rcvNxt = seqAdd(c.rcvNxt, 5 * MSS);
    sendAt(peer, c, 0);
    note();
    sendAt(peer, c, MSS); // two more in order: owed again, for the end of the batch
    note();
    assert.deepEqual(after, [0, 0, 1, 2, 3, 3, 3]);
    const rel = (s: Seg): number => (s.ack - start) >>> 0;
    assert.deepEqual(peer.log.slice(-3).map(rel), [2 * MSS, 2 * MSS, 5 * MSS]);
    const got = await acks(peer, c, 500);
    assert.deepEqual(got.slice(3).map(rel), [7 * MSS], 'the end of the batch: one more ACK');
    assert.equal(got.length, 4);
  });
});

test('a FIN at the end of a batch is acknowledged at once, and that ACK covers the batch', async () => {
  await scenario(async ({ peer }) => {
    const c = await peer.handshakePassive();
    const after = burst(peer, c, 5, FIN);
    assert.deepEqual(after, [0, 0, 0, 0, 1]);
    const got = await acks(peer, c, 500);
    assert.equal(got.length, 1, 'no second ACK at the end of the batch');
    assert.equal(got[0]!.ack, c.rcvNxt, 'the FIN acknowledged');
  });
});

test('segments arriving one at a time are still acknowledged every second one; a lone segment waits for the delayed-ACK timer', async () => {
  await scenario(async ({ host, net, peer }) => {
    const c = await peer.handshakePassive();
    const start = c.rcvNxt;
    const t0 = net.now();
    for (let i = 0; i < 4; i++) {
      peer.sendData(c, SEG);
      await net.sleep(1);
    }
    // The application moving between arrivals (an await) separates batches too, as packetdrill
    // injects its packets one at a time.
    peer.sendData(c, SEG);
    await null;
    peer.sendData(c, SEG);
    await null;
    peer.sendData(c, SEG); // a lone seventh segment: the delayed ACK
    const got = await acks(peer, c, 500);
    assert.deepEqual(got.map((s) => [(s.ack - start) >>> 0, s.at - t0]), [[2 * MSS, 1], [4 * MSS, 3], [6 * MSS, 4], [7 * MSS, 4 + host.tcp.config.delayedAckMs]]);
  });
});

test('with ackBatchBytes = 0 every second segment of a batch is acknowledged as it arrives', async () => {
  await scenario(async ({ host, peer }) => {
    host.tcp.config.ackBatchBytes = 0;
    const c = await peer.handshakePassive();
    const after = burst(peer, c, 10);
    assert.deepEqual(after, [0, 1, 1, 2, 2, 3, 3, 4, 4, 5]);
    assert.equal((await acks(peer, c, 500)).length, 5);
  });
});

/** Two hosts, `latency` ms each way: `bytes` from a to b. Returns b's ACK count and the transfer's virtual time. */
async function transfer(bytes: number, latency: number, config: Partial<Host['tcp']['config']> = {}): Promise<{ ms: number; acks: number; segments: number }> {
  const net = new Network({ seed: 1, link: { latency } });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  Object.assign(a.tcp.config, config);
  Object.assign(b.tcp.config, config);
  let ms = 0;
  let acks = 0;
  await net.run(async () => {
    const s = b.sockets;
    const c = a.sockets;
    const lfd = s.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    s.bind(lfd, { address: '0.0.0.0', port: 7 });
    s.listen(lfd, 1);
    const accepting = s.accept(lfd);
    const fd = c.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    await c.connect(fd, { address: '10.0.0.2', port: 7 });
    const [conn] = await accepting;
    const t0 = net.now();
    const acks0 = b.counters.tcp.outSegs;
    const reader = (async () => {
      const buf = new Uint8Array(65_536);
      let got = 0;
      for (;;) {
        const d = await s.recv(conn, buf);
        if (d.length === 0) break;
        got += d.length;
      }
      ms = net.now() - t0;
      acks = b.counters.tcp.outSegs - acks0;
      return got;
    })();
    const chunk = new Uint8Array(65_536);
    for (let sent = 0; sent < bytes; sent += chunk.length) await c.send(fd, chunk);
    c.shutdown(fd, SHUT_WR);
    assert.equal(await reader, bytes);
  });
  return { ms, acks, segments: b.counters.tcp.inSegs };
}

test('end to end: 16 MiB over a 10 ms link takes as long as with an ACK per two segments (slow start credits stretch ACKs), with a twentieth of the ACKs', async () => {
  const batched = await transfer(16 << 20, 10);
  const perTwo = await transfer(16 << 20, 10, { ackBatchBytes: 0 });
  // 230 ms before ACK batching (an ACK per two segments, RFC 3465 slow start), 11.5 round trips.
  assert.ok(batched.ms <= 230 * 1.1, `${batched.ms} ms`);
  assert.ok(perTwo.ms <= 230 * 1.1, `${perTwo.ms} ms`);
  assert.ok(perTwo.acks >= perTwo.segments / 2 - 50, `per two segments: ${perTwo.acks} ACKs for ${perTwo.segments} segments`);
  assert.ok(batched.acks * 20 <= perTwo.acks, `batched: ${batched.acks} ACKs, per two: ${perTwo.acks}`);
  // RFC 3465's L = 2 on stretch ACKs makes slow start linear: several times longer.
  const capped = await transfer(16 << 20, 10, { abcLimitSegments: 2, congestionControl: 'reno' });
  assert.ok(capped.ms >= 3 * batched.ms, `${capped.ms} ms with L = 2`);
});

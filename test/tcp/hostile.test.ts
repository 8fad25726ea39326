/**
 * Hostile segments against an ESTABLISHED connection (RFC 9293 §3.10.7, RFC 5961), plus
 * segments to closed ports and to a listener. After every hostile segment the connection must
 * be undisturbed: data flows both ways byte-exact (peer.assertAlive).
 *
 * Hostile segments that Linux answers with a challenge / duplicate ACK are spaced 600 ms apart:
 * Linux rate-limits those per socket (tcp_invalid_ratelimit, 500 ms), and sockstack may too.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import {
  ACK, FIN, PSH, RST, SYN, URG,
  scenario, setup, seqAdd, expectSeg, stateOf, rejectsWith, enc,
  type Conn, type ScriptedPeer,
} from './harness.js';
import type { Host } from '../../src/sim/host.js';

type TcpCounters = Host['counters']['tcp'];

function snapshot(host: Host): TcpCounters {
  return { ...host.counters.tcp };
}

/** Counter increments since `before`, only the ones that moved. */
function moved(host: Host, before: TcpCounters): Record<string, number> {
  const out: Record<string, number> = {};
  const now = host.counters.tcp as Record<string, number>;
  for (const [k, v] of Object.entries(before)) if (now[k] !== v) out[k] = now[k]! - v;
  return out;
}

/** An established connection (passive open) that has already carried data both ways. */
async function established(host: Host, peer: ScriptedPeer, irs = 0x30000000): Promise<Conn> {
  const c = await peer.handshakePassive({ irs });
  await peer.assertAlive(c, 'baseline');
  assert.equal(stateOf(host, c.hostPort, c.peerPort), 'ESTABLISHED');
  return c;
}

/** Nothing may be queued for reading. */
async function nothingToRead(host: Host, c: Conn, what: string): Promise<void> {
  await rejectsWith(host.sockets.recv(c.fd, 100, C.MSG_DONTWAIT), 'EAGAIN', `${what}: recv(MSG_DONTWAIT)`);
}

/** The ACK RFC 9293 §3.10.7.4 sends for an unacceptable segment: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
async function expectAckBack(peer: ScriptedPeer, c: Conn, what: string): Promise<void> {
  expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, what);
  await peer.expectNone(700, `${what}: exactly one reply`);
}

/** The advertised receive window sockstack last sent. */
function lastWindow(peer: ScriptedPeer): number {
  return peer.log[peer.log.length - 1]!.window;
}

describe('sanity of the scripted peer', () => {
  test('the peer flags a segment with a bad TCP checksum as a problem', () => {
    const { peer } = setup();
    const f = peer.frame({ srcPort: 1, dstPort: 2, seq: 3, flags: ACK, badChecksum: true });
    // Turn the peer's own frame around, as if the host had sent it.
    const swapped = f.slice();
    swapped.set(f.subarray(0, 6), 6);
    swapped.set(f.subarray(6, 12), 0);
    swapped.set(f.subarray(26, 30), 30);
    swapped.set(f.subarray(30, 34), 26);
    peer.transmit(swapped);
    assert.equal(peer.problems.length, 1);
    assert.match(peer.problems[0]!, /checksum/);
    assert.equal(peer.queue.length, 0);
  });

  test('data flows both ways across the 2^32 sequence wrap', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakePassive({ irs: 0xfffffff8 });
      for (let i = 0; i < 3; i++) await peer.assertAlive(c, `wrap ${i}`);
      assert.ok(c.rcvNxt < 0x1000, 'the peer sequence space wrapped');
      assert.equal(stateOf(host, 7, 40000), 'ESTABLISHED');
    }));
});

describe('malformed segments are dropped and counted, never answered', () => {
  test('bad TCP checksum: dropped, InCsumErrors and InErrs counted, no reply', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      const before = snapshot(host);
      peer.send({ seq: c.rcvNxt, ack: c.sndNxt, flags: ACK | PSH, payload: enc('EVIL'), badChecksum: true });
      await peer.expectNone(1000, 'a corrupt segment is not answered');
      await nothingToRead(host, c, 'bad checksum');
      assert.deepEqual(
        { inCsumErrors: moved(host, before).inCsumErrors, inErrs: moved(host, before).inErrs },
        { inCsumErrors: 1, inErrs: 1 },
      );
      await peer.assertAlive(c, 'after bad checksum');
    }));

  test('data offset below 5 words: dropped, InErrs counted, no reply', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      const before = snapshot(host);
      peer.send({ seq: c.rcvNxt, ack: c.sndNxt, flags: ACK | PSH, payload: enc('EVIL'), dataOffset: 4 });
      await peer.expectNone(1000);
      await nothingToRead(host, c, 'data offset 4');
      assert.equal(moved(host, before).inErrs, 1);
      await peer.assertAlive(c, 'after data offset 4');
    }));

  test('data offset past the end of the segment: dropped, no reply', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      // 20-byte header + 4 bytes of payload, but the header claims 60 bytes.
      peer.send({ seq: c.rcvNxt, ack: c.sndNxt, flags: ACK | PSH, payload: enc('EVIL'), dataOffset: 15 });
      // 20-byte header + 24 bytes, header claims 44 (options of junk that end past the data).
      peer.send({ seq: c.rcvNxt, ack: c.sndNxt, flags: ACK | PSH, payload: new Uint8Array(8), dataOffset: 11 });
      await peer.expectNone(1000);
      await nothingToRead(host, c, 'data offset past the end');
      await peer.assertAlive(c, 'after data offset 15');
    }));

  test('a TCP header cut short by the IP length: dropped, no reply', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      const f = peer.frame({ seq: c.rcvNxt, ack: c.sndNxt, flags: ACK | PSH, payload: enc('EVIL') });
      // IP total length 30: only 10 bytes of TCP header remain.
      const cut = f.slice(0, 14 + 30);
      cut[16] = 0;
      cut[17] = 30;
      cut[24] = 0;
      cut[25] = 0;
      let sum = 0;
      for (let i = 14; i < 34; i += 2) sum += (cut[i]! << 8) | cut[i + 1]!;
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      const ck = ~sum & 0xffff;
      cut[24] = ck >>> 8;
      cut[25] = ck & 0xff;
      peer.sendFrame(cut);
      await peer.expectNone(1000);
      await nothingToRead(host, c, 'truncated header');
      await peer.assertAlive(c, 'after a truncated header');
    }));

  test('Ethernet padding after a short segment is not data (the IP total length rules)', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      const f = peer.frame({ seq: c.rcvNxt, ack: c.sndNxt, flags: ACK | PSH, payload: enc('ab') });
      const padded = new Uint8Array(60).fill(0xee);
      padded.set(f);
      peer.sendFrame(padded);
      assert.deepEqual(await host.sockets.read(c.fd, 100), enc('ab'));
      c.rcvNxt = seqAdd(c.rcvNxt, 2);
      expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt });
      await peer.assertAlive(c, 'after padding');
    }));

  for (const [name, raw] of [
    ['an option of length 0', [2, 0, 1, 1]],
    ['an option of length 1', [8, 1, 1, 1]],
    ['an option running past the header', [1, 1, 2, 8]],
    ['an option kind with no length byte', [1, 1, 1, 3]],
    ['an MSS of the wrong length', [2, 3, 5, 1]],
  ] as Array<[string, number[]]>) {
    test(`${name} (RFC 9293 §3.2 MUST-7): no reply, no reset`, () =>
      scenario(async ({ host, peer }) => {
        // RFC 9293 lets the receiver reset, Linux ignores the rest of the options and keeps the
        // segment; sockstack's parser drops the segment. A pure ACK (a duplicate) carries no
        // data, so all three keep the stream intact; a reset would not.
        const c = await established(host, peer);
        peer.send({ seq: c.rcvNxt, ack: c.sndNxt, flags: ACK, rawOptions: Uint8Array.from(raw) });
        await peer.expectNone(1000);
        assert.equal(stateOf(host, c.hostPort, c.peerPort), 'ESTABLISHED');
        await peer.assertAlive(c, `after ${name}`);
      }));
  }
});

describe('RFC 5961: blind reset and SYN attacks draw challenge ACKs', () => {
  test('RST in the window but not at RCV.NXT: challenge ACK (§3.2), counted, connection survives', () =>
    scenario(async ({ net, host, peer }) => {
      const c = await established(host, peer);
      const wnd = lastWindow(peer);
      assert.ok(wnd > 1000, `a usable window (${wnd})`);
      for (const off of [1, 1000, wnd - 1]) {
        const before = snapshot(host);
        peer.send({ seq: seqAdd(c.rcvNxt, off), flags: RST });
        await expectAckBack(peer, c, `challenge ACK for RST at RCV.NXT+${off}`);
        assert.equal(moved(host, before).extTCPChallengeACK, 1);
        assert.equal(stateOf(host, c.hostPort, c.peerPort), 'ESTABLISHED');
        await net.sleep(600);
      }
      await peer.assertAlive(c, 'after in-window RSTs');
    }));

  test('challenge ACKs are limited per host per second (RFC 5961 §7, config.challengeAckLimit)', () =>
    scenario(async ({ net, host, peer }) => {
      host.tcp.config.challengeAckLimit = 2;
      const a = await peer.handshakeActive({ peerPort: 80 });
      const b = await peer.handshakeActive({ peerPort: 81, irs: 4_000_000 });
      const before = snapshot(host);
      // Three in-window RSTs at one instant, over two connections: two challenge ACKs at most.
      peer.send({ srcPort: 80, dstPort: a.hostPort, seq: seqAdd(a.rcvNxt, 1), flags: RST });
      peer.send({ srcPort: 81, dstPort: b.hostPort, seq: seqAdd(b.rcvNxt, 1), flags: RST });
      peer.send({ srcPort: 80, dstPort: a.hostPort, seq: seqAdd(a.rcvNxt, 2), flags: RST });
      const got = await peer.collect(900);
      assert.equal(got.length, 2, `two challenge ACKs, got ${got.length}`);
      expectSeg(got[0]!, { flags: ACK, seq: a.sndNxt, ack: a.rcvNxt, dstPort: 80 });
      expectSeg(got[1]!, { flags: ACK, seq: b.sndNxt, ack: b.rcvNxt, dstPort: 81 });
      assert.equal(moved(host, before).extTCPChallengeACK, 2);
      await net.sleep(1000);
      peer.send({ srcPort: 80, dstPort: a.hostPort, seq: seqAdd(a.rcvNxt, 3), flags: RST });
      expectSeg(await peer.next(500), { flags: ACK, seq: a.sndNxt, ack: a.rcvNxt }, 'a new second, a new allowance');
      assert.equal(stateOf(host, a.hostPort, 80), 'ESTABLISHED');
      assert.equal(stateOf(host, b.hostPort, 81), 'ESTABLISHED');
      await peer.assertAlive(a, 'a after the limit');
      await peer.assertAlive(b, 'b after the limit');
    }));

  test('RST outside the window: silently dropped', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      const wnd = lastWindow(peer);
      const before = snapshot(host);
      for (const s of [seqAdd(c.rcvNxt, -1), seqAdd(c.rcvNxt, wnd), seqAdd(c.rcvNxt, 0x40000000), seqAdd(c.rcvNxt, -0x40000000)]) {
        peer.send({ seq: s, flags: RST });
        peer.send({ seq: s, ack: c.sndNxt, flags: RST | ACK });
      }
      await peer.expectNone(1000, 'an out-of-window RST is not answered');
      assert.equal(moved(host, before).extTCPChallengeACK, undefined);
      assert.equal(stateOf(host, c.hostPort, c.peerPort), 'ESTABLISHED');
      await peer.assertAlive(c, 'after out-of-window RSTs');
    }));

  test('SYN in ESTABLISHED, in and out of the window: challenge ACK (§4), counted, connection survives', () =>
    scenario(async ({ net, host, peer }) => {
      const c = await established(host, peer);
      for (const s of [c.rcvNxt, seqAdd(c.rcvNxt, 10), seqAdd(c.rcvNxt, 0x50000000), seqAdd(c.rcvNxt, -5000)]) {
        const before = snapshot(host);
        peer.send({ seq: s, flags: SYN, options: { mss: 1460 } });
        await expectAckBack(peer, c, `challenge ACK for SYN at ${s}`);
        const m = moved(host, before);
        assert.equal(m.extTCPChallengeACK, 1);
        assert.equal(m.extTCPSYNChallenge, 1);
        assert.equal(stateOf(host, c.hostPort, c.peerPort), 'ESTABLISHED');
        await net.sleep(600);
      }
      await peer.assertAlive(c, 'after SYNs');
    }));

  test('SYN+FIN in ESTABLISHED: the SYN draws a challenge ACK, the FIN is not processed', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      const before = snapshot(host);
      peer.send({ seq: c.rcvNxt, ack: c.sndNxt, flags: SYN | FIN | ACK });
      await expectAckBack(peer, c, 'challenge ACK for SYN+FIN');
      assert.equal(moved(host, before).extTCPSYNChallenge, 1);
      assert.equal(stateOf(host, c.hostPort, c.peerPort), 'ESTABLISHED', 'not CLOSE-WAIT');
      await nothingToRead(host, c, 'SYN+FIN is no EOF');
      await peer.assertAlive(c, 'after SYN+FIN');
    }));

  test('SYN+RST in the window but not at RCV.NXT: one challenge ACK, connection survives', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      peer.send({ seq: seqAdd(c.rcvNxt, 5), flags: SYN | RST });
      await expectAckBack(peer, c, 'challenge ACK for SYN+RST');
      assert.equal(stateOf(host, c.hostPort, c.peerPort), 'ESTABLISHED');
      await peer.assertAlive(c, 'after SYN+RST');
    }));

  test('SYN+RST at RCV.NXT resets: the RST bit is checked before the SYN bit (§3.10.7.4 second/fourth)', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      const reading = host.sockets.read(c.fd, 100);
      peer.send({ seq: c.rcvNxt, flags: SYN | RST });
      await rejectsWith(reading, 'ECONNRESET', 'read');
      assert.equal(stateOf(host, c.hostPort, c.peerPort), null);
      await peer.expectNone(1000, 'an RST is never answered');
    }));
});

describe('RFC 9293 §3.10.7.4: unacceptable segments are answered by an ACK', () => {
  test('data beyond the window: ACK sent, data not delivered', () =>
    scenario(async ({ net, host, peer }) => {
      const c = await established(host, peer);
      const wnd = lastWindow(peer);
      for (const off of [wnd, wnd + 100, 0x20000000]) {
        peer.send({ seq: seqAdd(c.rcvNxt, off), ack: c.sndNxt, flags: ACK | PSH, payload: enc('EVIL') });
        await expectAckBack(peer, c, `ACK for data at RCV.NXT+${off}`);
        await net.sleep(600);
      }
      await nothingToRead(host, c, 'out-of-window data');
      // A bare ACK out of the window is unacceptable too.
      peer.send({ seq: seqAdd(c.rcvNxt, 0x30000000), ack: c.sndNxt, flags: ACK });
      await expectAckBack(peer, c, 'ACK for an out-of-window bare ACK');
      await peer.assertAlive(c, 'after out-of-window data');
    }));

  test('old duplicate data (entirely below RCV.NXT): ACK sent, nothing delivered twice', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      peer.send({ seq: seqAdd(c.rcvNxt, -10), ack: c.sndNxt, flags: ACK | PSH, payload: enc('0123456789') });
      await expectAckBack(peer, c, 'ACK for a duplicate');
      await nothingToRead(host, c, 'duplicate data');
      await peer.assertAlive(c, 'after duplicate data');
    }));

  test('a segment straddling RCV.NXT is trimmed: only the new bytes are delivered', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      peer.send({ seq: seqAdd(c.rcvNxt, -3), ack: c.sndNxt, flags: ACK | PSH, payload: enc('oldNEW') });
      assert.deepEqual(await host.sockets.read(c.fd, 100), enc('NEW'));
      c.rcvNxt = seqAdd(c.rcvNxt, 3);
      expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'ACK of the new bytes');
      await peer.assertAlive(c, 'after trimming');
    }));

  test('an ACK of data never sent: ACK back, segment dropped (RFC 9293 §3.10.7.4, RFC 5961 §5.2)', () =>
    scenario(async ({ host, peer }) => {
      // Linux (tcp_ack: SKB_DROP_REASON_TCP_ACK_UNSENT_DATA) drops without answering; RFC 9293
      // says "send an ACK, drop the segment, and return", as does RFC 5961 §5.2. We follow the RFCs.
      const c = await established(host, peer);
      peer.send({ seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1000), flags: ACK | PSH, payload: enc('EVIL') });
      await expectAckBack(peer, c, 'ACK for an ACK of unsent data');
      await nothingToRead(host, c, 'data with an ACK of unsent data');
      await peer.assertAlive(c, 'after the ACK of unsent data');
    }));

  test('an old duplicate ACK (below SND.UNA) is ignored; the data it carries is accepted', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      peer.send({ seq: c.rcvNxt, ack: seqAdd(c.sndNxt, -5), flags: ACK });
      await peer.expectNone(1000, 'an old ACK is ignored');
      // §3.10.7.4: "If the ACK is a duplicate (SEG.ACK =< SND.UNA), it can be ignored" — the
      // ACK, not the text: the data is processed.
      peer.send({ seq: c.rcvNxt, ack: seqAdd(c.sndNxt, -5), flags: ACK | PSH, payload: enc('stale ack') });
      assert.deepEqual(await host.sockets.read(c.fd, 100), enc('stale ack'));
      c.rcvNxt = seqAdd(c.rcvNxt, 9);
      expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'ACK of the data');
      await peer.assertAlive(c, 'after the old ACK');
    }));

  test('an ACK older than SND.UNA - MAX.SND.WND: ACK back, dropped (RFC 5961 §5.2)', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      peer.send({ seq: c.rcvNxt, ack: seqAdd(c.sndNxt, -0x40000000), flags: ACK | PSH, payload: enc('EVIL') });
      await expectAckBack(peer, c, 'ACK for a too old ACK');
      await nothingToRead(host, c, 'data with a too old ACK');
      await peer.assertAlive(c, 'after the too old ACK');
    }));

  test('URG data is delivered in line order and does not disturb the stream', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      host.sockets.setsockopt(c.fd, C.SOL_SOCKET, C.SO_OOBINLINE, 1);
      peer.send({ seq: c.rcvNxt, ack: c.sndNxt, flags: ACK | PSH | URG, urgentPointer: 3, payload: enc('abc') });
      c.rcvNxt = seqAdd(c.rcvNxt, 3);
      assert.deepEqual(await host.sockets.read(c.fd, 100), enc('abc'));
      expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt });
      await peer.assertAlive(c, 'after URG');
    }));
});

describe('RFC 9293 §3.10.7.1-2: closed ports and listeners', () => {
  test('segments to a closed port draw the RFC 9293 §3.10.7.1 reset; an RST draws nothing', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      const before = snapshot(host);
      const to = { srcPort: 41000, dstPort: 9 };
      // With ACK: <SEQ=SEG.ACK><CTL=RST>.
      peer.send({ ...to, seq: 5000, ack: 7777, flags: ACK });
      expectSeg(await peer.next(1000), { flags: RST, seq: 7777, srcPort: 9, dstPort: 41000 }, 'RST for an ACK');
      peer.send({ ...to, seq: 5000, ack: 0xfffffffe, flags: ACK | PSH, payload: enc('hello') });
      expectSeg(await peer.next(1000), { flags: RST, seq: 0xfffffffe }, 'RST for data with ACK');
      // Without ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SYN and FIN counting in SEG.LEN.
      peer.send({ ...to, seq: 5000, flags: SYN, options: { mss: 1460 } });
      expectSeg(await peer.next(1000), { flags: RST | ACK, seq: 0, ack: 5001 }, 'RST for a SYN');
      peer.send({ ...to, seq: 0xfffffffb, flags: SYN, payload: enc('ten bytes!') });
      expectSeg(await peer.next(1000), { flags: RST | ACK, seq: 0, ack: 0xfffffffb + 11 - 0x100000000 }, 'RST for a SYN with data (wraps)');
      peer.send({ ...to, seq: 5000, flags: PSH, payload: enc('ten bytes!') });
      expectSeg(await peer.next(1000), { flags: RST | ACK, seq: 0, ack: 5010 }, 'RST for bare data');
      peer.send({ ...to, seq: 5000, flags: FIN });
      expectSeg(await peer.next(1000), { flags: RST | ACK, seq: 0, ack: 5001 }, 'RST for a FIN');
      // An RST is never answered (§3.10.7.1).
      peer.send({ ...to, seq: 5000, flags: RST });
      peer.send({ ...to, seq: 5000, ack: 1, flags: RST | ACK });
      await peer.expectNone(1000, 'no reply to an RST');
      assert.equal(moved(host, before).outRsts, 6);
      await peer.assertAlive(c, 'after closed-port probes');
    }));

  test('a closed port on an established host: a segment with the right ports but a stale 4-tuple gets an RST', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      // Same local port as the connection, other remote port: no connection, no listener match
      // for a non-SYN, so the listener answers an ACK with an RST (§3.10.7.2).
      peer.send({ srcPort: c.peerPort + 1, dstPort: c.hostPort, seq: 1, ack: 4242, flags: ACK });
      expectSeg(await peer.next(1000), { flags: RST, seq: 4242, dstPort: c.peerPort + 1 });
      await peer.assertAlive(c, 'after the stale 4-tuple');
    }));

  test('segments to broadcast or multicast are discarded: no SYN-ACK, no RST (RFC 1122 §4.2.3.10)', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      peer.listen(8);
      const bcastMac = new Uint8Array(6).fill(0xff);
      const before = snapshot(host);
      peer.send({ srcPort: 42000, dstPort: 8, seq: 1, flags: SYN, options: { mss: 1460 }, ipDst: '10.0.0.255', ethDst: bcastMac });
      peer.send({ srcPort: 42000, dstPort: 8, seq: 1, flags: SYN, options: { mss: 1460 }, ipDst: '255.255.255.255', ethDst: bcastMac });
      peer.send({ srcPort: 42000, dstPort: 9, seq: 1, flags: SYN, options: { mss: 1460 }, ipDst: '10.0.0.255', ethDst: bcastMac });
      peer.send({ srcPort: 42000, dstPort: 9, seq: 1, ack: 5, flags: ACK, ipDst: '10.0.0.255', ethDst: bcastMac });
      peer.send({ srcPort: 42000, dstPort: 8, seq: 1, flags: SYN, options: { mss: 1460 }, ipDst: '224.0.0.1', ethDst: Uint8Array.of(1, 0, 0x5e, 0, 0, 1) });
      // A broadcast source address names no peer either.
      peer.send({ srcPort: 42000, dstPort: 8, seq: 1, flags: SYN, options: { mss: 1460 }, ipSrc: '10.0.0.255' });
      await peer.expectNone(2000, 'nothing answers a broadcast');
      assert.equal(moved(host, before).outRsts, undefined);
      assert.equal(stateOf(host, 8, 42000), null);
      await peer.assertAlive(c, 'after broadcasts');
    }));

  test('a unicast SYN in a link-layer broadcast frame is discarded (RFC 1122 §3.3.6; Linux tcp_v4_rcv: pkt_type != PACKET_HOST)', () =>
    scenario(async ({ host, peer }) => {
      peer.listen(8);
      const bcastMac = new Uint8Array(6).fill(0xff);
      peer.send({ srcPort: 42000, dstPort: 8, seq: 1, flags: SYN, options: { mss: 1460 }, ethDst: bcastMac });
      peer.send({ srcPort: 42000, dstPort: 9, seq: 1, ack: 5, flags: ACK, ethDst: bcastMac });
      await peer.expectNone(2000, 'no SYN-ACK, no RST for a link-layer broadcast');
      assert.equal(stateOf(host, 8, 42000), null);
    }));

  test('an ACK to a LISTEN socket: <SEQ=SEG.ACK><CTL=RST>, the listener stays and makes no child', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      peer.listen(8);
      peer.send({ srcPort: 42000, dstPort: 8, seq: 1234, ack: 99999, flags: ACK });
      expectSeg(await peer.next(1000), { flags: RST, seq: 99999, srcPort: 8, dstPort: 42000 }, 'RST for an ACK to a listener');
      peer.send({ srcPort: 42000, dstPort: 8, seq: 1234, ack: 5, flags: ACK | PSH, payload: enc('data') });
      expectSeg(await peer.next(1000), { flags: RST, seq: 5 }, 'RST for data with ACK to a listener');
      peer.send({ srcPort: 42000, dstPort: 8, seq: 1234, ack: 5, flags: SYN | ACK });
      expectSeg(await peer.next(1000), { flags: RST, seq: 5 }, 'RST for a SYN-ACK to a listener');
      assert.equal(stateOf(host, 8, 0), 'LISTEN');
      assert.equal(stateOf(host, 8, 42000), null);
      await peer.assertAlive(c, 'after ACKs to the listener');
    }));

  test('an RST or a bare FIN to a LISTEN socket is ignored; the listener still accepts', () =>
    scenario(async ({ host, peer }) => {
      const c = await established(host, peer);
      const lfd = peer.listen(8);
      peer.send({ srcPort: 42000, dstPort: 8, seq: 1234, flags: RST });
      peer.send({ srcPort: 42000, dstPort: 8, seq: 1234, ack: 77, flags: RST | ACK });
      peer.send({ srcPort: 42000, dstPort: 8, seq: 1234, flags: FIN });
      await peer.expectNone(1000, 'RST and FIN to a listener are dropped');
      assert.equal(stateOf(host, 8, 0), 'LISTEN');
      assert.equal(stateOf(host, 8, 42000), null);
      await peer.assertAlive(c, 'after RST to the listener');
      const c2 = await peer.handshakePassive({ lfd, hostPort: 8, peerPort: 42001, irs: 31337 });
      await peer.assertAlive(c2, 'new connection on the listener');
    }));
});

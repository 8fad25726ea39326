/**
 * SACK (RFC 2018), D-SACK (RFC 2883) and SACK-based loss recovery (RFC 6675): the scoreboard
 * against a byte-map model, the blocks our ACKs carry, the sender's recovery against a
 * scripted peer, and lossy transfers between two sockstack hosts with SACK on and off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as C from '../../src/socket/constants.js';
import { SackScoreboard } from '../../src/tcp/sack-scoreboard.js';
import { TCPI_OPT_SACK } from '../../src/socket/tcp-options.js';
import { Network } from '../../src/sim/network.js';
import { Rng } from '../../src/time/rng.js';
import { ACK, PEER_IP, PSH, SYN, type Seg, expectSeg, sackConnection, scenario, seqAdd } from './harness.js';
import type { Host } from '../../src/sim/host.js';

type Info = Record<string, number>;
const info = (host: Host, fd: number): Info => host.sockets.getsockopt(fd, C.IPPROTO_TCP, C.TCP_INFO) as unknown as Info;

test('scoreboard: add, merge, advance and IsLost against a byte map (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('add' as const), s: fc.integer({ min: -50, max: 400 }), len: fc.integer({ min: 0, max: 120 }) }),
          fc.record({ op: fc.constant('advance' as const), k: fc.integer({ min: 0, max: 80 }) }),
        ),
        { maxLength: 40 },
      ),
      (base0, ops) => {
        const LIMIT = 400;
        const sb = new SackScoreboard(base0, 1000);
        let base = base0;
        let map = new Uint8Array(LIMIT + 200); // map[i]: byte base + i is SACKed
        for (const o of ops) {
          if (o.op === 'add') {
            const before = map.reduce((a, b) => a + b, 0);
            const fresh: number[] = [];
            const got = sb.add((base + o.s) >>> 0, (base + o.s + o.len) >>> 0, LIMIT, fresh);
            // The fresh pairs are exactly the bytes that were not SACKed before.
            const was = map.slice();
            for (let i = Math.max(0, o.s); i < Math.min(LIMIT, o.s + o.len); i++) map[i] = 1;
            assert.equal(got, map.reduce((a, b) => a + b, 0) - before, 'newly SACKed bytes');
            const marked = new Uint8Array(map.length);
            for (let k = 0; k < fresh.length; k += 2) for (let i = fresh[k]!; i < fresh[k + 1]!; i++) marked[i]! += 1;
            for (let i = 0; i < map.length; i++) assert.equal(marked[i], map[i]! && !was[i] ? 1 : 0, `fresh covers byte ${i} once iff it is new`);
          } else {
            base = (base + o.k) >>> 0;
            sb.advance(base);
            const next = new Uint8Array(map.length);
            next.set(map.subarray(o.k));
            map = next;
          }
          assert.equal(sb.sacked, map.reduce((a, b) => a + b, 0), 'sacked total');
          // Ranges are sorted, disjoint, non-adjacent and match the map.
          const want: Array<[number, number]> = [];
          for (let i = 0; i < map.length; i++) {
            if (map[i] && (i === 0 || !map[i - 1])) want.push([i, i]);
            if (map[i]) want[want.length - 1]![1] = i + 1;
          }
          assert.deepEqual(sb.ranges(), want.map(([s, e]) => [(base + s) >>> 0, (base + e) >>> 0]));
          const thr = 50;
          // lostEdge: every unSACKed byte below it has more than thr SACKed bytes above it.
          const edge = sb.lostEdge(thr);
          for (let i = 0; i < LIMIT; i++) {
            if (map[i]) continue;
            let above = 0;
            for (let j = i + 1; j < map.length; j++) above += map[j]!;
            assert.equal(i < edge, above > thr, `IsLost(${i}) with edge ${edge}`);
          }
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('scoreboard pipe follows RFC 6675 SetPipe byte by byte', () => {
  const sb = new SackScoreboard(1000);
  // Sent [0, 10000); SACKed [3000, 5000) and [6000, 9000): 5000 bytes.
  sb.add(4000, 6000, 10000);
  sb.add(7000, 10000, 10000);
  const edge = sb.lostEdge(2 * 1000);
  assert.equal(edge, 6000, 'holes below a range with more than 2 SMSS SACKed from it up are lost');
  assert.equal(sb.lostEdge(3000), 3000, 'with 3 SMSS, only the hole below both ranges');
  // Not lost: [6000, 10000) less SACKed [6000, 9000) = 1000.
  assert.equal(sb.pipe(10000, edge, 0), 1000);
  // Retransmitted [0, 1000): one more count each.
  assert.equal(sb.pipe(10000, edge, 1000), 2000);
  // Retransmitted up to 7000: unSACKed bytes below it are [0,3000) and [5000,6000).
  assert.equal(sb.pipe(10000, edge, 7000), 1000 + 4000);
});

test('negotiation: SACK-permitted in both SYNs (Linux layout), TCP_INFO says so; a peer without it gets none back', async () => {
  await scenario(async ({ net, host, peer }) => {
    const { fd, synack } = await sackConnection({ net, host, peer });
    assert.equal(synack.options.sackPermitted, true);
    assert.equal(synack.dataOffset, 20 + 8, '<mss 1460,nop,nop,sackOK>: the peer offered no window scale');
    assert.ok(info(host, fd).tcpi_options! & TCPI_OPT_SACK);
  });
  await scenario(async ({ net, host, peer }) => {
    const c = await peer.handshakeActive({ window: 65535 });
    assert.equal(info(host, c.fd).tcpi_options! & TCPI_OPT_SACK, 0, 'the SYN-ACK carried no SACK-permitted');
  });
  await scenario(async ({ net, host, peer }) => {
    host.tcp.config.sack = false;
    const api = host.sockets;
    const fd = api.socket(C.AF_INET, C.SOCK_STREAM | C.SOCK_NONBLOCK, 0);
    await assert.rejects(api.connect(fd, { address: PEER_IP, port: 80 }));
    const syn = expectSeg(await peer.next(1000), { flags: SYN, ack: 0 });
    assert.equal(syn.options.sackPermitted, undefined, 'tcp_sack = 0: not offered');
  });
});

test('receiver: out-of-order segments are SACKed, most recent block first, at most 3 beside timestamps', () =>
  scenario(async ({ net, peer, host }) => {
    const { irs, iss, tsOpt } = await sackConnection({ net, host, peer }, { ts: true });
    const d = irs + 1;
    const seg = (off: number, len: number, tsv: number) =>
      peer.send({ seq: d + off, ack: seqAdd(iss, 1), flags: ACK | PSH, window: 65535, payload: new Uint8Array(len), options: tsOpt(tsv) });
    seg(1000, 100, 20);
    let a = expectSeg(await peer.next(10), { flags: ACK, ack: d });
    assert.deepEqual(a.options.sack, [[d + 1000, d + 1100]]);
    seg(2000, 100, 21);
    a = expectSeg(await peer.next(10), { flags: ACK, ack: d });
    assert.deepEqual(a.options.sack, [[d + 2000, d + 2100], [d + 1000, d + 1100]], 'the newest block first');
    seg(3000, 100, 22);
    seg(4000, 100, 23);
    await peer.next(10);
    a = expectSeg(await peer.next(10), { flags: ACK, ack: d });
    assert.deepEqual(a.options.sack, [[d + 4000, d + 4100], [d + 3000, d + 3100], [d + 2000, d + 2100]], 'three blocks fit beside TSopt');
    // Growing an old block makes it the most recent.
    seg(1100, 100, 24);
    a = expectSeg(await peer.next(10), { flags: ACK, ack: d });
    assert.deepEqual(a.options.sack![0], [d + 1000, d + 1200]);
    // The hole fills: RCV.NXT moves and the ranges it reached stop being reported.
    seg(0, 1000, 25);
    a = expectSeg(await peer.next(10), { flags: ACK, ack: d + 1200 });
    assert.deepEqual(a.options.sack, [[d + 4000, d + 4100], [d + 3000, d + 3100], [d + 2000, d + 2100]]);
  }));

test('data segments carrying SACK blocks shrink by the option, so the packet still fits the MTU (Linux tcp_current_mss)', () =>
  scenario(async ({ net, peer, host }) => {
    const { api, fd, irs, iss } = await sackConnection({ net, host, peer });
    const d = irs + 1;
    for (const off of [1000, 3000]) {
      peer.send({ seq: d + off, ack: seqAdd(iss, 1), flags: ACK | PSH, window: 65535, payload: new Uint8Array(100) });
      await peer.next(10);
    }
    await api.write(fd, new Uint8Array(3000));
    const data = expectSeg(await peer.next(10), { flags: ACK, ack: d, len: 1460 - 4 - 2 * 8 }, 'first data segment');
    assert.equal(data.options.sack?.length, 2, 'two blocks: 4 + 16 option bytes come out of the payload');
    assert.equal(data.dataOffset + data.payload.length, 1460 + 20, 'TCP header + payload = MSS + 20, as without SACK');
  }));

test('D-SACK (RFC 2883): a duplicate below RCV.NXT, and one inside an out-of-order block followed by that block', () =>
  scenario(async ({ net, peer, host }) => {
    const { irs, iss } = await sackConnection({ net, host, peer });
    const d = irs + 1;
    const seg = (off: number, len: number) => peer.send({ seq: d + off, ack: seqAdd(iss, 1), flags: ACK | PSH, window: 65535, payload: new Uint8Array(len) });
    seg(0, 500);
    seg(0, 500); // a duplicate: below RCV.NXT now
    let a: Seg | null;
    do a = await peer.next(50);
    while (a && !a.options.sack);
    assert.ok(a, 'an ACK with a D-SACK block');
    assert.deepEqual(a.options.sack, [[d, d + 500]]);
    assert.equal(a.ack, d + 500);
    assert.equal(host.counters.tcp.extTCPDSACKOldSent, 1);
    seg(1000, 300);
    expectSeg(await peer.next(10), { flags: ACK, ack: d + 500 });
    seg(1100, 100); // inside [1000, 1300)
    a = expectSeg(await peer.next(10), { flags: ACK, ack: d + 500 });
    assert.deepEqual(a.options.sack, [[d + 1100, d + 1200], [d + 1000, d + 1300]], 'the D-SACK, then the block holding it');
    assert.equal(host.counters.tcp.extTCPDSACKOfoSent, 1);
    // Reported once: the next ACK carries only the out-of-order block.
    seg(2000, 100);
    a = expectSeg(await peer.next(10), { flags: ACK, ack: d + 500 });
    assert.deepEqual(a.options.sack, [[d + 2000, d + 2100], [d + 1000, d + 1300]]);
  }));

test('sender without RACK: SACKed segments are not retransmitted; the hole is, once more than 2 SMSS are SACKed above it (RFC 6675)', () =>
  scenario(async ({ net, peer, host }) => {
    host.tcp.config.rack = false;
    const { api, fd, irs, iss } = await sackConnection({ net, host, peer });
    const una = seqAdd(iss, 1);
    const ack = irs + 1;
    await api.write(fd, new Uint8Array(10 * 1460));
    const sent: Seg[] = [];
    for (let s = await peer.next(5); s; s = await peer.next(5)) sent.push(s);
    assert.equal(sent.length, 10, 'IW10');
    // Segment 0 is lost; the peer SACKs 1, 2, 3 one by one.
    const sackAck = (hi: number) => peer.send({ seq: ack, ack: una, flags: ACK, window: 65535, options: { sack: [[seqAdd(una, 1460), seqAdd(una, hi * 1460)]] } });
    sackAck(2);
    sackAck(3);
    assert.equal(await peer.next(5), null, 'two SMSS SACKed above the hole: not yet lost');
    assert.equal(info(host, fd).tcpi_sacked, 2, 'TCP_INFO counts the SACKed segments');
    sackAck(4);
    expectSeg(await peer.next(5), { seq: una, flags: ACK, len: 1460 }, 'the hole is retransmitted');
    assert.equal(host.counters.tcp.extTCPSackRecovery, 1);
    // More SACKs free room: new data goes, never a SACKed segment again.
    for (let hi = 5; hi <= 10; hi++) sackAck(hi);
    const more: Seg[] = [];
    for (let s = await peer.next(5); s; s = await peer.next(5)) more.push(s);
    for (const s of more) assert.ok(((s.seq - seqAdd(una, 10 * 1460)) | 0) >= 0 || s.seq === una, `no SACKed data resent (seq ${s.seq - una})`);
    // The cumulative ACK ends recovery.
    peer.send({ seq: ack, ack: seqAdd(una, 10 * 1460), flags: ACK, window: 65535 });
    await peer.next(5);
    const i = info(host, fd);
    assert.equal(i.tcpi_total_retrans, 1, 'one retransmission in all');
  }));

test('RACK (RFC 8985): a hole is resent one reordering window (min_RTT / 4) after a later segment is SACKed, no DupThresh needed', () =>
  scenario(async ({ net, peer, host }) => {
    const { api, fd, ack, una } = await sackConnection({ net, host, peer }, { rttMs: 40 });
    await api.write(fd, new Uint8Array(4 * 1460));
    const t0 = net.now();
    for (let i = 0; i < 4; i++) expectSeg(await peer.next(5), { flags: ACK | (i === 3 ? PSH : 0), seq: seqAdd(una, i * 1460), len: 1460 });
    // One round trip later the peer SACKs segment 1 only: segment 0 is missing.
    await net.sleep(40 - (net.now() - t0));
    peer.send({ seq: ack, ack: una, flags: ACK, window: 65535, options: { sack: [[seqAdd(una, 1460), seqAdd(una, 2920)]] } });
    const t1 = net.now();
    const rtx = expectSeg(await peer.next(100), { flags: ACK, seq: una, len: 1460 }, 'segment 0 resent by the RACK timer');
    // RACK.rtt = 40 ms, reo_wnd = min_RTT / 4 = 10 ms: segment 0 is overdue 10 ms after the SACK.
    assert.ok(Math.abs(rtx.at - t1 - 10) < 1, `resent ${(rtx.at - t1).toFixed(2)} ms after the SACK, expected 10`);
    assert.equal(host.counters.tcp.extTCPSackRecovery, 1);
    assert.equal(host.counters.tcp.extTCPTimeouts, 0, 'no RTO');
  }));

test('TLP (RFC 8985 §7): an unacknowledged tail draws a loss probe of the last segment after 2 SRTT, before any RTO', () =>
  scenario(async ({ net, peer, host }) => {
    const { api, fd, ack, una } = await sackConnection({ net, host, peer }, { rttMs: 40 });
    await api.write(fd, new Uint8Array(3 * 1460));
    const t0 = net.now();
    for (let i = 0; i < 3; i++) await peer.next(5);
    const probe = expectSeg(await peer.next(1000), { flags: ACK | PSH, seq: seqAdd(una, 2 * 1460), len: 1460 }, 'the loss probe');
    // PTO = 2 * SRTT + 2 ms with more than one segment in flight (SRTT = 40 ms from the handshake).
    assert.ok(Math.abs(probe.at - t0 - 82) < 1, `probe after ${(probe.at - t0).toFixed(2)} ms, expected 82`);
    assert.equal(host.counters.tcp.extTCPLossProbes, 1);
    assert.equal(host.counters.tcp.extTCPTimeouts, 0);
    // The probe's ACK, a round trip later, SACKs the tail: the first two segments were lost;
    // RACK resends them.
    await net.sleep(40);
    peer.send({ seq: ack, ack: una, flags: ACK, window: 65535, options: { sack: [[seqAdd(una, 2 * 1460), seqAdd(una, 3 * 1460)]] } });
    const resent: number[] = [];
    for (let s = await peer.next(100); s; s = await peer.next(100)) resent.push((s.seq - una) | 0);
    assert.deepEqual(resent, [0, 1460], 'both holes resent, the SACKed probe not');
    assert.equal(host.counters.tcp.extTCPTimeouts, 0);
  }));

/** Moves `size` bytes a -> b over a lossy segment; returns what the hosts counted and the time it took. */
async function lossyTransfer(sack: boolean, seed: number, size = 2 * 1024 * 1024) {
  const net = new Network({ seed, runLimitMs: 3_600_000 });
  const seg = net.segment('lan', { loss: 0.03, latency: 10, rate: 50e6, queueLimit: 256 * 1024 });
  const a = net.host('a', { interfaces: [{ segment: seg, address: '10.0.0.1/24' }], neighbor: { probes: 12 } });
  const b = net.host('b', { interfaces: [{ segment: seg, address: '10.0.0.2/24' }], neighbor: { probes: 12 } });
  for (const h of [a, b]) h.tcp.config.sack = sack;
  const data = new Rng(seed).fill(new Uint8Array(size));
  let elapsed = 0;
  let got = new Uint8Array(0);
  let opts = 0;
  await net.run(async () => {
    const l = b.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
    b.sockets.bind(l, { address: '0.0.0.0', port: 9 });
    b.sockets.listen(l, 1);
    const accepting = b.sockets.accept(l);
    const c = a.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
    await a.sockets.connect(c, { address: '10.0.0.2', port: 9 });
    const [s] = await accepting;
    opts = info(a, c).tcpi_options!;
    const t0 = net.now();
    const reading = (async () => {
      const parts: Uint8Array[] = [];
      for (;;) {
        const d = await b.sockets.recv(s, 65536);
        if (d.length === 0) break;
        parts.push(d);
      }
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) (out.set(p, o), (o += p.length));
      return out;
    })();
    await a.sockets.write(c, data);
    a.sockets.shutdown(c, C.SHUT_WR);
    got = await reading;
    elapsed = net.now() - t0;
    await a.sockets.close(c);
    await b.sockets.close(s);
  });
  return { got, data, elapsed, opts, a: a.counters.tcp, b: b.counters.tcp };
}

test('lossy transfer (3% loss): SACK recovers holes selectively and finishes sooner than NewReno alone', async () => {
  for (const seed of [1, 2]) {
    const on = await lossyTransfer(true, seed);
    const off = await lossyTransfer(false, seed);
    assert.deepEqual(on.got, on.data, 'SACK: the bytes arrive intact');
    assert.deepEqual(off.got, off.data, 'no SACK: the bytes arrive intact');
    assert.ok(on.opts & TCPI_OPT_SACK, 'SACK in use');
    assert.equal(off.opts & TCPI_OPT_SACK, 0);
    assert.ok(on.a.extTCPSackRecovery > 0, 'SACK recoveries happened');
    assert.equal(off.a.extTCPSackRecovery, 0);
    // Virtual time is deterministic, so this compares algorithms, not machines.
    assert.ok(on.elapsed < off.elapsed, `seed ${seed}: SACK ${on.elapsed.toFixed(0)} ms vs ${off.elapsed.toFixed(0)} ms without`);
    // Without duplication or reordering on the path, a D-SACK means we resent what had arrived.
    assert.ok(on.b.extTCPDSACKOldSent + on.b.extTCPDSACKOfoSent <= on.a.retransSegs, 'duplicates only from retransmissions');
  }
});


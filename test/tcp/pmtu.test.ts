/**
 * TCP and the path MTU: RFC 1191 (ICMP "fragmentation needed" shrinks the MSS and what is in
 * flight goes again at the new size, without a congestion response), black-hole detection on
 * repeated timeouts (RFC 2923 §2.1, Linux tcp_mtu_probing) and the RFC 4821 search upward
 * (src/tcp/pmtu.ts, driven directly here: output() and input call its hooks).
 * Packet-level tests use the scripted peer; end-to-end ones a path through two routers
 * whose middle link has the smaller MTU.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import { Network } from '../../src/sim/network.js';
import type { Host } from '../../src/sim/host.js';
import { Rng } from '../../src/time/rng.js';
import { TcpState } from '../../src/tcp/state.js';
import type { TcpEndpoint } from '../../src/tcp/tcp-endpoint.js';
import { NewReno } from '../../src/tcp/congestion/newreno.js';
import { output } from '../../src/tcp/output.js';
import {
  mssToMtu, mtuProbe, mtuToMss, onProbeAcked, onProbeLost, onRetransmitTimeout, pmtuState, syncPathMtu,
} from '../../src/tcp/pmtu.js';
import { ETH_HEADER_LEN } from '../../src/wire/ethernet.js';
import { IPV4_HEADER_LEN, IP_PROTO_TCP, emitIpv4 } from '../../src/wire/ipv4.js';
import { emitIcmpv4, icmpv4Length } from '../../src/wire/icmpv4.js';
import { ETHERTYPE_IPV4, emitEthernet } from '../../src/wire/ethernet.js';
import { parseIPv4 } from '../../src/wire/address.js';
import { ACK, HOST_IP, HOST_MAC, PEER_IP, PEER_MAC, type Conn, type ScriptedPeer, type Seg, scenario, seqAdd } from './harness.js';
import { concat } from './helpers.js';

const ip = (s: string): number => parseIPv4(s)!;

/** The established endpoint of `host` on `localPort`. */
function endpoint(host: Host, localPort: number): TcpEndpoint {
  const ep = host.tcp.endpoints().find((e) => e.localPort === localPort && e.state !== TcpState.LISTEN);
  assert.ok(ep, `an endpoint on port ${localPort}`);
  return ep;
}

/**
 * The peer (as a router on the path) sends an ICMP fragmentation needed with next-hop `mtu`,
 * quoting a segment of the connection with sequence number `seq`.
 */
function fragNeeded(peer: ScriptedPeer, c: Conn, seq: number, mtu: number): void {
  const quote = new Uint8Array(IPV4_HEADER_LEN + 8);
  emitIpv4({
    headerLength: 20, tos: 0, totalLength: 1500, id: 1, dontFragment: true, moreFragments: false, fragmentOffset: 0,
    ttl: 63, protocol: IP_PROTO_TCP, src: ip(HOST_IP), dst: ip(PEER_IP),
  }, quote, 0, true);
  const t = quote.subarray(IPV4_HEADER_LEN);
  t[0] = c.hostPort >>> 8;
  t[1] = c.hostPort;
  t[2] = c.peerPort >>> 8;
  t[3] = c.peerPort;
  t[4] = seq >>> 24;
  t[5] = seq >>> 16;
  t[6] = seq >>> 8;
  t[7] = seq;
  const icmp = { kind: 'dest-unreachable' as const, code: 4, nextHopMtu: mtu, original: quote };
  const len = icmpv4Length(icmp);
  const f = new Uint8Array(ETH_HEADER_LEN + IPV4_HEADER_LEN + len);
  emitEthernet({ dst: HOST_MAC, src: PEER_MAC, ethertype: ETHERTYPE_IPV4 }, f, 0);
  emitIpv4({
    headerLength: 20, tos: 0, totalLength: IPV4_HEADER_LEN + len, id: 2, dontFragment: false, moreFragments: false,
    fragmentOffset: 0, ttl: 64, protocol: 1, src: ip(PEER_IP), dst: ip(HOST_IP),
  }, f, ETH_HEADER_LEN, true);
  emitIcmpv4(icmp, f, ETH_HEADER_LEN + IPV4_HEADER_LEN, true);
  peer.sendFrame(f);
}

/** Data segments the peer got, in order, until `ms` pass without one. */
async function drain(peer: ScriptedPeer, ms = 5): Promise<Seg[]> {
  return (await peer.collect(ms)).filter((s) => s.payload.length > 0);
}

/** The peer acknowledges everything sent, again and again, until nothing more comes. */
async function ackAll(peer: ScriptedPeer, c: Conn, ep: TcpEndpoint): Promise<void> {
  for (let i = 0; i < 100; i++) {
    peer.send({ seq: c.rcvNxt, ack: ep.sndMax, flags: ACK, window: 65535 });
    if ((await drain(peer)).length === 0) return;
  }
  assert.fail('the host never stopped sending');
}

test('fragmentation needed for a segment in flight: MSS = MTU - 40, everything outstanding resent at once at the new size, cwnd untouched', () =>
  scenario(async ({ host, peer }) => {
    const c = await peer.handshakeActive({ mss: 1460 });
    const ep = endpoint(host, c.hostPort);
    const data = new Rng(5).fill(new Uint8Array(10000));
    await host.sockets.send(c.fd, data);
    const first = await drain(peer);
    // Nagle holds the 1240-byte tail while data is unacknowledged.
    assert.deepEqual(first.map((s) => s.payload.length), [1460, 1460, 1460, 1460, 1460, 1460]);
    assert.ok(first.every((s) => s.df), 'data segments carry DF');
    const cwnd = ep.cc!.cwnd;
    const retrans = host.counters.tcp.retransSegs;
    fragNeeded(peer, c, seqAdd(c.iss, 1), 1280);
    const again = await drain(peer);
    assert.deepEqual(again.map((s) => s.payload.length), [1240, 1240, 1240, 1240, 1240, 1240, 1240, 1240]);
    assert.equal(again[0]!.seq, seqAdd(c.iss, 1));
    assert.deepEqual(concat(again.map((s) => s.payload)), data.subarray(0, 9920), 'the same bytes, at the new size');
    assert.equal(ep.sndMss, 1240);
    assert.equal(ep.pmtu, 1280);
    assert.equal(host.sockets.getsockopt(c.fd, C.IPPROTO_TCP, C.TCP_MAXSEG), 1240);
    assert.equal(ep.cc!.cwnd, cwnd, 'not a congestion signal (Linux tcp_simple_retransmit)');
    assert.equal(ep.cc!.inRecovery, false);
    assert.equal(host.counters.tcp.retransSegs - retrans, 8);
    assert.equal(host.ip.pathMtu(ip(PEER_IP)), 1280, 'the host learnt it for the destination');
    // The router's errors for the other segments of that flight say nothing new.
    fragNeeded(peer, c, seqAdd(c.iss, 1461), 1280);
    // A larger MTU than the current one is ignored (RFC 1191 §3).
    fragNeeded(peer, c, seqAdd(c.iss, 2921), 1400);
    await peer.expectNone(20, 'no retransmission for stale or larger reports');
    assert.equal(ep.sndMss, 1240);
    assert.equal(host.counters.ip.pmtuIgnored, 2);
    // A quote outside SND.UNA..SND.MAX is no proof the ICMP is about us (RFC 5927 §4.1): dropped and counted.
    fragNeeded(peer, c, seqAdd(c.iss, 50000), 600);
    await peer.expectNone(20);
    assert.equal(host.counters.tcp.extOutOfWindowIcmps, 1);
    assert.equal(ep.sndMss, 1240);
    assert.equal(host.ip.pathMtu(ip(PEER_IP)), 1280, 'nor does the host learn from it');
    // Everything acknowledged, the connection goes on at the new size.
    await ackAll(peer, c, ep);
    assert.equal(ep.sndMax, seqAdd(c.iss, 10001));
    await host.sockets.send(c.fd, new Uint8Array(2480));
    assert.deepEqual((await drain(peer)).map((s) => s.payload.length), [1240, 1240]);
  }));

test('an MTU below min_pmtu is raised to 552 and locked: MSS 512, and segments go without DF', () =>
  scenario(async ({ host, peer }) => {
    const c = await peer.handshakeActive({ mss: 1460 });
    const ep = endpoint(host, c.hostPort);
    await host.sockets.send(c.fd, new Uint8Array(3000));
    await drain(peer);
    fragNeeded(peer, c, seqAdd(c.iss, 1), 300);
    const again = await drain(peer);
    assert.equal(ep.sndMss, 512);
    assert.deepEqual(again.map((s) => s.payload.length), [512, 512, 512, 512, 512, 440]);
    assert.ok(again.every((s) => !s.df), 'a locked path MTU lets routers fragment');
  }));

test('a second connection to the same destination uses the learnt path MTU from its first data segment', () =>
  scenario(async ({ host, peer }) => {
    const c = await peer.handshakeActive({ mss: 1460 });
    await host.sockets.send(c.fd, new Uint8Array(2000));
    await drain(peer);
    fragNeeded(peer, c, seqAdd(c.iss, 1), 1000);
    assert.equal((await drain(peer))[0]!.payload.length, 960);
    await ackAll(peer, c, endpoint(host, c.hostPort));
    // A new connection to the same destination: its SYN still offers our link's MSS (Linux
    // advertises the device's). Its MSS follows the route's path MTU when output() resyncs
    // (tcp_current_mss), or at the latest when our own IP layer refuses the first too-big
    // segment and tells TCP through the loopback (Linux ip_fragment).
    const c2 = await peer.handshakeActive({ peerPort: 81, mss: 1460 });
    const ep2 = endpoint(host, c2.hostPort);
    assert.equal(ep2.advMss, 1460);
    await host.sockets.send(c2.fd, new Uint8Array(1920));
    const segs = await drain(peer);
    assert.ok(segs.length > 0 && segs.every((s) => s.payload.length <= 960), `sizes ${segs.map((s) => s.payload.length)}`);
    assert.equal(segs.reduce((n, s) => n + s.payload.length, 0), 1920);
    assert.equal(ep2.sndMss, 960);
    assert.ok(host.counters.ip.fragFails <= 1, 'at most one segment refused locally');
  }));

test('black hole: after retries1 worth of timeouts (3 s) the MSS drops to tcp_base_mss, then halves per timeout down to the floor', () =>
  scenario(async ({ host, peer }) => {
    host.tcp.config.mtuProbing = 1; // black-hole detection (off by default, as on Linux)
    const c = await peer.handshakeActive({ mss: 1460 });
    const ep = endpoint(host, c.hostPort);
    await host.sockets.send(c.fd, new Uint8Array(5000));
    await drain(peer);
    // The peer never hears: every retransmission (of the head) times out.
    const rtx = (await peer.collect(300_000)).filter((s) => s.payload.length > 0 && s.seq === seqAdd(c.iss, 1));
    const sizes = rtx.map((s) => s.payload.length);
    const firstSmall = sizes.findIndex((n) => n < 1460);
    assert.ok(firstSmall >= 1, `sizes ${sizes}`);
    assert.ok(rtx[firstSmall]!.at >= 3000, 'not before 3 s of retransmission (tcp_model_timeout(3))');
    assert.ok(rtx[firstSmall - 1]!.at < 3000);
    assert.deepEqual(sizes.slice(firstSmall, firstSmall + 7), [1024, 512, 256, 128, 64, 48, 48]);
    assert.equal(ep.mtup!.enabled, true, 'probing upward is on');
  }));

test('black hole detection respects tcp_mtu_probe_floor, and mtuProbing = 0 leaves the MSS alone', async () => {
  for (const [probing, floor, want] of [[1, 300, 300], [0, 48, 1460]] as const) {
    await scenario(async ({ host, peer }) => {
      host.tcp.config.mtuProbing = probing;
      host.tcp.config.mtuProbeFloor = floor;
      const c = await peer.handshakeActive({ mss: 1460 });
      await host.sockets.send(c.fd, new Uint8Array(3000));
      await drain(peer);
      const rtx = (await peer.collect(100_000)).filter((s) => s.payload.length > 0 && s.seq === seqAdd(c.iss, 1));
      assert.equal(rtx.at(-1)!.payload.length, want);
    });
  }
});

test('mtuProbe: a probe of the middle size goes out when Linux\'s conditions hold; ACKed whole it raises the MSS', () =>
  scenario(async ({ host, peer }) => {
    host.tcp.config.mtuProbing = 2;
    const c = await peer.handshakeActive({ mss: 1460 });
    const ep = endpoint(host, c.hostPort);
    const t = host.tcp;
    // With tcp_mtu_probing = 2 the search starts at tcp_base_mss (1024 + 40 = 1064) below 1500.
    assert.equal(mtuProbe(t, ep), false, 'nothing to send yet');
    const m = ep.mtup!;
    assert.equal(ep.sndMss, 1024);
    assert.equal(m.searchLow, 1064);
    assert.equal(m.searchHigh, 1500);
    ep.cc = new NewReno(1024, { initialWindow: 10 * 1024 });
    ep.sendBuf.write(new Uint8Array(6000));
    assert.equal(mtuProbe(t, ep), false, 'cwnd below 11 segments: no probe');
    ep.cc = new NewReno(1024, { initialWindow: 20 * 1024 });
    assert.equal(mtuProbe(t, ep), true);
    const probe = (await peer.next(10))!;
    assert.equal(probe.seq, seqAdd(c.iss, 1));
    assert.equal(probe.payload.length, mtuToMss(ep, (1500 + 1064) >> 1, m.mssClamp));
    assert.equal(probe.payload.length, 1242);
    assert.ok(probe.df);
    assert.equal(m.probeSize, 1282);
    assert.equal(mtuProbe(t, ep), false, 'one probe at a time');
    output(t, ep);
    await drain(peer);
    peer.send({ seq: c.rcvNxt, ack: ep.sndMax, flags: ACK, window: 65535 });
    await drain(peer);
    peer.send({ seq: c.rcvNxt, ack: ep.sndMax, flags: ACK, window: 65535 });
    onProbeAcked(t, ep);
    assert.equal(m.searchLow, 1282);
    assert.equal(m.probeSize, 0);
    assert.equal(ep.sndMss, 1242);
    assert.equal(host.counters.tcp.extTCPMTUPSuccess, 1);
    // Not enough data behind the next probe (probe + 4 segments): none.
    ep.sendBuf.write(new Uint8Array(2000));
    assert.equal(mtuProbe(t, ep), false);
  }));

test('mtuProbe: a probe lost (duplicate ACKs) lowers searchHigh and is resent at the current MSS with no cwnd cut; one ACKed in part failed too', () =>
  scenario(async ({ host, peer }) => {
    host.tcp.config.mtuProbing = 2;
    const c = await peer.handshakeActive({ mss: 1460 });
    const ep = endpoint(host, c.hostPort);
    const t = host.tcp;
    mtuProbe(t, ep);
    const m = ep.mtup!;
    ep.cc = new NewReno(1024, { initialWindow: 30 * 1024 });
    ep.sendBuf.write(new Uint8Array(10000));
    assert.equal(mtuProbe(t, ep), true);
    const start = m.probeStart;
    assert.equal(m.probeSize, 1282);
    output(t, ep);
    await drain(peer);
    // Three duplicate ACKs at the probe: it was too big. (input calls onProbeLost on each.)
    ep.dupAcks = 2;
    assert.equal(onProbeLost(t, ep), false, 'below the duplicate ACK threshold');
    ep.dupAcks = 3;
    const cwnd = ep.cc.cwnd;
    assert.equal(onProbeLost(t, ep), true);
    const resent = await drain(peer);
    assert.deepEqual(resent.map((s) => [s.seq, s.payload.length]), [[start, 1024], [seqAdd(start, 1024), 218]]);
    assert.equal(m.searchHigh, 1281);
    assert.equal(m.probeSize, 0);
    assert.equal(host.counters.tcp.extTCPMTUPFail, 1);
    assert.equal(ep.cc.cwnd, cwnd);
    assert.equal(ep.cc.inRecovery, false);
    ep.dupAcks = 4;
    assert.equal(onProbeLost(t, ep), true, 'later duplicate ACKs of that hole are not congestion either');
    await peer.expectNone(20);
    peer.send({ seq: c.rcvNxt, ack: ep.sndMax, flags: ACK, window: 65535 });
    onProbeAcked(t, ep);
    assert.equal(onProbeLost(t, ep), false, 'the hole is filled');
    await drain(peer);
    peer.send({ seq: c.rcvNxt, ack: ep.sndMax, flags: ACK, window: 65535 });
    // Next probe: the middle of 1064..1281. Acknowledged only in part: it was resent in pieces (failed).
    ep.sendBuf.write(new Uint8Array(10000));
    assert.equal(mtuProbe(t, ep), true);
    assert.equal(m.probeSize, (1281 + 1064) >> 1);
    const p2 = m.probeStart;
    peer.send({ seq: c.rcvNxt, ack: seqAdd(p2, 500), flags: ACK, window: 65535 });
    onProbeAcked(t, ep);
    assert.equal(m.searchHigh, ((1281 + 1064) >> 1) - 1);
    assert.equal(host.counters.tcp.extTCPMTUPFail, 2);
  }));

test('mtuProbe: a timeout makes the probe inconclusive; a search narrower than tcp_probe_threshold ends and restarts after tcp_probe_interval', () =>
  scenario(async ({ net, host, peer }) => {
    host.tcp.config.mtuProbing = 2;
    const c = await peer.handshakeActive({ mss: 1460 });
    const ep = endpoint(host, c.hostPort);
    const t = host.tcp;
    mtuProbe(t, ep);
    const m = ep.mtup!;
    ep.cc = new NewReno(1024, { initialWindow: 30 * 1024 });
    ep.sendBuf.write(new Uint8Array(10000));
    assert.equal(mtuProbe(t, ep), true);
    onRetransmitTimeout(t, ep);
    assert.equal(m.probeSize, 0);
    assert.equal(m.searchHigh, 1500, 'inconclusive: the bounds stay');
    assert.equal(host.counters.tcp.extTCPMTUPFail, 0);
    output(t, ep);
    await ackAll(peer, c, ep);
    // Found: 1300 works and 1306 does not (6 < 8): no more probes.
    m.searchLow = 1300;
    m.searchHigh = 1306;
    ep.sendBuf.write(new Uint8Array(20000));
    assert.equal(mtuProbe(t, ep), false);
    await net.sleep(600_000);
    // Ten minutes after the search began: start again from the current size up to the link's.
    const mss = ep.sndMss;
    assert.equal(mtuProbe(t, ep), false);
    assert.equal(m.searchHigh, 1500);
    assert.equal(m.searchLow, mssToMtu(ep, mss));
  }));

test('the MSS follows the path MTU back up when the learnt one ages out, never above what the peer announced', () =>
  scenario(async ({ net, host, peer }) => {
    const c = await peer.handshakeActive({ mss: 1300 });
    const ep = endpoint(host, c.hostPort);
    await host.sockets.send(c.fd, new Uint8Array(2000));
    await drain(peer);
    fragNeeded(peer, c, seqAdd(c.iss, 1), 1000);
    await drain(peer);
    assert.equal(ep.sndMss, 960);
    await ackAll(peer, c, ep);
    assert.equal(syncPathMtu(host.tcp, ep), 960, 'still learnt');
    await net.sleep(600_000);
    assert.equal(syncPathMtu(host.tcp, ep), 1300, 'back to the link MTU, within the peer\'s MSS');
    assert.equal(pmtuState(host.tcp, ep).mssClamp, 1300);
  }));

// ---- end to end: a — r1 — (small MTU) — r2 — b ------------------------------------------------

function path(seed: number, midMtu: number, blackHole = false) {
  const net = new Network({ seed });
  net.segment('lan1');
  net.segment('mid', { mtu: midMtu });
  net.segment('lan2');
  const a = net.host('a', { interfaces: [{ segment: 'lan1', address: '10.0.1.2/24' }], gateway: '10.0.1.1' });
  const r1 = net.router('r1', [{ segment: 'lan1', address: '10.0.1.1/24' }, { segment: 'mid', address: '10.0.9.1/24' }], { icmp: { fragNeeded: !blackHole } });
  r1.addRoute('10.0.2.0/24', '10.0.9.2');
  const r2 = net.router('r2', [{ segment: 'mid', address: '10.0.9.2/24' }, { segment: 'lan2', address: '10.0.2.1/24' }]);
  r2.addRoute('10.0.1.0/24', '10.0.9.1');
  const b = net.host('b', { interfaces: [{ segment: 'lan2', address: '10.0.2.2/24' }], gateway: '10.0.2.1' });
  return { net, a, r1, b };
}

/** a sends `data` to b over a fresh connection; resolves to what b received and a's MSS at the end. */
async function transfer(a: Host, b: Host, data: Uint8Array, port = 80): Promise<{ got: Uint8Array; mss: number }> {
  const l = b.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
  b.sockets.setsockopt(l, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
  b.sockets.bind(l, { address: '0.0.0.0', port });
  b.sockets.listen(l, 1);
  const accepting = b.sockets.accept(l);
  const fd = a.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
  await a.sockets.connect(fd, { address: '10.0.2.2', port });
  const [s] = await accepting;
  const sending = (async () => {
    await a.sockets.send(fd, data);
    a.sockets.shutdown(fd, C.SHUT_WR);
  })();
  const parts: Uint8Array[] = [];
  const receiving = (async () => {
    for (;;) {
      const d = await b.sockets.recv(s, 65536);
      if (d.length === 0) break;
      parts.push(d);
    }
  })();
  await Promise.all([sending, receiving]);
  const mss = a.sockets.getsockopt(fd, C.IPPROTO_TCP, C.TCP_MAXSEG) as number;
  await a.sockets.close(fd);
  await b.sockets.close(s);
  await b.sockets.close(l);
  return { got: concat(parts), mss };
}

for (const [mid, ts, want] of [[1280, true, 1228], [1280, false, 1240], [576, true, 524], [576, false, 536]] as const) {
  test(`RFC 1191 end to end, ${mid}-byte middle link, timestamps ${ts ? 'on' : 'off'}: the MSS drops to ${want} and a bulk transfer completes`, async () => {
    const { net, a, r1, b } = path(80 + mid, mid);
    a.tcp.config.timestamps = ts;
    const data = new Rng(mid).fill(new Uint8Array(300_000));
    const { got, mss } = await net.run(() => transfer(a, b, data));
    assert.deepEqual(got, data);
    assert.equal(mss, want);
    assert.equal(a.ip.pathMtu(ip('10.0.2.2')), mid);
    assert.ok(r1.counters.icmp.outDestUnreachs >= 1);
    assert.equal(r1.counters.ip.fragFails, r1.counters.icmp.outDestUnreachs);
    assert.equal(r1.counters.ip.fragCreates, 0, 'DF: the router never fragments');
    assert.equal(a.counters.tcp.extTCPTimeouts, 0, 'recovered from the ICMP, not by a timeout');
  });
}

test('the learnt path MTU serves the next connection at once, and is forgotten after 10 minutes', async () => {
  const { net, a, r1, b } = path(90, 1280);
  const data = new Rng(90).fill(new Uint8Array(50_000));
  await net.run(async () => {
    assert.deepEqual((await transfer(a, b, data)).got, data);
    const errs = r1.counters.icmp.outDestUnreachs;
    assert.ok(errs >= 1);
    const second = await transfer(a, b, data, 81);
    assert.deepEqual(second.got, data);
    assert.equal(second.mss, 1228);
    assert.equal(r1.counters.icmp.outDestUnreachs, errs, 'the second connection never hit the router');
    await net.sleep(600_000);
    assert.equal(a.ip.pathMtu(ip('10.0.2.2')), 1500);
    assert.deepEqual((await transfer(a, b, data, 82)).got, data);
    assert.ok(r1.counters.icmp.outDestUnreachs > errs, 'after expiry the path is discovered again');
  });
  assert.equal(a.counters.ip.pmtuExpired, 1);
});

test('a PMTU black hole (no ICMP): with tcp_mtu_probing 1 the transfer completes after timeouts at a smaller MSS; with 0 it times out', async () => {
  {
    const { net, a, r1, b } = path(91, 1280, true);
    a.tcp.config.mtuProbing = 1;
    const data = new Rng(91).fill(new Uint8Array(100_000));
    const { got, mss } = await net.run(() => transfer(a, b, data));
    assert.deepEqual(got, data);
    // tcp_base_mss, or more once probing upward found room (at most the 1280-byte path's 1228).
    assert.ok(mss >= 1024 && mss <= 1228, `MSS ${mss}`);
    assert.ok(a.counters.tcp.extTCPTimeouts >= 4);
    assert.ok(r1.counters.ip.fragFails > 0);
    assert.equal(r1.counters.icmp.outDestUnreachs, 0);
  }
  {
    const { net, a, r1, b } = path(92, 1280, true);
    a.tcp.config.mtuProbing = 0;
    a.tcp.config.retries2 = 6;
    await net.run(async () => {
      const l = b.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
      b.sockets.bind(l, { address: '0.0.0.0', port: 80 });
      b.sockets.listen(l, 1);
      const fd = a.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
      await a.sockets.connect(fd, { address: '10.0.2.2', port: 80 });
      const ep = a.tcp.endpoints().find((e) => e.remotePort === 80)!;
      await a.sockets.send(fd, new Uint8Array(30_000));
      await assert.rejects(a.sockets.recv(fd, 10), { code: 'ETIMEDOUT' });
      assert.equal(ep.sndMss, 1448, 'the MSS never changed');
    });
    assert.equal(r1.counters.icmp.outDestUnreachs, 0);
  }
});

test('upward probing end to end (tcp_mtu_probing 2, the hooks in output and input): from tcp_base_mss up to what the path carries, never past a black-holing 1280 hop', async () => {
  {
    // A clean 1500-byte path: the search climbs from 1024 towards 1448.
    const { net, a, b } = path(93, 1500, true);
    a.tcp.config.mtuProbing = 2;
    const data = new Rng(93).fill(new Uint8Array(2_000_000));
    const { got, mss } = await net.run(() => transfer(a, b, data));
    assert.deepEqual(got, data);
    assert.ok(a.counters.tcp.extTCPMTUPSuccess >= 1, 'at least one probe succeeded');
    assert.ok(mss > 1024 && mss <= 1448, `MSS ${mss} rose above tcp_base_mss`);
  }
  {
    // A 1280-byte hop that drops DF datagrams silently: probes above it are lost, the MSS stays below.
    const { net, a, b } = path(94, 1280, true);
    a.tcp.config.mtuProbing = 2;
    const data = new Rng(94).fill(new Uint8Array(2_000_000));
    const { got, mss } = await net.run(() => transfer(a, b, data));
    assert.deepEqual(got, data);
    assert.ok(mss >= 1024 && mss <= 1228, `MSS ${mss} fits the 1280-byte hop`);
    assert.ok(a.counters.tcp.extTCPMTUPFail >= 1, 'a probe above 1280 failed');
  }
});

/**
 * Path MTU discovery at the IP layer (RFC 1191): the per-destination cache (learning, the
 * rules for what is ignored, min_pmtu locking, the RFC 1191 §5 plateau for MTU 0, lazy
 * expiry after 10 minutes, a size bound), DF on TCP datagrams, local fragmentation at the
 * path MTU, "fragmentation needed" to ourselves for a DF datagram over it, routers that
 * answer or black-hole, and Linux's ip_no_pmtu_disc modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import type { Host } from '../../src/sim/host.js';
import { PmtuCache } from '../../src/stack/route-table.js';
import { plateauBelow } from '../../src/stack/icmp.js';
import { ETH_HEADER_LEN } from '../../src/wire/ethernet.js';
import { IPV4_HEADER_LEN, IP_PROTO_TCP, IP_PROTO_UDP, emitIpv4 } from '../../src/wire/ipv4.js';
import {
  eth0, frameLog, icmpFrame, icmpSocket, ip, ipFrame, isArp, pair, recvIcmp, routed, udpBound, udpPayload,
} from './helpers.js';

const TEN_MIN = 600_000;

/** Flags and length of the IPv4 header in a frame. */
const ipFields = (f: Uint8Array) => {
  const v = (f[ETH_HEADER_LEN + 6]! << 8) | f[ETH_HEADER_LEN + 7]!;
  return { df: (v & 0x4000) !== 0, mf: (v & 0x2000) !== 0, offset: (v & 0x1fff) * 8, len: (f[ETH_HEADER_LEN + 2]! << 8) | f[ETH_HEADER_LEN + 3]!, proto: f[ETH_HEADER_LEN + 9]! };
};

/** The IPv4 source address of a frame. */
const ipSrc = (f: Uint8Array): number => ((f[ETH_HEADER_LEN + 12]! << 24) | (f[ETH_HEADER_LEN + 13]! << 16) | (f[ETH_HEADER_LEN + 14]! << 8) | f[ETH_HEADER_LEN + 15]!) >>> 0;

/**
 * Injects into `h` an ICMP "fragmentation needed" from `from` with next-hop `mtu`, quoting a
 * datagram `src` -> `dst` of protocol `proto` and total length `total` (header + 8 bytes quoted).
 */
function injectFragNeeded(h: Host, o: { from: string; src: string; dst: string; mtu: number; proto?: number; total?: number }): void {
  const q = new Uint8Array(IPV4_HEADER_LEN + 8);
  emitIpv4({
    headerLength: 20, tos: 0, totalLength: o.total ?? 1500, id: 7, dontFragment: true, moreFragments: false,
    fragmentOffset: 0, ttl: 63, protocol: o.proto ?? IP_PROTO_UDP, src: ip(o.src), dst: ip(o.dst),
  }, q, 0, true);
  q.set([0x13, 0x88, 0x23, 0x28, 0, 8, 0, 0], IPV4_HEADER_LEN); // UDP 5000 -> 9000
  const i = eth0(h);
  h.ip.receiveFrame(i, icmpFrame({ dstMac: i.mac, src: ip(o.from), dst: i.address, icmp: { kind: 'dest-unreachable', code: 4, nextHopMtu: o.mtu, original: q } }));
}

test('PmtuCache: lookup until expiry (lazily dropped and counted), replace, oldest evicted at capacity, format', () => {
  const c = new PmtuCache(3);
  c.set(1, 1400, false, 1000);
  c.set(2, 1300, true, 2000);
  assert.deepEqual(c.lookup(1, 999), { mtu: 1400, locked: false, expires: 1000 });
  assert.equal(c.lookup(1, 1000), null, 'expired at its time');
  assert.equal(c.expired, 1);
  assert.equal(c.size, 1);
  c.set(3, 1200, false, 5000);
  c.set(4, 1100, false, 5000);
  assert.equal(c.size, 3);
  c.set(5, 1000, false, 5000); // full: the oldest (2) makes room
  assert.equal(c.lookup(2, 0), null);
  assert.equal(c.lookup(5, 0)!.mtu, 1000);
  c.set(3, 900, false, 6000); // replacing keeps the size
  assert.equal(c.size, 3);
  assert.deepEqual(c.format(0), ['0.0.0.4 cache expires 5sec mtu 1100', '0.0.0.5 cache expires 5sec mtu 1000', '0.0.0.3 cache expires 6sec mtu 900']);
  c.clear();
  assert.equal(c.size, 0);
});

test('plateauBelow: RFC 1191 §7 table, the largest plateau under the datagram size', () => {
  assert.equal(plateauBelow(1500), 1492);
  assert.equal(plateauBelow(1492), 1006);
  assert.equal(plateauBelow(65535), 32000);
  assert.equal(plateauBelow(576), 508);
  assert.equal(plateauBelow(60), 68);
});

test('fragmentation needed teaches the path MTU; routeTo and pathMtu report it; it ages out after 10 minutes', async () => {
  const { net, a } = routed(61);
  const far = ip('10.0.2.2');
  await net.run(async () => {
    assert.equal(a.ip.routeTo(far)!.mtu, 1500);
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 1280 });
    assert.equal(a.ip.routeTo(far)!.mtu, 1280);
    assert.equal(a.ip.pathMtu(far), 1280);
    // Other destinations behind the same router are not affected (the cache is per destination).
    assert.equal(a.ip.pathMtu(ip('10.0.2.3')), 1500);
    // Loopback and our own addresses: the largest datagram.
    assert.equal(a.ip.routeTo(ip('127.0.0.1'))!.mtu, 65535);
    await net.sleep(TEN_MIN - 1);
    assert.equal(a.ip.pathMtu(far), 1280);
    await net.sleep(1);
    assert.equal(a.ip.pathMtu(far), 1500, 'RFC 1191 §6.3: back to the link MTU after 10 minutes');
  });
  assert.equal(a.counters.ip.pmtuUpdates, 1);
  assert.equal(a.counters.ip.pmtuExpired, 1);
  assert.equal(a.ip.pmtuCache.size, 0);
});

test('what is ignored: MTUs below 68, not below the current path MTU, the link MTU itself; a repeat renews only after half the lifetime', async () => {
  const { net, a } = routed(62);
  const far = ip('10.0.2.2');
  await net.run(async () => {
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 40 });
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 1500 });
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 9000 });
    assert.equal(a.ip.pathMtu(far), 1500);
    assert.equal(a.counters.ip.pmtuIgnored, 3);
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 1400 });
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 1450 }); // above the current 1400
    assert.equal(a.ip.pathMtu(far), 1400);
    assert.equal(a.counters.ip.pmtuIgnored, 4);
    // The same MTU again soon changes nothing; after half the lifetime it renews the entry.
    await net.sleep(TEN_MIN / 2 - 1000);
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 1400 });
    assert.equal(a.counters.ip.pmtuIgnored, 5);
    await net.sleep(2000);
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 1400 });
    assert.equal(a.counters.ip.pmtuUpdates, 2);
    await net.sleep(TEN_MIN / 2 + 5000);
    assert.equal(a.ip.pathMtu(far), 1400, 'renewed: still there after the first lifetime');
    // A report about a datagram some other host sent teaches nothing.
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.9', dst: '10.0.2.3', mtu: 1000 });
    assert.equal(a.ip.pathMtu(ip('10.0.2.3')), 1500);
  });
});

test('below min_pmtu (552): the path MTU is locked at 552 and TCP datagrams then go without DF', async () => {
  const { net, a, b } = routed(63);
  const lan1 = frameLog(net.segment('lan1'));
  await net.run(async () => {
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 300 });
    assert.equal(a.ip.pathMtu(ip('10.0.2.2')), 552);
    assert.deepEqual(a.ip.pmtuCache.format(net.now()), ['10.0.2.2 cache expires 600sec mtu lock 552']);
    const l = b.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
    b.sockets.bind(l, { address: '0.0.0.0', port: 80 });
    b.sockets.listen(l, 1);
    const c = a.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
    await a.sockets.connect(c, { address: '10.0.2.2', port: 80 });
  });
  const tcp = lan1.filter((f) => !isArp(f) && ipFields(f).proto === IP_PROTO_TCP);
  const fromA = tcp.filter((f) => ipSrc(f) === ip('10.0.1.2'));
  assert.ok(fromA.length >= 2);
  for (const f of fromA) assert.equal(ipFields(f).df, false, 'locked path MTU: no DF');
  // b has no such entry: its segments carry DF (Linux IP_PMTUDISC_WANT).
  const fromB = tcp.filter((f) => ipSrc(f) === ip('10.0.2.2'));
  assert.ok(fromB.length >= 1);
  for (const f of fromB) assert.equal(ipFields(f).df, true);
});

test('MTU 0 from an old router: the RFC 1191 §5 plateau below the quoted datagram', async () => {
  const { net, a } = routed(64);
  await net.run(async () => {
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 0, total: 1500 });
    assert.equal(a.ip.pathMtu(ip('10.0.2.2')), 1492);
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 0, total: 1492 });
    assert.equal(a.ip.pathMtu(ip('10.0.2.2')), 1006);
  });
});

test('TCP datagrams carry DF, UDP ones do not', async () => {
  const { net, a, b } = pair(65);
  const log = frameLog(net.segment());
  await net.run(async () => {
    const l = b.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
    b.sockets.bind(l, { address: '0.0.0.0', port: 80 });
    b.sockets.listen(l, 1);
    const c = a.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
    await a.sockets.connect(c, { address: '10.0.0.2', port: 80 });
    await a.sockets.send(c, new Uint8Array(3000));
    const u = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.sendto(u, new Uint8Array(100), 0, { address: '10.0.0.2', port: 9 });
    await net.sleep(10);
  });
  const ipf = log.filter((f) => !isArp(f)).map(ipFields);
  const tcp = ipf.filter((x) => x.proto === IP_PROTO_TCP);
  assert.ok(tcp.length >= 5);
  assert.ok(tcp.every((x) => x.df), 'every TCP datagram has DF');
  assert.ok(ipf.filter((x) => x.proto === IP_PROTO_UDP).every((x) => !x.df));
});

test('UDP follows a learnt path MTU: a datagram too big for it is fragmented by the sender to fit', async () => {
  const { net, a, r, b } = routed(66, { mtu: 1000 });
  const lan1 = frameLog(net.segment('lan1'));
  await net.run(async () => {
    const icmp = icmpSocket(a.sockets);
    const rfd = udpBound(b, 9000);
    // A DF datagram (raw, IP_HDRINCL) the router cannot forward teaches a the path MTU of 1000.
    const raw = a.sockets.socket(C.AF_INET, C.SOCK_RAW, C.IPPROTO_RAW);
    const dgram = new Uint8Array(IPV4_HEADER_LEN + 8 + 1372);
    dgram.set(udpPayload(ip('10.0.1.2'), ip('10.0.2.2'), 5000, 9000, new Uint8Array(1372)), IPV4_HEADER_LEN);
    emitIpv4({
      headerLength: 20, tos: 0, totalLength: dgram.length, id: 77, dontFragment: true, moreFragments: false,
      fragmentOffset: 0, ttl: 64, protocol: 17, src: ip('10.0.1.2'), dst: ip('10.0.2.2'),
    }, dgram, 0, true);
    await a.sockets.sendto(raw, dgram, 0, { address: '10.0.2.2', port: 0 });
    const m = await recvIcmp(a.sockets, icmp);
    assert.equal(m.icmp.kind, 'dest-unreachable');
    assert.equal(a.ip.pathMtu(ip('10.0.2.2')), 1000);
    lan1.length = 0;
    const u = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.sendto(u, new Uint8Array(2500), 0, { address: '10.0.2.2', port: 9000 });
    assert.equal((await b.sockets.recv(rfd, 4000)).length, 2500);
  });
  const frags = lan1.filter((f) => !isArp(f) && ipFields(f).proto === IP_PROTO_UDP && ipSrc(f) === ip('10.0.1.2'));
  assert.equal(frags.length, 3, 'a cut 2508 bytes into 976 + 976 + 556');
  for (const f of frags) assert.ok(ipFields(f).len <= 1000);
  assert.equal(r.counters.ip.fragCreates, 0, 'the router had nothing left to cut');
});

test('a DF datagram over the learnt path MTU is refused locally (EMSGSIZE) and its sender hears fragmentation needed', async () => {
  const { net, a } = routed(67);
  await net.run(async () => {
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 1000 });
    const icmp = icmpSocket(a.sockets);
    const raw = a.sockets.socket(C.AF_INET, C.SOCK_RAW, C.IPPROTO_RAW);
    const dgram = new Uint8Array(1200);
    emitIpv4({
      headerLength: 20, tos: 0, totalLength: 1200, id: 9, dontFragment: true, moreFragments: false,
      fragmentOffset: 0, ttl: 64, protocol: 253, src: ip('10.0.1.2'), dst: ip('10.0.2.2'),
    }, dgram, 0, true);
    await assert.rejects(a.sockets.sendto(raw, dgram, 0, { address: '10.0.2.2', port: 0 }), { code: 'EMSGSIZE' });
    const m = await recvIcmp(a.sockets, icmp);
    assert.equal(m.icmp.kind, 'dest-unreachable');
    const e = m.icmp as { code: number; nextHopMtu: number };
    assert.equal(e.code, 4);
    assert.equal(e.nextHopMtu, 1000);
  });
  assert.equal(a.counters.ip.fragFails, 1);
  assert.equal(a.counters.ip.fragCreates, 0);
});

test('a black-holing router (fragNeeded off) drops DF datagrams too big for the next link without a word', async () => {
  const { net, a, r } = routed(68, { mtu: 1000 });
  r.ip.icmp.opts.fragNeeded = false;
  const rIf = eth0(r);
  await net.run(async () => {
    r.ip.receiveFrame(rIf, ipFrame({ dstMac: rIf.mac, src: ip('10.0.1.2'), dst: ip('10.0.2.2'), protocol: 17, df: true, payload: new Uint8Array(1200) }));
    await net.sleep(100);
  });
  assert.equal(r.counters.ip.fragFails, 1);
  assert.equal(r.counters.icmp.outDestUnreachs, 0);
  assert.equal(r.counters.ip.forwDatagrams, 0);
  assert.equal(a.counters.icmp.inDestUnreachs, 0);
});

test('ip_no_pmtu_disc: 1 means no DF and min_pmtu on any report, 2 ignores reports, 3 gives them to TCP only', async () => {
  const { net, a, b } = routed(69);
  const far = ip('10.0.2.2');
  const lan1 = frameLog(net.segment('lan1'));
  await net.run(async () => {
    a.ip.noPmtuDisc = 2;
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 1200 });
    assert.equal(a.ip.pathMtu(far), 1500);
    assert.equal(a.counters.icmp.inDestUnreachs, 1);
    a.ip.noPmtuDisc = 3;
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 1200 });
    assert.equal(a.ip.pathMtu(far), 1500, 'UDP does not check the quote: ignored');
    a.ip.noPmtuDisc = 1;
    injectFragNeeded(a, { from: '10.0.1.1', src: '10.0.1.2', dst: '10.0.2.2', mtu: 1200 });
    assert.equal(a.ip.pathMtu(far), 552, 'mode 1: min_pmtu whatever the router said');
    const l = b.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
    b.sockets.bind(l, { address: '0.0.0.0', port: 80 });
    b.sockets.listen(l, 1);
    lan1.length = 0;
    const c = a.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
    await a.sockets.connect(c, { address: '10.0.2.2', port: 80 });
    await a.sockets.send(c, new Uint8Array(2000));
    await net.sleep(10);
  });
  const syns = lan1.filter((f) => !isArp(f) && ipFields(f).proto === IP_PROTO_TCP && ipSrc(f) === ip('10.0.1.2'));
  assert.ok(syns.length >= 3);
  for (const f of syns) assert.equal(ipFields(f).df, false, 'PMTU discovery off: no DF on TCP');
  assert.ok(syns.every((f) => ipFields(f).len <= 552), 'segments follow the 552-byte path MTU');
});

test('the cache is bounded: a flood of reports for many destinations keeps at most pmtuCacheSize entries', async () => {
  const { net, a } = routed(70);
  a.ip.pmtuCache.clear();
  await net.run(async () => {
    for (let i = 0; i < 5000; i++) {
      a.ip.learnPmtu(((10 << 24) | (2 << 16) | i) >>> 0, 1000 + (i % 400));
    }
  });
  assert.equal(a.ip.pmtuCache.size, 4096);
  assert.equal(a.ip.pathMtu(ip('10.2.0.0')), 1500, 'the oldest entries made room');
  assert.equal(a.ip.pathMtu(((10 << 24) | (2 << 16) | 4999) >>> 0), 1000 + (4999 % 400));
});

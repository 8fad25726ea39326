import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import { Rng } from '../../src/time/rng.js';
import { emitIpv4, IPV4_HEADER_LEN } from '../../src/wire/ipv4.js';
import { ETH_HEADER_LEN } from '../../src/wire/ethernet.js';
import { Network } from '../../src/sim/network.js';
import {
  enc, eth0, frameLog, icmpSocket, ip, ipFrame, isArp, pair, recvIcmp, routed, sendEcho, udpBound, udpPayload,
} from './helpers.js';

const MAX_UDP = 65507;

/** Frame offsets of the IPv4 header fields we look at on the wire. */
const fragField = (f: Uint8Array) => {
  const v = (f[ETH_HEADER_LEN + 6]! << 8) | f[ETH_HEADER_LEN + 7]!;
  return { mf: (v & 0x2000) !== 0, df: (v & 0x4000) !== 0, offset: (v & 0x1fff) * 8, len: (f[ETH_HEADER_LEN + 2]! << 8) | f[ETH_HEADER_LEN + 3]! };
};

test('a 65507-byte UDP datagram crosses MTU 1500 in fragments and arrives identical', async () => {
  const { net, a, b } = pair(41);
  const log = frameLog(net.segment());
  const data = new Rng(41).fill(new Uint8Array(MAX_UDP));
  await net.run(async () => {
    const rfd = udpBound(b, 9000);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    assert.equal(await a.sockets.sendto(fd, data, 0, { address: '10.0.0.2', port: 9000 }), MAX_UDP);
    const got = await b.sockets.recv(rfd, 70000);
    assert.equal(got.length, MAX_UDP);
    assert.ok(Buffer.from(got).equals(Buffer.from(data)));
    // One byte more does not fit in an IPv4 datagram.
    await assert.rejects(a.sockets.sendto(fd, new Uint8Array(MAX_UDP + 1), 0, { address: '10.0.0.2', port: 9000 }), { code: 'EMSGSIZE' });
  });
  const frags = log.filter((f) => !isArp(f));
  assert.equal(frags.length, 45); // ceil((65507 + 8) / 1480)
  for (const f of frags) assert.ok(f.length - ETH_HEADER_LEN <= 1500);
  const fields = frags.map(fragField);
  assert.deepEqual(fields.map((x) => x.offset), fields.map((_, i) => i * 1480));
  assert.deepEqual(fields.map((x) => x.mf), fields.map((_, i) => i < 44));
  assert.equal(a.counters.ip.fragOKs, 1);
  assert.equal(a.counters.ip.fragCreates, 45);
  assert.equal(b.counters.ip.reasmReqds, 45);
  assert.equal(b.counters.ip.reasmOKs, 1);
  assert.equal(b.ip.reassembler.bytesHeld, 0);
});

test('fragments arriving out of order and duplicated still reassemble once', async () => {
  const net = new Network({ seed: 42, link: { reorder: 0.3, duplicate: 0.3, jitter: 2, latency: 1 } });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  const data = new Rng(42).fill(new Uint8Array(20000));
  await net.run(async () => {
    const rfd = udpBound(b, 9000);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.sendto(fd, data, 0, { address: '10.0.0.2', port: 9000 });
    const got = await b.sockets.recv(rfd, 70000);
    assert.ok(Buffer.from(got).equals(Buffer.from(data)));
    await net.sleep(100);
    await assert.rejects(b.sockets.recv(rfd, 70000, C.MSG_DONTWAIT), { code: 'EAGAIN' });
  });
  assert.ok(net.segment().counters.duplicated > 0);
  assert.equal(b.counters.ip.reasmOKs, 1);
});

test('a router fragments onto a smaller-MTU segment; the far host reassembles', async () => {
  const { net, a, r, b } = routed(43, { mtu: 576 });
  const lan2 = frameLog(net.segment('lan2'));
  const data = new Rng(43).fill(new Uint8Array(3000));
  await net.run(async () => {
    const rfd = udpBound(b, 9000);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.sendto(fd, data, 0, { address: '10.0.2.2', port: 9000 });
    const got = await b.sockets.recv(rfd, 70000);
    assert.ok(Buffer.from(got).equals(Buffer.from(data)));
  });
  // a cut 3008 bytes into 1480 + 1480 + 48; r cut each to fit 576 (552-byte pieces).
  assert.equal(a.counters.ip.fragCreates, 3);
  const frags = lan2.filter((f) => !isArp(f) && f[ETH_HEADER_LEN + 9] === 17);
  for (const f of frags) assert.ok(f.length - ETH_HEADER_LEN <= 576);
  const fields = frags.map(fragField).sort((x, y) => x.offset - y.offset);
  assert.deepEqual(fields.map((x) => x.offset), [0, 552, 1104, 1480, 2032, 2584, 2960]);
  assert.deepEqual(fields.map((x) => x.mf), [true, true, true, true, true, true, false]);
  for (const f of frags) assert.equal(f[ETH_HEADER_LEN + 8], 63); // TTL decremented once
  assert.equal(r.counters.ip.forwDatagrams, 3);
  assert.equal(r.counters.ip.fragCreates, 6); // the 48-byte tail fits as it is
  assert.equal(r.counters.ip.fragOKs, 2);
  assert.equal(b.counters.ip.reasmOKs, 1);
});

test('DF set and too big for the next hop: ICMP fragmentation needed with the next-hop MTU', async () => {
  const { net, a, r, b } = routed(44, { mtu: 1000 });
  await net.run(async () => {
    const icmp = icmpSocket(a.sockets);
    // IPPROTO_RAW implies IP_HDRINCL: we choose the DF bit.
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
    const e = m.icmp as { code: number; nextHopMtu: number; original: Uint8Array };
    assert.equal(e.code, 4);
    assert.equal(e.nextHopMtu, 1000);
    assert.equal(m.ip.src, ip('10.0.1.1'));
    // Without DF it goes through, fragmented by the router.
    const rfd = udpBound(b, 9000);
    dgram[6] = 0;
    emitIpv4({
      headerLength: 20, tos: 0, totalLength: dgram.length, id: 78, dontFragment: false, moreFragments: false,
      fragmentOffset: 0, ttl: 64, protocol: 17, src: ip('10.0.1.2'), dst: ip('10.0.2.2'),
    }, dgram, 0, true);
    await a.sockets.sendto(raw, dgram, 0, { address: '10.0.2.2', port: 0 });
    assert.equal((await b.sockets.recv(rfd, 2000)).length, 1372);
  });
  assert.equal(r.counters.ip.fragFails, 1);
  assert.equal(r.counters.icmp.outDestUnreachs, 1);
  assert.equal(b.counters.ip.reasmOKs, 1);
});

test('fragmentation needed is not rate-limited (PMTU discovery must work)', async () => {
  const { net, a, r } = routed(49, { mtu: 1000 });
  const rIf = eth0(r);
  await net.run(async () => {
    for (let i = 0; i < 20; i++) {
      r.ip.receiveFrame(rIf, ipFrame({ dstMac: rIf.mac, src: ip('10.0.1.2'), dst: ip('10.0.2.2'), protocol: 17, id: i, df: true, payload: new Uint8Array(1200) }));
    }
    await net.sleep(100);
  });
  assert.equal(r.counters.icmp.outDestUnreachs, 20);
  assert.equal(r.counters.icmp.outRateLimited, 0);
  assert.equal(a.counters.icmp.inDestUnreachs, 20);
});

test('a host will not fragment a DF datagram itself: EMSGSIZE', async () => {
  const { net, a } = pair(45);
  await net.run(async () => {
    const raw = a.sockets.socket(C.AF_INET, C.SOCK_RAW, C.IPPROTO_RAW);
    const dgram = new Uint8Array(1600);
    emitIpv4({
      headerLength: 20, tos: 0, totalLength: 1600, id: 1, dontFragment: true, moreFragments: false,
      fragmentOffset: 0, ttl: 64, protocol: 253, src: ip('10.0.0.1'), dst: ip('10.0.0.2'),
    }, dgram, 0, true);
    await assert.rejects(a.sockets.sendto(raw, dgram, 0, { address: '10.0.0.2', port: 0 }), { code: 'EMSGSIZE' });
  });
  // raw_send_hdrinc refuses it before IP output: nothing is sent, nothing fragmented.
  assert.equal(a.counters.raw.outPackets, 0);
  assert.equal(a.counters.ip.outRequests, 0);
  assert.equal(a.counters.ip.fragCreates, 0);
});

test('reassembly timeout: ICMP time exceeded (code 1) only when fragment 0 arrived', async () => {
  const { net, a, b } = pair(46);
  const bIf = eth0(b);
  const src = ip('10.0.0.1');
  const dst = ip('10.0.0.2');
  const udp = udpPayload(src, dst, 5000, 9000, new Uint8Array(200));
  await net.run(async () => {
    const icmp = icmpSocket(a.sockets);
    // Datagram 1: only its first fragment.
    b.ip.receiveFrame(bIf, ipFrame({ dstMac: bIf.mac, src, dst, protocol: 17, id: 1, mf: true, payload: udp.subarray(0, 104) }));
    // Datagram 2: only a later fragment.
    b.ip.receiveFrame(bIf, ipFrame({ dstMac: bIf.mac, src, dst, protocol: 17, id: 2, offset: 104, payload: udp.subarray(104) }));
    assert.equal(b.ip.reassembler.pending, 2);
    await net.sleep(29_000);
    assert.equal(b.counters.icmp.outTimeExcds, 0);
    await net.sleep(2_000);
    assert.equal(b.ip.reassembler.pending, 0);
    assert.equal(b.ip.reassembler.bytesHeld, 0);
    const m = await recvIcmp(a.sockets, icmp);
    assert.equal(m.icmp.kind, 'time-exceeded');
    const e = m.icmp as { code: number; original: Uint8Array };
    assert.equal(e.code, 1);
    // The quote is fragment 0's header and its first 8 payload bytes (the UDP header).
    assert.equal(e.original.length, 28);
    assert.equal((e.original[4]! << 8) | e.original[5]!, 1);
    assert.deepEqual(e.original.subarray(20), udp.subarray(0, 8));
    await net.sleep(1000);
    await assert.rejects(a.sockets.recv(icmp, 100, C.MSG_DONTWAIT), { code: 'EAGAIN' });
  });
  assert.equal(b.counters.ip.reasmTimeout, 2);
  assert.equal(b.counters.ip.reasmFails, 2);
  assert.equal(b.counters.icmp.outTimeExcds, 1);
  assert.equal(a.counters.icmp.inTimeExcds, 1);
});

test('overlapping fragments drop the datagram and are counted', async () => {
  const { net, b } = pair(47);
  const bIf = eth0(b);
  const src = ip('10.0.0.1');
  const dst = ip('10.0.0.2');
  await net.run(async () => {
    udpBound(b, 9000);
    b.ip.receiveFrame(bIf, ipFrame({ dstMac: bIf.mac, src, dst, protocol: 17, id: 9, mf: true, payload: new Uint8Array(64) }));
    b.ip.receiveFrame(bIf, ipFrame({ dstMac: bIf.mac, src, dst, protocol: 17, id: 9, offset: 32, payload: new Uint8Array(64).fill(1) }));
    assert.equal(b.ip.reassembler.pending, 0);
  });
  assert.equal(b.counters.ip.reasmOverlaps, 1);
  assert.equal(b.counters.ip.reasmFails, 1);
  assert.equal(b.counters.ip.reasmOKs, 0);
  void enc;
});

test('a large ping is fragmented both ways and echoed intact, also through a small-MTU hop', async () => {
  const { net, a, r, b } = routed(48, { mtu: 600 });
  const data = new Rng(48).fill(new Uint8Array(5000));
  await net.run(async () => {
    const fd = icmpSocket(a.sockets);
    await sendEcho(a.sockets, fd, '10.0.2.2', 0x42, 1, data);
    const m = await recvIcmp(a.sockets, fd);
    assert.equal(m.icmp.kind, 'echo-reply');
    assert.ok(Buffer.from((m.icmp as { data: Uint8Array }).data).equals(Buffer.from(data)));
    assert.equal(m.ip.totalLength, 20 + 8 + 5000);
  });
  assert.equal(b.counters.ip.reasmOKs, 1);
  assert.equal(a.counters.ip.reasmOKs, 1);
  assert.ok(r.counters.ip.fragCreates > 0);
  void enc;
});

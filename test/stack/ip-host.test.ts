import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import { newCounters, type Counters } from '../../src/stack/counters.js';
import { fillIpv4Checksum } from '../../src/wire/ipv4.js';
import { ETH_HEADER_LEN } from '../../src/wire/ethernet.js';
import { ARP_REPLY } from '../../src/wire/arp.js';
import { BROADCAST_MAC } from '../../src/wire/address.js';
import {
  OTHER_MAC, arpFrame, dec, enc, eth0, frameLog, icmpFrame, icmpSocket, ip, ipFrame, pair, recvIcmp, sendEcho,
  udpBound, udpFrame,
} from './helpers.js';

const A = ip('10.0.0.1');
const B = ip('10.0.0.2');

/** Every counter as 'group.name' -> value. */
function flat(c: Counters): Map<string, number> {
  const m = new Map<string, number>();
  for (const [g, group] of Object.entries(c)) for (const [k, v] of Object.entries(group as Record<string, number>)) m.set(`${g}.${k}`, v);
  return m;
}

/** The counters that moved between two snapshots. */
function moved(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v !== before.get(k)) out[k] = v - before.get(k)!;
  return out;
}

/** Rewrites an IPv4 header field of a frame and fixes the header checksum. */
function patch(frame: Uint8Array, at: number, bytes: number[], fix = true): Uint8Array {
  const f = frame.slice();
  f.set(bytes, ETH_HEADER_LEN + at);
  if (fix) fillIpv4Checksum(f, ETH_HEADER_LEN, (f[ETH_HEADER_LEN]! & 0x0f) * 4 || 20);
  return f;
}

test('hostile and malformed frames are dropped, counted by the right counter, and never throw', async () => {
  const { net, a, b } = pair(51);
  const bIf = eth0(b);
  const mac = bIf.mac;
  const log = frameLog(net.segment());
  const udp = (over: Partial<Parameters<typeof udpFrame>[0]> = {}) =>
    udpFrame({ dstMac: mac, src: A, dst: B, sport: 1234, dport: 7000, data: enc('payload!'), ...over });
  const good = udp();
  const cases: Array<[string, Uint8Array, Record<string, number>]> = [
    ['bad version', patch(good, 0, [0x65]), { 'ip.inHdrErrors': 1 }],
    ['IHL < 5', patch(good, 0, [0x44], false), { 'ip.inHdrErrors': 1 }],
    ['IHL beyond the frame', patch(good, 0, [0x4f], false), { 'ip.inHdrErrors': 1 }],
    ['header checksum wrong', patch(good, 10, [0xde, 0xad], false), { 'ip.inHdrErrors': 1, 'ip.inCsumErrors': 1 }],
    ['total length < header', patch(good, 2, [0, 12]), { 'ip.inHdrErrors': 1 }],
    ['total length > frame', patch(good, 2, [0x01, 0x00]), { 'ip.inTruncatedPkts': 1 }],
    ['reserved flag set', patch(good, 6, [0x80, 0]), { 'ip.inHdrErrors': 1 }],
    ['frame cut inside the IP header', good.slice(0, ETH_HEADER_LEN + 12), { 'ip.inHdrErrors': 1 }],
    ['empty IP payload', good.slice(0, ETH_HEADER_LEN), { 'ip.inHdrErrors': 1 }],
    ['source 255.255.255.255', udp({ src: 0xffffffff }), { 'ip.inAddrErrors': 1 }],
    ['source multicast', udp({ src: ip('224.0.0.5') }), { 'ip.inAddrErrors': 1 }],
    ['source class E', udp({ src: ip('240.1.2.3') }), { 'ip.inAddrErrors': 1 }],
    ['source is our subnet broadcast', udp({ src: ip('10.0.0.255') }), { 'ip.inAddrErrors': 1 }],
    ['source 127/8 from the wire', udp({ src: ip('127.0.0.1') }), { 'ip.inAddrErrors': 1 }],
    ['destination 127/8 from the wire', udp({ dst: ip('127.0.0.1') }), { 'ip.inAddrErrors': 1 }],
    ['source 0.0.0.0 to a unicast address', udp({ src: 0 }), { 'ip.inAddrErrors': 1 }],
    ['source 0.1.2.3', udp({ src: ip('0.1.2.3') }), { 'ip.inAddrErrors': 1 }],
    ['source 0.0.0.0 to 255.255.255.255 (DHCP) is fine', udp({ src: 0, dst: 0xffffffff, dstMac: BROADCAST_MAC, dport: 67 }), { 'ip.inDelivers': 1, 'udp.noPorts': 1 }],
    ['destination another host (not a router)', udp({ dst: ip('10.0.0.3') }), { 'ip.inAddrErrors': 1 }],
    ['runt Ethernet frame', good.slice(0, 10), { 'link.inTruncated': 1 }],
    ['unknown ethertype', patch(good, -2, [0x88, 0xb5], false), { 'link.inUnknownEthertype': 1 }],
    ['frame for another MAC', (() => { const f = good.slice(); f.set(OTHER_MAC, 0); return f; })(), { 'link.inNotForUs': 1 }],
    ['UDP checksum wrong', (() => { const f = good.slice(); f[f.length - 1]! ^= 0xff; return f; })(), { 'ip.inDelivers': 1, 'udp.inErrors': 1, 'udp.inCsumErrors': 1 }],
    ['UDP length beyond the IP payload', patch(good, 24, [0x10, 0x00], false), { 'ip.inDelivers': 1, 'udp.inErrors': 1 }],
    ['UDP shorter than its header', ipFrame({ dstMac: mac, src: A, dst: B, protocol: 17, payload: new Uint8Array(5) }), { 'ip.inDelivers': 1, 'udp.inErrors': 1 }],
    ['ICMP checksum wrong', (() => {
      const f = icmpFrame({ dstMac: mac, src: A, dst: B, icmp: { kind: 'echo-request', id: 1, seq: 1, data: enc('x') } });
      f[f.length - 1]! ^= 1;
      return f;
    })(), { 'ip.inDelivers': 1, 'icmp.inMsgs': 1, 'icmp.inErrors': 1, 'icmp.inCsumErrors': 1 }],
    ['ICMP shorter than its header', ipFrame({ dstMac: mac, src: A, dst: B, protocol: 1, payload: new Uint8Array(4) }), { 'ip.inDelivers': 1, 'icmp.inMsgs': 1, 'icmp.inErrors': 1 }],
    ['ICMP error quoting garbage', icmpFrame({ dstMac: mac, src: A, dst: B, icmp: { kind: 'dest-unreachable', code: 3, nextHopMtu: 0, original: new Uint8Array(28).fill(0x99) } }),
      { 'ip.inDelivers': 1, 'icmp.inMsgs': 1, 'icmp.inDestUnreachs': 1, 'icmp.inErrors': 1 }],
    ['ARP cut short', arpFrame({ senderMac: OTHER_MAC, senderIp: A, targetIp: B }).slice(0, 30), { 'arp.inErrors': 1 }],
    ['ARP with hlen 8', (() => { const f = arpFrame({ senderMac: OTHER_MAC, senderIp: A, targetIp: B }); f[18] = 8; return f; })(), { 'arp.inErrors': 1 }],
    ['ARP opcode 3 (RARP)', (() => { const f = arpFrame({ senderMac: OTHER_MAC, senderIp: A, targetIp: B }); f[21] = 3; return f; })(), { 'arp.inErrors': 1 }],
    ['ARP from a multicast sender IP', arpFrame({ op: ARP_REPLY, ethDst: mac, senderMac: OTHER_MAC, senderIp: ip('224.0.0.1'), targetIp: B }), { 'arp.inReplies': 1, 'arp.inErrors': 1 }],
  ];
  await net.run(async () => {
    const rfd = udpBound(b, 7000);
    await net.sleep(1);
    log.length = 0;
    for (const [name, frame, expect] of cases) {
      const before = flat(b.counters);
      assert.doesNotThrow(() => b.ip.receiveFrame(bIf, frame), name);
      const delta = moved(before, flat(b.counters));
      // Every frame counts as received at the link, and as an IP datagram if it got that far.
      delete delta['link.inFrames'];
      delete delta['ip.inReceives'];
      assert.deepEqual(delta, expect, name);
    }
    await net.sleep(100);
    assert.equal(log.length, 0, 'b never answered any of them');
    assert.equal(b.ip.neighbors.size, 0);
    await assert.rejects(b.sockets.recv(rfd, 100, C.MSG_DONTWAIT), { code: 'EAGAIN' });
    // The good frame still gets through, and b still answers a ping.
    b.ip.receiveFrame(bIf, good);
    assert.equal(dec(await b.sockets.recv(rfd, 100)), 'payload!');
    const fd = icmpSocket(a.sockets);
    await sendEcho(a.sockets, fd, '10.0.0.2', 1, 1, enc('alive?'));
    assert.equal((await recvIcmp(a.sockets, fd)).icmp.kind, 'echo-reply');
  });
  // Every case was accounted for in some drop counter (the test table is not empty by accident).
  assert.ok(cases.length >= 25);
  void newCounters;
});

test('Ethernet padding after the IP datagram is ignored', async () => {
  const { net, b } = pair(52);
  const bIf = eth0(b);
  await net.run(async () => {
    const rfd = udpBound(b, 7000);
    const f = udpFrame({ dstMac: bIf.mac, src: A, dst: B, sport: 1, dport: 7000, data: enc('hi') });
    const padded = new Uint8Array(60);
    padded.set(f, 0);
    padded.fill(0xee, f.length);
    b.ip.receiveFrame(bIf, padded);
    assert.equal(dec(await b.sockets.recv(rfd, 100)), 'hi');
  });
  assert.equal(b.counters.udp.inDatagrams, 1);
});

test('a datagram for another of our addresses is accepted on any interface (weak host)', async () => {
  const { net, a } = pair(53);
  const h = net.host('multi', {
    interfaces: [
      { address: '10.0.0.9/24' },
      { segment: 'other', address: '192.168.1.1/24' },
    ],
  });
  await net.run(async () => {
    const rfd = udpBound(h, 7000);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    a.addRoute('192.168.1.0/24', '10.0.0.9');
    await a.sockets.sendto(fd, enc('weak'), 0, { address: '192.168.1.1', port: 7000 });
    const [d, from] = await h.sockets.recvfrom(rfd, 100);
    assert.equal(dec(d), 'weak');
    assert.equal(from.address, '10.0.0.1');
  });
  assert.equal(h.counters.ip.forwDatagrams, 0);
});

test('a down interface neither sends nor receives', async () => {
  const { net, a, b } = pair(54);
  await net.run(async () => {
    const rfd = udpBound(b, 7000);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await net.sleep(1); // b's start-up announcement is out of the way
    eth0(b).up = false;
    await a.sockets.sendto(fd, enc('1'), 0, { address: '10.0.0.2', port: 7000 });
    await net.sleep(5000);
    await assert.rejects(b.sockets.recv(rfd, 100, C.MSG_DONTWAIT), { code: 'EAGAIN' });
    eth0(b).up = true;
    await a.sockets.sendto(fd, enc('2'), 0, { address: '10.0.0.2', port: 7000 });
    assert.equal(dec(await b.sockets.recv(rfd, 100)), '2');
  });
  assert.equal(a.counters.arp.resolveFailures, 1);
});

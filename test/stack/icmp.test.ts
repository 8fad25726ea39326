import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import { Network } from '../../src/sim/network.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { WireError } from '../../src/wire/error.js';
import { BROADCAST_MAC } from '../../src/wire/address.js';
import {
  dec, drain, enc, eth0, frameLog, icmpFrame, icmpSocket, ip, ipFrame, isArp, pair, recvIcmp, recvIcmpMatching,
  routed, sendEcho, udpBound, udpFrame,
} from './helpers.js';
import type { ReceivedIcmp } from './helpers.js';

type Err = { kind: string; code: number; original: Uint8Array; nextHopMtu?: number };
const err = (m: ReceivedIcmp): Err => m.icmp as unknown as Err;
const notEchoRequest = (m: ReceivedIcmp): boolean => m.icmp.kind !== 'echo-request';

test('ICMP echo: the reply has the same id, seq and data, from the address pinged', async () => {
  const { net, a, b } = pair(21);
  await net.run(async () => {
    const fd = icmpSocket(a.sockets);
    const data = new Uint8Array(56).map((_, i) => i * 7);
    await sendEcho(a.sockets, fd, '10.0.0.2', 0xbeef, 3, data);
    const m = await recvIcmp(a.sockets, fd);
    assert.equal(m.icmp.kind, 'echo-reply');
    const r = m.icmp as { id: number; seq: number; data: Uint8Array };
    assert.equal(r.id, 0xbeef);
    assert.equal(r.seq, 3);
    assert.deepEqual(r.data, data);
    assert.equal(m.ip.src, ip('10.0.0.2'));
    assert.equal(m.ip.dst, ip('10.0.0.1'));
    assert.equal(m.ip.ttl, 64);
  });
  assert.equal(b.counters.icmp.inEchos, 1);
  assert.equal(b.counters.icmp.outEchoReps, 1);
  assert.equal(a.counters.icmp.inEchoReps, 1);
});

test('ICMP echo over loopback: checksums are valid for the pinger', async () => {
  const { net, a } = pair(22);
  await net.run(async () => {
    const fd = icmpSocket(a.sockets);
    for (const dst of ['127.0.0.1', '10.0.0.1']) {
      await sendEcho(a.sockets, fd, dst, 9, 1, enc('loop'));
      // The raw socket sees its own request too (it is a local datagram), then the reply.
      const m = await recvIcmpMatching(a.sockets, fd, notEchoRequest);
      assert.equal(m.icmp.kind, 'echo-reply');
      assert.equal(m.ip.src, ip(dst));
      assert.equal(dec((m.icmp as { data: Uint8Array }).data), 'loop');
    }
  });
});

test('ICMP echo across a router: the reply TTL shows one hop (64 - 1)', async () => {
  const { net, a, r } = routed(23);
  await net.run(async () => {
    const fd = icmpSocket(a.sockets);
    await sendEcho(a.sockets, fd, '10.0.2.2', 1, 1, enc('far'));
    const m = await recvIcmp(a.sockets, fd);
    assert.equal(m.icmp.kind, 'echo-reply');
    assert.equal(m.ip.ttl, 63);
    // The router answers for itself too, on either of its addresses, without a decrement.
    for (const addr of ['10.0.1.1', '10.0.2.1']) {
      await sendEcho(a.sockets, fd, addr, 1, 2, enc('r'));
      const m2 = await recvIcmp(a.sockets, fd);
      assert.equal(m2.ip.src, ip(addr));
      assert.equal(m2.ip.ttl, 64);
    }
  });
  assert.equal(r.counters.ip.forwDatagrams, 2);
});

test('TTL 1 through a router: ICMP time exceeded back to the sender, quoting the datagram', async () => {
  const { net, a, r, b } = routed(24);
  await net.run(async () => {
    const icmp = icmpSocket(a.sockets);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    a.sockets.setsockopt(fd, C.IPPROTO_IP, C.IP_TTL, 1);
    await a.sockets.sendto(fd, enc('short-lived'), 0, { address: '10.0.2.2', port: 33434 });
    const m = await recvIcmp(a.sockets, icmp);
    assert.equal(m.icmp.kind, 'time-exceeded');
    assert.equal(err(m).code, 0);
    assert.equal(m.ip.src, ip('10.0.1.1'));
    const q = parseIpv4(err(m).original, 0, err(m).original.length, true);
    assert.ok(!(q instanceof WireError), 'the quoted header is the original one, checksum intact');
    assert.equal(q.dst, ip('10.0.2.2'));
    assert.equal(q.ttl, 1);
    // TTL 2 gets through.
    a.sockets.setsockopt(fd, C.IPPROTO_IP, C.IP_TTL, 2);
    const rfd = udpBound(b, 33435);
    await a.sockets.sendto(fd, enc('ok'), 0, { address: '10.0.2.2', port: 33435 });
    assert.equal(dec(await b.sockets.recv(rfd, 10)), 'ok');
  });
  assert.equal(r.counters.ip.inTtlExceeded, 1);
  assert.equal(r.counters.icmp.outTimeExcds, 1);
  assert.equal(a.counters.icmp.inTimeExcds, 1);
});

test('a router without a route answers ICMP net unreachable', async () => {
  const { net, a, r } = routed(25);
  await net.run(async () => {
    const icmp = icmpSocket(a.sockets);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.sendto(fd, enc('nowhere'), 0, { address: '198.51.100.1', port: 9 });
    const m = await recvIcmp(a.sockets, icmp);
    assert.equal(m.icmp.kind, 'dest-unreachable');
    assert.equal(err(m).code, 0);
    assert.equal(m.ip.src, ip('10.0.1.1'));
  });
  assert.equal(r.counters.ip.outNoRoutes, 1);
  assert.equal(r.counters.icmp.outDestUnreachs, 1);
});

test('UDP to a closed port: ICMP port unreachable, ECONNREFUSED on a connected socket', async () => {
  const { net, a, b } = pair(26);
  await net.run(async () => {
    const icmp = icmpSocket(a.sockets);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.connect(fd, { address: '10.0.0.2', port: 9999 });
    await a.sockets.send(fd, enc('anyone?'));
    const m = await recvIcmp(a.sockets, icmp);
    assert.equal(m.icmp.kind, 'dest-unreachable');
    assert.equal(err(m).code, 3);
    // Port unreachable is a hard error for a connected UDP socket (Linux icmp_err_convert).
    await assert.rejects(a.sockets.recv(fd, 100), { code: 'ECONNREFUSED' });
    // Reported once.
    await assert.rejects(a.sockets.recv(fd, 100, C.MSG_DONTWAIT), { code: 'EAGAIN' });
  });
  assert.equal(b.counters.udp.noPorts, 1);
  assert.equal(b.counters.icmp.outDestUnreachs, 1);
  assert.equal(a.counters.icmp.inDestUnreachs, 1);
});

test('ICMP errors are rate-limited per destination: a burst of 6, then 1 per second', async () => {
  const { net, a, b } = pair(27);
  await net.run(async () => {
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    const burst = async (n: number) => {
      for (let i = 0; i < n; i++) await a.sockets.sendto(fd, enc('x'), 0, { address: '10.0.0.2', port: 9999 });
      await net.sleep(10);
    };
    await burst(20);
    assert.equal(b.counters.icmp.outDestUnreachs, 6);
    assert.equal(b.counters.icmp.outRateLimited, 14);
    await net.sleep(1000);
    await burst(5);
    assert.equal(b.counters.icmp.outDestUnreachs, 7);
    assert.equal(b.counters.icmp.outRateLimited, 18);
    await net.sleep(60_000); // the bucket refills to the burst, no further
    await burst(10);
    assert.equal(b.counters.icmp.outDestUnreachs, 13);
    assert.equal(b.counters.icmp.outRateLimited, 22);
  });
  assert.equal(b.counters.udp.noPorts, 35);
  assert.equal(a.counters.icmp.inDestUnreachs, 13);
});

test('the rate limit is per destination', async () => {
  const net = new Network({ seed: 28 });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  const c = net.host('c', '10.0.0.3/24');
  await net.run(async () => {
    for (const h of [a, c]) {
      const fd = h.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
      for (let i = 0; i < 8; i++) await h.sockets.sendto(fd, enc('x'), 0, { address: '10.0.0.2', port: 9999 });
    }
    await net.sleep(10);
  });
  assert.equal(b.counters.icmp.outDestUnreachs, 12);
  assert.equal(a.counters.icmp.inDestUnreachs, 6);
  assert.equal(c.counters.icmp.inDestUnreachs, 6);
});

test('no ICMP error about an ICMP error, a non-first fragment, or a broadcast', async () => {
  const { net, a, r } = routed(29);
  const rIn = eth0(r);
  const mac = rIn.mac;
  const src = ip('10.0.1.2');
  const dst = ip('10.0.2.2');
  await net.run(async () => {
    await net.sleep(1);
    const base = r.counters.icmp.outTimeExcds;
    // An ICMP error with TTL 1: dropped silently.
    const quoted = ipFrame({ dstMac: mac, src: dst, dst: src, protocol: 17, payload: new Uint8Array(8) }).subarray(14);
    r.ip.receiveFrame(rIn, icmpFrame({ dstMac: mac, src, dst, ttl: 1, icmp: { kind: 'dest-unreachable', code: 3, nextHopMtu: 0, original: quoted } }));
    assert.equal(r.counters.ip.inTtlExceeded, 1);
    assert.equal(r.counters.icmp.outTimeExcds, base);
    // A non-first fragment with TTL 1: dropped silently.
    r.ip.receiveFrame(rIn, ipFrame({ dstMac: mac, src, dst, ttl: 1, protocol: 17, offset: 1480, payload: new Uint8Array(100) }));
    assert.equal(r.counters.ip.inTtlExceeded, 2);
    assert.equal(r.counters.icmp.outTimeExcds, base);
    // Control: an echo request (a query, not an error) and fragment 0 both get time exceeded.
    r.ip.receiveFrame(rIn, icmpFrame({ dstMac: mac, src, dst, ttl: 1, icmp: { kind: 'echo-request', id: 1, seq: 1, data: enc('q') } }));
    r.ip.receiveFrame(rIn, ipFrame({ dstMac: mac, src, dst, ttl: 1, protocol: 17, mf: true, payload: new Uint8Array(96) }));
    assert.equal(r.counters.icmp.outTimeExcds, base + 2);
    // A unicast datagram that came in a link-layer broadcast frame is neither forwarded
    // (RFC 1812 §5.3.4) nor answered with an error (RFC 1122 §3.2.2).
    const fwd = r.counters.ip.forwDatagrams;
    const addrErrs = r.counters.ip.inAddrErrors;
    r.ip.receiveFrame(rIn, ipFrame({ dstMac: BROADCAST_MAC, src, dst, ttl: 1, protocol: 17, payload: new Uint8Array(8) }));
    r.ip.receiveFrame(rIn, ipFrame({ dstMac: BROADCAST_MAC, src, dst, ttl: 9, protocol: 17, payload: new Uint8Array(8) }));
    assert.equal(r.counters.ip.inTtlExceeded, 4);
    assert.equal(r.counters.icmp.outTimeExcds, base + 2);
    assert.equal(r.counters.ip.forwDatagrams, fwd);
    assert.equal(r.counters.ip.inAddrErrors, addrErrs + 2);
    // Martian destinations are not forwarded either (RFC 1812 §5.3.7), and get no error.
    for (const d of ['0.1.2.3', '240.0.0.9', '127.0.0.2', '239.1.1.1']) {
      r.ip.receiveFrame(rIn, ipFrame({ dstMac: mac, src, dst: ip(d), protocol: 17, payload: new Uint8Array(8) }));
    }
    assert.equal(r.counters.ip.forwDatagrams, fwd);
    assert.equal(r.counters.ip.inAddrErrors, addrErrs + 6);
    assert.equal(r.counters.icmp.outDestUnreachs, 0);
    await net.sleep(10);
  });
  assert.equal(a.counters.icmp.inTimeExcds, 2);
});

test('no port or protocol unreachable about a broadcast datagram', async () => {
  const { net, a, b } = pair(30);
  await net.run(async () => {
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    a.sockets.setsockopt(fd, C.SOL_SOCKET, C.SO_BROADCAST, 1);
    await a.sockets.sendto(fd, enc('hello all'), 0, { address: '10.0.0.255', port: 9999 });
    await a.sockets.sendto(fd, enc('hello all'), 0, { address: '255.255.255.255', port: 9999 });
    await net.sleep(10);
    // Unknown protocol to the subnet broadcast vs to b itself.
    const mac = eth0(b).mac;
    b.ip.receiveFrame(eth0(b), ipFrame({ dstMac: BROADCAST_MAC, src: ip('10.0.0.1'), dst: ip('10.0.0.255'), protocol: 99, payload: enc('??') }));
    assert.equal(b.counters.icmp.outDestUnreachs, 0);
    // A datagram for b itself, but sent as a link-layer broadcast: delivered, never answered.
    b.ip.receiveFrame(eth0(b), ipFrame({ dstMac: BROADCAST_MAC, src: ip('10.0.0.1'), dst: ip('10.0.0.2'), protocol: 99, payload: enc('??') }));
    b.ip.receiveFrame(eth0(b), udpFrame({ dstMac: BROADCAST_MAC, src: ip('10.0.0.1'), dst: ip('10.0.0.2'), sport: 1, dport: 9999, data: enc('?') }));
    assert.equal(b.counters.icmp.outDestUnreachs, 0);
    b.ip.receiveFrame(eth0(b), ipFrame({ dstMac: mac, src: ip('10.0.0.1'), dst: ip('10.0.0.2'), protocol: 99, payload: enc('??') }));
    assert.equal(b.counters.icmp.outDestUnreachs, 1);
    await net.sleep(10);
  });
  assert.equal(b.counters.udp.noPorts, 3);
  assert.equal(b.counters.ip.inUnknownProtos, 3);
  // a also saw its own broadcasts looped back, and answered none of them.
  assert.equal(a.counters.udp.noPorts, 2);
  assert.equal(a.counters.icmp.outDestUnreachs, 0);
  assert.equal(a.counters.icmp.inDestUnreachs, 1);
});

test('echo requests to a broadcast address are ignored', async () => {
  const { net, a, b } = pair(31);
  const log = frameLog(net.segment());
  await net.run(async () => {
    const fd = icmpSocket(a.sockets);
    a.sockets.setsockopt(fd, C.SOL_SOCKET, C.SO_BROADCAST, 1);
    await sendEcho(a.sockets, fd, '10.0.0.255', 5, 1, enc('smurf'));
    await sendEcho(a.sockets, fd, '255.255.255.255', 5, 2, enc('smurf'));
    await net.sleep(1000);
    const got = await drain(a.sockets, fd);
    // Only a's own two requests, looped back; no reply from anyone.
    assert.equal(got.length, 2);
    for (const p of got) assert.equal(p[20], 8);
  });
  assert.equal(b.counters.icmp.inEchos, 2);
  assert.equal(b.counters.icmp.outEchoReps, 0);
  assert.equal(a.counters.icmp.outEchoReps, 0);
  assert.equal(log.filter((f) => !isArp(f)).length, 2);
});

test('an unknown protocol to us yields protocol unreachable; a raw socket for it silences it', async () => {
  const { net, a, b } = pair(32);
  await net.run(async () => {
    const icmp = icmpSocket(a.sockets);
    const raw = a.sockets.socket(C.AF_INET, C.SOCK_RAW, 99);
    await a.sockets.sendto(raw, enc('proto 99'), 0, { address: '10.0.0.2', port: 0 });
    const m = await recvIcmp(a.sockets, icmp);
    assert.equal(err(m).code, 2);
    const braw = b.sockets.socket(C.AF_INET, C.SOCK_RAW, 99);
    await a.sockets.sendto(raw, enc('proto 99 again'), 0, { address: '10.0.0.2', port: 0 });
    const pkt = await b.sockets.recv(braw, 100);
    assert.equal(dec(pkt.subarray(20)), 'proto 99 again');
  });
  assert.equal(b.counters.icmp.outDestUnreachs, 1);
  assert.equal(b.counters.ip.inUnknownProtos, 1);
});

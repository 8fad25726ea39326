import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import { ARP_REPLY, parseArp } from '../../src/wire/arp.js';
import { ETH_HEADER_LEN } from '../../src/wire/ethernet.js';
import { BROADCAST_MAC, formatMac, macEquals } from '../../src/wire/address.js';
import { WireError } from '../../src/wire/error.js';
import { Network } from '../../src/sim/network.js';
import {
  OTHER_MAC, arpFrame, arpSender, arpTarget, dec, enc, eth0, frameLog, icmpSocket, ip, isArp, isArpRequest, pair,
  recvIcmp, routed, udpBound,
} from './helpers.js';

const B = '10.0.0.2';

/** ARP requests on the wire sent by `sender` asking for `target`. */
const requestsFor = (log: Uint8Array[], sender: string, target: string): Uint8Array[] =>
  log.filter((f) => isArpRequest(f) && arpSender(f) === ip(sender) && arpTarget(f) === ip(target));

test('ARP: resolution happens once, then the entry is used from the cache', async () => {
  const { net, a, b } = pair(11);
  const log = frameLog(net.segment());
  await net.run(async () => {
    const rfd = udpBound(b, 7000);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    for (let i = 0; i < 5; i++) {
      await a.sockets.sendto(fd, enc(`m${i}`), 0, { address: B, port: 7000 });
      assert.equal(dec(await b.sockets.recv(rfd, 100)), `m${i}`);
      await net.sleep(1000);
    }
  });
  assert.equal(requestsFor(log, '10.0.0.1', B).length, 1);
  assert.equal(a.counters.arp.outRequests, 1);
  // b learned a from a's request (RFC 826: the target creates an entry) and never asked.
  assert.equal(b.counters.arp.outRequests, 0);
  assert.equal(b.counters.arp.outReplies, 1);
  const row = a.ip.neighbors.list().find((r) => r.ip === ip(B));
  assert.ok(row);
  assert.equal(row.state, 'REACHABLE');
  assert.equal(formatMac(row.mac!), formatMac(eth0(b).mac));
});

test('ARP: an entry expires after reachableMs and is re-resolved on the next send', async () => {
  const net = new Network({ seed: 12 });
  const a = net.host('a', { address: '10.0.0.1/24', neighbor: { reachableMs: 5000 } });
  const b = net.host('b', { address: '10.0.0.2/24', neighbor: { reachableMs: 5000 } });
  const log = frameLog(net.segment());
  await net.run(async () => {
    const rfd = udpBound(b, 7000);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    const send = async (s: string) => {
      await a.sockets.sendto(fd, enc(s), 0, { address: B, port: 7000 });
      assert.equal(dec(await b.sockets.recv(rfd, 100)), s);
    };
    await send('one');
    await net.sleep(4000);
    await send('two'); // still fresh
    assert.equal(requestsFor(log, '10.0.0.1', B).length, 1);
    await net.sleep(2000); // 6 s after resolution: stale
    assert.equal(a.ip.neighbors.list().find((r) => r.ip === ip(B))?.state, 'STALE');
    await send('three');
    assert.equal(requestsFor(log, '10.0.0.1', B).length, 2);
    assert.equal(a.ip.neighbors.list().find((r) => r.ip === ip(B))?.state, 'REACHABLE');
  });
  assert.equal(a.counters.arp.outRequests, 2);
});

test('ARP: packets queued during resolution are all delivered, in order', async () => {
  const { net, a, b } = pair(13);
  await net.run(async () => {
    const rfd = udpBound(b, 7000);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    // All sent at the same virtual instant, before the ARP reply can arrive.
    for (let i = 0; i < 20; i++) await a.sockets.sendto(fd, enc(`#${i}`), 0, { address: B, port: 7000 });
    assert.equal(a.ip.neighbors.list().find((r) => r.ip === ip(B))?.state, 'INCOMPLETE');
    for (let i = 0; i < 20; i++) assert.equal(dec(await b.sockets.recv(rfd, 100)), `#${i}`);
  });
  assert.equal(a.counters.arp.outRequests, 1);
  assert.equal(a.counters.arp.rateLimited, 19);
  assert.equal(a.counters.arp.queueDrops, 0);
});

test('ARP: requests to an unresolved address are rate-limited to one per retransMs', async () => {
  const { net, a } = pair(14);
  const seg = net.segment();
  const times: number[] = [];
  for (const p of seg.ports) p.addTap((f, dir) => {
    if (dir === 'out' && isArpRequest(f) && arpTarget(f) === ip('10.0.0.99')) times.push(net.now());
  });
  await net.run(async () => {
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    // 100 sends over 2.5 s of an address nobody owns.
    for (let i = 0; i < 100; i++) {
      await a.sockets.sendto(fd, enc('x'), 0, { address: '10.0.0.99', port: 9 });
      await net.sleep(25);
    }
  });
  assert.ok(times.length >= 1 && times.length <= 3, `requests: ${times.length}`);
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= a.ip.neighbors.opts.retransMs);
  assert.equal(a.counters.arp.outRequests, times.length);
  assert.ok(a.counters.arp.rateLimited >= 97);
});

test('ARP: failure after 3 probes drops the queue and reports host unreachable (soft on a connected UDP socket)', async () => {
  const { net, a, b } = pair(15);
  const log = frameLog(net.segment());
  await net.run(async () => {
    const icmp = icmpSocket(a.sockets);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.connect(fd, { address: '10.0.0.99', port: 5000 });
    for (let i = 0; i < 3; i++) await a.sockets.send(fd, enc(`lost${i}`));
    await net.sleep(5000);
    assert.equal(a.counters.arp.resolveFailures, 1);
    // One host unreachable per queued datagram (Linux arp_error_report), looped back to us.
    for (let i = 0; i < 3; i++) {
      const m = await recvIcmp(a.sockets, icmp);
      assert.equal(m.icmp.kind, 'dest-unreachable');
      assert.equal((m.icmp as { code: number }).code, 1);
      const quoted = (m.icmp as { original: Uint8Array }).original;
      assert.equal(((quoted[16]! << 24) | (quoted[17]! << 16) | (quoted[18]! << 8) | quoted[19]!) >>> 0, ip('10.0.0.99'));
    }
    // Linux treats host unreachable as a soft error: no error on the connected socket.
    assert.equal(a.sockets.getsockopt(fd, C.SOL_SOCKET, C.SO_ERROR), 0);
    await assert.rejects(a.sockets.recv(fd, 100, C.MSG_DONTWAIT), { code: 'EAGAIN' });
    assert.equal(await a.sockets.send(fd, enc('again')), 5);
    // The failed entry went; the new send made a new one, in the table (not a leftover).
    assert.equal(a.ip.neighbors.list().filter((r) => r.ip === ip('10.0.0.99')).length, 1);
  });
  assert.equal(a.counters.arp.outRequests, 3 + 1); // three probes, then one for the last send
  assert.equal(requestsFor(log, '10.0.0.1', '10.0.0.99').length, 4);
  assert.equal(a.counters.icmp.outDestUnreachs, 3);
  assert.equal(a.counters.icmp.inDestUnreachs, 3);
  // Nothing of the lost datagrams went out.
  assert.equal(log.filter((f) => !isArp(f)).length, 0);
  assert.equal(b.counters.udp.inDatagrams + b.counters.udp.noPorts, 0);
});

test('ARP: a router that cannot resolve the next hop tells the sender (host unreachable)', async () => {
  const { net, a, r } = routed(20);
  await net.run(async () => {
    const icmp = icmpSocket(a.sockets);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.sendto(fd, enc('to nobody'), 0, { address: '10.0.2.99', port: 9 });
    const m = await recvIcmp(a.sockets, icmp);
    assert.equal(m.icmp.kind, 'dest-unreachable');
    assert.equal((m.icmp as { code: number }).code, 1);
    assert.equal(m.ip.src, ip('10.0.1.1'));
    assert.equal(net.now() >= 3000, true, 'only after the third probe went unanswered');
  });
  assert.equal(r.counters.arp.resolveFailures, 1);
  assert.equal(r.counters.arp.outRequests, 3);
  assert.equal(r.counters.icmp.outDestUnreachs, 1);
});

test('ARP: gratuitous ARP updates an existing entry (new MAC) but does not create one', async () => {
  const { net, a, b } = pair(16);
  const log = frameLog(net.segment());
  await net.run(async () => {
    // b's own announcement at start-up created nothing on a.
    await net.sleep(1);
    assert.equal(a.ip.neighbors.list().length, 0);
    const rfd = udpBound(b, 7000);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.sendto(fd, enc('1'), 0, { address: B, port: 7000 });
    await b.sockets.recv(rfd, 10);
    // b "moves" to a new NIC and announces it.
    a.ip.receiveFrame(eth0(a), arpFrame({ senderMac: OTHER_MAC, senderIp: ip(B), targetIp: ip(B) }));
    const row = a.ip.neighbors.list().find((r) => r.ip === ip(B))!;
    assert.equal(formatMac(row.mac!), formatMac(OTHER_MAC));
    // A gratuitous ARP (request or reply) for an address we never talked to creates nothing.
    a.ip.receiveFrame(eth0(a), arpFrame({ senderMac: OTHER_MAC, senderIp: ip('10.0.0.50'), targetIp: ip('10.0.0.50') }));
    a.ip.receiveFrame(eth0(a), arpFrame({ op: ARP_REPLY, senderMac: OTHER_MAC, senderIp: ip('10.0.0.51'), targetIp: ip('10.0.0.51') }));
    assert.equal(a.ip.neighbors.list().some((r) => r.ip === ip('10.0.0.50') || r.ip === ip('10.0.0.51')), false);
    assert.equal(a.counters.arp.inGratuitous >= 3, true);
    // The next datagram to b goes to the new MAC.
    log.length = 0;
    await a.sockets.sendto(fd, enc('2'), 0, { address: B, port: 7000 });
    await net.sleep(1);
    const sent = log.filter((f) => !isArp(f));
    assert.equal(sent.length, 1);
    assert.ok(macEquals(sent[0]!, 0, OTHER_MAC, 0));
  });
});

test('ARP: requests are answered only for our own address; a request for us teaches the sender', async () => {
  const { net, a, b } = pair(17);
  const log = frameLog(net.segment());
  await net.run(async () => {
    await net.sleep(1);
    log.length = 0;
    const before = b.counters.arp.outReplies;
    // Someone asks for an address that is not b's: b stays silent and learns nothing.
    b.ip.receiveFrame(eth0(b), arpFrame({ senderMac: OTHER_MAC, senderIp: ip('10.0.0.60'), targetIp: ip('10.0.0.77') }));
    await net.sleep(1);
    assert.equal(b.counters.arp.outReplies, before);
    assert.equal(log.length, 0);
    assert.equal(b.ip.neighbors.list().some((r) => r.ip === ip('10.0.0.60')), false);
    // Asked for its own address, b answers the requester directly with its MAC.
    b.ip.receiveFrame(eth0(b), arpFrame({ senderMac: OTHER_MAC, senderIp: ip('10.0.0.60'), targetIp: ip(B) }));
    await net.sleep(1);
    assert.equal(b.counters.arp.outReplies, before + 1);
    assert.equal(log.length, 1);
    const reply = log[0]!;
    assert.ok(macEquals(reply, 0, OTHER_MAC, 0));
    const r = parseArp(reply, ETH_HEADER_LEN, reply.length - ETH_HEADER_LEN);
    assert.ok(!(r instanceof WireError));
    assert.equal(r.op, ARP_REPLY);
    assert.equal(r.senderIp, ip(B));
    assert.ok(macEquals(r.senderMac, 0, eth0(b).mac, 0));
    assert.equal(r.targetIp, ip('10.0.0.60'));
    assert.ok(macEquals(r.targetMac, 0, OTHER_MAC, 0));
    // ... and created an entry for the requester (RFC 826 merge), so it needs no request of its own.
    const row = b.ip.neighbors.list().find((x) => x.ip === ip('10.0.0.60'));
    assert.equal(row?.state, 'REACHABLE');
    // An unsolicited reply addressed to b creates no entry (Linux arp_accept = 0).
    b.ip.receiveFrame(eth0(b), arpFrame({ op: ARP_REPLY, ethDst: eth0(b).mac, senderMac: OTHER_MAC, senderIp: ip('10.0.0.70'), targetMac: eth0(b).mac, targetIp: ip(B) }));
    assert.equal(b.ip.neighbors.list().some((x) => x.ip === ip('10.0.0.70')), false);
    // Probes (sender 0.0.0.0, RFC 5227) are answered but not learned.
    b.ip.receiveFrame(eth0(b), arpFrame({ senderMac: OTHER_MAC, senderIp: 0, targetIp: ip(B) }));
    assert.equal(b.counters.arp.outReplies, before + 2);
    assert.equal(b.ip.neighbors.list().some((x) => x.ip === 0), false);
    // An ARP packet claiming a broadcast sender MAC is an error, not an update.
    const errs = b.counters.arp.inErrors;
    b.ip.receiveFrame(eth0(b), arpFrame({ senderMac: BROADCAST_MAC, senderIp: ip('10.0.0.60'), targetIp: ip(B) }));
    assert.equal(b.counters.arp.inErrors, errs + 1);
    assert.equal(formatMac(b.ip.neighbors.list().find((x) => x.ip === ip('10.0.0.60'))!.mac!), formatMac(OTHER_MAC));
    // Martian sender or target addresses are errors too, and teach nothing.
    for (const [sender, target] of [['127.0.0.1', B], ['224.0.0.9', B], ['240.0.0.1', B], ['10.0.0.61', '224.0.0.1']] as const) {
      b.ip.receiveFrame(eth0(b), arpFrame({ senderMac: OTHER_MAC, senderIp: ip(sender), targetIp: ip(target) }));
    }
    assert.equal(b.counters.arp.inErrors, errs + 5);
    assert.equal(b.counters.arp.outReplies, before + 2);
    // Someone claiming b's own address is a conflict: no entry, no reply.
    b.ip.receiveFrame(eth0(b), arpFrame({ senderMac: OTHER_MAC, senderIp: ip(B), targetIp: ip(B) }));
    b.ip.receiveFrame(eth0(b), arpFrame({ senderMac: OTHER_MAC, senderIp: ip(B), targetIp: ip('10.0.0.1') }));
    assert.equal(b.counters.arp.inConflicts, 2);
    assert.equal(b.ip.neighbors.list().some((x) => x.ip === ip(B)), false);
    assert.equal(b.counters.arp.outReplies, before + 2);
  });
  void a;
});

test('ARP: the neighbour cache stays bounded under a flood of requests from distinct senders', async () => {
  const net = new Network({ seed: 18 });
  const b = net.host('b', { address: '10.0.0.2/16' });
  const max = b.ip.neighbors.opts.maxEntries;
  await net.run(async () => {
    for (let i = 0; i < max * 3; i++) {
      const mac = Uint8Array.of(0x06, 0, 0, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
      b.ip.receiveFrame(eth0(b), arpFrame({ senderMac: mac, senderIp: ip('10.0.0.0') + 3 + i, targetIp: ip(B) }));
    }
    await net.sleep(1);
    assert.ok(b.ip.neighbors.size <= max, `${b.ip.neighbors.size} entries`);
    // Still works: an entry for a fresh sender can be created and used.
    b.ip.receiveFrame(eth0(b), arpFrame({ senderMac: OTHER_MAC, senderIp: ip('10.0.200.1'), targetIp: ip(B) }));
    assert.equal(b.ip.neighbors.list().find((r) => r.ip === ip('10.0.200.1'))?.state, 'REACHABLE');
  });
});

test('ARP: sends to many unresolved addresses keep the cache bounded and fail cleanly', async () => {
  const net = new Network({ seed: 19 });
  const a = net.host('a', { address: '10.0.0.1/16', neighbor: { maxEntries: 64 } });
  await net.run(async () => {
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    for (let i = 0; i < 500; i++) {
      const dst = ip('10.0.1.0') + i;
      await a.sockets.sendto(fd, enc('scan'), 0, { address: `10.0.${dst >>> 8 & 255}.${dst & 255}`, port: 9 });
    }
    assert.ok(a.ip.neighbors.size <= 64);
    await net.sleep(10_000);
    assert.equal(a.ip.neighbors.size, 0);
  });
  assert.ok(a.counters.arp.tableOverflows > 0);
  assert.equal(a.counters.arp.outRequests, a.counters.arp.resolveFailures * 3);
});

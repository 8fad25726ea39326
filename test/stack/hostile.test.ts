/**
 * Property tests: whatever arrives on the wire, the stack never throws, keeps its memory
 * bounded, and keeps working (answers a ping and a UDP echo afterwards).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as C from '../../src/socket/constants.js';
import type { Host } from '../../src/sim/host.js';
import type { Interface } from '../../src/stack/interface.js';
import { Network } from '../../src/sim/network.js';
import { ETH_HEADER_LEN } from '../../src/wire/ethernet.js';
import { ARP_REPLY } from '../../src/wire/arp.js';
import { fillIpv4Checksum } from '../../src/wire/ipv4.js';
import { BROADCAST_MAC } from '../../src/wire/address.js';
import {
  OTHER_MAC, arpFrame, dec, enc, eth0, icmpFrame, icmpPayload, icmpSocket, ip, ipFrame, recvIcmpMatching, sendEcho,
  udpEchoServer, udpFrame, udpPayload,
} from './helpers.js';

const REASM_CAP = 8192;
const NEIGH_CAP = 16;
/** A stranger on the segment: mutations of its frames rarely forge a or b. */
const EVE = ip('10.0.0.66');

/** Valid frames of every kind we parse, addressed to a host with `mac`/`addr` (fresh copies). */
function corpus(mac: Uint8Array, addr: number, from = EVE): Uint8Array[] {
  const udp = udpPayload(from, addr, 4000, 7, new Uint8Array(300).fill(0x5a));
  const quoted = ipFrame({ dstMac: mac, src: addr, dst: from, protocol: 17, payload: udpPayload(addr, from, 7, 4000, enc('q')) }).subarray(ETH_HEADER_LEN);
  const withOptions = (() => {
    const f = udpFrame({ dstMac: mac, src: from, dst: addr, sport: 1, dport: 7, data: enc('opts') });
    const g = new Uint8Array(f.length + 4);
    g.set(f.subarray(0, ETH_HEADER_LEN + 20), 0);
    g.set([1, 1, 1, 0], ETH_HEADER_LEN + 20); // NOP NOP NOP EOL
    g.set(f.subarray(ETH_HEADER_LEN + 20), ETH_HEADER_LEN + 24);
    g[ETH_HEADER_LEN] = 0x46;
    const total = g.length - ETH_HEADER_LEN;
    g[ETH_HEADER_LEN + 2] = total >> 8;
    g[ETH_HEADER_LEN + 3] = total & 0xff;
    fillIpv4Checksum(g, ETH_HEADER_LEN, 24);
    return g;
  })();
  return [
    udpFrame({ dstMac: mac, src: from, dst: addr, sport: 4000, dport: 7, data: enc('echo me') }),
    udpFrame({ dstMac: mac, src: from, dst: addr, sport: 4000, dport: 9999, data: enc('closed') }),
    udpFrame({ dstMac: BROADCAST_MAC, src: from, dst: 0xffffffff, sport: 68, dport: 67, data: enc('bcast') }),
    icmpFrame({ dstMac: mac, src: from, dst: addr, icmp: { kind: 'echo-request', id: 7, seq: 1, data: enc('ping') } }),
    icmpFrame({ dstMac: mac, src: from, dst: addr, icmp: { kind: 'dest-unreachable', code: 3, nextHopMtu: 0, original: quoted } }),
    icmpFrame({ dstMac: mac, src: from, dst: addr, icmp: { kind: 'time-exceeded', code: 1, original: quoted } }),
    icmpFrame({ dstMac: mac, src: from, dst: addr, icmp: { kind: 'param-problem', pointer: 9, original: quoted } }),
    ipFrame({ dstMac: mac, src: from, dst: addr, protocol: 17, id: 99, mf: true, payload: udp.subarray(0, 104) }),
    ipFrame({ dstMac: mac, src: from, dst: addr, protocol: 17, id: 99, mf: true, offset: 104, payload: udp.subarray(104, 208) }),
    ipFrame({ dstMac: mac, src: from, dst: addr, protocol: 17, id: 99, offset: 208, payload: udp.subarray(208) }),
    ipFrame({ dstMac: mac, src: from, dst: addr, protocol: 47, payload: new Uint8Array(24) }),
    withOptions,
    arpFrame({ senderMac: OTHER_MAC, senderIp: from, targetIp: addr }),
    arpFrame({ op: ARP_REPLY, ethDst: mac, senderMac: OTHER_MAC, senderIp: from, targetMac: mac, targetIp: addr }),
    arpFrame({ senderMac: OTHER_MAC, senderIp: from, targetIp: from }),
  ];
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; to: number }
  | { kind: 'extend'; bytes: Uint8Array }
  /** A field the parsers read: total length, flags/offset, IHL, UDP length, ARP op/lengths. */
  | { kind: 'field'; at: number; value: number };

const FIELD_OFFSETS = [14, 16, 17, 20, 21, 22, 23, 34, 35, 36, 37, 38, 39, 18, 19, 21];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(400), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(400), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), to: fc.nat(400) }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({
    kind: fc.constant('field' as const),
    at: fc.constantFrom(...FIELD_OFFSETS),
    value: fc.oneof(fc.constantFrom(0, 1, 4, 5, 0x20, 0x3f, 0x40, 0x45, 0x4f, 0x80, 0xff), fc.integer({ min: 0, max: 255 })),
  }),
);

/** A recipe: base frame (by index), mutations, whether to fix the IP checksum afterwards. */
interface Recipe {
  base: number;
  mutations: Mutation[];
  fixChecksum: boolean;
}

const recipe: fc.Arbitrary<Recipe> = fc.record({
  base: fc.nat(14),
  mutations: fc.array(mutation, { maxLength: 4 }),
  fixChecksum: fc.boolean(),
});

/** A hostile input: a mutated valid frame, or random bytes (optionally with a plausible header). */
const hostile = fc.oneof(
  { weight: 4, arbitrary: recipe.map((r) => ({ type: 'mutated' as const, r })) },
  {
    weight: 1,
    arbitrary: fc.record({
      bytes: fc.uint8Array({ maxLength: 200 }),
      header: fc.constantFrom('none', 'ipv4', 'arp'),
    }).map((x) => ({ type: 'random' as const, ...x })),
  },
);
type Hostile = typeof hostile extends fc.Arbitrary<infer T> ? T : never;

function build(h: Hostile, base: Uint8Array[], mac: Uint8Array): Uint8Array {
  if (h.type === 'random') {
    if (h.header === 'none' || h.bytes.length < 14) return h.bytes.slice();
    const f = h.bytes.slice();
    f.set(mac, 0);
    f[12] = 0x08;
    f[13] = h.header === 'ipv4' ? 0x00 : 0x06;
    return f;
  }
  let f = base[h.r.base % base.length]!.slice();
  for (const m of h.r.mutations) {
    if (m.kind === 'flip' && m.at < f.length) f[m.at]! ^= 1 << m.bit;
    else if ((m.kind === 'set' || m.kind === 'field') && m.at < f.length) f[m.at] = m.value;
    else if (m.kind === 'truncate') f = f.slice(0, Math.min(f.length, m.to));
    else if (m.kind === 'extend') {
      const g = new Uint8Array(f.length + m.bytes.length);
      g.set(f, 0);
      g.set(m.bytes, f.length);
      f = g;
    }
  }
  // Fixing the header checksum lets a mutation reach the deeper layers.
  if (h.r.fixChecksum && f.length >= 34 && f[12] === 0x08 && f[13] === 0x00) {
    const hl = (f[14]! & 0x0f) * 4;
    if (hl >= 20 && f.length >= ETH_HEADER_LEN + hl) fillIpv4Checksum(f, ETH_HEADER_LEN, hl);
  }
  return f;
}

function hostilePair() {
  const net = new Network({ seed: 61 });
  const opts = { reassembly: { maxBytes: REASM_CAP }, neighbor: { maxEntries: NEIGH_CAP } };
  const a = net.host('a', { address: '10.0.0.1/24', ...opts });
  const b = net.host('b', { address: '10.0.0.2/24', ...opts });
  return { net, a, b };
}

function checkBounded(h: Host): void {
  assert.ok(h.ip.reassembler.bytesHeld <= REASM_CAP, `reassembly holds ${h.ip.reassembler.bytesHeld}`);
  assert.ok(h.ip.neighbors.size <= NEIGH_CAP, `neighbour cache holds ${h.ip.neighbors.size}`);
  for (const group of Object.values(h.counters)) {
    for (const v of Object.values(group as Record<string, number>)) assert.ok(Number.isInteger(v) && v >= 0);
  }
}

/** `from` pings `to` and gets a UDP echo from `to`:7. */
async function stillAlive(net: Network, from: Host, to: Host, toAddr: string): Promise<void> {
  const fd = icmpSocket(from.sockets);
  const id = 0x7777;
  await sendEcho(from.sockets, fd, toAddr, id, 1, enc('alive'));
  const m = await recvIcmpMatching(from.sockets, fd, (x) => x.icmp.kind === 'echo-reply' && (x.icmp as { id: number }).id === id);
  assert.equal(dec((m.icmp as { data: Uint8Array }).data), 'alive');
  await from.sockets.close(fd);
  const u = from.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
  await from.sockets.sendto(u, enc('udp alive'), 0, { address: toAddr, port: 7 });
  const [d] = await from.sockets.recvfrom(u, 100);
  assert.equal(dec(d), 'udp alive');
  await from.sockets.close(u);
  void net;
}

async function attack(net: Network, victim: Host, iface: Interface, frames: Hostile[], base: Uint8Array[], gaps: number[]): Promise<void> {
  for (let i = 0; i < frames.length; i++) {
    victim.ip.receiveFrame(iface, build(frames[i]!, base, iface.mac));
    checkBounded(victim);
    if (gaps[i]) await net.sleep(gaps[i]!);
  }
}

test('property: mutated and random frames never throw out of a host, which keeps answering', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(hostile, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(2000), { maxLength: 40 }), async (frames, gaps) => {
      const { net, a, b } = hostilePair();
      const bIf = eth0(b);
      const base = corpus(bIf.mac, ip('10.0.0.2'));
      await net.run(async () => {
        const echo = udpEchoServer(b, 7);
        await attack(net, b, bIf, frames, base, gaps);
        // Let every entry a forged ARP may have planted go stale and every reassembly expire.
        await net.sleep(31_000);
        checkBounded(b);
        assert.equal(b.ip.reassembler.pending, 0);
        await stillAlive(net, a, b, '10.0.0.2');
        await echo.stop();
      });
    }),
    { numRuns: 300, seed: 0x5eed },
  );
});

test('property: hostile frames at a router never throw, and traffic still crosses it', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(hostile, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(500), { maxLength: 30 }), async (frames, gaps) => {
      const net = new Network({ seed: 62 });
      const opts = { reassembly: { maxBytes: REASM_CAP }, neighbor: { maxEntries: NEIGH_CAP } };
      const a = net.host('a', { interfaces: [{ segment: 'lan1', address: '10.0.1.2/24' }], gateway: '10.0.1.1', ...opts });
      const r = net.router('r', [{ segment: 'lan1', address: '10.0.1.1/24' }, { segment: 'lan2', address: '10.0.2.1/24' }], opts);
      const b = net.host('b', { interfaces: [{ segment: 'lan2', address: '10.0.2.2/24' }], gateway: '10.0.2.1', ...opts });
      const rIf = eth0(r);
      // Frames through the router (to b, to unknown hosts) and to the router itself.
      const base = [...corpus(rIf.mac, ip('10.0.2.2'), ip('10.0.1.66')), ...corpus(rIf.mac, ip('10.0.1.1'), ip('10.0.1.66')).slice(0, 4),
        ipFrame({ dstMac: rIf.mac, src: ip('10.0.1.66'), dst: ip('10.9.9.9'), protocol: 17, ttl: 1, payload: udpPayload(ip('10.0.1.66'), ip('10.9.9.9'), 1, 2, enc('x')) }),
        ipFrame({ dstMac: rIf.mac, src: ip('10.0.1.66'), dst: ip('10.0.2.2'), protocol: 17, df: true, payload: new Uint8Array(1400) })];
      await net.run(async () => {
        const echo = udpEchoServer(b, 7);
        await attack(net, r, rIf, frames, base, gaps);
        await net.sleep(31_000);
        checkBounded(r);
        checkBounded(b);
        await stillAlive(net, a, b, '10.0.2.2');
        await echo.stop();
      });
    }),
    { numRuns: 200, seed: 0xbad },
  );
});

test('reassembly memory stays within its cap under a flood of incomplete datagrams', async () => {
  const { net, a, b } = hostilePair();
  const bIf = eth0(b);
  await net.run(async () => {
    const echo = udpEchoServer(b, 7);
    for (let id = 0; id < 500; id++) {
      b.ip.receiveFrame(bIf, ipFrame({ dstMac: bIf.mac, src: EVE, dst: ip('10.0.0.2'), protocol: 17, id, mf: true, payload: new Uint8Array(1024) }));
      checkBounded(b);
    }
    assert.ok(b.ip.reassembler.pending <= REASM_CAP / 1024);
    // A real fragmented datagram still gets through while the flood's leftovers are held.
    const u = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.sendto(u, new Uint8Array(3000).fill(3), 0, { address: '10.0.0.2', port: 7 });
    const [d] = await a.sockets.recvfrom(u, 5000);
    assert.equal(d.length, 3000);
    await echo.stop();
  });
  assert.ok(b.ip.reassembler.counters.evictions > 0);
  void icmpPayload;
});

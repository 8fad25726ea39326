/**
 * Shared helpers for the IPv4 host tests: hand-built frames (to inject straight into
 * `host.ip.receiveFrame`), ping over a raw ICMP socket, and a frame log on a segment.
 */
import { Network } from '../../src/sim/network.js';
import type { Host } from '../../src/sim/host.js';
import type { Segment } from '../../src/link/segment.js';
import type { SocketApi } from '../../src/socket/socket-api.js';
import * as C from '../../src/socket/constants.js';
import { ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, emitEthernet } from '../../src/wire/ethernet.js';
import { ARP_LEN, ARP_REQUEST, emitArp } from '../../src/wire/arp.js';
import { IPV4_HEADER_LEN, IP_PROTO_ICMP, IP_PROTO_UDP, emitIpv4, parseIpv4, type Ipv4Repr } from '../../src/wire/ipv4.js';
import { emitIcmpv4, icmpv4Length, parseIcmpv4, type Icmpv4Repr } from '../../src/wire/icmpv4.js';
import { UDP_HEADER_LEN, emitUdpHeader, fillUdpChecksum } from '../../src/wire/udp.js';
import { BROADCAST_MAC, parseIPv4 } from '../../src/wire/address.js';
import { WireError } from '../../src/wire/error.js';

export const ip = (text: string): number => {
  const v = parseIPv4(text);
  if (v === null) throw new Error(`bad address ${text}`);
  return v;
};

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A foreign station's MAC (locally administered, never one the Network hands out by chance). */
export const OTHER_MAC = Uint8Array.of(0x06, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);

export interface IpFrameSpec {
  dstMac: Uint8Array;
  srcMac?: Uint8Array;
  src: number;
  dst: number;
  protocol: number;
  payload: Uint8Array;
  ttl?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  offset?: number;
}

/** Ethernet + 20-byte IPv4 header (checksummed) + `payload`. */
export function ipFrame(s: IpFrameSpec): Uint8Array {
  const f = new Uint8Array(ETH_HEADER_LEN + IPV4_HEADER_LEN + s.payload.length);
  emitEthernet({ dst: s.dstMac, src: s.srcMac ?? OTHER_MAC, ethertype: ETHERTYPE_IPV4 }, f, 0);
  const hdr: Ipv4Repr = {
    headerLength: IPV4_HEADER_LEN,
    tos: 0,
    totalLength: IPV4_HEADER_LEN + s.payload.length,
    id: s.id ?? 0x4242,
    dontFragment: s.df ?? false,
    moreFragments: s.mf ?? false,
    fragmentOffset: s.offset ?? 0,
    ttl: s.ttl ?? 64,
    protocol: s.protocol,
    src: s.src,
    dst: s.dst,
  };
  emitIpv4(hdr, f, ETH_HEADER_LEN, true);
  f.set(s.payload, ETH_HEADER_LEN + IPV4_HEADER_LEN);
  return f;
}

/** A UDP datagram (header + data, checksum filled) as an IP payload. */
export function udpPayload(src: number, dst: number, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const u = new Uint8Array(UDP_HEADER_LEN + data.length);
  emitUdpHeader(sport, dport, data.length, u, 0);
  u.set(data, UDP_HEADER_LEN);
  fillUdpChecksum(u, 0, u.length, src, dst);
  return u;
}

/** An ICMP message (checksummed) as an IP payload. */
export function icmpPayload(repr: Icmpv4Repr): Uint8Array {
  const m = new Uint8Array(icmpv4Length(repr));
  emitIcmpv4(repr, m, 0, true);
  return m;
}

export function udpFrame(s: Omit<IpFrameSpec, 'protocol' | 'payload'> & { sport: number; dport: number; data: Uint8Array }): Uint8Array {
  return ipFrame({ ...s, protocol: IP_PROTO_UDP, payload: udpPayload(s.src, s.dst, s.sport, s.dport, s.data) });
}

export function icmpFrame(s: Omit<IpFrameSpec, 'protocol' | 'payload'> & { icmp: Icmpv4Repr }): Uint8Array {
  return ipFrame({ ...s, protocol: IP_PROTO_ICMP, payload: icmpPayload(s.icmp) });
}

export interface ArpFrameSpec {
  op?: number;
  ethDst?: Uint8Array;
  senderMac: Uint8Array;
  senderIp: number;
  targetMac?: Uint8Array;
  targetIp: number;
}

/** Ethernet + ARP (no padding). */
export function arpFrame(s: ArpFrameSpec): Uint8Array {
  const f = new Uint8Array(ETH_HEADER_LEN + ARP_LEN);
  emitEthernet({ dst: s.ethDst ?? BROADCAST_MAC, src: s.senderMac, ethertype: ETHERTYPE_ARP }, f, 0);
  emitArp(
    { op: s.op ?? ARP_REQUEST, senderMac: s.senderMac, senderIp: s.senderIp, targetMac: s.targetMac ?? new Uint8Array(6), targetIp: s.targetIp },
    f,
    ETH_HEADER_LEN,
  );
  return f;
}

/** Two hosts on the default segment: a = 10.0.0.1, b = 10.0.0.2. */
export function pair(seed = 1, opts: ConstructorParameters<typeof Network>[0] = {}) {
  const net = new Network({ seed, ...opts });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  return { net, a, b };
}

/** Every frame handed to any port of `seg` (one entry per transmission, 'out' side). */
export function frameLog(seg: Segment): Uint8Array[] {
  const log: Uint8Array[] = [];
  for (const p of seg.ports) p.addTap((f, dir) => {
    if (dir === 'out') log.push(f.slice());
  });
  return log;
}

export const isArp = (f: Uint8Array): boolean => f.length >= 14 && ((f[12]! << 8) | f[13]!) === ETHERTYPE_ARP;
export const isArpRequest = (f: Uint8Array): boolean => isArp(f) && f[14 + 7] === 1;
/** Target IP of an ARP frame. */
export const arpTarget = (f: Uint8Array): number => ((f[38]! << 24) | (f[39]! << 16) | (f[40]! << 8) | f[41]!) >>> 0;
export const arpSender = (f: Uint8Array): number => ((f[28]! << 24) | (f[29]! << 16) | (f[30]! << 8) | f[31]!) >>> 0;

/** Opens a raw ICMP socket (the pinger's). */
export function icmpSocket(api: SocketApi): number {
  return api.socket(C.AF_INET, C.SOCK_RAW, C.IPPROTO_ICMP);
}

/** Sends one echo request with `id`, `seq`, `data` through a raw ICMP socket. */
export async function sendEcho(api: SocketApi, fd: number, dst: string, id: number, seq: number, data: Uint8Array): Promise<void> {
  await api.sendto(fd, icmpPayload({ kind: 'echo-request', id, seq, data }), 0, { address: dst, port: 0 });
}

export interface ReceivedIcmp {
  ip: Ipv4Repr;
  icmp: Icmpv4Repr;
  raw: Uint8Array;
}

/** Reads the next datagram from a raw ICMP socket and parses it (throws if it is not valid). */
export async function recvIcmp(api: SocketApi, fd: number): Promise<ReceivedIcmp> {
  const pkt = await api.recv(fd, 70000);
  const h = parseIpv4(pkt, 0, pkt.length, true);
  if (h instanceof WireError) throw new Error(`raw socket got a bad IP header: ${h.message}`);
  const m = parseIcmpv4(pkt, h.headerLength, h.totalLength - h.headerLength, true);
  if (m instanceof WireError) throw new Error(`raw socket got a bad ICMP message: ${m.message}`);
  return { ip: h, icmp: m, raw: pkt };
}

/** Reads ICMP messages until one is not an echo request (a pinger also sees its looped requests only for local pings). */
export async function recvIcmpMatching(api: SocketApi, fd: number, pred: (m: ReceivedIcmp) => boolean): Promise<ReceivedIcmp> {
  for (;;) {
    const m = await recvIcmp(api, fd);
    if (pred(m)) return m;
  }
}

/** Drains a raw/UDP socket without blocking; returns what was queued. */
export async function drain(api: SocketApi, fd: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (;;) {
    try {
      out.push(await api.recv(fd, 70000, C.MSG_DONTWAIT));
    } catch (e) {
      if ((e as { code?: string }).code === 'EAGAIN') return out;
      throw e;
    }
  }
}

/** The first interface of `h`. */
export const eth0 = (h: Host) => h.ip.interfaces[0]!;

/** A UDP socket bound to `port` on `h` (0.0.0.0). */
export function udpBound(h: Host, port: number): number {
  const fd = h.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
  h.sockets.bind(fd, { address: '0.0.0.0', port });
  return fd;
}

/**
 * A UDP echo server on `h`:`port` that runs until `stop()` resolves its loop; answers each
 * datagram with the same bytes to the sender.
 */
export function udpEchoServer(h: Host, port: number): { fd: number; served: () => number; stop: () => Promise<void> } {
  const fd = udpBound(h, port);
  let served = 0;
  let closed = false;
  const loop = (async () => {
    for (;;) {
      let got: [Uint8Array, { address: string; port: number }];
      try {
        got = await h.sockets.recvfrom(fd, 70000);
      } catch (e) {
        if (closed) return;
        throw e;
      }
      served++;
      // Like a real echo server, a reply that cannot be sent (hostile source) is skipped.
      await h.sockets.sendto(fd, got[0], 0, got[1]).catch(() => undefined);
    }
  })();
  return {
    fd,
    served: () => served,
    stop: async () => {
      closed = true;
      await h.sockets.close(fd);
      await loop;
    },
  };
}

/**
 * a (10.0.1.2, lan1) — r (10.0.1.1 lan1 / 10.0.2.1 lan2) — b (10.0.2.2, lan2), gateways set
 * on both sides. `lan2` options set the second segment's impairments (e.g. a smaller MTU).
 */
export function routed(seed = 1, lan2: Partial<import('../../src/link/segment.js').Impairments> = {}) {
  const net = new Network({ seed });
  net.segment('lan1');
  net.segment('lan2', lan2);
  const a = net.host('a', { interfaces: [{ segment: 'lan1', address: '10.0.1.2/24' }], gateway: '10.0.1.1' });
  const r = net.router('r', [
    { segment: 'lan1', address: '10.0.1.1/24' },
    { segment: 'lan2', address: '10.0.2.1/24' },
  ]);
  const b = net.host('b', { interfaces: [{ segment: 'lan2', address: '10.0.2.2/24' }], gateway: '10.0.2.1' });
  return { net, a, r, b };
}

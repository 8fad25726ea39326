import type { IpHost } from './ip-host.js';
import { HEADROOM } from './ip-host.js';
import type { Interface } from './interface.js';
import { WireError } from '../wire/error.js';
import type { Ipv4Repr } from '../wire/ipv4.js';
import { IP_PROTO_ICMP, IP_PROTO_TCP, readIpv4Header } from '../wire/ipv4.js';
import {
  ICMP_DEST_UNREACH, ICMP_PARAM_PROBLEM, ICMP_TIME_EXCEEDED,
  UNREACH_FRAG_NEEDED, UNREACH_HOST, UNREACH_NET, UNREACH_PORT, UNREACH_PROTOCOL, TIME_EXCEEDED_REASSEMBLY,
  TIME_EXCEEDED_TTL, emitIcmpv4, icmpv4Length, parseIcmpv4, type Icmpv4Repr,
} from '../wire/icmpv4.js';
import { isLimitedBroadcast, isMulticastIPv4, isClassE } from '../wire/address.js';

export interface IcmpOptions {
  /** Token refill interval per destination for error messages (net.ipv4.icmp_ratelimit: 1000 ms). */
  ratelimitMs: number;
  /** Burst allowed per destination (Linux XRLIM_BURST_FACTOR: 6). */
  burst: number;
  /** Ignore echo requests sent to broadcast addresses (icmp_echo_ignore_broadcasts: 1). */
  ignoreBroadcastEcho: boolean;
  /**
   * Answer a DF datagram too big for the next link with "fragmentation needed" and the link's
   * MTU (RFC 1191 §4, RFC 1812 §5.2.7.1). False makes this router a PMTU black hole, as a
   * firewall that drops ICMP does (RFC 2923 §2.1): the datagram just disappears.
   */
  fragNeeded: boolean;
}

const DEFAULTS: IcmpOptions = { ratelimitMs: 1000, burst: 6, ignoreBroadcastEcho: true, fragNeeded: true };

/**
 * RFC 1191 §7 plateau table: MTUs common on real links, for a "fragmentation needed" from an
 * old router that leaves the Next-Hop MTU field zero (§5).
 */
const MTU_PLATEAUS = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

/** RFC 1191 §5: the largest plateau below the Total Length of the datagram that did not fit. */
export function plateauBelow(totalLength: number): number {
  for (const p of MTU_PLATEAUS) if (p < totalLength) return p;
  return 68;
}

/** Linux quotes as much of the offending datagram as fits in 576 bytes (RFC 1812 §4.3.2.3). */
const MAX_QUOTE = 576 - 20 - 8;

/** ICMP error types (as opposed to queries): never answered with another error (RFC 1122 §3.2.2). */
function isIcmpError(type: number): boolean {
  return type === ICMP_DEST_UNREACH || type === ICMP_TIME_EXCEEDED || type === ICMP_PARAM_PROBLEM || type === 4 || type === 5;
}

/**
 * ICMPv4 (RFC 792, RFC 1122 §3.2.2): echo replies, error generation with the RFC 1122
 * suppression rules and a per-destination token bucket, and error delivery to transports.
 */
export class IcmpService {
  readonly opts: IcmpOptions;
  private buckets = new Map<number, { tokens: number; last: number }>();

  constructor(
    private readonly host: IpHost,
    opts?: Partial<IcmpOptions>,
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  input(pkt: Uint8Array, h: Ipv4Repr, iface: Interface | null): void {
    const c = this.host.counters.icmp;
    c.inMsgs++;
    const verify = iface ? !iface.offload : false;
    const m = parseIcmpv4(pkt, h.headerLength, pkt.length - h.headerLength, verify);
    if (m instanceof WireError) {
      if (m.kind === 'bad-checksum') c.inCsumErrors++;
      c.inErrors++;
      return;
    }
    switch (m.kind) {
      case 'echo-request':
        c.inEchos++;
        this.echoReply(h, m, iface);
        return;
      case 'echo-reply':
        c.inEchoReps++; // raw sockets (ping) already got a copy
        return;
      case 'dest-unreachable':
        c.inDestUnreachs++;
        this.deliverError(ICMP_DEST_UNREACH, m.code, m.nextHopMtu, m.original, h.src);
        return;
      case 'time-exceeded':
        c.inTimeExcds++;
        this.deliverError(ICMP_TIME_EXCEEDED, m.code, 0, m.original, h.src);
        return;
      case 'param-problem':
        c.inParmProbs++;
        this.deliverError(ICMP_PARAM_PROBLEM, 0, 0, m.original, h.src);
        return;
      default:
        return;
    }
  }

  /** Parses the quoted datagram leniently (it is cut short by design) and reports it. */
  private deliverError(type: number, code: number, mtu: number, quoted: Uint8Array, reporter: number): void {
    const q = readIpv4Header(quoted);
    // RFC 792: the quote holds the IP header and at least 8 bytes of what followed it.
    if (!q || quoted.length < q.headerLength + 8) {
      this.host.counters.icmp.inErrors++;
      return;
    }
    if (type === ICMP_DEST_UNREACH && code === UNREACH_FRAG_NEEDED) {
      // Linux icmp_unreach, net.ipv4.ip_no_pmtu_disc: 2 drops these, 3 passes them only to
      // protocols that check the quote against a connection (TCP), 1 uses min_pmtu whatever
      // the router said.
      const mode = this.host.noPmtuDisc;
      if (mode === 2 || (mode === 3 && q.protocol !== IP_PROTO_TCP)) return;
      if (mode === 1) mtu = this.host.minPmtu;
      else if (mtu === 0) mtu = plateauBelow(q.totalLength); // RFC 1191 §5: an old router
    }
    this.host.reportError({
      type,
      code,
      mtu,
      src: q.src,
      dst: q.dst,
      protocol: q.protocol,
      transport: quoted.subarray(q.headerLength),
      reporter,
    });
  }

  private echoReply(h: Ipv4Repr, req: Extract<Icmpv4Repr, { kind: 'echo-request' }>, iface: Interface | null): void {
    if (this.host.isBroadcastAddress(h.dst) || isMulticastIPv4(h.dst)) {
      if (this.opts.ignoreBroadcastEcho) return;
    }
    // RFC 1122 §3.2.2.6: reply from the address the request was sent to, same id, seq and data.
    const src = this.host.isLocalAddress(h.dst) ? h.dst : iface ? iface.address : 0;
    this.send({ kind: 'echo-reply', id: req.id, seq: req.seq, data: req.data }, src, h.src, false);
    this.host.counters.icmp.outEchoReps++;
  }

  /** Sends an ICMP message built from `repr` to `dst`. Returns false if it could not be routed. */
  send(repr: Icmpv4Repr, src: number, dst: number, rateLimited: boolean): boolean {
    const route = this.host.routeTo(dst);
    if (!route) {
      this.host.counters.ip.outNoRoutes++;
      return false;
    }
    if (rateLimited && route.iface !== null && !this.allow(dst)) {
      this.host.counters.icmp.outRateLimited++;
      return false;
    }
    const len = icmpv4Length(repr);
    const pkt = new Uint8Array(HEADROOM + len);
    // Always checksummed (Linux icmp_push_reply): a pinger on loopback verifies it too.
    emitIcmpv4(repr, pkt, HEADROOM, true);
    this.host.counters.icmp.outMsgs++;
    this.host.output(pkt, { src: src || route.src, dst, protocol: IP_PROTO_ICMP, ttl: this.host.defaultTtl }, route);
    return true;
  }

  /** Token bucket per destination (Linux inet_peer_xrlim_allow). */
  private allow(dst: number): boolean {
    const now = this.host.scheduler.now();
    const max = this.opts.burst * this.opts.ratelimitMs;
    let b = this.buckets.get(dst);
    if (!b) {
      if (this.buckets.size > 4096) this.buckets.clear(); // bounded memory under a scan
      b = { tokens: max, last: now };
      this.buckets.set(dst, b);
    }
    b.tokens = Math.min(max, b.tokens + (now - b.last));
    b.last = now;
    if (b.tokens < this.opts.ratelimitMs) return false;
    b.tokens -= this.opts.ratelimitMs;
    return true;
  }

  /**
   * Sends an ICMP error about `pkt` (IP header at 0) unless RFC 1122 §3.2.2 forbids it:
   * not about an ICMP error, a non-initial fragment, a broadcast/multicast destination
   * (IP or link layer), or a source that does not name a single host.
   */
  private error(pkt: Uint8Array, h: Ipv4Repr, type: number, code: number, extra: number, counter: 'outDestUnreachs' | 'outTimeExcds' | 'outParmProbs'): void {
    if (h.fragmentOffset !== 0) return;
    if (this.host.isBroadcastAddress(h.dst) || isMulticastIPv4(h.dst) || this.host.receivedAsLinkBroadcast) return;
    const s = h.src;
    if (s === 0 || isLimitedBroadcast(s) || isMulticastIPv4(s) || isClassE(s) || this.host.isBroadcastAddress(s)) return;
    if (h.protocol === IP_PROTO_ICMP && pkt.length > h.headerLength && isIcmpError(pkt[h.headerLength]!)) return;
    const original = pkt.subarray(0, Math.min(pkt.length, MAX_QUOTE));
    let repr: Icmpv4Repr;
    if (type === ICMP_DEST_UNREACH) repr = { kind: 'dest-unreachable', code, nextHopMtu: extra, original };
    else if (type === ICMP_TIME_EXCEEDED) repr = { kind: 'time-exceeded', code, original };
    else repr = { kind: 'param-problem', pointer: extra, original };
    // Source: our address the datagram was sent to, else the route's choice (a router's outgoing interface).
    const src = this.host.isLocalAddress(h.dst) ? h.dst : 0;
    // Linux icmpv4_mask_allow: "Don't limit PMTU discovery" — fragmentation needed is exempt.
    const limited = !(type === ICMP_DEST_UNREACH && code === UNREACH_FRAG_NEEDED);
    if (this.send(repr, src, h.src, limited)) this.host.counters.icmp[counter]++;
  }

  portUnreachable(pkt: Uint8Array, h: Ipv4Repr): void {
    this.error(pkt, h, ICMP_DEST_UNREACH, UNREACH_PORT, 0, 'outDestUnreachs');
  }
  protocolUnreachable(pkt: Uint8Array, h: Ipv4Repr): void {
    this.error(pkt, h, ICMP_DEST_UNREACH, UNREACH_PROTOCOL, 0, 'outDestUnreachs');
  }
  netUnreachable(pkt: Uint8Array, h: Ipv4Repr): void {
    this.error(pkt, h, ICMP_DEST_UNREACH, UNREACH_NET, 0, 'outDestUnreachs');
  }
  /** A router's answer to a DF datagram too big for `mtu` (silent with opts.fragNeeded off: a black hole). */
  fragmentationNeeded(pkt: Uint8Array, h: Ipv4Repr, mtu: number): void {
    if (!this.opts.fragNeeded) return;
    this.error(pkt, h, ICMP_DEST_UNREACH, UNREACH_FRAG_NEEDED, mtu, 'outDestUnreachs');
  }
  /**
   * One of our own DF datagrams is bigger than the path MTU: tell its sender through the
   * loopback, as Linux's ip_fragment does with icmp_send, so a transport that has not yet
   * heard of the smaller path (another connection learnt it) lowers its segment size.
   */
  localFragmentationNeeded(pkt: Uint8Array, h: Ipv4Repr, mtu: number): void {
    this.error(pkt, h, ICMP_DEST_UNREACH, UNREACH_FRAG_NEEDED, mtu, 'outDestUnreachs');
  }
  timeExceeded(pkt: Uint8Array, h: Ipv4Repr): void {
    this.error(pkt, h, ICMP_TIME_EXCEEDED, TIME_EXCEEDED_TTL, 0, 'outTimeExcds');
  }
  parameterProblem(pkt: Uint8Array, h: Ipv4Repr, pointer: number): void {
    this.error(pkt, h, ICMP_PARAM_PROBLEM, 0, pointer, 'outParmProbs');
  }

  /** ARP failed for a queued datagram (RFC 1122 §2.3.2.2): host unreachable to its sender. */
  hostUnreachable(pkt: Uint8Array): void {
    const h = readIpv4Header(pkt);
    if (h) this.error(pkt, h, ICMP_DEST_UNREACH, UNREACH_HOST, 0, 'outDestUnreachs');
  }

  /** RFC 1122 §3.3.2: reassembly timed out with fragment zero present. */
  reassemblyTimeout(header: Uint8Array, payloadStart: Uint8Array): void {
    const pkt = new Uint8Array(header.length + payloadStart.length);
    pkt.set(header, 0);
    pkt.set(payloadStart, header.length);
    const h = readIpv4Header(pkt);
    if (h) this.error(pkt, { ...h, fragmentOffset: 0 }, ICMP_TIME_EXCEEDED, TIME_EXCEEDED_REASSEMBLY, 0, 'outTimeExcds');
  }
}

import type { NetDevice } from './device.js';
import type { ErrnoCode } from './errno.js';
import { Interface } from './interface.js';
import { PmtuCache, RouteTable, type PmtuEntry } from './route-table.js';
import { NeighborCache, type NeighborOptions } from './neighbor-cache.js';
import { newCounters, type Counters } from './counters.js';
import { Reassembler, type ReassemblyOptions } from './reassembly.js';
import { IcmpService, type IcmpOptions } from './icmp.js';
import { Timer, type TimerScheduler } from '../time/scheduler.js';
import { framePool } from '../storage/frame-pool.js';
import type { Rng } from '../time/rng.js';
import { WireError } from '../wire/error.js';
import { ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, emitEthernet, writeEthernetHeader } from '../wire/ethernet.js';
import { ARP_LEN, ARP_REPLY, ARP_REQUEST, emitArp, parseArp } from '../wire/arp.js';
import { IPV4_HEADER_LEN, IP_PROTO_ICMP, IP_PROTO_TCP, checkIpv4, emitIpv4, fillIpv4Checksum, newIpv4Repr, readIpv4HeaderInto, type Ipv4Repr } from '../wire/ipv4.js';
import { ICMP_DEST_UNREACH, UNREACH_FRAG_NEEDED } from '../wire/icmpv4.js';
import {
  BROADCAST_MAC, isBroadcastMac, isClassE, isLimitedBroadcast, isLoopbackIPv4, isMulticastIPv4,
  isMulticastMac, macEquals,
} from '../wire/address.js';

/** Bytes in front of a transport header: Ethernet + IPv4 (no options). */
export const HEADROOM = ETH_HEADER_LEN + IPV4_HEADER_LEN;

const LOOPBACK_ADDR = 0x7f000001;
/** The path MTU of local delivery: the largest IPv4 datagram (Linux's lo has 65536). */
export const LOOPBACK_MTU = 65535;
/** RFC 791 §3.1, RFC 1191 §3: every IPv4 link carries 68 bytes; no path MTU is smaller. */
export const IPV4_MIN_MTU = 68;
const ZERO_MAC = new Uint8Array(6);
/** What a loopback slot holds once delivered (the frame itself goes back to the pool). */
const NO_DATAGRAM = new Uint8Array(0);

/** What the transports see of an arriving IP datagram. */
export interface ProtocolHandler {
  /**
   * A datagram for this host: buf[off, off + hdr.totalLength), IP header at `off` (a frame's
   * bytes: no view is made per datagram). `hdr` is the host's scratch header, valid during the
   * call only; the buffer is released after it (copy what must be kept).
   */
  input(buf: Uint8Array, off: number, hdr: Ipv4Repr, iface: Interface | null): void;
  /** An ICMP error quoting a datagram this host sent with this protocol. */
  icmpError?(err: IcmpErrorReport): void;
}

export interface IcmpErrorReport {
  type: number;
  code: number;
  /** Next-hop MTU of a fragmentation-needed message (RFC 1191; a plateau estimate when the router sent 0, §5), else 0. */
  mtu: number;
  /** The quoted datagram's addresses and protocol. */
  src: number;
  dst: number;
  protocol: number;
  /** Bytes of the quoted datagram after its IP header (at least 8 when present). */
  transport: Uint8Array;
  /** Who sent the ICMP error. */
  reporter: number;
}

/** Where a datagram to `dst` goes. */
export interface RouteResult {
  /** Outgoing interface; null for local delivery (own address, 127/8). */
  iface: Interface | null;
  nextHop: number;
  /** Source address to use when the socket has none bound. */
  src: number;
  /** The destination is a broadcast address on the outgoing link. */
  broadcast: boolean;
  /** No transport (UDP/TCP) checksums needed: loopback or an offloading device. The IP header checksum is always computed. */
  offload: boolean;
  /**
   * The path MTU at lookup time (RFC 1191): the outgoing link's MTU, or less when ICMP taught
   * this host a smaller one for `dst`; LOOPBACK_MTU for local delivery. A snapshot:
   * `IpHost.pathMtu(dst, route)` gives the value now (entries age out).
   */
  mtu: number;
}

export interface IpSendOptions {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  tos?: number;
  df?: boolean;
  /** IP identification; 0 or absent = the host picks one. */
  id?: number;
}

export interface IpHostOptions {
  forwarding: boolean;
  defaultTtl: number;
  neighbor: Partial<NeighborOptions>;
  reassembly: Partial<ReassemblyOptions>;
  icmp: Partial<IcmpOptions>;
  /**
   * Linux net.ipv4.ip_no_pmtu_disc: 0 (default) TCP sets DF and learns from "fragmentation
   * needed" (RFC 1191); 1 no DF, and such an ICMP sets the path MTU to minPmtu; 2 such ICMPs
   * are ignored; 3 only TCP (which checks the quoted sequence number) hears them.
   */
  noPmtuDisc: number;
  /** Smallest path MTU learnt from ICMP (net.ipv4.route.min_pmtu, 552); lower reports lock it here without DF. */
  minPmtu: number;
  /** How long a learnt path MTU lasts (net.ipv4.route.mtu_expires: 600 s; RFC 1191 §6.3 "10 minutes"). */
  mtuExpiresMs: number;
  /** Destinations the path MTU cache holds at most (oldest evicted first). */
  pmtuCacheSize: number;
}

/**
 * The datagram of `h` at buf[off] as a view of its own (IP header at 0), for the slow paths
 * (and a handler quoting it in an ICMP error).
 */
export function datagramView(buf: Uint8Array, off: number, h: Ipv4Repr): Uint8Array {
  return off === 0 && buf.length === h.totalLength ? buf : buf.subarray(off, off + h.totalLength);
}

/** The path MTU a cache entry (or none) leaves of the link's MTU: never above the link's. */
function pathMtuOf(e: PmtuEntry | null, linkMtu: number): number {
  return e !== null && e.mtu < linkMtu ? e.mtu : linkMtu;
}

/**
 * The IPv4 machine of one host (RFC 791, RFC 1122): interfaces, routes, ARP, input
 * validation, fragmentation and reassembly, ICMP, local delivery and forwarding.
 * Transports register a ProtocolHandler per IP protocol number.
 */
export class IpHost {
  readonly interfaces: Interface[] = [];
  readonly routes = new RouteTable();
  readonly counters: Counters = newCounters();
  readonly neighbors: NeighborCache;
  readonly reassembler: Reassembler;
  readonly icmp: IcmpService;
  readonly protocols = new Map<number, ProtocolHandler>();
  /** Raw sockets see every datagram first; returns true when one took it (RFC 1122 §3.2.2.1). */
  rawInput: ((buf: Uint8Array, off: number, hdr: Ipv4Repr) => boolean) | null = null;
  forwarding: boolean;
  defaultTtl: number;
  /** See IpHostOptions: Linux's ip_no_pmtu_disc, route.min_pmtu, route.mtu_expires (mutable like sysctls). */
  noPmtuDisc: number;
  minPmtu: number;
  mtuExpiresMs: number;
  /** Path MTUs learnt from ICMP, per destination (RFC 1191 §5). */
  readonly pmtuCache: PmtuCache;
  private ipId: number;
  /** The frame being processed arrived as a link-layer broadcast or multicast. */
  private linkGroup = false;
  /**
   * Datagrams looped back to this host, in order: the one in loopFrames[i] has its IP header at
   * loopOffsets[i] (a frame's headroom: no view is made), [loopHead, loopTail) are pending. The
   * arrays are reused, emptied by moving both ends back to 0.
   */
  private readonly loopFrames: Uint8Array[] = [];
  private readonly loopOffsets: number[] = [];
  private loopHead = 0;
  private loopTail = 0;
  /** output()'s header, filled per datagram (moreFragments and fragmentOffset stay 0). */
  private readonly txHdr: Ipv4Repr = {
    headerLength: IPV4_HEADER_LEN, tos: 0, totalLength: 0, id: 0, dontFragment: false, moreFragments: false,
    fragmentOffset: 0, ttl: 0, protocol: 0, src: 0, dst: 0,
  };
  private loopTimer = new Timer(() => this.loopTick(), true);
  /** Application send calls in progress (beginSend/endSend): what they loop back waits for the outermost to end. */
  private sendDepth = 0;
  /**
   * What loopback input threw inside a send call (a stack bug): rethrown from the next tick,
   * where a stack error has always surfaced (net.run rejects with it), not from the send call,
   * whose bytes were queued.
   */
  private loopFailure: { error: unknown } | null = null;
  /** ipInput()'s header, filled per datagram, and whether an input is using it. */
  private readonly rxHdr: Ipv4Repr = newIpv4Repr();
  private rxBusy = false;

  constructor(
    readonly name: string,
    readonly scheduler: TimerScheduler,
    readonly rng: Rng,
    opts: Partial<IpHostOptions> = {},
  ) {
    this.forwarding = opts.forwarding ?? false;
    this.defaultTtl = opts.defaultTtl ?? 64; // Linux net.ipv4.ip_default_ttl
    this.noPmtuDisc = opts.noPmtuDisc ?? 0;
    this.minPmtu = opts.minPmtu ?? 552; // Linux ip_rt_min_pmtu: 512 + 20 + 20
    this.mtuExpiresMs = opts.mtuExpiresMs ?? 600_000; // Linux ip_rt_mtu_expires
    this.pmtuCache = new PmtuCache(opts.pmtuCacheSize ?? 4096);
    this.ipId = rng.u32() & 0xffff;
    this.neighbors = new NeighborCache(
      scheduler,
      this.counters,
      {
        sendRequest: (iface, ip) => this.sendArp(iface, ARP_REQUEST, BROADCAST_MAC, ZERO_MAC, ip),
        transmit: (iface, frame, mac) => this.transmitFrame(iface, frame, mac),
        unreachable: (_iface, frame) => this.icmp.hostUnreachable(frame.subarray(ETH_HEADER_LEN)),
      },
      (i) => this.interfaces[i],
      opts.neighbor,
    );
    this.reassembler = new Reassembler(scheduler, opts.reassembly, (first) => {
      // Linux ip_expire counts both ReasmFails and ReasmTimeout.
      this.counters.ip.reasmFails++;
      this.counters.ip.reasmTimeout++;
      // RFC 1122 §3.3.2: time exceeded (fragment reassembly) only if fragment zero arrived.
      if (first) this.icmp.reassemblyTimeout(first.header, first.payloadStart);
    });
    this.icmp = new IcmpService(this, opts.icmp);
  }

  /** Adds an interface on `device` with `address`/`prefix` and its connected route. */
  addInterface(device: NetDevice, address: number, prefix: number, name?: string): Interface {
    const index = this.interfaces.length;
    const iface = new Interface(index, name ?? `eth${index}`, device, address, prefix);
    this.interfaces.push(iface);
    device.setReceiver((frame) => this.receiveFrame(iface, frame));
    this.routes.add({ network: address, prefix, gateway: 0, ifindex: index, metric: 0 });
    // Gratuitous ARP (RFC 5227 §3 announcement): tell the segment who owns the address.
    this.sendArp(iface, ARP_REQUEST, BROADCAST_MAC, ZERO_MAC, address);
    return iface;
  }

  /** Adds a route via `gateway` (0 = on-link) — the interface is found from the gateway. */
  addRoute(network: number, prefix: number, gateway: number, metric = 0): void {
    let ifindex = -1;
    if (gateway) {
      const r = this.routes.lookup(gateway);
      if (!r || r.gateway) throw new Error(`gateway ${gateway >>> 0} is not on a connected network`);
      ifindex = r.ifindex;
    } else if (this.interfaces.length) ifindex = 0;
    if (ifindex < 0) throw new Error('no interface for the route');
    this.routes.add({ network, prefix, gateway, ifindex, metric });
  }

  /** True when `addr` is one of this host's unicast addresses (or loopback). */
  isLocalAddress(addr: number): boolean {
    if (isLoopbackIPv4(addr)) return true;
    for (const i of this.interfaces) if (i.address === addr) return true;
    return false;
  }

  /** True when `addr` is a broadcast address of one of our interfaces (or 255.255.255.255). */
  isBroadcastAddress(addr: number): boolean {
    if (isLimitedBroadcast(addr)) return true;
    for (const i of this.interfaces) if (i.prefix < 31 && i.broadcast === addr) return true;
    return false;
  }

  /** Route selection (RFC 1122 §3.3.1): local, then longest prefix. Null means ENETUNREACH. */
  routeTo(dst: number): RouteResult | null {
    if (this.isLocalAddress(dst)) {
      return { iface: null, nextHop: dst, src: isLoopbackIPv4(dst) ? LOOPBACK_ADDR : dst, broadcast: false, offload: true, mtu: LOOPBACK_MTU };
    }
    if (isLimitedBroadcast(dst)) {
      // Linux sends 255.255.255.255 out of the interface its routes would choose, else the first one up.
      const r = this.routes.lookup(dst);
      const iface = r ? this.interfaces[r.ifindex] : this.interfaces.find((i) => i.up);
      if (!iface) return null;
      return { iface, nextHop: dst, src: iface.address, broadcast: true, offload: iface.offload, mtu: iface.mtu };
    }
    const r = this.routes.lookup(dst);
    if (!r) return null;
    const iface = this.interfaces[r.ifindex];
    if (!iface || !iface.up) return null;
    const broadcast = iface.prefix < 31 && dst === iface.broadcast;
    const e = this.pmtuEntry(dst);
    const mtu = pathMtuOf(e, iface.mtu);
    return { iface, nextHop: r.gateway || dst, src: iface.address, broadcast, offload: iface.offload, mtu };
  }

  // ---- path MTU discovery (RFC 1191) -------------------------------------------

  /** The fresh cache entry for `dst`, counting one that aged out on the way (RFC 1191 §6.3). */
  private pmtuEntry(dst: number): PmtuEntry | null {
    const cache = this.pmtuCache;
    if (cache.size === 0) return null;
    const n = cache.expired;
    const e = cache.lookup(dst, this.scheduler.now());
    if (cache.expired !== n) this.counters.ip.pmtuExpired++;
    return e;
  }

  /**
   * The path MTU towards `dst` now: the link MTU of `route` (looked up when not given), or a
   * smaller one learnt from ICMP that has not yet aged out. LOOPBACK_MTU for local delivery;
   * 0 when there is no route.
   */
  pathMtu(dst: number, route: RouteResult | null = this.routeTo(dst)): number {
    if (!route) return 0;
    const iface = route.iface;
    if (!iface) return LOOPBACK_MTU;
    const e = this.pmtuEntry(dst);
    return pathMtuOf(e, iface.mtu);
  }

  /**
   * A "fragmentation needed" says datagrams to `dst` must fit `mtu` (RFC 1191 §3, Linux
   * __ip_rt_update_pmtu). Values below 68 are bogus (RFC 1191 §3: no link is smaller) and
   * ignored, like any not below the current path MTU; values below minPmtu are raised to it
   * and locked, so datagrams go without DF and routers fragment them (a forged tiny MTU cannot
   * shrink segments to nothing). The entry lives mtuExpiresMs, renewed by a repeated report
   * once half of that has passed. Returns true when the path MTU to `dst` went down.
   */
  learnPmtu(dst: number, mtu: number): boolean {
    const c = this.counters.ip;
    const route = this.routeTo(dst);
    if (!route || !route.iface || mtu < IPV4_MIN_MTU) {
      c.pmtuIgnored++;
      return false;
    }
    const now = this.scheduler.now();
    const e = this.pmtuEntry(dst);
    const old = pathMtuOf(e, route.iface.mtu);
    if (mtu > old) {
      c.pmtuIgnored++;
      return false;
    }
    let locked = false;
    if (mtu < this.minPmtu) {
      locked = true;
      mtu = Math.min(old, this.minPmtu);
    }
    if (mtu === old && !locked && (e === null || now < e.expires - this.mtuExpiresMs / 2)) {
      // Nothing new: the link's own MTU, or a recent entry saying the same.
      c.pmtuIgnored++;
      return false;
    }
    this.pmtuCache.set(dst, mtu, locked || (e !== null && e.locked && mtu === e.mtu), now + this.mtuExpiresMs);
    c.pmtuUpdates++;
    return mtu < old;
  }

  private nextId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  /**
   * Sends a datagram. `pkt` holds HEADROOM bytes of space followed by the transport
   * header and payload; the IP and Ethernet headers are written in place (no copy)
   * unless the datagram must be fragmented (RFC 791 §3.2, RFC 1122 §3.3.3).
   * Returns an errno code for failures a sender must hear about synchronously.
   */
  output(pkt: Uint8Array, o: IpSendOptions, route: RouteResult): ErrnoCode | null {
    const c = this.counters.ip;
    c.outRequests++;
    const total = pkt.length - ETH_HEADER_LEN;
    if (total > 0xffff) {
      c.outDiscards++;
      return 'EMSGSIZE';
    }
    const iface = route.iface;
    let mtu = iface ? iface.mtu : LOOPBACK_MTU;
    let locked = false;
    if (iface && this.pmtuCache.size !== 0) {
      const e = this.pmtuEntry(o.dst);
      if (e !== null) {
        if (e.mtu < mtu) mtu = e.mtu;
        locked = e.locked;
      }
    }
    // The scratch header: emitted before anything below can send again (an ICMP error about
    // this datagram may); the two slow paths that keep it get copies.
    const hdr = this.txHdr;
    hdr.tos = o.tos ?? 0;
    hdr.totalLength = total;
    hdr.id = o.id || this.nextId();
    // RFC 1191 §3: TCP discovers the path MTU, so its datagrams carry DF (Linux
    // IP_PMTUDISC_WANT), unless PMTU discovery is off or the path MTU is locked at min_pmtu.
    hdr.dontFragment = o.df ?? (o.protocol === IP_PROTO_TCP && this.noPmtuDisc === 0 && !locked);
    hdr.ttl = o.ttl;
    hdr.protocol = o.protocol;
    hdr.src = o.src;
    hdr.dst = o.dst;
    // The header checksum is always computed, loopback included, as Linux's ip_send_check
    // does: offload only ever covers transport checksums, and raw sockets read the header.
    if (!iface) {
      emitIpv4(hdr, pkt, ETH_HEADER_LEN, true);
      this.loopback(pkt, ETH_HEADER_LEN);
      return null;
    }
    if (total <= mtu) {
      emitIpv4(hdr, pkt, ETH_HEADER_LEN, true);
      this.linkOutput(iface, pkt, route);
      return null;
    }
    if (hdr.dontFragment) {
      // Linux ip_fragment: a DF datagram over the path MTU is dropped, and its sender hears
      // "fragmentation needed" through the loopback (a transport that has not yet learnt the
      // path MTU, e.g. because another connection did, shrinks its segments).
      c.fragFails++;
      emitIpv4(hdr, pkt, ETH_HEADER_LEN, true);
      this.icmp.localFragmentationNeeded(pkt.subarray(ETH_HEADER_LEN), { ...hdr }, mtu);
      return 'EMSGSIZE';
    }
    this.fragment(pkt, { ...hdr }, iface, route, mtu);
    return null;
  }

  /** RFC 791 §3.2 fragmentation to fit `mtu`: payload cut at multiples of 8 bytes. */
  private fragment(pkt: Uint8Array, hdr: Ipv4Repr, iface: Interface, route: RouteResult, mtu: number): void {
    const payload = pkt.subarray(HEADROOM);
    const step = (mtu - IPV4_HEADER_LEN) & ~7;
    if (step <= 0) {
      this.counters.ip.fragFails++;
      return;
    }
    const baseOffset = hdr.fragmentOffset;
    const lastMore = hdr.moreFragments;
    for (let off = 0; off < payload.length; off += step) {
      const n = Math.min(step, payload.length - off);
      const frag = framePool.acquire(HEADROOM + n);
      frag.set(payload.subarray(off, off + n), HEADROOM);
      const last = off + n >= payload.length;
      emitIpv4(
        { ...hdr, totalLength: IPV4_HEADER_LEN + n, fragmentOffset: baseOffset + off, moreFragments: last ? lastMore : true },
        frag,
        ETH_HEADER_LEN,
        true,
      );
      this.counters.ip.fragCreates++;
      this.linkOutput(iface, frag, route);
    }
    this.counters.ip.fragOKs++;
    framePool.release(pkt); // the datagram was ours; its fragments carry copies
  }

  /** Picks the destination MAC (broadcast, multicast map, or ARP) and transmits. */
  private linkOutput(iface: Interface, frame: Uint8Array, route: RouteResult): void {
    if (route.broadcast) {
      // Linux loops link broadcasts back to local sockets too (ip_mc_output). Copied before
      // transmit: the device owns the frame from then on.
      this.loopback(frame.slice(ETH_HEADER_LEN), 0);
      this.transmitFrame(iface, frame, BROADCAST_MAC);
      return;
    }
    const dst = route.nextHop;
    if (isMulticastIPv4(dst)) {
      // RFC 1112 §6.4: 01:00:5e + low 23 bits of the group.
      const mac = new Uint8Array([0x01, 0x00, 0x5e, (dst >>> 16) & 0x7f, (dst >>> 8) & 0xff, dst & 0xff]);
      this.transmitFrame(iface, frame, mac);
      return;
    }
    this.neighbors.send(iface, dst, frame);
  }

  private transmitFrame(iface: Interface, frame: Uint8Array, dstMac: Uint8Array): void {
    if (!iface.up) return;
    // Only IP datagrams pass through here; ARP frames are built whole by sendArp.
    writeEthernetHeader(frame, 0, dstMac, iface.mac, ETHERTYPE_IPV4);
    this.counters.link.outFrames++;
    iface.device.transmit(frame);
  }

  private sendArp(iface: Interface, op: number, ethDst: Uint8Array, targetMac: Uint8Array, targetIp: number): void {
    const frame = new Uint8Array(ETH_HEADER_LEN + ARP_LEN);
    emitArp({ op, senderMac: iface.mac, senderIp: iface.address, targetMac, targetIp }, frame, ETH_HEADER_LEN);
    emitEthernet({ dst: ethDst, src: iface.mac, ethertype: ETHERTYPE_ARP }, frame, 0);
    this.counters.link.outFrames++;
    if (op === ARP_REPLY) this.counters.arp.outReplies++;
    if (iface.up) iface.device.transmit(frame);
  }

  /** Every frame from a device lands here. Never throws: bad frames are counted and dropped. */
  receiveFrame(iface: Interface, frame: Uint8Array): void {
    const l = this.counters.link;
    l.inFrames++;
    if (!iface.up) return;
    if (frame.length < ETH_HEADER_LEN) {
      l.inTruncated++;
      return;
    }
    if (!macEquals(frame, 0, iface.mac, 0) && !isBroadcastMac(frame, 0) && !isMulticastMac(frame, 0)) {
      l.inNotForUs++;
      return;
    }
    const type = (frame[12]! << 8) | frame[13]!;
    if (type === ETHERTYPE_IPV4) {
      this.linkGroup = isMulticastMac(frame, 0);
      try {
        this.ipInput(iface, frame, ETH_HEADER_LEN, frame.length - ETH_HEADER_LEN);
      } finally {
        this.linkGroup = false;
      }
    } else if (type === ETHERTYPE_ARP) this.arpInput(iface, frame);
    else l.inUnknownEthertype++;
    // Input is over and whatever was kept was copied (see storage/frame-pool.ts).
    framePool.release(frame);
  }

  /** RFC 826 packet reception, with RFC 5227 probes (sender 0.0.0.0) answered but not learned. */
  private arpInput(iface: Interface, frame: Uint8Array): void {
    const a = this.counters.arp;
    const arp = parseArp(frame, ETH_HEADER_LEN, frame.length - ETH_HEADER_LEN);
    if (arp instanceof WireError) {
      a.inErrors++;
      return;
    }
    if (arp.op === ARP_REQUEST) a.inRequests++;
    else a.inReplies++;
    if (macEquals(arp.senderMac, 0, iface.mac, 0)) return; // our own broadcast
    // A group MAC or a martian sender or target address names no station (Linux arp_process
    // drops them through its route checks of sip and tip).
    const sip = arp.senderIp;
    const tip = arp.targetIp;
    if (
      isMulticastMac(arp.senderMac, 0) ||
      isMulticastIPv4(sip) || isClassE(sip) || isLoopbackIPv4(sip) ||
      isMulticastIPv4(tip) || isClassE(tip) || isLoopbackIPv4(tip)
    ) {
      a.inErrors++;
      return;
    }
    // Someone else claims one of our addresses: an address conflict, never a neighbour
    // (Linux: the local sip fails ip_route_input and no entry is made).
    if (sip !== 0 && this.isLocalAddress(sip)) {
      a.inConflicts++;
      return;
    }
    const forUs = tip === iface.address;
    if (sip === tip) a.inGratuitous++;
    // RFC 826 merge: existing entries are always updated; a new one only for a request to us.
    // An unsolicited reply creates nothing (Linux arp_accept = 0: no cache poisoning by replies).
    if (sip !== 0) this.neighbors.learn(iface, sip, arp.senderMac, forUs && arp.op === ARP_REQUEST);
    if (forUs && arp.op === ARP_REQUEST && sip !== tip) {
      this.sendArp(iface, ARP_REPLY, arp.senderMac, arp.senderMac, arp.senderIp);
    }
  }

  /**
   * True while the datagram being processed came in a link-layer broadcast or multicast
   * frame: no ICMP error may answer it (RFC 1122 §3.2.2) and a router must not forward it
   * (RFC 1812 §5.3.4; Linux ip_forward drops pkt_type != PACKET_HOST).
   */
  get receivedAsLinkBroadcast(): boolean {
    return this.linkGroup;
  }

  /**
   * Queues the datagram at buf[off] (to its end) for local delivery in a later timer tick, or,
   * looped back by an application's send call, when that call ends (endSend).
   */
  private loopback(buf: Uint8Array, off: number): void {
    const i = this.loopTail++;
    this.loopFrames[i] = buf;
    this.loopOffsets[i] = off;
    if (this.sendDepth === 0 && !this.loopTimer.armed) this.scheduler.arm(this.loopTimer, this.scheduler.now());
  }

  /**
   * An application's send call begins (socket layer); endSend() ends it. What it loops back is
   * delivered before the call returns, as on Linux: loopback_xmit hands the packet to netif_rx,
   * and the NET_RX softirq processes it at the send path's local_bh_enable, before the system
   * call returns, so the receiver is woken from within the sender's call. (Linux also takes the
   * receiver's ACK before the call returns, through the socket backlog at release_sock; here
   * it waits for a tick of its own. Under the real clock, "due" timers are common, and then
   * the datagrams take their tick too.)
   */
  beginSend(): void {
    this.sendDepth++;
  }

  endSend(): void {
    if (--this.sendDepth !== 0 || this.loopHead === this.loopTail) return;
    // The timer tick would have come first among the timers due now only if none was due:
    // then delivering now changes no order. Otherwise it takes its turn behind them.
    if (this.loopTimer.armed || this.scheduler.nextDeadline() <= this.scheduler.now()) {
      if (!this.loopTimer.armed) this.scheduler.arm(this.loopTimer, this.scheduler.now());
      return;
    }
    // What this input loops back in turn (an ACK) waits for a tick, as from the timer; so does
    // the rest, should input throw.
    try {
      this.drainLoopback();
    } catch (error) {
      this.loopFailure ??= { error };
    }
    if ((this.loopHead !== this.loopTail || this.loopFailure !== null) && !this.loopTimer.armed) this.scheduler.arm(this.loopTimer, this.scheduler.now());
  }

  /** The loopback timer: a failure left by endSend first (the rest on a tick of its own), then delivery. */
  private loopTick(): void {
    const f = this.loopFailure;
    if (f === null) return this.drainLoopback();
    this.loopFailure = null;
    if (this.loopHead !== this.loopTail) this.scheduler.arm(this.loopTimer, this.scheduler.now());
    throw f.error;
  }

  /** Delivers what was queued before this tick; what input loops back meanwhile waits for the next. */
  private drainLoopback(): void {
    const frames = this.loopFrames;
    const end = this.loopTail;
    while (this.loopHead < end) {
      const i = this.loopHead++;
      const p = frames[i]!;
      const off = this.loopOffsets[i]!;
      frames[i] = NO_DATAGRAM;
      this.ipInput(null, p, off, p.length - off);
      framePool.release(p);
    }
    const head = this.loopHead;
    const tail = this.loopTail;
    if (head === tail) {
      this.loopHead = this.loopTail = 0;
    } else if (head > 64 && head * 2 > tail) {
      frames.copyWithin(0, head, tail);
      frames.fill(NO_DATAGRAM, tail - head, tail); // the moved slots keep no frame alive
      this.loopOffsets.copyWithin(0, head, tail);
      this.loopHead = 0;
      this.loopTail = tail - head;
    }
  }

  /** True when a datagram to `dst` arriving on `iface` is for this host. */
  private acceptsDestination(dst: number, iface: Interface | null): boolean {
    if (iface === null) return true; // looped back by ourselves
    if (isLimitedBroadcast(dst)) return true;
    if (dst === 0xe0000001) return true; // 224.0.0.1 all-hosts (RFC 1112)
    // The broadcast address of any of our subnets is ours (Linux's local table has a
    // broadcast route for each): a router delivers a directed broadcast to itself and does
    // not forward it (RFC 2644 §3: off by default, so no smurf amplifier).
    for (const i of this.interfaces) {
      if (i.address === dst) return true;
      if (i.prefix < 31 && i.broadcast === dst) return true;
    }
    return false;
  }

  /** RFC 791 / RFC 1122 §3.2.1 input: validate, drop and count what is wrong, deliver or forward. */
  ipInput(iface: Interface | null, buf: Uint8Array, off: number, len: number): void {
    const c = this.counters.ip;
    c.inReceives++;
    const verify = iface ? !iface.offload : false;
    const bad = checkIpv4(buf, off, len, verify);
    if (bad !== null) {
      // Linux ip_rcv_core: a total length beyond the frame is InTruncatedPkts; a frame too
      // short for the header itself, like every other header fault, is InHdrErrors.
      if (bad.kind === 'truncated' && len >= IPV4_HEADER_LEN && len >= (buf[off]! & 0x0f) * 4) {
        c.inTruncatedPkts++;
        return;
      }
      if (bad.kind === 'bad-checksum') c.inCsumErrors++;
      c.inHdrErrors++;
      return;
    }
    // Parsed into the host's scratch header (nothing keeps it past this call); input never
    // re-enters itself today (loopback and links deliver later), but if it ever did, the
    // inner call gets its own.
    const reentered = this.rxBusy;
    const h = readIpv4HeaderInto(buf, off, reentered ? newIpv4Repr() : this.rxHdr);
    this.rxBusy = true;
    try {
      this.inputParsed(iface, buf, off, h);
    } finally {
      this.rxBusy = reentered;
    }
  }

  /** ipInput after the header checks: the datagram is buf[off, off + h.totalLength). */
  private inputParsed(iface: Interface | null, buf: Uint8Array, off: number, h: Ipv4Repr): void {
    const c = this.counters.ip;
    const src = h.src;
    // RFC 1122 §3.2.1.3: a source that is broadcast, multicast or class E is discarded;
    // 127/8 from the wire is a martian (g); 0/8 ("this network", (a)/(b)) may only be the
    // source of a limited broadcast, as in a DHCP discover (Linux ip_route_input_slow).
    if (
      isMulticastIPv4(src) || isLimitedBroadcast(src) || isClassE(src) ||
      (iface !== null && (
        isLoopbackIPv4(src) || (iface.prefix < 31 && src === iface.broadcast) ||
        (src >>> 24 === 0 && !isLimitedBroadcast(h.dst))
      ))
    ) {
      c.inAddrErrors++;
      return;
    }
    if (!this.acceptsDestination(h.dst, iface)) {
      // RFC 1812 §5.3.7: never forward to a martian destination (0/8, 127/8, class E) or a group.
      const d = h.dst;
      const martian = d >>> 24 === 0 || isLoopbackIPv4(d) || isClassE(d) || isMulticastIPv4(d);
      if (this.forwarding && iface !== null && !martian) this.forward(iface, datagramView(buf, off, h), h);
      else c.inAddrErrors++;
      return;
    }
    if (h.moreFragments || h.fragmentOffset !== 0) {
      c.reasmReqds++;
      const pkt = datagramView(buf, off, h);
      const rc = this.reassembler.counters;
      const fails = rc.fails;
      const overlaps = rc.overlaps;
      const whole = this.reassembler.input({
        src: h.src, dst: h.dst, protocol: h.protocol, id: h.id, offset: h.fragmentOffset, more: h.moreFragments,
        payload: pkt.subarray(h.headerLength), header: pkt.subarray(0, h.headerLength),
      });
      c.reasmFails += rc.fails - fails;
      c.reasmOverlaps += rc.overlaps - overlaps;
      if (!whole) return;
      c.reasmOKs++;
      const hl = whole.header.length;
      const joined = new Uint8Array(hl + whole.payload.length);
      joined.set(whole.header, 0);
      joined.set(whole.payload, hl);
      const total = joined.length;
      joined[2] = total >>> 8;
      joined[3] = total & 0xff;
      joined[6] = 0;
      joined[7] = 0;
      fillIpv4Checksum(joined, 0, hl); // Linux ip_frag_reasm: ip_send_check on the rebuilt header
      this.deliver(joined, 0, { ...h, totalLength: total, moreFragments: false, fragmentOffset: 0, headerLength: hl }, iface);
      return;
    }
    this.deliver(buf, off, h, iface);
  }

  /** Local delivery of buf[off, off + h.totalLength): raw sockets, ICMP or the transport. */
  private deliver(buf: Uint8Array, off: number, h: Ipv4Repr, iface: Interface | null): void {
    const c = this.counters.ip;
    c.inDelivers++;
    const tookRaw = this.rawInput ? this.rawInput(buf, off, h) : false;
    if (h.protocol === IP_PROTO_ICMP) {
      this.icmp.input(datagramView(buf, off, h), h, iface);
      return;
    }
    const handler = this.protocols.get(h.protocol);
    if (handler) {
      handler.input(buf, off, h, iface);
      return;
    }
    if (!tookRaw) {
      c.inUnknownProtos++;
      this.icmp.protocolUnreachable(datagramView(buf, off, h), h);
    }
  }

  /** RFC 1812 §5.2: forward with TTL decrement, ICMP time exceeded / unreachable / frag needed. */
  private forward(_inIface: Interface, pkt: Uint8Array, h: Ipv4Repr): void {
    const c = this.counters.ip;
    if (this.linkGroup || isLimitedBroadcast(h.dst)) {
      c.inAddrErrors++;
      return;
    }
    if (h.ttl <= 1) {
      c.inTtlExceeded++;
      this.icmp.timeExceeded(pkt, h);
      return;
    }
    const r = this.routeTo(h.dst);
    if (!r || !r.iface) {
      c.outNoRoutes++;
      this.icmp.netUnreachable(pkt, h);
      return;
    }
    const out = r.iface;
    if (pkt.length > out.mtu && h.dontFragment) {
      c.fragFails++;
      this.icmp.fragmentationNeeded(pkt, h, out.mtu);
      return;
    }
    c.forwDatagrams++;
    // The frame is ours to keep: copy once into a buffer with link headroom, then
    // rewrite TTL and checksum in the copy (the IP options, if any, ride along).
    const hl = h.headerLength;
    const frame = new Uint8Array(ETH_HEADER_LEN + pkt.length);
    frame.set(pkt, ETH_HEADER_LEN);
    const ipOff = ETH_HEADER_LEN;
    frame[ipOff + 8] = h.ttl - 1;
    if (hl === IPV4_HEADER_LEN && pkt.length <= out.mtu) {
      emitIpv4({ ...h, ttl: h.ttl - 1 }, frame, ipOff, true);
      this.linkOutput(out, frame, r);
      return;
    }
    if (pkt.length <= out.mtu) {
      // Options present: recompute the checksum over the whole header.
      fillIpv4Checksum(frame, ipOff, hl);
      this.linkOutput(out, frame, r);
      return;
    }
    // Fragment on forward: rebuild with a plain 20-byte header (options not copied: RFC 791 copy flag ignored).
    const body = new Uint8Array(HEADROOM + pkt.length - hl);
    body.set(pkt.subarray(hl), HEADROOM);
    this.fragment(body, { ...h, ttl: h.ttl - 1, headerLength: IPV4_HEADER_LEN }, out, r, out.mtu);
  }

  /** Called with an ICMP error from the wire: hand it to the protocol that sent the quoted datagram. */
  reportError(report: IcmpErrorReport): void {
    // RFC 1191 §3: "fragmentation needed" about a datagram we sent lowers the path MTU. TCP
    // first checks that the quote names one of its connections and a sequence number in
    // flight (RFC 5927 §4.1, Linux tcp_v4_err) and learns it itself; for others, IP learns
    // it here as Linux's udp_err/raw_err do for a socket.
    if (report.type === ICMP_DEST_UNREACH && report.code === UNREACH_FRAG_NEEDED && report.protocol !== IP_PROTO_TCP && this.isLocalAddress(report.src)) {
      this.learnPmtu(report.dst, report.mtu);
    }
    const handler = this.protocols.get(report.protocol);
    if (handler?.icmpError) handler.icmpError(report);
  }

  /** The interface named `name` (eth0, eth1, …). */
  interfaceByName(name: string): Interface | undefined {
    return this.interfaces.find((i) => i.name === name);
  }
}

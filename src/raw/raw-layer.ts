import type { IpHost } from '../stack/ip-host.js';
import { HEADROOM, type IpSendOptions } from '../stack/ip-host.js';
import { EndpointError } from '../stack/errno.js';
import { POLLIN } from '../stack/events.js';
import { DatagramEndpoint } from '../stack/datagram-endpoint.js';
import { IPV4_HEADER_LEN, IP_PROTO_ICMP, readIpv4Header, type Ipv4Repr } from '../wire/ipv4.js';
import { isLimitedBroadcast } from '../wire/address.js';

/** IPPROTO_RAW: send-only, implies IP_HDRINCL (raw(7)). */
export const IPPROTO_RAW = 255;

/** A raw IP socket (raw(7)): sees every datagram of its protocol, IP header included. */
export class RawEndpoint extends DatagramEndpoint {
  hdrincl: boolean;

  constructor(readonly protocol: number) {
    super();
    this.hdrincl = protocol === IPPROTO_RAW;
  }
}

/** The host's raw sockets: delivery of copies (raw_v4_input) and raw sends (raw_sendmsg). */
export class RawLayer {
  private list: RawEndpoint[] = [];

  /** What IpHost calls with every datagram while raw sockets are open (null otherwise: no call per datagram). */
  private readonly hook = (buf: Uint8Array, off: number, h: Ipv4Repr): boolean => this.input(buf, off, h);

  constructor(private readonly host: IpHost) {}

  endpoints(): readonly RawEndpoint[] {
    return this.list;
  }

  open(protocol: number): RawEndpoint {
    const ep = new RawEndpoint(protocol);
    this.list.push(ep);
    this.host.rawInput = this.hook;
    return ep;
  }

  close(ep: RawEndpoint): void {
    ep.closed = true;
    const i = this.list.indexOf(ep);
    if (i >= 0) this.list.splice(i, 1);
    if (this.list.length === 0) this.host.rawInput = null;
    ep.queue.clear();
  }

  bind(ep: RawEndpoint, addr: number): void {
    if (addr !== 0 && !this.host.isLocalAddress(addr) && !this.host.isBroadcastAddress(addr)) {
      throw new EndpointError('EADDRNOTAVAIL');
    }
    ep.localAddr = addr;
  }

  /** Every matching raw socket gets its own copy of buf[off, off + h.totalLength), IP header included. */
  input(buf: Uint8Array, off: number, h: Ipv4Repr): boolean {
    let took = false;
    for (const ep of this.list) {
      if (ep.protocol !== h.protocol || ep.protocol === IPPROTO_RAW) continue;
      if (ep.localAddr !== 0 && ep.localAddr !== h.dst) continue;
      if (ep.remoteAddr !== 0 && ep.remoteAddr !== h.src) continue;
      took = true;
      if (!ep.queue.push(buf.slice(off, off + h.totalLength), { addr: h.src, port: 0 })) {
        ep.drops++;
        this.host.counters.raw.rcvbufErrors++;
        continue;
      }
      this.host.counters.raw.inDelivers++;
      ep.wait.notify(POLLIN);
    }
    return took;
  }

  /**
   * Sends `data` to `dst`: the kernel builds the IP header unless IP_HDRINCL, where
   * `data` is the whole datagram (Linux fills in a zero id, total length, checksum and source).
   */
  sendto(ep: RawEndpoint, data: Uint8Array, dst: number | null): number {
    if (ep.shutWrite) throw new EndpointError('EPIPE');
    if (ep.pendingError) {
      const e = ep.pendingError;
      ep.pendingError = null;
      throw new EndpointError(e);
    }
    let addr: number;
    if (dst !== null) addr = dst === 0 ? 0x7f000001 : dst; // 0.0.0.0 means this host (ip_route_output)
    else if (ep.remoteAddr !== 0) addr = ep.remoteAddr;
    else throw new EndpointError('EDESTADDRREQ');
    const route = this.host.routeTo(addr);
    if (!route) {
      this.host.counters.ip.outNoRoutes++;
      throw new EndpointError('ENETUNREACH');
    }
    if ((route.broadcast || isLimitedBroadcast(addr)) && !ep.broadcast) throw new EndpointError('EACCES', 'broadcast without SO_BROADCAST');
    // The IP header the stack will write, and the bytes that follow it.
    let ip: IpSendOptions;
    let body = data;
    if (ep.hdrincl) {
      // raw(7) IP_HDRINCL: total length and checksum are always filled in, source and id when
      // zero; a datagram over the MTU is EMSGSIZE, not fragmented (raw_send_hdrinc).
      const h = readIpv4Header(data);
      if (!h) throw new EndpointError('EINVAL', 'not an IPv4 header');
      if (data.length > (route.iface ? route.iface.mtu : 0xffff)) throw new EndpointError('EMSGSIZE');
      body = data.subarray(h.headerLength); // the stack writes a fresh 20-byte header: IP options are not sent
      ip = { src: h.src || route.src, dst: addr, protocol: h.protocol, ttl: h.ttl, tos: h.tos, df: h.dontFragment, id: h.id };
    } else {
      if (data.length > 0xffff - IPV4_HEADER_LEN) throw new EndpointError('EMSGSIZE');
      const src = ep.localAddr !== 0 && this.host.isLocalAddress(ep.localAddr) ? ep.localAddr : route.src;
      ip = { src, dst: addr, protocol: ep.protocol, ttl: ep.ttl >= 0 ? ep.ttl : this.host.defaultTtl, tos: ep.tos };
    }
    const pkt = new Uint8Array(HEADROOM + body.length);
    pkt.set(body, HEADROOM);
    const e = this.host.output(pkt, ip, route);
    if (e) throw new EndpointError(e);
    this.host.counters.raw.outPackets++;
    if (ip.protocol === IP_PROTO_ICMP && body.length > 0) {
      // ICMP written by a program counts like the kernel's own (icmp_out_count).
      this.host.counters.icmp.outMsgs++;
      if (body[0] === 8) this.host.counters.icmp.outEchos++;
    }
    return data.length;
  }
}

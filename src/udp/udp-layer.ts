import type { IpHost, IcmpErrorReport, ProtocolHandler } from '../stack/ip-host.js';
import { HEADROOM, datagramView } from '../stack/ip-host.js';
import type { Interface } from '../stack/interface.js';
import { EndpointError, type ErrnoCode } from '../stack/errno.js';
import { POLLERR, POLLIN } from '../stack/events.js';
import { pickEphemeralPort, PRIVILEGED_BELOW } from '../stack/ports.js';
import { WireError } from '../wire/error.js';
import type { Ipv4Repr } from '../wire/ipv4.js';
import { IP_PROTO_UDP } from '../wire/ipv4.js';
import { UDP_HEADER_LEN, emitUdpHeader, fillUdpChecksum, parseUdp } from '../wire/udp.js';
import { isMulticastIPv4, isLimitedBroadcast } from '../wire/address.js';
import { ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED } from '../wire/icmpv4.js';
import { UdpEndpoint, type PeerAddr } from './udp-endpoint.js';
import { ICMP_UNREACH_ERRNO } from '../stack/icmp-errno.js';

/** 65535 - 20 (IPv4 header) - 8 (UDP header): the largest UDP payload over IPv4. */
export const MAX_UDP_PAYLOAD = 65507;


/**
 * The UDP layer of a host (RFC 768, RFC 1122 §4.1): the port table, demultiplexing
 * with Linux's scoring, sending, ICMP errors to connected sockets.
 */
export class UdpLayer implements ProtocolHandler {
  /** Endpoints by local port; newest first (Linux: ties go to the most recently bound). */
  private byPort = new Map<number, UdpEndpoint[]>();

  constructor(private readonly host: IpHost) {
    host.protocols.set(IP_PROTO_UDP, this);
  }

  /** A fresh, unbound endpoint (socket(2)); it joins the port table at bind or first send. */
  create(): UdpEndpoint {
    return new UdpEndpoint();
  }

  /** Every bound endpoint, for the socket table. */
  endpoints(): UdpEndpoint[] {
    const out: UdpEndpoint[] = [];
    for (const list of this.byPort.values()) out.push(...list);
    return out;
  }

  private portInUse(port: number): boolean {
    return this.byPort.has(port);
  }

  private conflicts(ep: UdpEndpoint, addr: number, port: number): boolean {
    const list = this.byPort.get(port);
    if (!list) return false;
    for (const o of list) {
      if (o === ep) continue;
      const sameAddr = o.localAddr === 0 || addr === 0 || o.localAddr === addr;
      if (!sameAddr) continue;
      if ((o.reuseAddr && ep.reuseAddr) || (o.reusePort && ep.reusePort)) continue;
      return true;
    }
    return false;
  }

  private hash(ep: UdpEndpoint): void {
    const list = this.byPort.get(ep.localPort);
    if (list) list.unshift(ep);
    else this.byPort.set(ep.localPort, [ep]);
  }

  private unhash(ep: UdpEndpoint): void {
    const list = this.byPort.get(ep.localPort);
    if (!list) return;
    const i = list.indexOf(ep);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byPort.delete(ep.localPort);
  }

  /** bind(2): RFC 1122 §4.1.3.1 ports; Linux's EACCES, EADDRINUSE, EADDRNOTAVAIL, EINVAL. */
  bind(ep: UdpEndpoint, addr: number, port: number, privileged: boolean): void {
    // Linux __inet_bind checks the address, then privilege, then a double bind (EINVAL).
    if (addr !== 0 && !this.host.isLocalAddress(addr) && !this.host.isBroadcastAddress(addr) && !isMulticastIPv4(addr)) {
      throw new EndpointError('EADDRNOTAVAIL', 'address is not local');
    }
    if (port !== 0 && port < PRIVILEGED_BELOW && !privileged) throw new EndpointError('EACCES', `port ${port} needs privilege`);
    if (ep.localPort !== 0) throw new EndpointError('EINVAL', 'socket is already bound');
    const explicitPort = port !== 0;
    if (port === 0) {
      port = pickEphemeralPort(this.host.rng, (p) => this.conflicts(ep, addr, p) || this.portInUse(p));
      if (port === 0) throw new EndpointError('EADDRINUSE', 'no ephemeral port free');
    } else if (this.conflicts(ep, addr, port)) {
      throw new EndpointError('EADDRINUSE');
    }
    ep.localAddr = addr;
    ep.localPort = port;
    ep.boundAddr = addr !== 0;
    ep.boundPort = explicitPort;
    this.hash(ep);
  }

  /** Destination 0.0.0.0 means this host: the bound address, else 127.0.0.1 (Linux ip_route_output). */
  private thisHost(ep: UdpEndpoint, addr: number): number {
    if (addr !== 0) return addr;
    return ep.boundAddr && this.host.isLocalAddress(ep.localAddr) ? ep.localAddr : 0x7f000001;
  }

  /** Implicit bind on first send or connect; exhaustion is EAGAIN there (inet_autobind). */
  private autobind(ep: UdpEndpoint): void {
    if (ep.localPort !== 0) return;
    try {
      this.bind(ep, 0, 0, true);
    } catch (e) {
      if (e instanceof EndpointError && e.code === 'EADDRINUSE') throw new EndpointError('EAGAIN', 'no ephemeral port free');
      throw e;
    }
  }

  /** connect(2) on a datagram socket: fixes the peer, picks the source address (Linux ip4_datagram_connect). */
  connect(ep: UdpEndpoint, addr: number, port: number): void {
    addr = this.thisHost(ep, addr);
    const route = this.host.routeTo(addr);
    if (!route) throw new EndpointError('ENETUNREACH');
    if ((route.broadcast || isLimitedBroadcast(addr)) && !ep.broadcast) throw new EndpointError('EACCES', 'broadcast without SO_BROADCAST');
    this.autobind(ep);
    if (!ep.boundAddr) ep.localAddr = route.src;
    // A pending error survives the new association (ip4_datagram_connect leaves sk_err alone).
    ep.remoteAddr = addr;
    ep.remotePort = port;
  }

  /**
   * connect(AF_UNSPEC): dissolves the association (Linux __udp_disconnect). An address or
   * port that bind() did not set explicitly is released: an autobound port is unhashed.
   */
  disconnect(ep: UdpEndpoint): void {
    ep.remoteAddr = 0;
    ep.remotePort = 0;
    if (!ep.boundAddr) ep.localAddr = 0;
    if (!ep.boundPort && ep.localPort !== 0) {
      this.unhash(ep);
      ep.localPort = 0;
    }
  }

  /** sendto(2). Returns the bytes sent; throws EndpointError like udp_sendmsg. */
  sendto(ep: UdpEndpoint, data: Uint8Array, dst: PeerAddr | null): number {
    // Checks in Linux's order: inet_send_prepare autobinds; udp_sendmsg checks the length
    // and the destination, routes, refuses broadcast; ip_append_data the size limit;
    // sock_alloc_send_skb a pending error (sk_err), then SEND_SHUTDOWN (EPIPE).
    this.autobind(ep);
    if (data.length > 0xffff) throw new EndpointError('EMSGSIZE', `${data.length} > 65535 bytes`);
    let addr: number;
    let port: number;
    if (dst) {
      addr = this.thisHost(ep, dst.addr);
      port = dst.port;
      if (port === 0) throw new EndpointError('EINVAL', 'destination port 0');
    } else {
      if (!ep.connected) throw new EndpointError('EDESTADDRREQ');
      addr = ep.remoteAddr;
      port = ep.remotePort;
    }
    const route = this.host.routeTo(addr);
    if (!route) {
      this.host.counters.ip.outNoRoutes++;
      throw new EndpointError('ENETUNREACH');
    }
    if ((route.broadcast || isLimitedBroadcast(addr)) && !ep.broadcast) throw new EndpointError('EACCES', 'broadcast without SO_BROADCAST');
    if (data.length > MAX_UDP_PAYLOAD) throw new EndpointError('EMSGSIZE', `${data.length} > ${MAX_UDP_PAYLOAD} bytes`);
    const err = ep.takeError();
    if (err) throw new EndpointError(err);
    if (ep.shutWrite) throw new EndpointError('EPIPE');
    const src = ep.localAddr !== 0 && !this.host.isBroadcastAddress(ep.localAddr) && !isMulticastIPv4(ep.localAddr) ? ep.localAddr : route.src;
    const len = UDP_HEADER_LEN + data.length;
    const pkt = new Uint8Array(HEADROOM + len);
    pkt.set(data, HEADROOM + UDP_HEADER_LEN);
    emitUdpHeader(ep.localPort, port, data.length, pkt, HEADROOM);
    if (!route.offload) fillUdpChecksum(pkt, HEADROOM, len, src, addr);
    const ttl = ep.ttl >= 0 ? ep.ttl : this.host.defaultTtl;
    const e = this.host.output(pkt, { src, dst: addr, protocol: IP_PROTO_UDP, ttl, tos: ep.tos }, route);
    if (e) {
      this.host.counters.udp.sndbufErrors += e === 'ENOBUFS' ? 1 : 0;
      throw new EndpointError(e);
    }
    this.host.counters.udp.outDatagrams++;
    return data.length;
  }

  close(ep: UdpEndpoint): void {
    if (ep.closed) return;
    ep.closed = true;
    if (ep.localPort !== 0) this.unhash(ep);
    ep.queue.clear();
  }

  /** Linux compute_score: bound address, connected address and port each add 4; mismatch excludes. */
  private score(ep: UdpEndpoint, dst: number, src: number, sport: number): number {
    let s = 1;
    if (ep.localAddr !== 0) {
      if (ep.localAddr !== dst) return -1;
      s += 4;
    }
    if (ep.remoteAddr !== 0) {
      if (ep.remoteAddr !== src) return -1;
      s += 4;
    }
    if (ep.remotePort !== 0) {
      if (ep.remotePort !== sport) return -1;
      s += 4;
    }
    return s;
  }

  lookup(dst: number, dport: number, src: number, sport: number): UdpEndpoint | null {
    const list = this.byPort.get(dport);
    if (!list) return null;
    let best: UdpEndpoint | null = null;
    let bestScore = 0;
    for (const ep of list) {
      const s = this.score(ep, dst, src, sport);
      if (s > bestScore) {
        best = ep;
        bestScore = s;
      }
    }
    return best;
  }

  input(buf: Uint8Array, ipOff: number, h: Ipv4Repr, iface: Interface | null): void {
    const c = this.host.counters.udp;
    const off = ipOff + h.headerLength;
    const verify = iface ? !iface.offload : false;
    const u = parseUdp(buf, off, h.totalLength - h.headerLength, h.src, h.dst, verify);
    if (u instanceof WireError) {
      if (u.kind === 'bad-checksum') c.inCsumErrors++;
      c.inErrors++;
      return;
    }
    const payload = buf.subarray(off + UDP_HEADER_LEN, off + u.length);
    const from: PeerAddr = { addr: h.src, port: u.srcPort };
    if (this.host.isBroadcastAddress(h.dst) || isMulticastIPv4(h.dst)) {
      // Broadcast and multicast go to every matching socket (Linux __udp4_lib_mcast_deliver).
      const list = this.byPort.get(u.dstPort);
      let delivered = 0;
      if (list) {
        for (const ep of list) {
          if (ep.localAddr !== 0 && ep.localAddr !== h.dst) continue;
          if (ep.remoteAddr !== 0 && (ep.remoteAddr !== h.src || ep.remotePort !== u.srcPort)) continue;
          this.enqueue(ep, delivered === 0 ? payload : payload.slice(), from);
          delivered++;
        }
      }
      if (delivered === 0) c.noPorts++; // RFC 1122 §3.2.2: no ICMP error for broadcasts
      return;
    }
    const ep = this.lookup(h.dst, u.dstPort, h.src, u.srcPort);
    if (!ep) {
      c.noPorts++;
      this.host.icmp.portUnreachable(datagramView(buf, ipOff, h), h); // RFC 1122 §4.1.3.1
      return;
    }
    this.enqueue(ep, payload, from);
  }

  private enqueue(ep: UdpEndpoint, payload: Uint8Array, from: PeerAddr): void {
    const c = this.host.counters.udp;
    if (!ep.queue.push(payload, from)) {
      ep.drops++;
      c.rcvbufErrors++;
      c.inErrors++;
      return;
    }
    c.inDatagrams++;
    ep.wait.notify(POLLIN);
  }

  /** RFC 1122 §4.1.3.3: pass ICMP errors up; Linux reports hard errors to connected sockets only. */
  icmpError(r: IcmpErrorReport): void {
    if (r.transport.length < 4) return;
    const sport = (r.transport[0]! << 8) | r.transport[1]!;
    const dport = (r.transport[2]! << 8) | r.transport[3]!;
    const ep = this.lookup(r.src, sport, r.dst, dport);
    if (!ep || !ep.connected) return;
    let err: ErrnoCode;
    let hard: boolean;
    if (r.type === ICMP_DEST_UNREACH) {
      const e = ICMP_UNREACH_ERRNO[r.code];
      if (!e) return;
      [err, hard] = e;
    } else if (r.type === ICMP_TIME_EXCEEDED) {
      [err, hard] = ['EHOSTUNREACH', false];
    } else {
      [err, hard] = ['EPROTO', true]; // parameter problem
    }
    if (!hard) return;
    ep.pendingError = err;
    ep.wait.notify(POLLERR | POLLIN);
  }
}

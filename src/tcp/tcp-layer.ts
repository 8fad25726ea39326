import type { IpHost, IcmpErrorReport, ProtocolHandler, RouteResult } from '../stack/ip-host.js';
import { HEADROOM } from '../stack/ip-host.js';
import type { Interface } from '../stack/interface.js';
import type { Counters } from '../stack/counters.js';
import { EndpointError, type ErrnoCode } from '../stack/errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP } from '../stack/events.js';
import { ICMP_UNREACH_ERRNO } from '../stack/icmp-errno.js';
import { pickEphemeralPort, PRIVILEGED_BELOW } from '../stack/ports.js';
import type { Timer, TimerScheduler } from '../time/scheduler.js';
import { WireError } from '../wire/error.js';
import type { Ipv4Repr } from '../wire/ipv4.js';
import { pseudoHeaderPartial } from '../wire/checksum.js';
import { ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, UNREACH_FRAG_NEEDED } from '../wire/icmpv4.js';
import { isLimitedBroadcast, isMulticastIPv4 } from '../wire/address.js';
import {
  TCP_ACK, TCP_FIN, TCP_HEADER_LEN, TCP_RST, TCP_SYN, emitTcp, fillTcpChecksum, newTcpRepr, parseTcpInto, parseTcpPseudo,
  type TcpHeader, type TcpOptions, type TcpRepr,
} from '../wire/tcp.js';
import type { CcSample, CongestionControl } from './congestion/congestion-control.js';
import { congestionControlFactory } from './congestion/registry.js';
import { inFlight as sackInFlight } from './sack-sender.js';
import { NewReno } from './congestion/newreno.js';
import { defaultTcpConfig, type TcpConfig } from './config.js';
import { connectionInput, synSentInput } from './input.js';
import { IsnGenerator } from './isn.js';
import { initialWscale, negotiate } from './options.js';
import type { Rng } from '../time/rng.js';
import { armRto, output, sendAbortRst, sendAck, sendSyn } from './output.js';
import { seqGe, seqLt } from './seq.js';
import { TcpState } from './state.js';
import { SLOW_FIN_WAIT_2, SLOW_KEEPALIVE, SLOW_NONE, SLOW_TIME_WAIT, RTX_NONE, TcpEndpoint, type EndpointOwner } from './tcp-endpoint.js';
import { ListenQueues } from './endpoint-parts.js';
import { onDelayedAck, onRetransmitTimer, onSlowTimer } from './timers.js';
import { onFragNeeded } from './pmtu.js';
import { ConnTable } from './conn-table.js';
import { PortTable } from './port-table.js';
import { RttBounds, type RttConfig } from './rtt.js';
import { autotuneUncharge } from './autotune.js';

const IP_PROTO_TCP = 6;
/** Linux tcp_min_snd_mss: the smallest MSS a peer can make us use. */
const MIN_SND_MSS = 48;
/** IPv4 + TCP headers without options: MSS = MTU - 40 (RFC 9293 §3.7.1). */
const IP_TCP_HEADERS = 40;
/** Loopback has no device MTU here; Linux's lo has 65536, so its MSS is 65495. */
const LOOPBACK_MTU = 65535;
const ALL_EVENTS = 0xffffffff;
/** Destinations whose last route TcpLayer.routeFor remembers (cleared when full: sharing is an economy, not a must). */
const SHARED_ROUTES_MAX = 4096;

/** Two route lookups that came out the same (RouteResult's fields). */
function sameRoute(a: RouteResult, b: RouteResult): boolean {
  return a.iface === b.iface && a.nextHop === b.nextHop && a.src === b.src && a.broadcast === b.broadcast && a.offload === b.offload && a.mtu === b.mtu;
}

/**
 * The TCP of one host (RFC 9293): the port and connection tables, demultiplexing, the
 * opening handshake (connect, listen, SYN and accept queues), RST generation for segments
 * nobody owns (§3.10.7.1), ICMP errors, and the state changes every module shares.
 */
export class TcpLayer implements ProtocolHandler, EndpointOwner {
  readonly config: TcpConfig = defaultTcpConfig();
  readonly counters: Counters['tcp'];
  readonly scheduler: TimerScheduler;
  /** Scratch header and options for every segment built (one thread, no reentrancy). */
  readonly hdr: TcpHeader = { srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, urgentPointer: 0, options: {} };
  readonly noOptions: TcpOptions = {};
  /** Scratch options of a segment carrying only timestamps (RFC 7323 §3.2). */
  readonly tsOptions: TcpOptions = { timestamp: { value: 0, echo: 0 } };
  /** input()'s segment and timestamp option, parsed into per segment, and whether input is using them. */
  private readonly rxSeg: TcpRepr = newTcpRepr();
  private readonly rxTs = { value: 0, echo: 0 };
  private rxBusy = false;
  private readonly ipOpts = { src: 0, dst: 0, protocol: IP_PROTO_TCP, ttl: 64, tos: 0 };
  private readonly sample: CcSample = { nowMs: 0, sndUna: 0, sndMax: 0, flightSize: 0, ackedBytes: 0, rttMs: undefined, sackedBytes: 0, pipe: 0 };
  private readonly isn: IsnGenerator;
  /** Draws each connection's TSval offset (RFC 7323 §5.4: a random clock start, as Linux). */
  private readonly tsRng: Rng;
  /** ehash: every endpoint with a 4-tuple (SYN-SENT on). */
  private readonly conns = new ConnTable();
  /** bhash: endpoints holding each local port (bound, listening, connected, TIME-WAIT). */
  private readonly bound = new PortTable();
  private readonly listeners = new Map<number, TcpEndpoint[]>();
  /** The last route looked up per destination, which connections getting the same one share. */
  private readonly sharedRoutes = new Map<number, RouteResult>();
  private sharedRttBounds: RttBounds | null = null;
  /** The config's RTO settings sharedRttBounds was built from. */
  private rttSettings: RttConfig = {};
  /** EndpointOwner: the endpoints' timer callbacks; a timer's context is its endpoint. */
  readonly rtxTimerFired = (timer: Timer): void => onRetransmitTimer(this, timer.context as TcpEndpoint);
  readonly delackTimerFired = (timer: Timer): void => onDelayedAck(this, timer.context as TcpEndpoint);
  readonly slowTimerFired = (timer: Timer): void => onSlowTimer(this, timer.context as TcpEndpoint);
  private challengeSecond = -1;
  private challengeCount = 0;
  // ---- buffer auto-tuning (helper "autotune"; logic in autotune.ts) ----
  /** Buffer capacity auto-tuning has added over all endpoints of the host (at most config.memLimit). */
  tuneMem = 0;
  /** Growth was cut short by config.memLimit (Linux tcp_memory_pressure); entries are counted. */
  tunePressure = false;

  constructor(readonly ip: IpHost) {
    ip.protocols.set(IP_PROTO_TCP, this);
    this.counters = ip.counters.tcp;
    this.scheduler = ip.scheduler;
    // RFC 6528: a secret key per host, drawn from the network's seeded generator.
    this.isn = new IsnGenerator(ip.rng.fork('tcp-isn'));
    this.tsRng = ip.rng.fork('tcp-ts');
  }

  /** A fresh endpoint (socket(2)); it joins the tables at bind, listen or connect. */
  create(): TcpEndpoint {
    return new TcpEndpoint(this);
  }

  /** EndpointOwner: the RTO settings of the config, one object while they stay the same. */
  rttBounds(): RttBounds {
    const c = this.config;
    const s = this.rttSettings;
    if (this.sharedRttBounds === null || s.initialRtoMs !== c.rtoInitialMs || s.minRtoMs !== c.rtoMinMs || s.maxRtoMs !== c.rtoMaxMs || s.slopMs !== c.rtoSlopMs) {
      this.rttSettings = { initialRtoMs: c.rtoInitialMs, minRtoMs: c.rtoMinMs, maxRtoMs: c.rtoMaxMs, slopMs: c.rtoSlopMs };
      this.sharedRttBounds = new RttBounds(this.rttSettings);
    }
    return this.sharedRttBounds;
  }

  /** Every endpoint the host holds: bound, listening, half-open, connected, orphaned, TIME-WAIT. */
  endpoints(): TcpEndpoint[] {
    const seen = new Set<TcpEndpoint>(this.bound.values());
    for (const ep of this.conns.values()) seen.add(ep);
    return [...seen];
  }

  /**
   * The route to `dst` for a connection to keep. A route lookup is an immutable snapshot, so
   * one equal to the last for `dst` gives that same object: connections to one peer share it
   * instead of holding a copy each.
   */
  routeFor(dst: number): RouteResult | null {
    const r = this.ip.routeTo(dst);
    if (r === null) return null;
    const last = this.sharedRoutes.get(dst);
    if (last !== undefined && sameRoute(last, r)) return last;
    if (this.sharedRoutes.size >= SHARED_ROUTES_MAX) this.sharedRoutes.clear();
    this.sharedRoutes.set(dst, r);
    return r;
  }

  // ---- tables ----------------------------------------------------------------

  lookupConn(la: number, lp: number, ra: number, rp: number): TcpEndpoint | null {
    return this.conns.lookup(la, lp, ra, rp);
  }

  private hashConn(ep: TcpEndpoint): void {
    this.conns.insert(ep);
    ep.inConnTable = true;
  }

  private unhashConn(ep: TcpEndpoint): void {
    if (!ep.inConnTable) return;
    ep.inConnTable = false;
    this.conns.remove(ep);
  }

  private bindPort(ep: TcpEndpoint, port: number): void {
    ep.localPort = port;
    this.bound.add(ep, port);
    ep.inBindTable = true;
  }

  private unbindPort(ep: TcpEndpoint): void {
    if (!ep.inBindTable) return;
    ep.inBindTable = false;
    this.bound.remove(ep, ep.localPort);
  }

  private removeListener(ep: TcpEndpoint): void {
    const list = this.listeners.get(ep.localPort);
    if (!list) return;
    const i = list.indexOf(ep);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.listeners.delete(ep.localPort);
  }

  /** The listener for a SYN to addr:port: an exact address first, then the wildcard. */
  lookupListener(addr: number, port: number): TcpEndpoint | null {
    const list = this.listeners.get(port);
    if (!list) return null;
    let wild: TcpEndpoint | null = null;
    for (const l of list) {
      if (l.localAddr === addr) return l;
      if (l.localAddr === 0 && !wild) wild = l;
    }
    return wild;
  }

  /**
   * Linux inet_bind_conflict: another endpoint on the port with an overlapping address
   * conflicts unless both set SO_REUSEADDR and it is not listening, or both set SO_REUSEPORT.
   */
  private conflicts(ep: TcpEndpoint, addr: number, port: number, asListener: boolean): boolean {
    return this.bound.some(port, (o) => {
      if (o === ep) return false;
      if (!(o.localAddr === 0 || addr === 0 || o.localAddr === addr)) return false;
      if (ep.reusePort && o.reusePort) return false;
      // listen() re-checks only against other listeners: bind() already judged the rest.
      if (asListener) return o.state === TcpState.LISTEN;
      return !(ep.reuseAddr && o.reuseAddr && o.state !== TcpState.LISTEN);
    });
  }

  // ---- user calls ------------------------------------------------------------

  /** bind(2): EADDRNOTAVAIL, EACCES, EINVAL (already bound), EADDRINUSE, as Linux __inet_bind. */
  bind(ep: TcpEndpoint, addr: number, port: number, privileged: boolean): void {
    if (addr !== 0 && !this.ip.isLocalAddress(addr)) throw new EndpointError('EADDRNOTAVAIL', 'address is not local');
    if (port !== 0 && port < PRIVILEGED_BELOW && !privileged) throw new EndpointError('EACCES', `port ${port} needs privilege`);
    if (ep.inBindTable || ep.state !== TcpState.CLOSED) throw new EndpointError('EINVAL', 'socket is already bound');
    if (port === 0) {
      port = pickEphemeralPort(this.ip.rng, (p) => this.bound.has(p));
      if (port === 0) throw new EndpointError('EADDRINUSE', 'no ephemeral port free');
    } else {
      if (this.conflicts(ep, addr, port, false)) throw new EndpointError('EADDRINUSE');
      ep.boundPort = true;
    }
    ep.localAddr = addr;
    ep.boundAddr = addr !== 0;
    this.bindPort(ep, port);
  }

  /** listen(2): the backlog caps the accept queue (and our SYN queue); clamped to somaxconn. */
  listen(ep: TcpEndpoint, backlog: number): void {
    const max = this.config.somaxconn;
    const b = backlog < 0 || backlog > max ? max : Math.floor(backlog);
    if (ep.state === TcpState.LISTEN) {
      ep.listenQueues!.backlog = b;
      return;
    }
    if (ep.state !== TcpState.CLOSED || ep.wasConnected) throw new EndpointError('EINVAL', 'socket is connected');
    if (!ep.inBindTable) {
      const port = pickEphemeralPort(this.ip.rng, (p) => this.bound.has(p));
      if (port === 0) throw new EndpointError('EADDRINUSE', 'no ephemeral port free');
      this.bindPort(ep, port);
    } else if (this.conflicts(ep, ep.localAddr, ep.localPort, true)) {
      throw new EndpointError('EADDRINUSE');
    }
    ep.listenQueues = new ListenQueues(b);
    ep.shutRead = false;
    ep.shutWrite = false;
    this.setState(ep, TcpState.LISTEN);
    const list = this.listeners.get(ep.localPort);
    if (list) list.push(ep);
    else this.listeners.set(ep.localPort, [ep]);
  }

  /** The MSS we advertise on a route: its MTU minus 40, within TCP_MAXSEG if the user set one. */
  private routeMss(ep: TcpEndpoint, route: RouteResult): number {
    const mtu = route.iface ? route.iface.mtu : LOOPBACK_MTU;
    let mss = mtu - IP_TCP_HEADERS;
    if (ep.userMss > 0) mss = Math.min(mss, ep.userMss);
    return Math.max(mss, MIN_SND_MSS);
  }

  /** SND.MSS from the peer's MSS option, or 536 without one (RFC 9293 §3.7.1, RFC 1122 §4.2.2.6). */
  negotiateMss(ep: TcpEndpoint, peerMss: number | undefined): void {
    const peer = peerMss ?? this.config.defaultMss;
    ep.sndMss = Math.max(MIN_SND_MSS, Math.min(peer, ep.advMss));
    ep.rcvMss = Math.min(ep.advMss, this.config.defaultMss);
  }

  /**
   * connect(2): route, source address, a port whose 4-tuple is free, ISN, SYN (RFC 9293
   * §3.10.1 OPEN, active). Completion is reported through the endpoint's state and wait queue.
   */
  connect(ep: TcpEndpoint, addr: number, port: number): void {
    if (addr === 0) addr = ep.boundAddr && this.ip.isLocalAddress(ep.localAddr) ? ep.localAddr : 0x7f000001;
    if (port === 0) throw new EndpointError('ECONNREFUSED', 'port 0');
    const route = this.routeFor(addr);
    // Linux tcp_v4_connect: no route, or a broadcast / multicast destination, is ENETUNREACH.
    if (!route || route.broadcast || isLimitedBroadcast(addr) || isMulticastIPv4(addr)) throw new EndpointError('ENETUNREACH');
    const src = ep.boundAddr ? ep.localAddr : route.src;
    if (ep.inBindTable) {
      if (this.lookupConn(src, ep.localPort, addr, port)) throw new EndpointError('EADDRNOTAVAIL', '4-tuple in use');
    } else {
      // Linux __inet_hash_connect: an ephemeral port may be shared by connections to different peers.
      const p = pickEphemeralPort(this.ip.rng, (q) => this.portTakenForConnect(q, src, addr, port));
      if (p === 0) throw new EndpointError('EADDRNOTAVAIL', 'no ephemeral port free');
      this.bindPort(ep, p);
    }
    ep.localAddr = src;
    ep.remoteAddr = addr;
    ep.remotePort = port;
    ep.route = route;
    ep.advMss = this.routeMss(ep, route);
    ep.sndMss = Math.min(this.config.defaultMss, ep.advMss);
    const now = this.scheduler.now();
    ep.iss = this.isn.isn(ep.localAddr, ep.localPort, addr, port, now);
    ep.sndUna = ep.iss;
    ep.sndNxt = ep.sndMax = ep.sndBufSeq = (ep.iss + 1) >>> 0;
    // RFC 7323 §2.2, §3.2: our SYN offers what the tunables allow; the SYN-ACK decides.
    const cfg = this.config;
    ep.wsOffered = cfg.windowScaling ? initialWscale(cfg, ep.recvBuf.capacity) : -1;
    ep.tsOffered = cfg.timestamps;
    ep.sackOffered = cfg.sack;
    ep.wsOk = ep.tsOk = ep.sackOk = false;
    ep.rcvWscale = ep.sndWscale = 0;
    ep.tsOffset = this.tsRng.u32();
    ep.shutRead = false;
    ep.shutWrite = false;
    ep.finReceived = false;
    this.hashConn(ep);
    this.setState(ep, TcpState.SYN_SENT);
    this.counters.activeOpens++;
    ep.retransmits = 0;
    ep.rttStart = now;
    sendSyn(this, ep);
    armRto(this, ep);
  }

  private portTakenForConnect(p: number, src: number, dst: number, dport: number): boolean {
    if (this.bound.some(p, (o) => o.boundPort || o.state === TcpState.LISTEN || o.inConnTable === false)) return true;
    return this.lookupConn(src, p, dst, dport) !== null;
  }

  /** accept(2): the oldest established child, or null when the queue is empty. */
  accept(l: TcpEndpoint): TcpEndpoint | null {
    const c = l.listenQueues?.acceptQueue.shift() ?? null;
    if (c) c.parent = null;
    return c;
  }

  /**
   * shutdown(SHUT_WR) / the sending half of close (RFC 9293 §3.10.4): queue a FIN after the
   * data. ESTABLISHED goes to FIN-WAIT-1 and CLOSE-WAIT to LAST-ACK at once, as in Linux.
   */
  shutdownWrite(ep: TcpEndpoint): void {
    ep.shutWrite = true;
    if (ep.finQueued) return;
    switch (ep.state) {
      case TcpState.ESTABLISHED:
        ep.finQueued = true;
        this.setState(ep, TcpState.FIN_WAIT_1);
        break;
      case TcpState.CLOSE_WAIT:
        ep.finQueued = true;
        this.setState(ep, TcpState.LAST_ACK);
        break;
      case TcpState.SYN_RECEIVED:
        // RFC 9293 CLOSE in SYN-RECEIVED with nothing queued: FIN now, FIN-WAIT-1 (Linux tcp_close_state).
        ep.finQueued = true;
        this.ccOf(ep);
        this.setState(ep, TcpState.FIN_WAIT_1);
        break;
      case TcpState.SYN_SENT:
        ep.finQueued = true; // sent once the connection is established
        return;
      default:
        return;
    }
    if (ep.keepalive && ep.slowMode === SLOW_KEEPALIVE) this.scheduler.disarm(ep.slowTimer);
    output(this, ep);
  }

  /** A listener stops (close or shutdown): established children get an RST, half-open ones vanish (Linux inet_csk_listen_stop). */
  stopListening(l: TcpEndpoint): void {
    this.removeListener(l);
    const q = l.listenQueues!;
    for (const c of q.acceptQueue) {
      c.orphan = true;
      c.parent = null;
      if (c.state !== TcpState.CLOSED) {
        sendAbortRst(this, c);
        this.done(c);
      }
    }
    q.acceptQueue.length = 0;
    for (const c of q.synQueue) {
      c.parent = null;
      c.orphan = true;
      this.done(c);
    }
    q.synQueue.length = 0;
    this.setState(l, TcpState.CLOSED);
    l.notify(ALL_EVENTS);
  }

  /**
   * close(2) (RFC 9293 §3.10.4): the endpoint becomes an orphan. Unread data or SO_LINGER
   * with a zero timeout abort with an RST (RFC 9293 §3.10.4, RFC 2525 §2.17, Linux tcp_close);
   * otherwise a FIN follows the queued data and the layer finishes the close alone.
   */
  close(ep: TcpEndpoint, lingerZero: boolean): void {
    ep.orphan = true;
    switch (ep.state) {
      case TcpState.CLOSED:
        this.release(ep);
        return;
      case TcpState.LISTEN:
        this.stopListening(ep);
        this.release(ep);
        return;
      case TcpState.SYN_SENT:
        this.done(ep);
        return;
      case TcpState.TIME_WAIT:
        return;
    }
    const unread = ep.recvBuf.length > 0;
    if (unread || lingerZero) {
      if (unread) this.counters.extTCPAbortOnClose++;
      else this.counters.extTCPAbortOnLinger++;
      if (ep.state !== TcpState.SYN_RECEIVED || !ep.passive) sendAbortRst(this, ep);
      this.done(ep);
      return;
    }
    ep.shutRead = true;
    this.shutdownWrite(ep);
    if (ep.state === TcpState.FIN_WAIT_2) this.armFinWait2(ep);
  }

  /** RFC 9293 §3.10.5 ABORT: RST to the peer (when synchronized) and CLOSED at once. */
  abort(ep: TcpEndpoint): void {
    if (ep.state === TcpState.LISTEN) {
      this.stopListening(ep);
      return;
    }
    const st = ep.state;
    if (st !== TcpState.CLOSED && st !== TcpState.SYN_SENT && st !== TcpState.TIME_WAIT && st !== TcpState.LISTEN) sendAbortRst(this, ep);
    if (st !== TcpState.CLOSED) this.done(ep);
  }

  // ---- arriving segments -----------------------------------------------------

  input(buf: Uint8Array, ipOff: number, h: Ipv4Repr, iface: Interface | null): void {
    const c = this.counters;
    c.inSegs++;
    const off = ipOff + h.headerLength;
    const len = h.totalLength - h.headerLength;
    const verify = iface ? !iface.offload : false;
    const pseudo = verify ? pseudoHeaderPartial(h.src, h.dst, IP_PROTO_TCP, len) : 0;
    // Parsed into the layer's scratch segment: nothing keeps it past this call, and input never
    // re-enters itself (whatever it sends is delivered later), but an inner call would get its own.
    const reentered = this.rxBusy;
    const seg = reentered
      ? parseTcpPseudo(buf, off, len, pseudo, verify)
      : parseTcpInto(buf, off, len, pseudo, verify, this.rxSeg, this.rxTs);
    if (seg instanceof WireError) {
      if (seg.kind === 'bad-checksum') c.inCsumErrors++;
      c.inErrs++;
      return;
    }
    this.rxBusy = true;
    try {
      this.segmentInput(buf, seg, h);
    } finally {
      this.rxBusy = reentered;
    }
  }

  /** A parsed segment (its payload is seg.payloadLength bytes of `buf` at seg.payloadOffset). */
  private segmentInput(buf: Uint8Array, seg: TcpRepr, h: Ipv4Repr): void {
    // RFC 1122 §4.2.3.10 and §3.3.6: a segment to a broadcast or multicast address, or one that
    // came in a link-layer broadcast frame, is dropped (Linux tcp_v4_rcv: pkt_type != PACKET_HOST).
    if (this.ip.receivedAsLinkBroadcast || this.ip.isBroadcastAddress(h.dst) || isMulticastIPv4(h.dst) || isMulticastIPv4(h.src) || isLimitedBroadcast(h.src)) return;
    const ep = this.lookupConn(h.dst, seg.dstPort, h.src, seg.srcPort);
    if (ep) {
      // The payload stays in `buf`: connectionInput reads it by offset, without a view.
      if (ep.state === TcpState.SYN_SENT) synSentInput(this, ep, seg, buf.subarray(seg.payloadOffset, seg.payloadOffset + seg.payloadLength));
      else connectionInput(this, ep, seg, buf);
      return;
    }
    const l = this.lookupListener(h.dst, seg.dstPort);
    if (l) {
      this.listenInput(l, seg, h.dst, h.src);
      return;
    }
    this.noConnection(seg, h.dst, h.src);
  }

  /** RFC 9293 §3.10.7.1: a segment for no connection gets an RST unless it is one. */
  private noConnection(seg: TcpRepr, dst: number, src: number): void {
    const f = seg.flags;
    if (f & TCP_RST) return;
    if (f & TCP_ACK) {
      this.sendReset(dst, seg.dstPort, src, seg.srcPort, seg.ack, 0, TCP_RST);
    } else {
      const len = seg.payloadLength + (f & TCP_SYN ? 1 : 0) + (f & TCP_FIN ? 1 : 0);
      this.sendReset(dst, seg.dstPort, src, seg.srcPort, 0, (seg.seq + len) >>> 0, TCP_RST | TCP_ACK);
    }
  }

  /**
   * RFC 9293 §3.10.7.2, LISTEN: RSTs are ignored, ACKs reset, a SYN makes a child in
   * SYN-RECEIVED and a SYN-ACK — unless the accept queue is full or the SYN queue is, when
   * Linux drops the SYN and lets the client retransmit (no SYN cookies here).
   */
  private listenInput(l: TcpEndpoint, seg: TcpRepr, dst: number, src: number): void {
    const f = seg.flags;
    if (f & TCP_RST) return;
    if (f & TCP_ACK) {
      this.sendReset(dst, seg.dstPort, src, seg.srcPort, seg.ack, 0, TCP_RST);
      return;
    }
    // A SYN with FIN is never legitimate: Linux discards it in LISTEN.
    if (!(f & TCP_SYN) || f & TCP_FIN) return;
    const c = this.counters;
    const q = l.listenQueues!;
    if (q.acceptQueue.length > q.backlog || q.synQueue.length >= Math.max(q.backlog, 1)) {
      if (q.acceptQueue.length > q.backlog) c.extListenOverflows++;
      c.extListenDrops++;
      return;
    }
    const route = this.routeFor(src);
    if (!route) return;
    const ch = this.create();
    ch.reuseAddr = l.reuseAddr;
    ch.reusePort = l.reusePort;
    ch.nodelay = l.nodelay;
    ch.cork = l.cork;
    ch.keepalive = l.keepalive;
    ch.ccName = l.ccName;
    ch.oobInline = l.oobInline;
    // Keepalive times, user timeout, MSS, TTL, TOS and the SO_RCVBUF / SO_SNDBUF locks (autotune;
    // Linux sk_userlocks) are inherited.
    ch.userOpts = l.userOpts === null ? null : l.userOpts.copy();
    ch.sendBuf.resize(l.sendBuf.capacity);
    ch.recvBuf.resize(l.recvBuf.capacity);
    ch.localAddr = dst;
    ch.remoteAddr = src;
    ch.remotePort = seg.srcPort;
    ch.route = route;
    ch.passive = true;
    ch.parent = l;
    ch.advMss = this.routeMss(ch, route);
    this.negotiateMss(ch, seg.options.mss);
    // RFC 7323 §2.2, §3.2: the SYN-ACK carries window scale and timestamps only if the SYN did.
    const cfg = this.config;
    ch.tsOffset = this.tsRng.u32();
    negotiate(ch, seg.options, cfg.windowScaling ? initialWscale(cfg, ch.recvBuf.capacity) : -1, cfg.timestamps, cfg.sack, this.scheduler.now());
    ch.irs = seg.seq;
    ch.rcvNxt = (seg.seq + 1) >>> 0;
    ch.rcvAdv = ch.rcvNxt;
    ch.sndWnd = seg.window;
    ch.maxSndWnd = seg.window;
    ch.sndWl1 = seg.seq;
    const now = this.scheduler.now();
    ch.iss = this.isn.isn(dst, l.localPort, src, seg.srcPort, now);
    ch.sndUna = ch.iss;
    ch.sndNxt = ch.sndMax = ch.sndBufSeq = (ch.iss + 1) >>> 0;
    ch.lastRecvAt = now;
    this.bindPort(ch, l.localPort);
    this.hashConn(ch);
    q.synQueue.push(ch);
    this.setState(ch, TcpState.SYN_RECEIVED);
    ch.rttStart = now;
    sendSyn(this, ch);
    armRto(this, ch);
  }

  /** A SYN with a higher sequence number ends TIME-WAIT when a listener takes the port (Linux TCP_TW_SYN). */
  reopenFromTimeWait(tw: TcpEndpoint, seg: TcpRepr): boolean {
    const l = this.lookupListener(tw.localAddr, tw.localPort);
    if (!l) return false;
    const { localAddr, remoteAddr } = tw;
    this.done(tw);
    this.listenInput(l, seg, localAddr, remoteAddr);
    return true;
  }

  /**
   * RFC 5927 / RFC 9293 §3.9.2.2: ICMP errors quoting one of our segments. Only a quoted
   * sequence number in flight counts. Connecting sockets fail with the error (Linux
   * tcp_v4_err); established ones keep it as a soft error for a later timeout.
   * "Fragmentation needed" is path MTU discovery instead (RFC 1191; pmtu.ts).
   */
  icmpError(r: IcmpErrorReport): void {
    if (r.transport.length < 8) return;
    const t = r.transport;
    const sport = (t[0]! << 8) | t[1]!;
    const dport = (t[2]! << 8) | t[3]!;
    const seq = ((t[4]! << 24) | (t[5]! << 16) | (t[6]! << 8) | t[7]!) >>> 0;
    const ep = this.lookupConn(r.src, sport, r.dst, dport);
    if (!ep) return;
    if (!(seqGe(seq, ep.sndUna) && seqLt(seq, ep.sndMax))) {
      this.counters.extOutOfWindowIcmps++;
      return;
    }
    let err: ErrnoCode;
    if (r.type === ICMP_DEST_UNREACH) {
      if (r.code === UNREACH_FRAG_NEEDED) {
        // RFC 1191 §3: not an error but a smaller path MTU (Linux tcp_v4_mtu_reduced).
        onFragNeeded(this, ep, r.mtu);
        return;
      }
      const e = ICMP_UNREACH_ERRNO[r.code];
      if (!e) return;
      err = e[0];
    } else if (r.type === ICMP_TIME_EXCEEDED) {
      err = 'EHOSTUNREACH';
    } else {
      err = 'EPROTO';
    }
    if (ep.state === TcpState.SYN_SENT || (ep.state === TcpState.SYN_RECEIVED && !ep.passive)) {
      this.done(ep, err);
    } else if (ep.state === TcpState.SYN_RECEIVED) {
      this.dropChild(ep);
    } else {
      ep.softError = err;
    }
  }

  // ---- shared by input, output and timers ------------------------------------

  /** Moves to `ns`, keeping CurrEstab, EstabResets and AttemptFails as RFC 4022 defines them. */
  setState(ep: TcpEndpoint, ns: number): void {
    const old = ep.state;
    if (old === ns) return;
    const c = this.counters;
    const wasEst = old === TcpState.ESTABLISHED || old === TcpState.CLOSE_WAIT;
    const isEst = ns === TcpState.ESTABLISHED || ns === TcpState.CLOSE_WAIT;
    if (wasEst && !isEst) c.currEstab--;
    if (!wasEst && isEst) c.currEstab++;
    if (ns === TcpState.CLOSED) {
      if (wasEst) c.estabResets++;
      if (old === TcpState.SYN_SENT || old === TcpState.SYN_RECEIVED) c.attemptFails++;
    }
    ep.state = ns;
    ep.notify(ALL_EVENTS);
  }

  /** A passive child cannot complete: its listener's accept queue is full (counted as Linux does). */
  acceptQueueFull(ep: TcpEndpoint): boolean {
    const q = ep.parent?.listenQueues;
    if (!ep.passive || !q || q.acceptQueue.length <= q.backlog) return false;
    this.counters.extListenOverflows++;
    this.counters.extListenDrops++;
    return true;
  }

  /** The handshake completed; a passive child moves to its listener's accept queue. */
  establish(ep: TcpEndpoint): void {
    const l = ep.parent;
    if (ep.passive && l) {
      const q = l.listenQueues!;
      const i = q.synQueue.indexOf(ep);
      if (i >= 0) q.synQueue.splice(i, 1);
      q.acceptQueue.push(ep);
      this.counters.passiveOpens++;
    }
    // No congestion control yet: it comes with the first data (ccOf), so an idle connection holds none.
    ep.wasConnected = true;
    ep.retransmits = 0;
    ep.rtxMode = RTX_NONE;
    // The handshake's timer goes: an idle connection holds no timer (the next send makes one).
    this.scheduler.disarm(ep.rtxTimer);
    ep.rtxTimer = null;
    ep.headSentAt = ep.lastRecvAt = this.scheduler.now();
    this.setState(ep, TcpState.ESTABLISHED);
    if (ep.finQueued) {
      ep.finQueued = false;
      this.shutdownWrite(ep);
    }
    if (ep.keepalive) this.armKeepalive(ep);
    if (ep.passive && l) l.notify(POLLIN);
  }

  /** A valid RST arrived (Linux tcp_reset): the error by state, then CLOSED. */
  reset(ep: TcpEndpoint): void {
    let err: ErrnoCode;
    switch (ep.state) {
      case TcpState.SYN_SENT:
        err = 'ECONNREFUSED';
        break;
      case TcpState.CLOSE_WAIT:
        err = 'EPIPE';
        break;
      case TcpState.CLOSED:
        return;
      default:
        err = 'ECONNRESET';
    }
    this.done(ep, err);
  }

  /** An embryonic passive child goes away; its listener carries on (RFC 9293: back to LISTEN). */
  dropChild(ep: TcpEndpoint): void {
    ep.orphan = true;
    this.done(ep);
  }

  /**
   * The connection is over (Linux tcp_done): CLOSED, both directions shut, timers stopped,
   * out of the connection table; the port stays only for a socket the user bound and holds.
   */
  done(ep: TcpEndpoint, err?: ErrnoCode): void {
    if (ep.released) return;
    const wasTimeWait = ep.state === TcpState.TIME_WAIT;
    const l = ep.parent;
    // An established child reset before accept() stays queued: accept() hands it out, closed.
    let awaitingAccept = false;
    if (l) {
      const q = l.listenQueues!;
      const i = q.synQueue.indexOf(ep);
      if (i >= 0) q.synQueue.splice(i, 1);
      awaitingAccept = q.acceptQueue.includes(ep);
      if (!awaitingAccept) ep.parent = null;
    }
    this.setState(ep, TcpState.CLOSED);
    ep.shutRead = true;
    ep.shutWrite = true;
    if (err && !ep.orphan) ep.pendingError = err;
    const s = this.scheduler;
    s.disarm(ep.rtxTimer);
    s.disarm(ep.delackTimer);
    s.disarm(ep.slowTimer);
    ep.rtxMode = RTX_NONE;
    ep.delackOwed = false;
    ep.slowMode = SLOW_NONE;
    this.unhashConn(ep);
    ep.sendBuf.clear();
    ep.ooo = null;
    ep.scoreboard = null;
    ep.rack = null;
    if (wasTimeWait) this.counters.extTW++;
    if (ep.orphan && !awaitingAccept) this.release(ep);
    else if (!ep.boundPort) this.unbindPort(ep);
    ep.notify(POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
  }

  /** Frees an endpoint nobody holds: out of every table, storage returned. */
  release(ep: TcpEndpoint): void {
    if (ep.released) return;
    ep.released = true;
    this.unhashConn(ep);
    this.unbindPort(ep);
    this.removeListener(ep);
    const s = this.scheduler;
    s.disarm(ep.rtxTimer);
    s.disarm(ep.delackTimer);
    s.disarm(ep.slowTimer);
    ep.delackOwed = false;
    ep.sendBuf.clear();
    ep.sendBuf.release();
    ep.recvBuf.clear();
    ep.recvBuf.release();
    ep.ooo = null;
    ep.scoreboard = null;
    ep.rack = null;
    ep.cc = null;
    autotuneUncharge(this, ep); // autotune: the host's buffer budget gets the growth back
  }

  enterTimeWait(ep: TcpEndpoint): void {
    this.setState(ep, TcpState.TIME_WAIT);
    const s = this.scheduler;
    s.disarm(ep.rtxTimer);
    ep.rtxMode = RTX_NONE;
    ep.sendBuf.clear();
    ep.sendBuf.release();
    // Nothing more can arrive (the peer's FIN came in order); a read-out receive queue goes too.
    ep.recvBuf.release();
    ep.scoreboard = null;
    ep.rack = null;
    autotuneUncharge(this, ep); // autotune: the send side's growth goes back to the host's budget
    this.armTimeWait(ep);
  }

  /** 2MSL (RFC 9293 §3.10.7.4), restarted by a retransmitted FIN. */
  armTimeWait(ep: TcpEndpoint): void {
    ep.slowMode = SLOW_TIME_WAIT;
    this.scheduler.armIn(ep.slow, this.config.timeWaitMs);
  }

  /** An orphaned FIN-WAIT-2 lives tcp_fin_timeout, then goes (Linux). */
  armFinWait2(ep: TcpEndpoint): void {
    ep.slowMode = SLOW_FIN_WAIT_2;
    this.scheduler.armIn(ep.slow, this.config.finTimeoutMs);
  }

  /** RFC 1122 §4.2.3.6: the first probe after the idle time. */
  armKeepalive(ep: TcpEndpoint): void {
    if (ep.slowMode === SLOW_TIME_WAIT || ep.slowMode === SLOW_FIN_WAIT_2) return;
    ep.slowMode = SLOW_KEEPALIVE;
    ep.probesOut = 0;
    this.scheduler.armIn(ep.slow, ep.keepIdleS * 1000);
  }

  /** RFC 5961 §7: challenge ACKs, at most config.challengeAckLimit per second per host. */
  challengeAck(ep: TcpEndpoint): void {
    const sec = Math.floor(this.scheduler.now() / 1000);
    if (sec !== this.challengeSecond) {
      this.challengeSecond = sec;
      this.challengeCount = 0;
    }
    if (this.challengeCount >= this.config.challengeAckLimit) return;
    this.challengeCount++;
    this.counters.extTCPChallengeACK++;
    sendAck(this, ep);
  }

  /**
   * The connection's congestion control, created when it first has data (or a FIN) to send:
   * until then it holds none, and TCP_INFO reports the initial window it would start with.
   */
  ccOf(ep: TcpEndpoint): CongestionControl {
    return (ep.cc ??= this.createCc(ep));
  }

  /** A congestion control for the connection, by the name TCP_CONGESTION or the config chose. */
  createCc(ep: TcpEndpoint): CongestionControl {
    const f = congestionControlFactory(ep.ccName) ?? congestionControlFactory(this.config.congestionControl);
    const options = { abcLimitSegments: this.config.abcLimitSegments };
    return f ? f(ep.sndMss, options) : new NewReno(ep.sndMss, options);
  }

  /** The reusable congestion-control sample, filled with the connection's figures now. */
  ccSample(ep: TcpEndpoint): CcSample {
    const s = this.sample;
    s.nowMs = this.scheduler.now();
    s.sndUna = ep.sndUna;
    s.sndMax = ep.sndMax;
    s.flightSize = (ep.sndMax - ep.sndUna) >>> 0;
    // RFC 6675 §4 pipe when a scoreboard exists, else FlightSize.
    s.pipe = ep.scoreboard !== null ? sackInFlight(ep) : s.flightSize;
    s.sackOk = ep.sackOk;
    s.ackedBytes = 0;
    s.sackedBytes = 0;
    s.rttMs = undefined;
    return s;
  }

  /** Hands a built segment (IPv4 headroom in front) to IP. */
  ipOutput(src: number, dst: number, ttl: number, tos: number, pkt: Uint8Array, route: RouteResult): void {
    const o = this.ipOpts;
    o.src = src;
    o.dst = dst;
    o.ttl = ttl >= 0 ? ttl : this.ip.defaultTtl;
    o.tos = tos;
    this.ip.output(pkt, o, route);
  }

  /** An RST (or RST+ACK) on behalf of no connection, or of one being torn down (§3.10.7). */
  sendReset(la: number, lp: number, ra: number, rp: number, seq: number, ack: number, flags: number): void {
    const route = this.ip.routeTo(ra);
    if (!route) return;
    const h = this.hdr;
    h.srcPort = lp;
    h.dstPort = rp;
    h.seq = seq >>> 0;
    h.ack = ack >>> 0;
    h.flags = flags;
    h.window = 0;
    h.urgentPointer = 0;
    h.options = this.noOptions;
    const pkt = new Uint8Array(HEADROOM + TCP_HEADER_LEN);
    emitTcp(h, pkt, HEADROOM);
    if (!route.offload) fillTcpChecksum(pkt, HEADROOM, TCP_HEADER_LEN, la, ra);
    this.ipOutput(la, ra, -1, 0, pkt, route);
    this.counters.outSegs++;
    this.counters.outRsts++;
  }
}

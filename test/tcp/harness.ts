/**
 * A scripted TCP peer for packet-level conformance tests (RFC 9293, RFC 5961).
 *
 * The peer IS the link of one sockstack host: it is the NetDevice given to
 * `net.attachDevice(host, peer, '10.0.0.1/24')`, so every frame the host transmits lands in
 * `transmit()`. It impersonates 10.0.0.2 with its own MAC, answers ARP for that address,
 * verifies the IPv4 and TCP checksums of every segment (the device has no checksum offload,
 * so sockstack must compute them) and queues the parsed segments for the test to read with
 * `next()`. Segments are injected with `send()`. Waiting works under `net.run`: a segment that
 * resolves a waiter bumps `scheduler.wakeups`, and timeouts are plain (non-internal) timers.
 */
import assert from 'node:assert/strict';
import { Network } from '../../src/sim/network.js';
import type { Host } from '../../src/sim/host.js';
import type { NetDevice } from '../../src/stack/device.js';
import { Timer } from '../../src/time/scheduler.js';
import * as C from '../../src/socket/constants.js';
import { ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, emitEthernet } from '../../src/wire/ethernet.js';
import { ARP_LEN, ARP_REPLY, ARP_REQUEST, emitArp, parseArp } from '../../src/wire/arp.js';
import { IPV4_HEADER_LEN, IP_PROTO_TCP, emitIpv4, parseIpv4 } from '../../src/wire/ipv4.js';
import {
  TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_HEADER_LEN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG,
  emitTcp, fillTcpChecksum, parseTcp, tcpOptionsLength, type TcpOptions,
} from '../../src/wire/tcp.js';
import { formatIPv4, formatMac, parseIPv4 } from '../../src/wire/address.js';
import { WireError } from '../../src/wire/error.js';

export { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG };
export const SYN = TCP_SYN;
export const ACK = TCP_ACK;
export const FIN = TCP_FIN;
export const RST = TCP_RST;
export const PSH = TCP_PSH;
export const URG = TCP_URG;

export const HOST_IP = '10.0.0.1';
export const PEER_IP = '10.0.0.2';
/** The host's interface MAC (the device's own MAC) and the peer's. */
export const HOST_MAC = Uint8Array.of(0x02, 0x00, 0x5e, 0x00, 0x00, 0x01);
export const PEER_MAC = Uint8Array.of(0x02, 0x00, 0x5e, 0x00, 0x00, 0x02);

const ip = (t: string): number => parseIPv4(t)!;

/** Uint32 sequence arithmetic for expected values. */
export const seqAdd = (a: number, n: number): number => (a + n) >>> 0;

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** One segment sockstack sent, as the peer parsed it. */
export interface Seg {
  /** Virtual time (ms) at which the host transmitted it. */
  at: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgentPointer: number;
  options: TcpOptions;
  dataOffset: number;
  payload: Uint8Array;
  /** IPv4 header fields worth checking. */
  ttl: number;
  df: boolean;
}

/** What the peer injects. Omitted ports default to the peer's current connection. */
export interface SendSpec {
  srcPort?: number;
  dstPort?: number;
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  options?: TcpOptions;
  payload?: Uint8Array;
  urgentPointer?: number;
  /** Corrupt the TCP checksum (the frame is otherwise intact). */
  badChecksum?: boolean;
  /** Override of the 4-bit data offset field, in 32-bit words (written before checksumming). */
  dataOffset?: number;
  /** Option bytes placed verbatim after the fixed header (instead of `options`). */
  rawOptions?: Uint8Array;
  /** IPv4 source / destination (default PEER_IP → HOST_IP) and Ethernet destination (default the host's MAC). */
  ipSrc?: string;
  ipDst?: string;
  ethDst?: Uint8Array;
}

/** A connection as the test sees it; the sequence fields are updated by the helpers. */
export interface Conn {
  fd: number;
  /** The listening descriptor (passive opens). */
  lfd: number;
  hostPort: number;
  peerPort: number;
  /** sockstack's initial send sequence number (learned from its SYN / SYN-ACK). */
  iss: number;
  /** The peer's ISS: sockstack's IRS. */
  irs: number;
  /** sockstack's SND.NXT as the peer tracks it: the next sequence number it will send. */
  sndNxt: number;
  /** sockstack's RCV.NXT: the next sequence number the peer sends. */
  rcvNxt: number;
  /** The furthest right edge (ACK + window) sockstack offered so far. */
  rightEdge: number;
}

const FLAG_CHARS: Array<[number, string]> = [
  [TCP_SYN, 'S'], [TCP_FIN, 'F'], [TCP_RST, 'R'], [TCP_PSH, 'P'], [TCP_ACK, '.'], [TCP_URG, 'U'], [TCP_ECE, 'E'], [TCP_CWR, 'W'],
];

/** tcpdump-style flags: 'S.' for SYN+ACK, 'R' for RST, 'FP.' … */
export function flagStr(f: number): string {
  let s = '';
  for (const [bit, ch] of FLAG_CHARS) if (f & bit) s += ch;
  return s === '' ? 'none' : s;
}

export function describe(s: Seg | null): string {
  if (s === null) return '(no segment)';
  return `[${flagStr(s.flags)}] ${s.srcPort}>${s.dstPort} seq=${s.seq} ack=${s.ack} win=${s.window} len=${s.payload.length} at=${s.at}ms opts=${JSON.stringify(s.options)}`;
}

export interface Expect {
  flags: number;
  seq?: number;
  ack?: number;
  /** Exact payload (default: none when `len` is not given either). */
  payload?: Uint8Array;
  len?: number;
  window?: number;
  srcPort?: number;
  dstPort?: number;
}

/** Asserts that `s` is a segment with exactly these fields (flags exact; no payload unless given). */
export function expectSeg(s: Seg | null, e: Expect, what = 'segment'): Seg {
  assert.ok(s !== null, `${what}: expected [${flagStr(e.flags)}] seq=${e.seq} ack=${e.ack}, got nothing`);
  const d = `${what}: ${describe(s)}`;
  assert.equal(flagStr(s.flags), flagStr(e.flags), `flags of ${d}`);
  if (e.seq !== undefined) assert.equal(s.seq, e.seq >>> 0, `seq of ${d} (expected ${e.seq >>> 0})`);
  if (e.ack !== undefined) assert.equal(s.ack, e.ack >>> 0, `ack of ${d} (expected ${e.ack >>> 0})`);
  if (e.payload !== undefined) assert.deepEqual(s.payload, e.payload, `payload of ${d}`);
  else assert.equal(s.payload.length, e.len ?? 0, `payload length of ${d}`);
  if (e.window !== undefined) assert.equal(s.window, e.window, `window of ${d}`);
  if (e.srcPort !== undefined) assert.equal(s.srcPort, e.srcPort, `source port of ${d}`);
  if (e.dstPort !== undefined) assert.equal(s.dstPort, e.dstPort, `destination port of ${d}`);
  return s;
}

interface Waiter {
  resolve: (s: Seg | null) => void;
  timer: Timer;
}

export class ScriptedPeer implements NetDevice {
  readonly name = 'peer0';
  /** The device's MAC is the host's interface MAC; the peer has its own (PEER_MAC). */
  readonly mac = HOST_MAC;
  readonly mtu = 1500;
  readonly checksumOffload = false;
  /** Segments sent by sockstack and not yet taken by next(). */
  readonly queue: Seg[] = [];
  /** Every segment sockstack sent, in order. */
  readonly log: Seg[] = [];
  /** Protocol violations seen in frames from sockstack (bad checksums, wrong addresses…). */
  readonly problems: string[] = [];
  /** IPv4 datagrams that were not TCP (e.g. ICMP), raw. */
  readonly otherIp: Uint8Array[] = [];
  /** ARP requests the peer answered. */
  arpRequests = 0;
  /** Ports used by send() when a spec omits them (set by the handshakes). */
  peerPort = 0;
  hostPort = 0;
  private receiver: ((frame: Uint8Array) => void) | null = null;
  private waiter: Waiter | null = null;
  private ipId = 1;
  readonly host: Host;

  constructor(readonly net: Network, host?: Host) {
    this.host = host ?? net.host('h');
    net.attachDevice(this.host, this, `${HOST_IP}/24`);
  }

  setReceiver(receiver: (frame: Uint8Array) => void): void {
    this.receiver = receiver;
  }

  /** Every frame the host sends comes here. Never throws (the caller is the stack). */
  transmit(frame: Uint8Array): void {
    try {
      this.onFrame(frame);
    } catch (e) {
      this.problems.push(`harness error: ${String(e)}`);
    }
  }

  private onFrame(frame: Uint8Array): void {
    if (frame.length < ETH_HEADER_LEN) {
      this.problems.push(`runt frame of ${frame.length} bytes`);
      return;
    }
    const type = (frame[12]! << 8) | frame[13]!;
    if (type === ETHERTYPE_ARP) {
      const a = parseArp(frame, ETH_HEADER_LEN, frame.length - ETH_HEADER_LEN);
      if (a instanceof WireError) {
        this.problems.push(`bad ARP from host: ${a.message}`);
        return;
      }
      if (a.op === ARP_REQUEST && a.targetIp === ip(PEER_IP) && a.senderIp !== a.targetIp) {
        this.arpRequests++;
        const reply = new Uint8Array(ETH_HEADER_LEN + ARP_LEN);
        emitEthernet({ dst: HOST_MAC, src: PEER_MAC, ethertype: ETHERTYPE_ARP }, reply, 0);
        emitArp({ op: ARP_REPLY, senderMac: PEER_MAC, senderIp: ip(PEER_IP), targetMac: HOST_MAC, targetIp: a.senderIp }, reply, ETH_HEADER_LEN);
        // Answered from a zero-delay internal timer, never re-entering the stack inside its transmit.
        const t = new Timer(() => this.receiver?.(reply), true);
        this.net.scheduler.armIn(t, 0);
      }
      return;
    }
    if (type !== ETHERTYPE_IPV4) {
      this.problems.push(`unexpected ethertype 0x${type.toString(16)}`);
      return;
    }
    const dstMac = formatMac(frame, 0);
    const srcMac = formatMac(frame, 6);
    if (dstMac !== formatMac(PEER_MAC) || srcMac !== formatMac(HOST_MAC)) {
      this.problems.push(`IPv4 frame ${srcMac} > ${dstMac}, expected ${formatMac(HOST_MAC)} > ${formatMac(PEER_MAC)}`);
      return;
    }
    const ipb = frame.subarray(ETH_HEADER_LEN);
    const h = parseIpv4(ipb, 0, ipb.length, true);
    if (h instanceof WireError) {
      this.problems.push(`bad IPv4 header from host: ${h.message}`);
      return;
    }
    if (h.src !== ip(HOST_IP) || h.dst !== ip(PEER_IP)) {
      this.problems.push(`IPv4 ${formatIPv4(h.src)} > ${formatIPv4(h.dst)}, expected ${HOST_IP} > ${PEER_IP}`);
      return;
    }
    if (h.moreFragments || h.fragmentOffset !== 0) {
      this.problems.push('host sent an IPv4 fragment');
      return;
    }
    if (h.protocol !== IP_PROTO_TCP) {
      this.otherIp.push(ipb.slice(0, h.totalLength));
      return;
    }
    const len = h.totalLength - h.headerLength;
    const t = parseTcp(ipb, h.headerLength, len, h.src, h.dst, true);
    if (t instanceof WireError) {
      this.problems.push(`bad TCP segment from host: ${t.message}`);
      return;
    }
    const seg: Seg = {
      at: this.net.now(),
      srcPort: t.srcPort,
      dstPort: t.dstPort,
      seq: t.seq,
      ack: t.ack,
      flags: t.flags,
      window: t.window,
      urgentPointer: t.urgentPointer,
      options: t.options,
      dataOffset: t.dataOffset,
      payload: ipb.slice(t.payloadOffset, t.payloadOffset + t.payloadLength),
      ttl: h.ttl,
      df: h.dontFragment,
    };
    this.log.push(seg);
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      this.net.scheduler.disarm(w.timer);
      this.net.scheduler.wakeups++;
      w.resolve(seg);
    } else {
      this.queue.push(seg);
    }
  }

  /** Builds the Ethernet/IPv4/TCP frame for `s` (checksums right unless told otherwise). */
  frame(s: SendSpec): Uint8Array {
    const payload = s.payload ?? new Uint8Array(0);
    const options = s.options ?? {};
    const optLen = s.rawOptions ? s.rawOptions.length : tcpOptionsLength(options);
    const tcpLen = TCP_HEADER_LEN + optLen + payload.length;
    const f = new Uint8Array(ETH_HEADER_LEN + IPV4_HEADER_LEN + tcpLen);
    const src = ip(s.ipSrc ?? PEER_IP);
    const dst = ip(s.ipDst ?? HOST_IP);
    emitEthernet({ dst: s.ethDst ?? HOST_MAC, src: PEER_MAC, ethertype: ETHERTYPE_IPV4 }, f, 0);
    emitIpv4(
      {
        headerLength: IPV4_HEADER_LEN, tos: 0, totalLength: IPV4_HEADER_LEN + tcpLen, id: this.ipId++ & 0xffff,
        dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: IP_PROTO_TCP,
        src, dst,
      },
      f,
      ETH_HEADER_LEN,
      true,
    );
    const off = ETH_HEADER_LEN + IPV4_HEADER_LEN;
    const header = {
      srcPort: s.srcPort ?? this.peerPort,
      dstPort: s.dstPort ?? this.hostPort,
      seq: s.seq >>> 0,
      ack: (s.ack ?? 0) >>> 0,
      flags: s.flags,
      window: s.window ?? 65535,
      urgentPointer: s.urgentPointer ?? 0,
      options: s.rawOptions ? {} : options,
    };
    emitTcp(header, f, off);
    if (s.rawOptions) {
      f.set(s.rawOptions, off + TCP_HEADER_LEN);
      f[off + 12] = (((TCP_HEADER_LEN + optLen) >>> 2) & 0x0f) << 4;
    }
    if (s.dataOffset !== undefined) f[off + 12] = (s.dataOffset & 0x0f) << 4;
    f.set(payload, off + TCP_HEADER_LEN + optLen);
    fillTcpChecksum(f, off, tcpLen, src, dst);
    // XOR 0x5555 never turns one valid encoding into the other (0x0000 <-> 0xffff).
    if (s.badChecksum) {
      f[off + 16] ^= 0x55;
      f[off + 17] ^= 0x55;
    }
    return f;
  }

  /** Injects one segment into the host, synchronously (the host may answer before this returns). */
  send(s: SendSpec): void {
    this.sendFrame(this.frame(s));
  }

  /** Injects a raw Ethernet frame. */
  sendFrame(frame: Uint8Array): void {
    if (!this.receiver) throw new Error('peer: the host has not installed a receiver');
    this.receiver(frame);
  }

  /** The next segment sockstack sends, or null after `timeoutMs` of virtual time. */
  next(timeoutMs = 1000): Promise<Seg | null> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    if (this.waiter) throw new Error('peer.next(): one waiter at a time');
    return new Promise<Seg | null>((resolve) => {
      // A plain timer: its firing counts as a wake-up of the run loop.
      const timer = this.net.scheduler.after(timeoutMs, () => {
        this.waiter = null;
        resolve(null);
      });
      this.waiter = { resolve, timer };
    });
  }

  /** Asserts that sockstack sends nothing for `ms` of virtual time. */
  async expectNone(ms: number, what = 'no segment expected'): Promise<void> {
    const s = await this.next(ms);
    assert.equal(s, null, `${what}, got ${describe(s)}`);
  }

  /** Every segment sockstack sends within `ms`. */
  async collect(ms: number): Promise<Seg[]> {
    const out: Seg[] = [];
    const end = this.net.now() + ms;
    for (;;) {
      const left = end - this.net.now();
      if (left <= 0) break;
      const s = await this.next(left);
      if (s === null) break;
      out.push(s);
    }
    return out;
  }

  /** Fails the test if any frame from sockstack was malformed (bad checksum, wrong addresses…). */
  assertClean(): void {
    assert.deepEqual(this.problems, [], 'frames from sockstack must be well formed with correct checksums');
  }

  // ---- connections -------------------------------------------------------------------------

  /**
   * Active open: sockstack connect()s to PEER_IP:peerPort; the peer answers SYN-ACK (ISS `irs`,
   * MSS 1460), sockstack ACKs and connect() resolves.
   */
  async handshakeActive(o: { peerPort?: number; irs?: number; window?: number; mss?: number } = {}): Promise<Conn> {
    const api = this.host.sockets;
    const peerPort = o.peerPort ?? 80;
    const irs = (o.irs ?? 1_000_000) >>> 0;
    const fd = api.socket(C.AF_INET, C.SOCK_STREAM, 0);
    const connecting = api.connect(fd, { address: PEER_IP, port: peerPort });
    const syn = expectSeg(await this.next(1000), { flags: SYN, ack: 0, dstPort: peerPort }, 'SYN of connect()');
    const iss = syn.seq;
    this.peerPort = peerPort;
    this.hostPort = syn.srcPort;
    this.send({ seq: irs, ack: seqAdd(iss, 1), flags: SYN | ACK, window: o.window ?? 65535, options: { mss: o.mss ?? 1460 } });
    await connecting;
    expectSeg(await this.next(1000), { flags: ACK, seq: seqAdd(iss, 1), ack: seqAdd(irs, 1), window: 65535 }, 'ACK of the SYN-ACK');
    return { fd, lfd: -1, hostPort: syn.srcPort, peerPort, iss, irs, sndNxt: seqAdd(iss, 1), rcvNxt: seqAdd(irs, 1), rightEdge: seqAdd(irs, 1 + 65535) };
  }

  /** A listening socket on `port` (0.0.0.0, SO_REUSEADDR). */
  listen(port: number, backlog = 8): number {
    const api = this.host.sockets;
    const lfd = api.socket(C.AF_INET, C.SOCK_STREAM, 0);
    api.setsockopt(lfd, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
    api.bind(lfd, { address: '0.0.0.0', port });
    api.listen(lfd, backlog);
    return lfd;
  }

  /**
   * Passive open: sockstack listens on hostPort (or uses `lfd`); the peer sends SYN from
   * peerPort, gets SYN-ACK, ACKs, and accept() resolves.
   */
  async handshakePassive(o: { hostPort?: number; peerPort?: number; irs?: number; lfd?: number; window?: number } = {}): Promise<Conn> {
    const api = this.host.sockets;
    const hostPort = o.hostPort ?? 7;
    const peerPort = o.peerPort ?? 40000;
    const irs = (o.irs ?? 2_000_000) >>> 0;
    const lfd = o.lfd ?? this.listen(hostPort);
    const accepting = api.accept(lfd);
    this.peerPort = peerPort;
    this.hostPort = hostPort;
    this.send({ seq: irs, flags: SYN, window: o.window ?? 65535, options: { mss: 1460 } });
    const synack = expectSeg(await this.next(1000), { flags: SYN | ACK, ack: seqAdd(irs, 1), srcPort: hostPort, dstPort: peerPort, window: 65535 }, 'SYN-ACK');
    const iss = synack.seq;
    this.send({ seq: seqAdd(irs, 1), ack: seqAdd(iss, 1), flags: ACK, window: o.window ?? 65535 });
    const [fd, addr] = await accepting;
    assert.deepEqual(addr, { address: PEER_IP, port: peerPort }, 'accept() returns the peer address');
    return { fd, lfd, hostPort, peerPort, iss, irs, sndNxt: seqAdd(iss, 1), rcvNxt: seqAdd(irs, 1), rightEdge: seqAdd(irs, 1 + synack.window) };
  }

  /** The peer sends `data` in order on `c` (ACK|PSH, acking everything) and advances c.rcvNxt. */
  sendData(c: Conn, data: Uint8Array, extraFlags = 0): void {
    this.send({ srcPort: c.peerPort, dstPort: c.hostPort, seq: c.rcvNxt, ack: c.sndNxt, flags: ACK | PSH | extraFlags, payload: data });
    c.rcvNxt = seqAdd(c.rcvNxt, data.length + (extraFlags & FIN ? 1 : 0));
  }

  /** The peer ACKs everything sockstack sent on `c`. */
  sendAck(c: Conn, extraFlags = 0): void {
    this.send({ srcPort: c.peerPort, dstPort: c.hostPort, seq: c.rcvNxt, ack: c.sndNxt, flags: ACK | extraFlags });
    if (extraFlags & FIN) c.rcvNxt = seqAdd(c.rcvNxt, 1);
  }

  /**
   * Next segment from sockstack on `c` that is not a pure ACK of what the peer sent (pure
   * ACKs are checked: seq = c.sndNxt, ack = c.rcvNxt). Null after timeoutMs.
   */
  async nextNonAck(c: Conn, timeoutMs = 1000): Promise<Seg | null> {
    const end = this.net.now() + timeoutMs;
    for (;;) {
      const s = await this.next(Math.max(0, end - this.net.now()));
      if (s === null) return null;
      if (s.flags === ACK && s.payload.length === 0) {
        expectSeg(s, { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'pure ACK');
        continue;
      }
      return s;
    }
  }

  /**
   * Proves `c` is intact: the peer sends a message that read() returns byte-exact and sockstack
   * ACKs; sockstack write()s a message that arrives byte-exact with the right numbers; the peer
   * ACKs it; then sockstack stays silent for a second.
   */
  async assertAlive(c: Conn, tag: string): Promise<void> {
    const api = this.host.sockets;
    const inbound = enc(`peer->host ${tag}`);
    this.sendData(c, inbound);
    const got = await api.read(c.fd, 4096);
    assert.deepEqual(got, inbound, `${tag}: read() returns the peer's bytes exactly`);
    const outbound = enc(`host->peer ${tag} …`);
    const n = await api.write(c.fd, outbound);
    assert.equal(n, outbound.length, `${tag}: write() takes every byte`);
    const data = await this.nextNonAck(c, 1000);
    const seg = expectSeg(data, { flags: data && data.flags & PSH ? ACK | PSH : ACK, seq: c.sndNxt, ack: c.rcvNxt, payload: outbound }, `${tag}: data from sockstack`);
    // RFC 9293 §3.8.6.2.2 (MUST-35 / receiver SWS avoidance): the right edge of the offered
    // window never moves left; it may stay put while the buffer drains.
    const edge = seqAdd(seg.ack, seg.window);
    assert.ok(((edge - c.rightEdge) | 0) >= 0, `${tag}: window right edge ${edge} moved left of ${c.rightEdge}`);
    c.rightEdge = edge;
    c.sndNxt = seqAdd(c.sndNxt, outbound.length);
    this.sendAck(c);
    await this.expectNone(1000, `${tag}: nothing after the exchange`);
  }
}

/** A fresh network with one sockstack host 'h' (10.0.0.1) whose only link is a scripted peer (10.0.0.2). */
export function setup(seed = 1): { net: Network; host: Host; peer: ScriptedPeer } {
  const net = new Network({ seed });
  const peer = new ScriptedPeer(net);
  return { net, host: peer.host, peer };
}

/** Runs `fn` under virtual time on a fresh setup and checks every frame sockstack sent was well formed. */
export async function scenario(fn: (ctx: { net: Network; host: Host; peer: ScriptedPeer }) => Promise<void>, seed = 1): Promise<void> {
  const ctx = setup(seed);
  await ctx.net.run(() => fn(ctx));
  ctx.peer.assertClean();
}

/** A TCP endpoint as host.tcp.endpoints() describes it (the fields the tests read). */
export interface EndpointView {
  state: number;
  stateName: string;
  localAddr: number;
  localPort: number;
  remoteAddr: number;
  remotePort: number;
}

/** Every TCP endpoint of `host` as 'STATE lport>rport' strings, sorted. */
export function endpointStates(host: Host): string[] {
  const eps = (host as unknown as { tcp: { endpoints(): Iterable<EndpointView> } }).tcp.endpoints();
  return [...eps].map((e) => `${e.stateName} ${e.localPort}>${e.remotePort}`).sort();
}

/** The RFC 9293 state name of the endpoint with these ports, or null when there is none. */
export function stateOf(host: Host, localPort: number, remotePort: number): string | null {
  const eps = (host as unknown as { tcp: { endpoints(): Iterable<EndpointView> } }).tcp.endpoints();
  const found = [...eps].filter((e) => e.localPort === localPort && e.remotePort === remotePort);
  assert.ok(found.length <= 1, `one endpoint per 4-tuple, found ${found.length}`);
  return found.length ? found[0]!.stateName : null;
}

/** Expects `p` to reject with SocketError `code`. */
export async function rejectsWith(p: Promise<unknown>, code: string, what = 'call'): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.equal((e as { code?: string }).code, code, `${what}: ${String(e)}`);
    return true;
  });
}

/** Expects `fn` to throw SocketError `code`. */
export function throwsWith(fn: () => unknown, code: string, what = 'call'): void {
  assert.throws(fn, (e: unknown) => {
    assert.equal((e as { code?: string }).code, code, `${what}: ${String(e)}`);
    return true;
  });
}

/**
 * A passive open on port 7 from peer port 40000 whose SYN offers SACK-permitted (and timestamps
 * with `ts`); the peer's ACK of the SYN-ACK comes `rttMs` later, so the connection starts with
 * that RTT measured. `tsOpt(v)` builds the peer's TSopt (TSval v, echoing the SYN-ACK's TSval).
 * Returns the accepted fd, the peer's next sequence number (`ack`: what it sends at) and our
 * SND.UNA (`una`).
 */
export async function sackConnection(ctx: { net: Network; host: Host; peer: ScriptedPeer }, opts: { rttMs?: number; ts?: boolean } = {}) {
  const { net, host, peer } = ctx;
  const ts = opts.ts ?? false;
  const { api, accepting, irs, synack } = await passiveOpen(host, peer, { sack: true, ts: ts ? 10 : undefined });
  const tsOpt = (v: number): TcpOptions => (ts ? { timestamp: { value: v, echo: synack.options.timestamp!.value } } : {});
  if (opts.rttMs) await net.sleep(opts.rttMs);
  peer.send({ seq: irs + 1, ack: seqAdd(synack.seq, 1), flags: ACK, window: 65535, options: tsOpt(11) });
  const [fd] = await accepting;
  return { api, fd, irs, iss: synack.seq, ack: irs + 1, una: seqAdd(synack.seq, 1), synack, tsOpt };
}

/**
 * Passive open where the peer's SYN (from port 40000 to the host's port 7, ISN 5000) offers
 * `opts`: window scale, SACK-permitted and a TSval. Returns the accept in progress and the
 * sequence numbers.
 */
export async function passiveOpen(host: Host, peer: ScriptedPeer, opts: { wscale?: number; ts?: number; sack?: boolean }) {
  const api = host.sockets;
  const lfd = peer.listen(7);
  const accepting = api.accept(lfd);
  peer.peerPort = 40000;
  peer.hostPort = 7;
  const irs = 5000;
  peer.send({
    seq: irs, flags: SYN, window: 65535,
    options: {
      mss: 1460, windowScale: opts.wscale, sackPermitted: opts.sack ? true : undefined,
      timestamp: opts.ts === undefined ? undefined : { value: opts.ts, echo: 0 },
    },
  });
  const synack = expectSeg(await peer.next(1000), { flags: SYN | ACK, ack: irs + 1, window: 65535 }, 'SYN-ACK');
  return { api, accepting, irs, iss: synack.seq, synack };
}

/**
 * The runner's device: the only link of the sockstack host under test, impersonating the
 * script's remote peer (packetdrill's "remote" side, its netdev.c in local mode).
 *
 * Every frame the host transmits lands in transmit(): ARP requests are answered for any address
 * but the host's own (the remote and the host's gateway both live behind this device); IPv4
 * headers and TCP checksums are verified (the device has no checksum offload, so sockstack must
 * compute them) and TCP segments are queued, with their arrival time and raw option bytes, for
 * the runner to match against `>` lines. inject() hands a built frame to the host.
 */
import type { NetDevice } from '../stack/device.js';
import type { Network } from '../sim/network.js';
import { Timer } from '../time/scheduler.js';
import { ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, emitEthernet } from '../wire/ethernet.js';
import { ARP_LEN, ARP_REPLY, ARP_REQUEST, emitArp, parseArp } from '../wire/arp.js';
import { IPV4_HEADER_LEN, IP_PROTO_TCP, emitIpv4, parseIpv4 } from '../wire/ipv4.js';
import { TCP_HEADER_LEN, fillTcpChecksum, parseTcp } from '../wire/tcp.js';
import { formatIPv4 } from '../wire/address.js';
import { WireError } from '../wire/error.js';

/** One TCP segment sockstack sent, as the device parsed it (live numbers). */
export interface LiveSegment {
  /** Virtual time (ms) at which the host transmitted it. */
  at: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgentPointer: number;
  /** The raw option bytes (between the fixed header and the payload). */
  optionBytes: Uint8Array;
  payloadLength: number;
  /** The IPv4 TOS byte (its low two bits are the ECN field). */
  tos: number;
}

/** A TCP segment to inject, in live numbers; its option bytes are already padded to a multiple of 4. */
export type InjectTcp = Omit<LiveSegment, 'at'>;

interface Waiter {
  resolve: (s: LiveSegment | null) => void;
  timer: Timer;
}

/** Locally administered MACs: the host's interface and the remote side of the wire. */
const HOST_MAC = Uint8Array.of(0x02, 0x70, 0x64, 0x00, 0x00, 0x01);
const REMOTE_MAC = Uint8Array.of(0x02, 0x70, 0x64, 0x00, 0x00, 0x02);

export class RemoteDevice implements NetDevice {
  readonly name = 'pd0';
  readonly mac = HOST_MAC;
  readonly checksumOffload = false;
  /** Segments sent by sockstack and not yet taken by next(). */
  readonly queue: LiveSegment[] = [];
  /** Malformed frames from sockstack (bad checksums, wrong addresses…): each one fails the script. */
  readonly problems: string[] = [];
  /** IPv4 datagrams sockstack sent that were not TCP, described (for verbose logs). */
  readonly other: string[] = [];
  private receiver: ((frame: Uint8Array) => void) | null = null;
  private waiter: Waiter | null = null;
  private ipId = 1;

  constructor(
    private readonly net: Network,
    readonly mtu: number,
    /** uint32 addresses: the host's and the remote's. */
    private readonly localAddr: number,
    private readonly remoteAddr: number,
  ) {}

  setReceiver(receiver: (frame: Uint8Array) => void): void {
    this.receiver = receiver;
  }

  /** Every frame the host sends. Never throws (the caller is the stack). */
  transmit(frame: Uint8Array): void {
    try {
      this.onFrame(frame);
    } catch (e) {
      this.problems.push(`runner device error: ${String(e)}`);
    }
  }

  private onFrame(frame: Uint8Array): void {
    if (frame.length < ETH_HEADER_LEN) {
      this.problems.push(`runt frame of ${frame.length} bytes`);
      return;
    }
    const type = (frame[12]! << 8) | frame[13]!;
    if (type === ETHERTYPE_ARP) {
      this.onArp(frame);
      return;
    }
    if (type !== ETHERTYPE_IPV4) {
      this.other.push(`ethertype 0x${type.toString(16)}`);
      return;
    }
    const ipb = frame.subarray(ETH_HEADER_LEN);
    const h = parseIpv4(ipb, 0, ipb.length, true);
    if (h instanceof WireError) {
      this.problems.push(`bad IPv4 header from sockstack: ${h.message}`);
      return;
    }
    if (h.src !== this.localAddr || h.dst !== this.remoteAddr) {
      this.other.push(`IPv4 ${formatIPv4(h.src)} > ${formatIPv4(h.dst)} protocol ${h.protocol}`);
      return;
    }
    if (h.moreFragments || h.fragmentOffset !== 0) {
      this.problems.push('sockstack sent an IPv4 fragment');
      return;
    }
    if (h.protocol !== IP_PROTO_TCP) {
      this.other.push(`IPv4 protocol ${h.protocol}, ${h.totalLength} bytes`);
      return;
    }
    const len = h.totalLength - h.headerLength;
    const t = parseTcp(ipb, h.headerLength, len, h.src, h.dst, true);
    if (t instanceof WireError) {
      this.problems.push(`bad TCP segment from sockstack: ${t.message}`);
      return;
    }
    const optStart = h.headerLength + TCP_HEADER_LEN;
    const seg: LiveSegment = {
      at: this.net.now(),
      srcPort: t.srcPort,
      dstPort: t.dstPort,
      seq: t.seq,
      ack: t.ack,
      flags: t.flags,
      window: t.window,
      urgentPointer: t.urgentPointer,
      optionBytes: ipb.slice(optStart, h.headerLength + t.dataOffset),
      payloadLength: t.payloadLength,
      tos: h.tos,
    };
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

  /** ARP (RFC 826): everything but the host's own address is behind this wire. */
  private onArp(frame: Uint8Array): void {
    const a = parseArp(frame, ETH_HEADER_LEN, frame.length - ETH_HEADER_LEN);
    if (a instanceof WireError) {
      this.problems.push(`bad ARP from sockstack: ${a.message}`);
      return;
    }
    if (a.op !== ARP_REQUEST || a.targetIp === this.localAddr || a.targetIp === a.senderIp) return;
    const reply = new Uint8Array(ETH_HEADER_LEN + ARP_LEN);
    emitEthernet({ dst: HOST_MAC, src: REMOTE_MAC, ethertype: ETHERTYPE_ARP }, reply, 0);
    emitArp({ op: ARP_REPLY, senderMac: REMOTE_MAC, senderIp: a.targetIp, targetMac: HOST_MAC, targetIp: a.senderIp }, reply, ETH_HEADER_LEN);
    // From a zero-delay internal timer: never re-enter the stack inside its own transmit().
    const t = new Timer(() => this.receiver?.(reply), true);
    this.net.scheduler.armIn(t, 0);
  }

  /** Builds the Ethernet/IPv4/TCP frame (correct checksums, zero-filled payload) and injects it. */
  injectTcp(s: InjectTcp): void {
    const tcpLen = TCP_HEADER_LEN + s.optionBytes.length + s.payloadLength;
    const f = new Uint8Array(ETH_HEADER_LEN + IPV4_HEADER_LEN + tcpLen);
    emitEthernet({ dst: HOST_MAC, src: REMOTE_MAC, ethertype: ETHERTYPE_IPV4 }, f, 0);
    emitIpv4(
      {
        headerLength: IPV4_HEADER_LEN, tos: s.tos, totalLength: IPV4_HEADER_LEN + tcpLen, id: this.ipId++ & 0xffff,
        dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: IP_PROTO_TCP,
        src: this.remoteAddr, dst: this.localAddr,
      },
      f,
      ETH_HEADER_LEN,
      true,
    );
    const o = ETH_HEADER_LEN + IPV4_HEADER_LEN;
    // The TCP header by hand: emitTcp takes parsed options, the script gives them in its own order.
    put16(f, o, s.srcPort);
    put16(f, o + 2, s.dstPort);
    put32(f, o + 4, s.seq >>> 0);
    put32(f, o + 8, s.ack >>> 0);
    f[o + 12] = ((TCP_HEADER_LEN + s.optionBytes.length) >>> 2) << 4;
    f[o + 13] = s.flags & 0xff;
    put16(f, o + 14, s.window);
    put16(f, o + 18, s.urgentPointer);
    f.set(s.optionBytes, o + TCP_HEADER_LEN);
    // Payload bytes are filler: packetdrill sends zeros too.
    fillTcpChecksum(f, o, tcpLen, this.remoteAddr, this.localAddr);
    if (!this.receiver) throw new Error('the host has not installed a receiver on the runner device');
    this.receiver(f);
  }

  /** The next segment sockstack sends, or null once `deadline` (absolute ms) passes. */
  next(deadline: number): Promise<LiveSegment | null> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    if (this.waiter) throw new Error('runner device: one waiter at a time');
    return new Promise<LiveSegment | null>((resolve) => {
      // A plain timer: its firing counts as a wake-up of the run loop.
      const timer = new Timer(() => {
        this.waiter = null;
        resolve(null);
      });
      this.net.scheduler.arm(timer, Math.max(deadline, this.net.now()));
      this.waiter = { resolve, timer };
    });
  }
}

function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >>> 8) & 0xff;
  b[i + 1] = v & 0xff;
}

function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = (v >>> 16) & 0xff;
  b[i + 2] = (v >>> 8) & 0xff;
  b[i + 3] = v & 0xff;
}

import type { Segment } from '../link/segment.js';
import { ETH_HEADER_LEN, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { parseIpv4, IP_PROTO_TCP } from '../wire/ipv4.js';
import { parseTcp, TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../wire/tcp.js';
import { WireError } from '../wire/error.js';
import { formatIPv4 } from '../wire/address.js';

/** tcpdump's flag letters, in tcpdump's order (print-tcp.c tcp_flag_values). */
const FLAG_LETTERS: Array<[number, string]> = [
  [TCP_FIN, 'F'], [TCP_SYN, 'S'], [TCP_RST, 'R'], [TCP_PSH, 'P'], [TCP_URG, 'U'], [TCP_ECE, 'E'], [TCP_CWR, 'W'], [TCP_ACK, '.'],
];

/**
 * Prints the TCP segments entering a segment (every port's transmissions, before impairments)
 * one line each in the shape of `tcpdump -n` with relative sequence numbers, and marks the
 * frames the link then lost or duplicated. The loss decision is taken synchronously right
 * after the taps run, so a frame's fate is known when the next frame enters or in a microtask.
 * Returns a function that stops the trace.
 */
export function traceTcp(
  seg: Segment,
  now: () => number,
  out: (line: string, at: number, lost: boolean) => void,
  filter: (srcPort: number, dstPort: number) => boolean = () => true,
): () => void {
  /** ISN per direction, "src:sport>dst:dport", learned from SYNs. */
  const isn = new Map<string, number>();
  let pending: { line: string; at: number; lost: number; dup: number } | null = null;
  const c = seg.counters;

  const flush = (): void => {
    const p = pending;
    if (!p) return;
    pending = null;
    const lost = c.dropLoss > p.lost;
    const dup = c.duplicated > p.dup;
    out(p.line + (lost ? '   <-- lost' : dup ? '   <-- duplicated' : ''), p.at, lost);
  };

  const tap = (frame: Uint8Array, direction: 'in' | 'out'): void => {
    if (direction !== 'out') return;
    flush();
    const line = describe(frame);
    if (line === null) return;
    // The time is taken now: the microtask may run only after the run loop fired more timers.
    pending = { line, at: now(), lost: c.dropLoss, dup: c.duplicated };
    queueMicrotask(flush);
  };

  const describe = (f: Uint8Array): string | null => {
    if (f.length < ETH_HEADER_LEN + 20 || ((f[12]! << 8) | f[13]!) !== ETHERTYPE_IPV4) return null;
    const ip = parseIpv4(f, ETH_HEADER_LEN, f.length - ETH_HEADER_LEN, false);
    if (ip instanceof WireError || ip.protocol !== IP_PROTO_TCP || ip.fragmentOffset !== 0) return null;
    const off = ETH_HEADER_LEN + ip.headerLength;
    const t = parseTcp(f, off, ip.totalLength - ip.headerLength, ip.src, ip.dst, false);
    if (t instanceof WireError) return null;
    if (!filter(t.srcPort, t.dstPort)) return null;
    const src = `${formatIPv4(ip.src)}.${t.srcPort}`;
    const dst = `${formatIPv4(ip.dst)}.${t.dstPort}`;
    const fwd = `${src}>${dst}`;
    const rev = `${dst}>${src}`;
    if (t.flags & TCP_SYN) isn.set(fwd, t.seq);
    let flags = '';
    for (const [bit, letter] of FLAG_LETTERS) if (t.flags & bit) flags += letter;
    const parts = [`Flags [${flags || 'none'}]`];
    // Like tcpdump: absolute numbers on SYNs, relative to each side's ISN afterwards.
    const base = t.flags & TCP_SYN ? undefined : isn.get(fwd);
    const rel = (n: number, b: number | undefined): number => (b === undefined ? n : (n - b) >>> 0);
    const len = t.payloadLength;
    if (len > 0) parts.push(`seq ${rel(t.seq, base)}:${rel((t.seq + len) >>> 0, base)}`);
    else if (t.flags & (TCP_SYN | TCP_FIN | TCP_RST)) parts.push(`seq ${rel(t.seq, base)}`);
    if (t.flags & TCP_ACK) parts.push(`ack ${rel(t.ack, t.flags & TCP_SYN ? undefined : isn.get(rev))}`);
    parts.push(`win ${t.window}`);
    const o = t.options;
    const opts: string[] = [];
    if (o.mss !== undefined) opts.push(`mss ${o.mss}`);
    if (o.sackPermitted) opts.push('sackOK');
    if (o.timestamp) opts.push(`TS val ${o.timestamp.value} ecr ${o.timestamp.echo}`);
    if (o.windowScale !== undefined) opts.push(`wscale ${o.windowScale}`);
    // tcpdump's form: the count, then the blocks, relative like the ACK number they extend.
    if (o.sack) {
      const b = isn.get(rev);
      opts.push(`sack ${o.sack.length} ${o.sack.map(([l, r]) => `{${rel(l, b)}:${rel(r, b)}}`).join('')}`);
    }
    if (opts.length) parts.push(`options [${opts.join(',')}]`);
    parts.push(`length ${len}`);
    return `${src} > ${dst}: ${parts.join(', ')}`;
  };

  const stops = seg.ports.map((p) => p.addTap(tap));
  return () => {
    flush();
    for (const s of stops) s();
  };
}

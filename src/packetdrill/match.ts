/**
 * Script numbers <-> live numbers, and the comparison of a live segment with a `>` line
 * (packetdrill's run_packet.c: map_inbound_packet, tcp_convert_seq_number, verify_tcp,
 * verify_outbound_live_tcp_options).
 *
 * Sequence spaces: a script's inbound sequence numbers are relative to the remote ISN, which
 * the runner chooses (`remoteIsn`, added to every inbound seq and subtracted from every
 * outbound ack and SACK edge). Its outbound sequence numbers are relative to sockstack's ISN,
 * learned from the first SYN or SYN-ACK sockstack sends on the connection: the line's seq
 * (usually 0) maps onto the live ISN. Until an ISN is learned, the local mapping is the
 * identity, as in packetdrill (a RST to a closed port echoes the script's own ack).
 */
import { formatTcpOption } from './print.js';
import type { TcpOptionSpec, TcpPacketSpec } from './ast.js';
import type { LiveSegment } from './remote-device.js';
import {
  TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG,
  TCPOPT_EOL, TCPOPT_MSS, TCPOPT_NOP, TCPOPT_SACK, TCPOPT_SACK_PERM, TCPOPT_TIMESTAMP, TCPOPT_WINDOW,
} from '../wire/tcp.js';

/** The sequence-number mapping of one connection. */
export interface SeqMap {
  /** Added to inbound script seqs (and subtracted from outbound acks / SACK edges). */
  remoteIsn: number;
  /** sockstack's ISN in script space (the seq of the script's SYN line) and live. */
  scriptLocalIsn: number;
  liveLocalIsn: number;
}

/** Script local seq -> live (inbound acks, inbound SACK edges). */
export const localToLive = (m: SeqMap, v: number): number => (v - m.scriptLocalIsn + m.liveLocalIsn) >>> 0;
/** Live local seq -> script (outbound seqs). */
export const localToScript = (m: SeqMap, v: number): number => (v - m.liveLocalIsn + m.scriptLocalIsn) >>> 0;
/** Script remote seq -> live (inbound seqs). */
export const remoteToLive = (m: SeqMap, v: number): number => (v + m.remoteIsn) >>> 0;
/** Live remote seq -> script (outbound acks, outbound SACK edges). */
export const remoteToScript = (m: SeqMap, v: number): number => (v - m.remoteIsn) >>> 0;

/** Flag letters in the order packetdrill prints them. */
const FLAG_LETTERS: Array<[string, number]> = [
  ['F', TCP_FIN], ['S', TCP_SYN], ['R', TCP_RST], ['P', TCP_PSH], ['.', TCP_ACK], ['U', TCP_URG], ['E', TCP_ECE], ['W', TCP_CWR],
];

/** `S.` -> SYN|ACK; null for a letter we do not know (e.g. AccECN's `N`). */
export function flagsFromLetters(letters: string): number | null {
  let f = 0;
  for (const ch of letters) {
    const e = FLAG_LETTERS.find(([l]) => l === ch);
    if (!e) return null;
    f |= e[1];
  }
  return f;
}

export function flagsToLetters(flags: number): string {
  let s = '';
  for (const [l, bit] of FLAG_LETTERS) if (flags & bit) s += l;
  return s;
}

/** ECN field values of `[noecn]`, `[ect0]`… (RFC 3168 §5); null for a word we do not know. */
export function ecnValues(word: string): number[] | null {
  switch (word.toLowerCase()) {
    case 'noecn': return [0];
    case 'ect1': return [1];
    case 'ect0': return [2];
    case 'ce': return [3];
    case 'ect01': return [1, 2];
    default: return null;
  }
}

/**
 * Encodes inbound options in the script's order (sequence numbers of SACK edges mapped to live),
 * padded with EOL to a multiple of 4. A string when an option cannot be built.
 */
export function encodeOptions(opts: TcpOptionSpec[], m: SeqMap): Uint8Array | string {
  const out: number[] = [];
  const u32 = (v: number): void => {
    out.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  };
  for (const o of opts) {
    switch (o.kind) {
      case 'nop': out.push(TCPOPT_NOP); break;
      case 'eol': out.push(TCPOPT_EOL); break;
      case 'mss': out.push(TCPOPT_MSS, 4, (o.value >>> 8) & 0xff, o.value & 0xff); break;
      case 'wscale': out.push(TCPOPT_WINDOW, 3, o.value & 0xff); break;
      case 'sackOK': out.push(TCPOPT_SACK_PERM, 2); break;
      case 'sack':
        out.push(TCPOPT_SACK, 2 + 8 * o.blocks.length);
        for (const [l, r] of o.blocks) {
          u32(localToLive(m, l));
          u32(localToLive(m, r));
        }
        break;
      case 'TS':
        // Inbound TS values go out as written: sockstack sends no timestamps to map them onto.
        out.push(TCPOPT_TIMESTAMP, 10);
        u32(o.val);
        u32(o.ecr);
        break;
      case 'other':
        return `TCP option '${o.text}' cannot be injected yet`;
    }
  }
  if (out.length > 40) return `TCP options take ${out.length} bytes, more than 40`;
  while (out.length % 4) out.push(TCPOPT_EOL);
  return Uint8Array.from(out);
}

/** Decodes option bytes into the script's vocabulary, in wire order (SACK edges to script space). */
export function decodeOptions(b: Uint8Array, m: SeqMap): TcpOptionSpec[] {
  const out: TcpOptionSpec[] = [];
  const u32 = (i: number): number => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  let i = 0;
  while (i < b.length) {
    const kind = b[i]!;
    if (kind === TCPOPT_EOL) {
      out.push({ kind: 'eol' });
      break; // RFC 9293 §3.1: the rest is padding
    }
    if (kind === TCPOPT_NOP) {
      out.push({ kind: 'nop' });
      i++;
      continue;
    }
    const len = b[i + 1];
    if (len === undefined || len < 2 || i + len > b.length) {
      out.push({ kind: 'other', text: `malformed option ${kind}` });
      break;
    }
    if (kind === TCPOPT_MSS && len === 4) out.push({ kind: 'mss', value: (b[i + 2]! << 8) | b[i + 3]! });
    else if (kind === TCPOPT_WINDOW && len === 3) out.push({ kind: 'wscale', value: b[i + 2]! });
    else if (kind === TCPOPT_SACK_PERM && len === 2) out.push({ kind: 'sackOK' });
    else if (kind === TCPOPT_TIMESTAMP && len === 10) out.push({ kind: 'TS', val: u32(i + 2), ecr: u32(i + 6) });
    else if (kind === TCPOPT_SACK && (len - 2) % 8 === 0) {
      const blocks: Array<[number, number]> = [];
      for (let j = i + 2; j < i + len; j += 8) blocks.push([remoteToScript(m, u32(j)), remoteToScript(m, u32(j + 4))]);
      out.push({ kind: 'sack', blocks });
    } else out.push({ kind: 'other', text: `option ${kind} len ${len}` });
    i += len;
  }
  return out;
}

/** A live segment in script terms, shaped like a `>` line (for comparison and side-by-side reports). */
export function liveToSpec(s: LiveSegment, m: SeqMap): TcpPacketSpec {
  const seq = localToScript(m, s.seq);
  const spec: TcpPacketSpec = {
    proto: 'tcp',
    flags: flagsToLetters(s.flags),
    seqStart: seq,
    seqEnd: (seq + s.payloadLength) >>> 0,
    payloadLen: s.payloadLength,
    win: s.window,
  };
  if (s.flags & TCP_ACK) spec.ack = remoteToScript(m, s.ack);
  if (s.flags & TCP_URG || s.urgentPointer !== 0) spec.urg = s.urgentPointer;
  if (s.optionBytes.length) spec.options = decodeOptions(s.optionBytes, m);
  const ecn = s.tos & 3;
  if (ecn) spec.ecn = ['noecn', 'ect1', 'ect0', 'ce'][ecn];
  return spec;
}

export function optionsText(opts: TcpOptionSpec[] | null | undefined): string {
  if (opts === undefined) return '';
  if (opts === null) return '<...>';
  return `<${opts.map(formatTcpOption).join(',')}>`;
}

/** A TCP packet spec as a packetdrill line body: `S. 0:0(0) ack 1 win 65535 <mss 1460>`. */
export function tcpSpecText(p: TcpPacketSpec): string {
  let s = `${p.ecn ? `[${p.ecn}] ` : ''}${p.flags} ${p.seqStart}:${p.seqEnd}(${p.payloadLen})`;
  if (p.ack !== undefined) s += ` ack ${p.ack}`;
  if (p.win !== undefined) s += ` win ${p.win}`;
  if (p.urg !== undefined) s += ` urg ${p.urg}`;
  if (p.options !== undefined) s += ` ${optionsText(p.options)}`;
  return s;
}

/**
 * Options of a `>` line against what was sent: exactly the same list in the same order, except
 * that a TS option's `val` is not compared (sockstack's clock is its own; packetdrill maps it
 * relative to the first one seen) while `ecr` is (it must echo the TS val the script injected,
 * which is sent unchanged). `<...>` (null) accepts anything. Returns a mismatch or null.
 */
export function compareOptions(expected: TcpOptionSpec[] | null | undefined, actual: TcpOptionSpec[]): string | null {
  if (expected === null) return null;
  const exp = expected ?? [];
  const same = exp.length === actual.length && exp.every((e, i) => {
    const a = actual[i]!;
    if (e.kind !== a.kind) return false;
    if (e.kind === 'TS' && a.kind === 'TS') return e.ecr === a.ecr;
    return formatTcpOption(e) === formatTcpOption(a);
  });
  return same ? null : `options: expected ${optionsText(exp)} vs actual ${optionsText(actual)}`;
}

/** Every field of a `>` line that the live segment (in script terms) does not match. */
export function compareTcp(expected: TcpPacketSpec, expectedFlags: number, live: LiveSegment, actual: TcpPacketSpec): string[] {
  const bad: string[] = [];
  if (live.flags !== expectedFlags) bad.push(`flags: expected ${expected.flags} vs actual ${actual.flags || '(none)'}`);
  if (actual.seqStart !== expected.seqStart >>> 0) bad.push(`seq: expected ${expected.seqStart >>> 0} vs actual ${actual.seqStart}`);
  if (actual.payloadLen !== expected.payloadLen) bad.push(`payload length: expected ${expected.payloadLen} vs actual ${actual.payloadLen}`);
  if (expected.ack !== undefined) {
    if (actual.ack === undefined) bad.push(`ack: expected ${expected.ack >>> 0} vs actual none (ACK bit clear, ack field ${live.ack})`);
    else if (actual.ack !== expected.ack >>> 0) bad.push(`ack: expected ${expected.ack >>> 0} vs actual ${actual.ack}`);
  }
  if (expected.win !== undefined && expected.win !== live.window) bad.push(`win: expected ${expected.win} vs actual ${live.window}`);
  if (expected.urg !== undefined && expected.urg !== live.urgentPointer) bad.push(`urg: expected ${expected.urg} vs actual ${live.urgentPointer}`);
  const o = compareOptions(expected.options, actual.options ?? []);
  if (o) bad.push(o);
  if (expected.ecn !== undefined) {
    const ok = ecnValues(expected.ecn);
    if (ok && !ok.includes(live.tos & 3)) bad.push(`ecn: expected ${expected.ecn} vs actual ${actual.ecn ?? 'noecn'}`);
  }
  return bad;
}

/**
 * TCP segment header and options (RFC 9293 §3.1).
 *
 * Options understood: MSS (RFC 9293 §3.2, §3.7.1), window scale and timestamps (RFC 7323),
 * SACK-permitted and SACK (RFC 2018). Other kinds are skipped by their length byte
 * (RFC 9293 §3.2: "must be prepared to handle an illegal option length").
 *
 * parseTcp() returns a plain repr or a WireError; it never throws. emitTcp() writes the
 * header and options, and fillTcpChecksum() then sums the whole segment in place, so the
 * payload can be placed first (headroom) and never copied twice.
 */
import { checksumFinish, checksumPartial, pseudoHeaderPartial } from './checksum.js';
import { WireError } from './error.js';

export const TCP_HEADER_LEN = 20;
/** Data offset is 4 bits of 32-bit words: at most 60 bytes, so at most 40 bytes of options. */
export const TCP_MAX_HEADER_LEN = 60;
export const TCP_MAX_OPTIONS_LEN = 40;

/** Control bits (RFC 9293 §3.1; ECE and CWR from RFC 3168 §6.1). */
export const TCP_FIN = 1;
export const TCP_SYN = 2;
export const TCP_RST = 4;
export const TCP_PSH = 8;
export const TCP_ACK = 16;
export const TCP_URG = 32;
export const TCP_ECE = 64;
export const TCP_CWR = 128;

/** Option kinds (IANA "TCP Option Kind Numbers"). */
export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WINDOW = 3;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;

/** RFC 7323 §2.3: a shift count above 14 is treated as 14. */
export const TCP_MAX_WINDOW_SCALE = 14;

const IPPROTO_TCP = 6;

export interface TcpOptions {
  /** Maximum segment size (SYN only, RFC 9293 §3.7.1). */
  mss?: number;
  /** Window scale shift count, 0..14 (SYN only, RFC 7323 §2). */
  windowScale?: number;
  /** SACK-permitted (SYN only, RFC 2018 §2). */
  sackPermitted?: boolean;
  /** TSval and TSecr, uint32 (RFC 7323 §3). */
  timestamp?: { value: number; echo: number };
  /** SACK blocks [left edge, right edge) as uint32 sequence numbers (RFC 2018 §3). */
  sack?: Array<[number, number]>;
}

/** The fields a sender chooses; what emitTcp() takes. */
export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  /** uint32 */
  seq: number;
  /** uint32 */
  ack: number;
  /** TCP_* bits, 8 bits. */
  flags: number;
  /** The raw 16-bit window field (already scaled down by the sender's shift). */
  window: number;
  urgentPointer: number;
  options: TcpOptions;
}

/** A parsed segment: the header fields plus where things are in the buffer. */
export interface TcpRepr extends TcpHeader {
  /** Header length in bytes (data offset * 4), 20..60. */
  dataOffset: number;
  /** The checksum field as received. */
  checksum: number;
  /** Absolute index of the first payload byte in the parsed buffer. */
  payloadOffset: number;
  payloadLength: number;
}

function u16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 8;
  b[i + 1] = v;
}

function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
}

/**
 * Parses the TCP segment in buf[off, off+len) carried in IPv4 from `src` to `dst` (uint32
 * addresses). With verifyChecksum the checksum is checked over the RFC 9293 §3.1
 * pseudo-header; pass false when the link guarantees integrity (in-memory cable).
 */
export function parseTcp(
  buf: Uint8Array,
  off: number,
  len: number,
  src: number,
  dst: number,
  verifyChecksum = true,
): TcpRepr | WireError {
  const pseudo = verifyChecksum ? pseudoHeaderPartial(src, dst, IPPROTO_TCP, len) : 0;
  return parseTcpPseudo(buf, off, len, pseudo, verifyChecksum);
}

/**
 * parseTcp() with the pseudo-header given as an unfolded partial sum, so IPv6 (RFC 8200
 * §8.1) can reuse it with its own pseudo-header.
 */
export function parseTcpPseudo(
  buf: Uint8Array,
  off: number,
  len: number,
  pseudoPartial: number,
  verifyChecksum: boolean,
): TcpRepr | WireError {
  return parseTcpInto(buf, off, len, pseudoPartial, verifyChecksum, blankRepr({}), null);
}

function blankRepr(options: TcpOptions): TcpRepr {
  return {
    srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, urgentPointer: 0,
    options, dataOffset: 0, checksum: 0, payloadOffset: 0, payloadLength: 0,
  };
}

/**
 * A segment object to parse into again and again (parseTcpInto), with every option field
 * present (undefined when absent), so it keeps one shape.
 */
export function newTcpRepr(): TcpRepr {
  return blankRepr({ mss: undefined, windowScale: undefined, sackPermitted: undefined, timestamp: undefined, sack: undefined });
}

/**
 * parseTcpPseudo() into `out` (from newTcpRepr(); every field is rewritten) rather than a new
 * object: a receive path parses every segment into the same one, so nothing may keep it (or
 * its options) past the segment's processing. A timestamp option is read
 * into `ts` when given (`out.options.timestamp` is then `ts`), else into a new object. On
 * error `out` holds nothing of use.
 */
export function parseTcpInto(
  buf: Uint8Array,
  off: number,
  len: number,
  pseudoPartial: number,
  verifyChecksum: boolean,
  out: TcpRepr,
  ts: { value: number; echo: number } | null,
): TcpRepr | WireError {
  if (!(off >= 0 && len >= 0 && off + len <= buf.length)) {
    return new WireError('truncated', 'tcp: segment extends past the buffer');
  }
  if (len < TCP_HEADER_LEN) return new WireError('truncated', 'tcp: shorter than the fixed header');
  const dataOffset = (buf[off + 12]! >>> 4) * 4;
  // RFC 9293 §3.1: the data offset counts the header in 32-bit words, at least 5.
  if (dataOffset < TCP_HEADER_LEN) return new WireError('malformed', 'tcp: data offset below 5 words');
  if (dataOffset > len) return new WireError('malformed', 'tcp: data offset past the segment');
  if (verifyChecksum && checksumFinish(checksumPartial(buf, off, len, pseudoPartial)) !== 0) {
    return new WireError('bad-checksum', 'tcp: checksum mismatch');
  }
  // Options absent from this segment read undefined (keys a fresh `{}` lacks are not added).
  const options = out.options;
  if (options.mss !== undefined) options.mss = undefined;
  if (options.windowScale !== undefined) options.windowScale = undefined;
  if (options.sackPermitted !== undefined) options.sackPermitted = undefined;
  if (options.timestamp !== undefined) options.timestamp = undefined;
  if (options.sack !== undefined) options.sack = undefined;
  if (dataOffset > TCP_HEADER_LEN) {
    const err = parseOptions(buf, off + TCP_HEADER_LEN, off + dataOffset, options, ts);
    if (err !== null) return err;
  }
  out.srcPort = u16(buf, off);
  out.dstPort = u16(buf, off + 2);
  out.seq = u32(buf, off + 4);
  out.ack = u32(buf, off + 8);
  out.flags = buf[off + 13]!;
  out.window = u16(buf, off + 14);
  out.urgentPointer = u16(buf, off + 18);
  out.dataOffset = dataOffset;
  out.checksum = u16(buf, off + 16);
  out.payloadOffset = off + dataOffset;
  out.payloadLength = len - dataOffset;
  return out;
}

/** Walks the option list in buf[p, end) (RFC 9293 §3.2) into `opts` (a timestamp into `ts` when given). */
function parseOptions(buf: Uint8Array, p: number, end: number, opts: TcpOptions, ts: { value: number; echo: number } | null): WireError | null {
  while (p < end) {
    const kind = buf[p]!;
    if (kind === TCPOPT_EOL) break; // End of option list; the rest is padding.
    if (kind === TCPOPT_NOP) {
      p++;
      continue;
    }
    if (p + 1 >= end) return new WireError('malformed', `tcp: option ${kind} has no length byte`);
    const olen = buf[p + 1]!;
    // A length below 2 would not cover kind and length: parsing could not progress.
    if (olen < 2) return new WireError('malformed', `tcp: option ${kind} length ${olen}`);
    if (p + olen > end) return new WireError('malformed', `tcp: option ${kind} runs past the header`);
    switch (kind) {
      case TCPOPT_MSS:
        if (olen !== 4) return badLength(kind, olen);
        opts.mss = u16(buf, p + 2);
        break;
      case TCPOPT_WINDOW:
        if (olen !== 3) return badLength(kind, olen);
        // RFC 7323 §2.3: use 14 for a larger shift (Linux clamps it while parsing too).
        opts.windowScale = Math.min(buf[p + 2]!, TCP_MAX_WINDOW_SCALE);
        break;
      case TCPOPT_SACK_PERM:
        if (olen !== 2) return badLength(kind, olen);
        opts.sackPermitted = true;
        break;
      case TCPOPT_TIMESTAMP:
        if (olen !== 10) return badLength(kind, olen);
        if (ts === null) {
          opts.timestamp = { value: u32(buf, p + 2), echo: u32(buf, p + 6) };
        } else {
          ts.value = u32(buf, p + 2);
          ts.echo = u32(buf, p + 6);
          opts.timestamp = ts;
        }
        break;
      case TCPOPT_SACK: {
        // RFC 2018 §3: length 2 + 8n with at least one block.
        if (olen < 10 || (olen - 2) % 8 !== 0) return badLength(kind, olen);
        const blocks: Array<[number, number]> = [];
        for (let q = p + 2; q < p + olen; q += 8) blocks.push([u32(buf, q), u32(buf, q + 4)]);
        opts.sack = blocks;
        break;
      }
      default:
        break; // Unknown kind: skipped by its length (RFC 9293 §3.2).
    }
    p += olen;
  }
  return null;
}

function badLength(kind: number, olen: number): WireError {
  return new WireError('malformed', `tcp: option ${kind} has wrong length ${olen}`);
}

/** How many SACK blocks fit beside `used` bytes of other options (NOP NOP kind len + 8n). */
function sackBlocksThatFit(opts: TcpOptions, used: number): number {
  const want = opts.sack === undefined ? 0 : opts.sack.length;
  if (want === 0) return 0;
  return Math.max(0, Math.min(want, Math.floor((TCP_MAX_OPTIONS_LEN - used - 4) / 8)));
}

function fixedOptionsLength(opts: TcpOptions): number {
  let n = 0;
  if (opts.mss !== undefined) n += 4;
  if (opts.timestamp !== undefined) n += 12; // SACK_PERM+TS or NOP NOP TS: both 12.
  else if (opts.sackPermitted) n += 4; // NOP NOP SACK_PERM
  if (opts.windowScale !== undefined) n += 4; // NOP WS
  return n;
}

/**
 * Bytes emitTcp() writes for these options: always a multiple of 4 and at most 40.
 * SACK blocks that do not fit are left out, last ones first (with timestamps 3 fit, without
 * 4; Linux sends the same numbers).
 */
export function tcpOptionsLength(opts: TcpOptions): number {
  const n = fixedOptionsLength(opts);
  const blocks = sackBlocksThatFit(opts, n);
  return blocks > 0 ? n + 4 + 8 * blocks : n;
}

/**
 * Writes the 20-byte header and the options at buf[off...] and returns the header length
 * (20 + tcpOptionsLength(h.options)). The checksum field is written as 0: call
 * fillTcpChecksum() once the payload is in place after the header.
 *
 * Options are laid out as Linux does (tcp_options_write), every option word-aligned:
 *   SYN:   MSS, SACK_PERM, TS, NOP, WS   (mss 1460,sackOK,TS val x ecr y,nop,wscale 7)
 *   data:  NOP, NOP, TS  [, NOP, NOP, SACK]
 * The caller sizes buf: at least off + 60 bytes is always enough.
 */
export function emitTcp(h: TcpHeader, buf: Uint8Array, off: number): number {
  const o = h.options;
  const fixed = fixedOptionsLength(o);
  const blocks = sackBlocksThatFit(o, fixed);
  const hlen = TCP_HEADER_LEN + (blocks > 0 ? fixed + 4 + 8 * blocks : fixed);
  put16(buf, off, h.srcPort);
  put16(buf, off + 2, h.dstPort);
  put32(buf, off + 4, h.seq);
  put32(buf, off + 8, h.ack);
  buf[off + 12] = (hlen >>> 2) << 4; // data offset in words; reserved bits zero (§3.1)
  buf[off + 13] = h.flags;
  put16(buf, off + 14, h.window);
  put16(buf, off + 16, 0);
  put16(buf, off + 18, h.urgentPointer);
  let p = off + TCP_HEADER_LEN;
  if (o.mss !== undefined) {
    buf[p] = TCPOPT_MSS;
    buf[p + 1] = 4;
    put16(buf, p + 2, o.mss);
    p += 4;
  }
  if (o.timestamp !== undefined) {
    if (o.sackPermitted) {
      buf[p] = TCPOPT_SACK_PERM;
      buf[p + 1] = 2;
    } else {
      buf[p] = TCPOPT_NOP;
      buf[p + 1] = TCPOPT_NOP;
    }
    buf[p + 2] = TCPOPT_TIMESTAMP;
    buf[p + 3] = 10;
    put32(buf, p + 4, o.timestamp.value);
    put32(buf, p + 8, o.timestamp.echo);
    p += 12;
  } else if (o.sackPermitted) {
    buf[p] = TCPOPT_NOP;
    buf[p + 1] = TCPOPT_NOP;
    buf[p + 2] = TCPOPT_SACK_PERM;
    buf[p + 3] = 2;
    p += 4;
  }
  if (o.windowScale !== undefined) {
    buf[p] = TCPOPT_NOP;
    buf[p + 1] = TCPOPT_WINDOW;
    buf[p + 2] = 3;
    buf[p + 3] = o.windowScale;
    p += 4;
  }
  if (blocks > 0) {
    const sack = o.sack!;
    buf[p] = TCPOPT_NOP;
    buf[p + 1] = TCPOPT_NOP;
    buf[p + 2] = TCPOPT_SACK;
    buf[p + 3] = 2 + 8 * blocks;
    p += 4;
    for (let i = 0; i < blocks; i++) {
      const b = sack[i]!;
      put32(buf, p, b[0]);
      put32(buf, p + 4, b[1]);
      p += 8;
    }
  }
  return hlen;
}

/**
 * Computes the checksum of the segment buf[off, off+segmentLength) (header, options and
 * payload) over the IPv4 pseudo-header (RFC 9293 §3.1), writes it into the header and
 * returns it. Whatever was in the checksum field before is ignored.
 */
export function fillTcpChecksum(
  buf: Uint8Array,
  off: number,
  segmentLength: number,
  src: number,
  dst: number,
): number {
  return fillTcpChecksumPseudo(buf, off, segmentLength, pseudoHeaderPartial(src, dst, IPPROTO_TCP, segmentLength));
}

/** fillTcpChecksum() with the pseudo-header given as an unfolded partial sum (IPv6). */
export function fillTcpChecksumPseudo(
  buf: Uint8Array,
  off: number,
  segmentLength: number,
  pseudoPartial: number,
): number {
  buf[off + 16] = 0;
  buf[off + 17] = 0;
  const sum = checksumFinish(checksumPartial(buf, off, segmentLength, pseudoPartial));
  put16(buf, off + 16, sum);
  return sum;
}

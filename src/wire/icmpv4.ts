/**
 * ICMP for IPv4 (RFC 792), with the next-hop MTU of "fragmentation needed" (RFC 1191 §4).
 * The message is the whole IP payload; its checksum covers all of it (RFC 792).
 */
import { checksumFinish, checksumPartial } from './checksum.js';
import { WireError } from './error.js';

// Message types (RFC 792).
export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAM_PROBLEM = 12;
// The same without the prefix.
export const ECHO_REPLY = ICMP_ECHO_REPLY;
export const DEST_UNREACH = ICMP_DEST_UNREACH;
export const ECHO_REQUEST = ICMP_ECHO_REQUEST;
export const TIME_EXCEEDED = ICMP_TIME_EXCEEDED;
export const PARAM_PROBLEM = ICMP_PARAM_PROBLEM;

// Destination unreachable codes (RFC 792; 5-13 from RFC 1122 §3.2.2.1 and RFC 1812 §5.2.7.1).
export const UNREACH_NET = 0;
export const UNREACH_HOST = 1;
export const UNREACH_PROTOCOL = 2;
export const UNREACH_PORT = 3;
export const UNREACH_FRAG_NEEDED = 4;
export const UNREACH_SRC_ROUTE_FAILED = 5;
export const UNREACH_NET_UNKNOWN = 6;
export const UNREACH_HOST_UNKNOWN = 7;
export const UNREACH_NET_PROHIBITED = 9;
export const UNREACH_HOST_PROHIBITED = 10;
export const UNREACH_ADMIN_PROHIBITED = 13;

// Time exceeded codes (RFC 792).
export const TIME_EXCEEDED_TTL = 0;
export const TIME_EXCEEDED_REASSEMBLY = 1;

/** The fixed part every message has: type, code, checksum, 4 type-specific bytes. */
export const ICMP_HEADER_LEN = 8;
/** Error messages must quote at least the offending IP header (RFC 792; Linux icmp_unreach). */
const MIN_QUOTE = 20;

export interface Icmpv4EchoRequest {
  kind: 'echo-request';
  id: number;
  seq: number;
  data: Uint8Array;
}
export interface Icmpv4EchoReply {
  kind: 'echo-reply';
  id: number;
  seq: number;
  data: Uint8Array;
}
export type Icmpv4Echo = Icmpv4EchoRequest | Icmpv4EchoReply;
export interface Icmpv4DestUnreachable {
  kind: 'dest-unreachable';
  code: number;
  /** Bytes 6-7 (RFC 1191 §4); meaningful for UNREACH_FRAG_NEEDED, zero ("unused") otherwise. */
  nextHopMtu: number;
  /** The quoted IP header and leading payload bytes of the offending datagram (a view). */
  original: Uint8Array;
}
export interface Icmpv4TimeExceeded {
  kind: 'time-exceeded';
  code: number;
  original: Uint8Array;
}
export interface Icmpv4ParamProblem {
  kind: 'param-problem';
  /** Octet of the original header where the error was found (RFC 792, code 0). */
  pointer: number;
  original: Uint8Array;
}
/** A message we don't interpret: `body` is everything after the checksum (bytes 4..). */
export interface Icmpv4Other {
  kind: 'other';
  type: number;
  code: number;
  body: Uint8Array;
}
export type Icmpv4Repr =
  | Icmpv4EchoRequest
  | Icmpv4EchoReply
  | Icmpv4DestUnreachable
  | Icmpv4TimeExceeded
  | Icmpv4ParamProblem
  | Icmpv4Other;

/**
 * Parses the ICMP message buf[off, off+len) (`len` = the IP payload length). Views, no copy.
 * Echo with a non-zero code and parameter problem with a code other than 0 come back as
 * 'other' (their repr has no code field, and we keep emit(parse(x)) === x).
 */
export function parseIcmpv4(buf: Uint8Array, off: number, len: number, verifyChecksum = true): Icmpv4Repr | WireError {
  if (off < 0 || len < ICMP_HEADER_LEN || off + len > buf.length) {
    return new WireError('truncated', `icmpv4: ${len} bytes at ${off} of ${buf.length}, need 8`);
  }
  const type = buf[off];
  const code = buf[off + 1];
  const end = off + len;
  const isError = type === ICMP_DEST_UNREACH || type === ICMP_TIME_EXCEEDED || (type === ICMP_PARAM_PROBLEM && code === 0);
  if (isError && len < ICMP_HEADER_LEN + MIN_QUOTE) {
    return new WireError('malformed', `icmpv4: type ${type} quotes ${len - ICMP_HEADER_LEN} bytes, less than an IP header`);
  }
  if (verifyChecksum && checksumFinish(checksumPartial(buf, off, len)) !== 0) {
    return new WireError('bad-checksum', 'icmpv4: checksum mismatch');
  }
  switch (type) {
    case ICMP_ECHO_REQUEST:
    case ICMP_ECHO_REPLY:
      if (code !== 0) break;
      return {
        kind: type === ICMP_ECHO_REQUEST ? 'echo-request' : 'echo-reply',
        id: (buf[off + 4] << 8) | buf[off + 5],
        seq: (buf[off + 6] << 8) | buf[off + 7],
        data: buf.subarray(off + 8, end),
      };
    case ICMP_DEST_UNREACH:
      return {
        kind: 'dest-unreachable',
        code,
        nextHopMtu: (buf[off + 6] << 8) | buf[off + 7],
        original: buf.subarray(off + 8, end),
      };
    case ICMP_TIME_EXCEEDED:
      return { kind: 'time-exceeded', code, original: buf.subarray(off + 8, end) };
    case ICMP_PARAM_PROBLEM:
      if (code !== 0) break;
      return { kind: 'param-problem', pointer: buf[off + 4], original: buf.subarray(off + 8, end) };
  }
  return { kind: 'other', type, code, body: buf.subarray(off + 4, end) };
}

/** The length of the message `repr` emits. */
export function icmpv4Length(repr: Icmpv4Repr): number {
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      return ICMP_HEADER_LEN + repr.data.length;
    case 'dest-unreachable':
    case 'time-exceeded':
    case 'param-problem':
      return ICMP_HEADER_LEN + repr.original.length;
    case 'other':
      return 4 + repr.body.length;
  }
}

/** Copies `src` to buf[at..] unless it already is that very memory (zero-copy emit). */
function place(src: Uint8Array, buf: Uint8Array, at: number): void {
  if (src.buffer === buf.buffer && src.byteOffset === buf.byteOffset + at) return;
  buf.set(src, at);
}

/**
 * Writes the message at `off` and returns its length (icmpv4Length). The payload (data,
 * original, body) is copied unless it already sits in place. With `computeChecksum` false
 * the checksum field is left 0 (offload).
 */
export function emitIcmpv4(repr: Icmpv4Repr, buf: Uint8Array, off: number, computeChecksum = true): number {
  // The payload goes first: a view overlapping the header bytes must be read before they
  // are overwritten (buf.set copes with overlap between source and destination).
  let len: number;
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      place(repr.data, buf, off + 8);
      buf[off] = repr.kind === 'echo-request' ? ICMP_ECHO_REQUEST : ICMP_ECHO_REPLY;
      buf[off + 1] = 0;
      buf[off + 4] = repr.id >>> 8;
      buf[off + 5] = repr.id;
      buf[off + 6] = repr.seq >>> 8;
      buf[off + 7] = repr.seq;
      len = ICMP_HEADER_LEN + repr.data.length;
      break;
    case 'dest-unreachable':
      place(repr.original, buf, off + 8);
      buf[off] = ICMP_DEST_UNREACH;
      buf[off + 1] = repr.code;
      buf[off + 4] = 0;
      buf[off + 5] = 0;
      buf[off + 6] = repr.nextHopMtu >>> 8;
      buf[off + 7] = repr.nextHopMtu;
      len = ICMP_HEADER_LEN + repr.original.length;
      break;
    case 'time-exceeded':
      place(repr.original, buf, off + 8);
      buf[off] = ICMP_TIME_EXCEEDED;
      buf[off + 1] = repr.code;
      buf[off + 4] = buf[off + 5] = buf[off + 6] = buf[off + 7] = 0;
      len = ICMP_HEADER_LEN + repr.original.length;
      break;
    case 'param-problem':
      place(repr.original, buf, off + 8);
      buf[off] = ICMP_PARAM_PROBLEM;
      buf[off + 1] = 0;
      buf[off + 4] = repr.pointer;
      buf[off + 5] = buf[off + 6] = buf[off + 7] = 0;
      len = ICMP_HEADER_LEN + repr.original.length;
      break;
    case 'other':
      place(repr.body, buf, off + 4);
      buf[off] = repr.type;
      buf[off + 1] = repr.code;
      len = 4 + repr.body.length;
      break;
  }
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  if (computeChecksum) {
    const ck = checksumFinish(checksumPartial(buf, off, len));
    buf[off + 2] = ck >>> 8;
    buf[off + 3] = ck;
  }
  return len;
}

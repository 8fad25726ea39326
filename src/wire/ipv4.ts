/**
 * The IPv4 header (RFC 791 §3.1). Options are skipped by header length, not interpreted.
 */
import { checksumFinish, checksumPartial } from './checksum.js';
import { WireError } from './error.js';

export const IPV4_HEADER_LEN = 20;
export const IP_PROTO_ICMP = 1;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;

/** Flag bits in the 16-bit flags/fragment-offset word (RFC 791 §3.1). */
const FLAG_RESERVED = 0x8000;
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;

export interface Ipv4Repr {
  /** In bytes, 20-60 (IHL * 4). */
  headerLength: number;
  tos: number;
  /** The datagram length, header included. */
  totalLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes (the 13-bit field times 8). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  src: number;
  dst: number;
}

/**
 * Parses the header at buf[off, off+len). `len` may exceed totalLength (link padding): the
 * payload is buf[off+headerLength, off+totalLength). With `verifyChecksum` false (checksum
 * offload, loopback) the header checksum is not checked.
 */
export function parseIpv4(buf: Uint8Array, off: number, len: number, verifyChecksum = true): Ipv4Repr | WireError {
  return checkIpv4(buf, off, len, verifyChecksum) ?? readIpv4HeaderInto(buf, off, newIpv4Repr());
}

/**
 * parseIpv4's checks alone: null when the header at buf[off, off+len) is sound (and then
 * readIpv4HeaderInto reads it), else what is wrong. For a receive path that parses into an
 * object it keeps.
 */
export function checkIpv4(buf: Uint8Array, off: number, len: number, verifyChecksum: boolean): WireError | null {
  if (off < 0 || len < 1 || off + len > buf.length) {
    return new WireError('truncated', `ipv4: empty or out-of-bounds span (${len} bytes at ${off} of ${buf.length})`);
  }
  const vihl = buf[off]!;
  const version = vihl >>> 4;
  if (version !== 4) return new WireError('bad-version', `ipv4: version ${version}`);
  if (len < IPV4_HEADER_LEN) return new WireError('truncated', `ipv4: ${len} bytes, header needs 20`);
  const headerLength = (vihl & 0x0f) * 4;
  // RFC 791 §3.1: IHL is the header length in 32-bit words, minimum 5.
  if (headerLength < IPV4_HEADER_LEN) return new WireError('malformed', `ipv4: IHL ${headerLength / 4} < 5`);
  if (headerLength > len) return new WireError('truncated', `ipv4: header length ${headerLength} > ${len} bytes`);
  const totalLength = (buf[off + 2]! << 8) | buf[off + 3]!;
  if (totalLength < headerLength) {
    return new WireError('malformed', `ipv4: total length ${totalLength} < header length ${headerLength}`);
  }
  if (totalLength > len) return new WireError('truncated', `ipv4: total length ${totalLength} > ${len} bytes`);
  const frag = (buf[off + 6]! << 8) | buf[off + 7]!;
  // RFC 791 §3.1: bit 0 of the flags is reserved and must be zero.
  if (frag & FLAG_RESERVED) return new WireError('malformed', 'ipv4: reserved flag set');
  // Checked last, so a structurally bad header is reported as such (Linux checks the
  // checksum first; only the drop counter differs).
  if (verifyChecksum && checksumFinish(checksumPartial(buf, off, headerLength)) !== 0) {
    return new WireError('bad-checksum', 'ipv4: header checksum mismatch');
  }
  return null;
}

/** A zeroed header object, to parse into with readIpv4HeaderInto. */
export function newIpv4Repr(): Ipv4Repr {
  return {
    headerLength: 0, tos: 0, totalLength: 0, id: 0, dontFragment: false, moreFragments: false,
    fragmentOffset: 0, ttl: 0, protocol: 0, src: 0, dst: 0,
  };
}

/**
 * Reads the header fields at `off` without validating lengths, flags or the checksum: for a
 * datagram quoted in an ICMP error (cut short by design) or one a program hands to a raw
 * IP_HDRINCL socket (total length 0 allowed). Null unless version 4 with IHL >= 5 and the
 * whole header present.
 */
export function readIpv4Header(buf: Uint8Array, off = 0): Ipv4Repr | null {
  if (off < 0 || off + IPV4_HEADER_LEN > buf.length) return null;
  const vihl = buf[off]!;
  const headerLength = (vihl & 0x0f) * 4;
  if (vihl >>> 4 !== 4 || headerLength < IPV4_HEADER_LEN || off + headerLength > buf.length) return null;
  return readIpv4HeaderInto(buf, off, newIpv4Repr());
}

/** Fills `out` with the fields of the header at `off` (checked before) and returns it. */
export function readIpv4HeaderInto(buf: Uint8Array, off: number, out: Ipv4Repr): Ipv4Repr {
  const frag = (buf[off + 6]! << 8) | buf[off + 7]!;
  out.headerLength = (buf[off]! & 0x0f) * 4;
  out.tos = buf[off + 1]!;
  out.totalLength = (buf[off + 2]! << 8) | buf[off + 3]!;
  out.id = (buf[off + 4]! << 8) | buf[off + 5]!;
  out.dontFragment = (frag & FLAG_DF) !== 0;
  out.moreFragments = (frag & FLAG_MF) !== 0;
  out.fragmentOffset = (frag & 0x1fff) * 8;
  out.ttl = buf[off + 8]!;
  out.protocol = buf[off + 9]!;
  out.src = ((buf[off + 12]! << 24) | (buf[off + 13]! << 16) | (buf[off + 14]! << 8) | buf[off + 15]!) >>> 0;
  out.dst = ((buf[off + 16]! << 24) | (buf[off + 17]! << 16) | (buf[off + 18]! << 8) | buf[off + 19]!) >>> 0;
  return out;
}

/**
 * Writes a 20-byte header without options at `off` (repr.headerLength is ignored) and
 * returns 20. fragmentOffset is in bytes and must be a multiple of 8. With
 * `computeChecksum` false the checksum field is left 0 (offload).
 */
export function emitIpv4(repr: Ipv4Repr, buf: Uint8Array, off: number, computeChecksum = true): number {
  const frag =
    (repr.dontFragment ? FLAG_DF : 0) | (repr.moreFragments ? FLAG_MF : 0) | ((repr.fragmentOffset >>> 3) & 0x1fff);
  const { src, dst } = repr;
  buf[off] = 0x45;
  buf[off + 1] = repr.tos;
  buf[off + 2] = repr.totalLength >>> 8;
  buf[off + 3] = repr.totalLength;
  buf[off + 4] = repr.id >>> 8;
  buf[off + 5] = repr.id;
  buf[off + 6] = frag >>> 8;
  buf[off + 7] = frag;
  buf[off + 8] = repr.ttl;
  buf[off + 9] = repr.protocol;
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  buf[off + 12] = src >>> 24;
  buf[off + 13] = src >>> 16;
  buf[off + 14] = src >>> 8;
  buf[off + 15] = src;
  buf[off + 16] = dst >>> 24;
  buf[off + 17] = dst >>> 16;
  buf[off + 18] = dst >>> 8;
  buf[off + 19] = dst;
  if (computeChecksum) fillIpv4Checksum(buf, off, IPV4_HEADER_LEN);
  return IPV4_HEADER_LEN;
}

/**
 * (Re)computes the header checksum of the header already at `off`, options included
 * (`headerLength` bytes), e.g. after rewriting the TTL of a forwarded datagram.
 */
export function fillIpv4Checksum(buf: Uint8Array, off: number, headerLength: number): void {
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  const ck = checksumFinish(checksumPartial(buf, off, headerLength));
  buf[off + 10] = ck >>> 8;
  buf[off + 11] = ck;
}

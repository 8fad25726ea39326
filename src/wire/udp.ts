/**
 * The UDP header (RFC 768): source port, destination port, length, checksum over the IPv4
 * pseudo-header, header and data.
 */
import { checksumFinish, checksumPartial, pseudoHeaderPartial } from './checksum.js';
import { WireError } from './error.js';

export const UDP_HEADER_LEN = 8;
const IP_PROTO_UDP = 17;

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  /** The length field: header plus data. */
  length: number;
  /** The checksum field as received; 0 means the sender computed none. */
  checksum: number;
}

/**
 * Parses the datagram at buf[off, off+len) (`len` = the IP payload length); the data is
 * buf[off+8, off+length). `src`/`dst` are the IPv4 addresses for the pseudo-header.
 */
export function parseUdp(
  buf: Uint8Array,
  off: number,
  len: number,
  src: number,
  dst: number,
  verifyChecksum = true,
): UdpRepr | WireError {
  if (off < 0 || len < UDP_HEADER_LEN || off + len > buf.length) {
    return new WireError('truncated', `udp: ${len} bytes at ${off} of ${buf.length}, need 8`);
  }
  const length = (buf[off + 4] << 8) | buf[off + 5];
  if (length < UDP_HEADER_LEN) return new WireError('malformed', `udp: length field ${length} < 8`);
  // Linux (__udp4_lib_rcv) drops a length beyond the IP payload; a shorter one trims it.
  if (length > len) return new WireError('truncated', `udp: length field ${length} > ${len} bytes of IP payload`);
  const checksum = (buf[off + 6] << 8) | buf[off + 7];
  // RFC 768: an all-zero checksum means the sender did not compute one (IPv4 only).
  if (verifyChecksum && checksum !== 0) {
    const sum = checksumPartial(buf, off, length, pseudoHeaderPartial(src, dst, IP_PROTO_UDP, length));
    if (checksumFinish(sum) !== 0) return new WireError('bad-checksum', 'udp: checksum mismatch');
  }
  return {
    srcPort: (buf[off] << 8) | buf[off + 1],
    dstPort: (buf[off + 2] << 8) | buf[off + 3],
    length,
    checksum,
  };
}

/** Writes the 8-byte header at `off` with length 8 + payloadLength and checksum 0. */
export function emitUdpHeader(srcPort: number, dstPort: number, payloadLength: number, buf: Uint8Array, off: number): void {
  const length = UDP_HEADER_LEN + payloadLength;
  buf[off] = srcPort >>> 8;
  buf[off + 1] = srcPort;
  buf[off + 2] = dstPort >>> 8;
  buf[off + 3] = dstPort;
  buf[off + 4] = length >>> 8;
  buf[off + 5] = length;
  buf[off + 6] = 0;
  buf[off + 7] = 0;
}

/**
 * Computes and writes the checksum of the datagram already at `off` (`length` bytes,
 * header and data). A computed 0 is sent as 0xffff, since 0 means "no checksum" (RFC 768).
 */
export function fillUdpChecksum(buf: Uint8Array, off: number, length: number, src: number, dst: number): void {
  buf[off + 6] = 0;
  buf[off + 7] = 0;
  const ck = checksumFinish(checksumPartial(buf, off, length, pseudoHeaderPartial(src, dst, IP_PROTO_UDP, length))) || 0xffff;
  buf[off + 6] = ck >>> 8;
  buf[off + 7] = ck;
}

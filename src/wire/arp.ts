/**
 * ARP (RFC 826) for Ethernet hardware and IPv4 protocol addresses only: the 28-byte packet
 * htype=1, ptype=0x0800, hlen=6, plen=4, op, sender MAC/IP, target MAC/IP.
 */
import { WireError } from './error.js';

export const ARP_LEN = 28;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
/** Hardware type Ethernet (RFC 826; IANA ARP parameters). */
export const ARP_HTYPE_ETHERNET = 1;

export interface ArpRepr {
  op: number;
  senderMac: Uint8Array;
  senderIp: number;
  targetMac: Uint8Array;
  targetIp: number;
}

function u32(buf: Uint8Array, i: number): number {
  return ((buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3]) >>> 0;
}

/**
 * Parses the ARP packet in buf[off, off+len). `len` may exceed 28 (Ethernet padding).
 * The MACs are views into `buf`.
 */
export function parseArp(buf: Uint8Array, off: number, len: number): ArpRepr | WireError {
  if (off < 0 || len < ARP_LEN || off + len > buf.length) {
    return new WireError('truncated', `arp: ${len} bytes at ${off} of ${buf.length}, need 28`);
  }
  const htype = (buf[off] << 8) | buf[off + 1];
  const ptype = (buf[off + 2] << 8) | buf[off + 3];
  const hlen = buf[off + 4];
  const plen = buf[off + 5];
  if (htype !== ARP_HTYPE_ETHERNET || ptype !== 0x0800 || hlen !== 6 || plen !== 4) {
    return new WireError('unsupported', `arp: htype ${htype} ptype 0x${ptype.toString(16)} hlen ${hlen} plen ${plen}`);
  }
  const op = (buf[off + 6] << 8) | buf[off + 7];
  // RFC 826 defines ares_op$REQUEST and ares_op$REPLY; RARP (3/4, RFC 903) and others are not ours.
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return new WireError('unsupported', `arp: opcode ${op}`);
  return {
    op,
    senderMac: buf.subarray(off + 8, off + 14),
    senderIp: u32(buf, off + 14),
    targetMac: buf.subarray(off + 18, off + 24),
    targetIp: u32(buf, off + 24),
  };
}

/** Writes the 28-byte packet at `off` and returns 28. */
export function emitArp(repr: ArpRepr, buf: Uint8Array, off: number): number {
  buf[off] = 0;
  buf[off + 1] = ARP_HTYPE_ETHERNET;
  buf[off + 2] = 0x08;
  buf[off + 3] = 0x00;
  buf[off + 4] = 6;
  buf[off + 5] = 4;
  buf[off + 6] = repr.op >>> 8;
  buf[off + 7] = repr.op;
  const sm = repr.senderMac;
  const tm = repr.targetMac;
  for (let i = 0; i < 6; i++) {
    buf[off + 8 + i] = sm[i];
    buf[off + 18 + i] = tm[i];
  }
  const s = repr.senderIp;
  const t = repr.targetIp;
  buf[off + 14] = s >>> 24;
  buf[off + 15] = s >>> 16;
  buf[off + 16] = s >>> 8;
  buf[off + 17] = s;
  buf[off + 24] = t >>> 24;
  buf[off + 25] = t >>> 16;
  buf[off + 26] = t >>> 8;
  buf[off + 27] = t;
  return ARP_LEN;
}

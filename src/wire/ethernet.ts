/**
 * Ethernet II frames (IEEE 802.3 §3.2, "DIX" type field): dst MAC, src MAC, EtherType, payload.
 * The FCS is not part of the frames we see (devices strip and add it).
 */
import { WireError } from './error.js';

export const ETH_HEADER_LEN = 14;
export const ETH_ADDR_LEN = 6;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Minimum frame length without FCS; shorter frames are padded by the sender (IEEE 802.3 §3.2.8). */
export const ETH_MIN_FRAME_LEN = 60;

export interface EthernetRepr {
  dst: Uint8Array;
  src: Uint8Array;
  ethertype: number;
}

/**
 * Parses the 14-byte header at the start of `buf`. `dst` and `src` are views into `buf`
 * (copy them to keep them past the frame's life); the payload starts at ETH_HEADER_LEN.
 */
export function parseEthernet(buf: Uint8Array): EthernetRepr | WireError {
  if (buf.length < ETH_HEADER_LEN) return new WireError('truncated', `ethernet: ${buf.length} bytes, header needs 14`);
  const ethertype = (buf[12] << 8) | buf[13];
  // IEEE 802.3 §3.2.6: values <= 1500 are an 802.3 length (LLC/SNAP frames, not handled);
  // 1501-1535 are neither a length nor a type.
  if (ethertype <= 1500) return new WireError('unsupported', `ethernet: 802.3 length field ${ethertype} (LLC frame)`);
  if (ethertype < 0x0600) return new WireError('malformed', `ethernet: type/length field ${ethertype} is undefined`);
  return { dst: buf.subarray(0, 6), src: buf.subarray(6, 12), ethertype };
}

/** Writes the header at `off` and returns 14. `buf` must have room for it. */
export function emitEthernet(repr: EthernetRepr, buf: Uint8Array, off = 0): number {
  return writeEthernetHeader(buf, off, repr.dst, repr.src, repr.ethertype);
}

/** emitEthernet() from the fields themselves: no repr object per frame on the transmit path. */
export function writeEthernetHeader(buf: Uint8Array, off: number, dst: Uint8Array, src: Uint8Array, ethertype: number): number {
  // Byte by byte: no subarray allocation per frame.
  for (let i = 0; i < 6; i++) {
    buf[off + i] = dst[i];
    buf[off + 6 + i] = src[i];
  }
  buf[off + 12] = ethertype >>> 8;
  buf[off + 13] = ethertype;
  return ETH_HEADER_LEN;
}

/** The EtherType of a frame without building a repr; -1 if the frame is shorter than a header. */
export function ethertypeOf(buf: Uint8Array): number {
  return buf.length < ETH_HEADER_LEN ? -1 : (buf[12] << 8) | buf[13];
}

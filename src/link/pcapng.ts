import type { Clock } from '../time/clock.js';

/**
 * A pcapng writer (draft-ietf-opsawg-pcapng, the format Wireshark reads natively).
 * Little-endian, one section, Ethernet interfaces, microsecond timestamps. Output depends only
 * on the calls made: no wall clock, no randomness, so the same run gives the same bytes.
 */

export type PacketDirection = 'in' | 'out';

// Block types (section 4).
const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 0x00000001;
const BT_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const LINKTYPE_ETHERNET = 1;
// Option codes (sections 3.5, 4.1, 4.2, 4.3).
const OPT_ENDOFOPT = 0;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const EPB_FLAGS = 2;
// epb_flags bits 0-1 (section 4.3.1): 01 inbound, 10 outbound.
const FLAG_INBOUND = 1;
const FLAG_OUTBOUND = 2;
const TWO_32 = 4294967296;

const pad4 = (n: number): number => (n + 3) & ~3;

/** UTF-8 bytes of `s` (the core has no TextEncoder: lib ES2022 only). Lone surrogates become U+FFFD. */
function utf8(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = s.charCodeAt(i + 1);
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** Space an option with `len` value bytes takes (section 3.5: code, length, value padded to 32 bits). */
const optSize = (len: number): number => 4 + pad4(len);

/** Writes one option at `off`; returns the offset after it. Padding stays zero (fresh buffer). */
function putOption(buf: Uint8Array, dv: DataView, off: number, code: number, value: Uint8Array): number {
  dv.setUint16(off, code, true);
  dv.setUint16(off + 2, value.length, true);
  buf.set(value, off + 4);
  return off + optSize(value.length);
}

/** A block of `total` bytes with its type and both length fields filled in (section 3.1). */
function newBlock(type: number, total: number): { buf: Uint8Array; dv: DataView } {
  const buf = new Uint8Array(total);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, total, true);
  dv.setUint32(total - 4, total, true);
  return { buf, dv };
}

export class PcapngWriter {
  private chunks: Uint8Array[] = [];
  private readonly snaplens: number[] = [];
  private packets = 0;

  /**
   * @param sink receives each block as it is written (and owns it). Without a sink the
   *   writer keeps the blocks in memory for `bytes()`; with one it keeps nothing.
   */
  constructor(private readonly sink?: (chunk: Uint8Array) => void) {
    this.emit(this.sectionHeader());
  }

  get packetCount(): number {
    return this.packets;
  }

  get interfaceCount(): number {
    return this.snaplens.length;
  }

  /**
   * Describes a new Ethernet interface and returns its id (0, 1, …). Its IDB is written at
   * once, so it precedes every EPB that can refer to it; IDBs after EPBs are allowed within a
   * section (section 4.2). `snaplen` 0 means no limit.
   */
  addInterface(name: string, snaplen = 262144): number {
    if (!Number.isInteger(snaplen) || snaplen < 0 || snaplen >= TWO_32) {
      throw new RangeError(`snaplen must be an integer in [0, 2^32), got ${snaplen}`);
    }
    const nameBytes = utf8(name);
    // Section 4.2: LinkType, Reserved, SnapLen, then if_name and if_tsresol (= 6: 10^-6 s).
    const total = 16 + optSize(nameBytes.length) + optSize(1) + 4 + 4;
    const { buf, dv } = newBlock(BT_IDB, total);
    dv.setUint16(8, LINKTYPE_ETHERNET, true);
    dv.setUint32(12, snaplen, true);
    let off = 16;
    off = putOption(buf, dv, off, IF_NAME, nameBytes);
    off = putOption(buf, dv, off, IF_TSRESOL, Uint8Array.of(6));
    dv.setUint32(off, OPT_ENDOFOPT, true); // opt_endofopt: code 0, length 0
    this.emit(buf);
    this.snaplens.push(snaplen);
    return this.snaplens.length - 1;
  }

  /**
   * Appends an Enhanced Packet Block (section 4.3). `timestampMs` is clock time in ms; it is
   * stored as integer microseconds (rounded), split into high and low 32 bits.
   */
  writePacket(interfaceId: number, timestampMs: number, frame: Uint8Array, direction?: PacketDirection): void {
    const snaplen = this.snaplens[interfaceId];
    if (snaplen === undefined) throw new RangeError(`no interface ${interfaceId} in this capture`);
    const cap = snaplen !== 0 && frame.length > snaplen ? snaplen : frame.length;
    let us = Math.round(timestampMs * 1000);
    if (!(us >= 0)) us = 0; // negative or NaN: the epoch rather than a corrupt block
    if (us > Number.MAX_SAFE_INTEGER) us = Number.MAX_SAFE_INTEGER;
    const opts = direction === undefined ? 0 : optSize(4) + 4;
    const total = 28 + pad4(cap) + opts + 4;
    const { buf, dv } = newBlock(BT_EPB, total);
    dv.setUint32(8, interfaceId, true);
    dv.setUint32(12, Math.floor(us / TWO_32), true);
    dv.setUint32(16, us >>> 0, true);
    dv.setUint32(20, cap, true);
    dv.setUint32(24, frame.length, true);
    buf.set(cap === frame.length ? frame : frame.subarray(0, cap), 28);
    if (direction !== undefined) {
      const off = 28 + pad4(cap);
      dv.setUint16(off, EPB_FLAGS, true);
      dv.setUint16(off + 2, 4, true);
      dv.setUint32(off + 4, direction === 'in' ? FLAG_INBOUND : FLAG_OUTBOUND, true);
      dv.setUint32(off + 8, OPT_ENDOFOPT, true);
    }
    this.packets++;
    this.emit(buf);
  }

  /** Everything written so far, as one pcapng file (empty when a sink took the blocks). */
  bytes(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]!;
    let n = 0;
    for (const c of this.chunks) n += c.length;
    const out = new Uint8Array(n);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    if (out.length > 0) this.chunks = [out];
    return out;
  }

  private emit(block: Uint8Array): void {
    if (this.sink) this.sink(block);
    else this.chunks.push(block);
  }

  /** Section Header Block (section 4.1): version 1.0, section length unknown (-1). */
  private sectionHeader(): Uint8Array {
    const app = utf8('sockstack');
    const total = 24 + optSize(app.length) + 4 + 4;
    const { buf, dv } = newBlock(BT_SHB, total);
    dv.setUint32(8, BYTE_ORDER_MAGIC, true);
    dv.setUint16(12, 1, true);
    dv.setUint16(14, 0, true);
    dv.setUint32(16, 0xffffffff, true);
    dv.setUint32(20, 0xffffffff, true);
    const off = putOption(buf, dv, 24, SHB_USERAPPL, app);
    dv.setUint32(off, OPT_ENDOFOPT, true);
    return buf;
  }
}

/** Anything with capture taps, such as a SegmentPort. */
export interface Tappable {
  readonly name: string;
  addTap(fn: (frame: Uint8Array, direction: PacketDirection) => void): () => void;
}

export interface PcapTap {
  readonly interfaceId: number;
  /** Unhooks the tap; the interface stays in the capture. */
  stop(): void;
}

/**
 * Captures every frame `port` sends ('out') and receives ('in') into `writer`, on a new
 * interface named after the port, stamped with `clock` time.
 */
export function tapToPcap(
  writer: PcapngWriter,
  port: Tappable,
  clock: Clock,
  options: { name?: string; snaplen?: number } = {},
): PcapTap {
  const interfaceId = writer.addInterface(options.name ?? port.name, options.snaplen);
  const stop = port.addTap((frame, direction) => writer.writePacket(interfaceId, clock.now(), frame, direction));
  return { interfaceId, stop };
}

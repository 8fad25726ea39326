/**
 * Which byte ranges beyond a moving origin have been received: the bookkeeping half of TCP
 * out-of-order reassembly (the bytes themselves sit in the RingBuffer, placed by writeAt()).
 *
 * Offsets are relative to the origin, which is RCV.NXT (the ring's readable end), so an
 * Assembler offset and a RingBuffer.writeAt() offset are the same number: seg.seq - rcv.nxt.
 * The receive path does:
 *
 *   if (asm.add(off, len)) ring.writeAt(off, payload, ...)   // else drop: memory cap
 *   const n = asm.frontContiguous();
 *   if (n > 0) { asm.consumeFront(n); ring.commit(n); rcv.nxt += n }
 *
 * Ranges are kept sorted, disjoint and non-adjacent (touching ranges merge). The number of
 * out-of-order ranges (those not starting at the origin) is capped, which bounds memory
 * and work per segment against a hostile peer scattering 1-byte segments. A range starting
 * at the origin is never refused, so in-order data always makes progress.
 *
 * Each range remembers when it last grew, so the TCP layer can report SACK blocks most
 * recent first (RFC 2018 §4) with recentRanges().
 */
export class Assembler {
  /** Flat triples [start, end, stamp] per range, ascending by start; end exclusive. */
  private r: number[] = [];
  private n = 0;
  private clock = 0;

  /** @param maxRanges most out-of-order ranges held at once (at least 1). */
  constructor(readonly maxRanges = 32) {
    if (!(maxRanges >= 1)) this.maxRanges = 1;
  }

  /** True when nothing beyond the origin has been received. */
  get isEmpty(): boolean {
    return this.n === 0;
  }

  /** Number of ranges held. */
  get count(): number {
    return this.n;
  }

  /** Start of the i-th range in ascending order (no allocation). */
  rangeStart(i: number): number {
    return this.r[3 * i]!;
  }

  /** When the i-th range last grew: larger is more recent (for SACK block order, RFC 2018 §4). */
  rangeStamp(i: number): number {
    return this.r[3 * i + 2]!;
  }

  /** End (exclusive) of the i-th range in ascending order. */
  rangeEnd(i: number): number {
    return this.r[3 * i + 1]!;
  }

  /**
   * Records [offset, offset+length) as received, merging with overlapping or touching
   * ranges. Bytes before the origin (negative offsets) are ignored. Returns false, and
   * changes nothing, when this would need more out-of-order ranges than maxRanges.
   */
  add(offset: number, length: number): boolean {
    let start = offset;
    const end = offset + length;
    if (!(length > 0) || end <= 0) return true; // Nothing new: already consumed or empty.
    if (start < 0) start = 0;
    const r = this.r;
    const n = this.n;
    let i = 0;
    while (i < n && r[3 * i + 1]! < start) i++; // first range that ends at or after start
    let j = i;
    while (j < n && r[3 * j]! <= end) j++; // first range that starts after end
    const stamp = ++this.clock;
    if (i === j) {
      // A new disjoint range at index i.
      if (start > 0 && this.outOfOrderCount() >= this.maxRanges) {
        this.clock--;
        return false;
      }
      for (let k = 3 * n - 1; k >= 3 * i; k--) r[k + 3] = r[k]!;
      r[3 * i] = start;
      r[3 * i + 1] = end;
      r[3 * i + 2] = stamp;
      this.n = n + 1;
      return true;
    }
    // Merge ranges i..j-1 with the new one into slot i.
    r[3 * i] = Math.min(start, r[3 * i]!);
    r[3 * i + 1] = Math.max(end, r[3 * (j - 1) + 1]!);
    r[3 * i + 2] = stamp;
    const gone = j - i - 1;
    if (gone > 0) {
      for (let k = 3 * j; k < 3 * n; k++) r[k - 3 * gone] = r[k]!;
      this.n = n - gone;
      r.length = 3 * this.n;
    }
    return true;
  }

  /** Bytes received contiguously from the origin (0 when the front is a hole). */
  frontContiguous(): number {
    return this.n > 0 && this.r[0] === 0 ? this.r[1]! : 0;
  }

  /**
   * Moves the origin forward by k bytes (RCV.NXT advanced): offsets drop by k, and what
   * falls before the new origin is forgotten.
   */
  consumeFront(k: number): void {
    if (!(k > 0)) return;
    const r = this.r;
    let w = 0;
    for (let i = 0; i < this.n; i++) {
      const end = r[3 * i + 1]! - k;
      if (end <= 0) continue;
      r[3 * w] = Math.max(0, r[3 * i]! - k);
      r[3 * w + 1] = end;
      r[3 * w + 2] = r[3 * i + 2]!;
      w++;
    }
    this.n = w;
    r.length = 3 * w;
  }

  /** Forgets everything received at or beyond `limit` (window or buffer shrunk, pruning). */
  truncate(limit: number): void {
    const r = this.r;
    let w = 0;
    while (w < this.n && r[3 * w]! < limit) {
      if (r[3 * w + 1]! > limit) r[3 * w + 1] = limit;
      w++;
    }
    this.n = w;
    r.length = 3 * w;
  }

  /** True when every byte of [offset, offset+length) has been received (a duplicate). */
  covers(offset: number, length: number): boolean {
    const end = offset + length;
    if (!(length > 0) || end <= 0) return true;
    const start = Math.max(0, offset);
    for (let i = 0; i < this.n; i++) {
      const s = this.r[3 * i]!;
      if (s > start) return false;
      if (this.r[3 * i + 1]! >= end) return true;
    }
    return false;
  }

  /** Ranges as [start, end) pairs, ascending. */
  ranges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.n; i++) out.push([this.r[3 * i]!, this.r[3 * i + 1]!]);
    return out;
  }

  /**
   * Up to `max` ranges, the one that grew most recently first (RFC 2018 §4: the first SACK
   * block reports the most recently received segment, later ones the most recent others).
   */
  recentRanges(max: number = this.n): Array<[number, number]> {
    const idx: number[] = [];
    for (let i = 0; i < this.n; i++) idx.push(i);
    idx.sort((a, b) => this.r[3 * b + 2]! - this.r[3 * a + 2]!);
    const out: Array<[number, number]> = [];
    for (let k = 0; k < idx.length && k < max; k++) {
      const i = idx[k]!;
      out.push([this.r[3 * i]!, this.r[3 * i + 1]!]);
    }
    return out;
  }

  /** The range holding the most recently added bytes, or null when empty. */
  lastRange(): [number, number] | null {
    let best = -1;
    for (let i = 0; i < this.n; i++) {
      if (best < 0 || this.r[3 * i + 2]! > this.r[3 * best + 2]!) best = i;
    }
    return best < 0 ? null : [this.r[3 * best]!, this.r[3 * best + 1]!];
  }

  /** Forgets every range. */
  clear(): void {
    this.n = 0;
    this.r.length = 0;
  }

  private outOfOrderCount(): number {
    return this.n > 0 && this.r[0] === 0 ? this.n - 1 : this.n;
  }
}

/**
 * The SACK sender's scoreboard (RFC 6675 §3): which bytes beyond SND.UNA the peer has
 * selectively acknowledged. Ranges are kept as offsets from `base` (SND.UNA when last
 * advanced), sorted, disjoint and non-adjacent, so sequence wrap never enters comparisons.
 *
 * Bytes, not segments: IsLost() uses the byte form of RFC 6675 §4 ("more than
 * (DupThresh - 1) * SMSS bytes with sequence numbers greater than SeqNum have been SACKed"),
 * and pipe is counted in bytes. Everything is O(ranges), and the range count is capped, so a
 * peer scattering tiny blocks costs bounded work (a block that would exceed the cap is
 * ignored, which only makes us retransmit more, never less).
 */
export class SackScoreboard {
  /** Flat pairs [start, end) of offsets from base, ascending. */
  private r: number[] = [];
  private n = 0;
  /** Sequence number offsets count from (SND.UNA after the last advance()). */
  base = 0;
  /** Bytes SACKed beyond base. */
  sacked = 0;

  constructor(base: number, readonly maxRanges = 64) {
    this.base = base >>> 0;
  }

  /** Number of SACKed ranges held. */
  get count(): number {
    return this.n;
  }

  /** True when nothing is SACKed. */
  get isEmpty(): boolean {
    return this.n === 0;
  }

  rangeStart(i: number): number {
    return this.r[2 * i]!;
  }

  rangeEnd(i: number): number {
    return this.r[2 * i + 1]!;
  }

  /** SND.UNA moved to `sndUna`: offsets drop, ranges it passed are forgotten. */
  advance(sndUna: number): void {
    const k = (sndUna - this.base) | 0;
    if (k <= 0) return;
    this.base = sndUna >>> 0;
    const r = this.r;
    let w = 0;
    let sacked = 0;
    for (let i = 0; i < this.n; i++) {
      const end = r[2 * i + 1]! - k;
      if (end <= 0) continue;
      const start = Math.max(0, r[2 * i]! - k);
      r[2 * w] = start;
      r[2 * w + 1] = end;
      sacked += end - start;
      w++;
    }
    this.n = w;
    r.length = 2 * w;
    this.sacked = sacked;
  }

  /**
   * Marks [start, end) (sequence numbers) as SACKed, clipped to [base, base + limit).
   * Returns the bytes newly SACKed (0 for old news or a refused block); `fresh`, if given,
   * receives the newly SACKed parts as offset pairs (RACK looks only at those).
   */
  add(start: number, end: number, limit: number, fresh?: number[]): number {
    let s = (start - this.base) | 0;
    let e = (end - this.base) | 0;
    if (s < 0) s = 0;
    if (e > limit) e = limit;
    if (e <= s) return 0;
    const r = this.r;
    const n = this.n;
    let i = 0;
    while (i < n && r[2 * i + 1]! < s) i++; // first range ending at or after s
    let j = i;
    while (j < n && r[2 * j]! <= e) j++; // first range starting after e
    if (i === j) {
      if (n >= this.maxRanges) return 0;
      if (fresh) fresh.push(s, e);
      for (let k = 2 * n - 1; k >= 2 * i; k--) r[k + 2] = r[k]!;
      r[2 * i] = s;
      r[2 * i + 1] = e;
      this.n = n + 1;
      this.sacked += e - s;
      return e - s;
    }
    // Merge ranges i..j-1 with [s, e) into slot i.
    let before = 0;
    for (let k = i; k < j; k++) before += r[2 * k + 1]! - r[2 * k]!;
    if (fresh) {
      // The gaps of [s, e) between the ranges it joins are what is new.
      let at = s;
      for (let k = i; k < j && at < e; k++) {
        if (r[2 * k]! > at) fresh.push(at, Math.min(r[2 * k]!, e));
        at = Math.max(at, r[2 * k + 1]!);
      }
      if (at < e) fresh.push(at, e);
    }
    const ns = Math.min(s, r[2 * i]!);
    const ne = Math.max(e, r[2 * (j - 1) + 1]!);
    r[2 * i] = ns;
    r[2 * i + 1] = ne;
    const gone = j - i - 1;
    if (gone > 0) {
      for (let k = 2 * j; k < 2 * n; k++) r[k - 2 * gone] = r[k]!;
      this.n = n - gone;
      r.length = 2 * this.n;
    }
    const added = ne - ns - before;
    this.sacked += added;
    return added;
  }

  /** If offset `off` is SACKed, the end offset of its range; else -1. */
  sackedRangeEnd(off: number): number {
    for (let i = 0; i < this.n; i++) {
      const s = this.r[2 * i]!;
      if (s > off) return -1;
      const e = this.r[2 * i + 1]!;
      if (off < e) return e;
    }
    return -1;
  }

  /** Start offset of the first SACKed range beginning after `off`, or `limit` if none. */
  nextSackedStart(off: number, limit: number): number {
    for (let i = 0; i < this.n; i++) {
      const s = this.r[2 * i]!;
      if (s > off) return Math.min(s, limit);
    }
    return limit;
  }

  /**
   * RFC 6675 §4 IsLost as a boundary: every unSACKed byte below the returned offset has more
   * than `thresholdBytes` SACKed above it, i.e. is lost; none above it is. 0 when nothing is lost.
   */
  lostEdge(thresholdBytes: number): number {
    let acc = 0;
    for (let i = this.n - 1; i >= 0; i--) {
      acc += this.r[2 * i + 1]! - this.r[2 * i]!;
      if (acc > thresholdBytes) return this.r[2 * i]!;
    }
    return 0;
  }

  /** SACKed bytes within [a, b) (offsets). */
  sackedIn(a: number, b: number): number {
    let sum = 0;
    for (let i = 0; i < this.n; i++) {
      const s = Math.max(a, this.r[2 * i]!);
      const e = Math.min(b, this.r[2 * i + 1]!);
      if (e > s) sum += e - s;
    }
    return sum;
  }

  /** Highest SACKed offset (end of the last range), or 0. */
  get highSacked(): number {
    return this.n > 0 ? this.r[2 * this.n - 1]! : 0;
  }

  /**
   * RFC 6675 §4 SetPipe(), in bytes, for data up to `high` (SND.MAX - base): each unSACKed byte
   * counts once if not lost (at or above `lost`), and once more if retransmitted (below `rxt`).
   */
  pipe(high: number, lost: number, rxt: number): number {
    const notLost = high > lost ? high - lost - this.sackedIn(lost, high) : 0;
    const r = Math.min(rxt, high);
    const retransmitted = r > 0 ? r - this.sackedIn(0, r) : 0;
    return notLost + retransmitted;
  }

  /** Forgets every range (reneging, RFC 2018 §8, or a reset of the scoreboard). */
  clear(): void {
    this.n = 0;
    this.r.length = 0;
    this.sacked = 0;
  }

  /** Ranges as sequence-number pairs, ascending (for tests and TCP_INFO-like views). */
  ranges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.n; i++) out.push([(this.base + this.r[2 * i]!) >>> 0, (this.base + this.r[2 * i + 1]!) >>> 0]);
    return out;
  }
}

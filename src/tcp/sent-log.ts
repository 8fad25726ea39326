/**
 * What the sender has in flight, one record per segment sent: its sequence range, when it was
 * last (re)transmitted, and whether it was retransmitted or is now deemed lost. RACK
 * (RFC 8985 §6) needs the transmit times; the byte ring holds only the bytes.
 *
 * Records are in sequence order in a growable ring held in one Float64Array, four numbers a
 * record (start, end, time, flags: no object per segment, and one typed array per connection
 * rather than one per field). Fresh data appends; a retransmission updates the records it
 * covers in place, so sequence order and "first-sent" order coincide, and among
 * never-retransmitted records transmit times never decrease with the sequence number.
 */
import { seqGt, seqLe, seqLt } from './seq.js';

/** The record's bytes were sent again at least once. */
export const REC_RETRANS = 1;
/** The record is deemed lost and waits for a retransmission. */
export const REC_LOST = 2;

/** A record's four numbers, at 4 * slot + these offsets. */
const S = 0;
const E = 1;
const T = 2;
const F = 3;

export class SentLog {
  /** Records the ring holds (a power of two), and that minus one. */
  private cap: number;
  private mask: number;
  /** Slot of the oldest record, and how many there are. */
  private head = 0;
  private n = 0;
  /** The ring: slot j's start, end, transmit time and flags at r[4j + S/E/T/F]. */
  private r: Float64Array;
  /** Bytes of records marked lost and not retransmitted since. */
  lostBytes = 0;

  /**
   * The default starts at 2 records: a Float64Array of 64 bytes or less lives inside the JS
   * heap, so a short connection allocates no ArrayBuffer backing store (costly to create and to
   * collect at a high connection rate); grow() doubles as a window fills.
   */
  constructor(capacity = 2) {
    let c = 2;
    while (c < capacity) c *= 2;
    this.cap = c;
    this.mask = c - 1;
    this.r = new Float64Array(4 * c);
  }

  get count(): number {
    return this.n;
  }

  /** Where the i-th record from the oldest starts in `r`. */
  private at(i: number): number {
    return ((this.head + i) & this.mask) << 2;
  }

  /** Start, end, transmit time and flags of the i-th record from the oldest. */
  start(i: number): number {
    return this.r[this.at(i) + S]!;
  }
  end(i: number): number {
    return this.r[this.at(i) + E]!;
  }
  time(i: number): number {
    return this.r[this.at(i) + T]!;
  }
  flags(i: number): number {
    return this.r[this.at(i) + F]!;
  }

  /** A fresh segment [start, end) went out at `now`. */
  append(start: number, end: number, now: number): void {
    if (this.n === this.cap) this.grow();
    const k = this.at(this.n);
    const r = this.r;
    r[k + S] = start >>> 0;
    r[k + E] = end >>> 0;
    r[k + T] = now;
    r[k + F] = 0;
    this.n++;
  }

  /** Index of the first record ending after `seq` (binary search), or count. */
  find(seq: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqGt(this.end(mid), seq)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * SND.UNA moved to `una`: records it covers leave (a partly covered one keeps its rest).
   * `each(i)` sees every record fully acknowledged, before it leaves.
   */
  ackTo(una: number, each: (log: SentLog, i: number) => void): void {
    const r = this.r;
    while (this.n > 0) {
      const k = this.head << 2;
      if (seqGt(r[k + E]!, una)) {
        if (seqLt(r[k + S]!, una)) {
          if (r[k + F]! & REC_LOST) this.lostBytes -= (una - r[k + S]!) | 0;
          r[k + S] = una >>> 0;
        }
        return;
      }
      each(this, 0);
      if (r[k + F]! & REC_LOST) this.lostBytes -= (r[k + E]! - r[k + S]!) | 0;
      this.head = (this.head + 1) & this.mask;
      this.n--;
    }
  }

  /** Records overlapping [start, end) were sent again at `now`. */
  retransmitted(start: number, end: number, now: number): void {
    const r = this.r;
    for (let i = this.find(start); i < this.n; i++) {
      const k = this.at(i);
      if (seqLe(end, r[k + S]!)) break;
      if (r[k + F]! & REC_LOST) this.lostBytes -= (r[k + E]! - r[k + S]!) | 0;
      r[k + F] = (r[k + F]! | REC_RETRANS) & ~REC_LOST;
      r[k + T] = now;
    }
  }

  /** Marks record i lost (idempotent). */
  markLost(i: number): void {
    const r = this.r;
    const k = this.at(i);
    if (r[k + F]! & REC_LOST) return;
    r[k + F] = r[k + F]! | REC_LOST;
    this.lostBytes += (r[k + E]! - r[k + S]!) | 0;
  }

  /** Clears every lost mark (a timeout resends everything unSACKed in order anyway). */
  clearLost(): void {
    const r = this.r;
    for (let i = 0; i < this.n; i++) {
      const k = this.at(i);
      r[k + F] = r[k + F]! & ~REC_LOST;
    }
    this.lostBytes = 0;
  }

  /** Forgets every record (the connection is gone). */
  clear(): void {
    this.head = 0;
    this.n = 0;
    this.lostBytes = 0;
  }

  private grow(): void {
    const c = this.cap * 2;
    const r = new Float64Array(4 * c);
    // The records in order from slot 0: the part from head to the end of the ring, then the wrapped part.
    const h = this.head << 2;
    r.set(this.r.subarray(h));
    r.set(this.r.subarray(0, h), this.r.length - h);
    this.r = r;
    this.cap = c;
    this.mask = c - 1;
    this.head = 0;
  }
}

/**
 * What the sender has in flight, one record per segment sent: its sequence range, when it was
 * last (re)transmitted, and whether it was retransmitted or is now deemed lost. RACK
 * (RFC 8985 §6) needs the transmit times; the byte ring holds only the bytes.
 *
 * Records are in sequence order in a growable ring of typed arrays (struct of arrays: no
 * object per segment). Fresh data appends; a retransmission updates the records it covers
 * in place, so sequence order and "first-sent" order coincide, and among never-retransmitted
 * records transmit times never decrease with the sequence number.
 */
import { seqGt, seqLe, seqLt } from './seq.js';

/** The record's bytes were sent again at least once. */
export const REC_RETRANS = 1;
/** The record is deemed lost and waits for a retransmission. */
export const REC_LOST = 2;

export class SentLog {
  private cap: number;
  private mask: number;
  private head = 0;
  private n = 0;
  private s: Uint32Array;
  private e: Uint32Array;
  private t: Float64Array;
  private f: Uint8Array;
  /** Bytes of records marked lost and not retransmitted since. */
  lostBytes = 0;

  /**
   * The default starts at 8 records: arrays that small live inside the JS heap (V8 keeps typed
   * arrays up to 64 bytes there), so a short connection allocates no ArrayBuffer backing store;
   * grow() doubles as a window fills.
   */
  constructor(capacity = 8) {
    let c = 8;
    while (c < capacity) c *= 2;
    this.cap = c;
    this.mask = c - 1;
    this.s = new Uint32Array(c);
    this.e = new Uint32Array(c);
    this.t = new Float64Array(c);
    this.f = new Uint8Array(c);
  }

  get count(): number {
    return this.n;
  }

  /** Start, end, transmit time and flags of the i-th record from the oldest. */
  start(i: number): number {
    return this.s[(this.head + i) & this.mask]!;
  }
  end(i: number): number {
    return this.e[(this.head + i) & this.mask]!;
  }
  time(i: number): number {
    return this.t[(this.head + i) & this.mask]!;
  }
  flags(i: number): number {
    return this.f[(this.head + i) & this.mask]!;
  }

  /** A fresh segment [start, end) went out at `now`. */
  append(start: number, end: number, now: number): void {
    if (this.n === this.cap) this.grow();
    const j = (this.head + this.n) & this.mask;
    this.s[j] = start;
    this.e[j] = end;
    this.t[j] = now;
    this.f[j] = 0;
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
    while (this.n > 0) {
      const j = this.head;
      if (seqGt(this.e[j]!, una)) {
        if (seqLt(this.s[j]!, una)) {
          if (this.f[j]! & REC_LOST) this.lostBytes -= (una - this.s[j]!) | 0;
          this.s[j] = una;
        }
        return;
      }
      each(this, 0);
      if (this.f[j]! & REC_LOST) this.lostBytes -= (this.e[j]! - this.s[j]!) | 0;
      this.head = (j + 1) & this.mask;
      this.n--;
    }
  }

  /** Records overlapping [start, end) were sent again at `now`. */
  retransmitted(start: number, end: number, now: number): void {
    for (let i = this.find(start); i < this.n; i++) {
      const j = (this.head + i) & this.mask;
      if (seqLe(end, this.s[j]!)) break;
      if (this.f[j]! & REC_LOST) this.lostBytes -= (this.e[j]! - this.s[j]!) | 0;
      this.f[j] = (this.f[j]! | REC_RETRANS) & ~REC_LOST;
      this.t[j] = now;
    }
  }

  /** Marks record i lost (idempotent). */
  markLost(i: number): void {
    const j = (this.head + i) & this.mask;
    if (this.f[j]! & REC_LOST) return;
    this.f[j] = this.f[j]! | REC_LOST;
    this.lostBytes += (this.e[j]! - this.s[j]!) | 0;
  }

  /** Clears every lost mark (a timeout resends everything unSACKed in order anyway). */
  clearLost(): void {
    for (let i = 0; i < this.n; i++) {
      const j = (this.head + i) & this.mask;
      this.f[j] = this.f[j]! & ~REC_LOST;
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
    const s = new Uint32Array(c);
    const e = new Uint32Array(c);
    const t = new Float64Array(c);
    const f = new Uint8Array(c);
    for (let i = 0; i < this.n; i++) {
      const j = (this.head + i) & this.mask;
      s[i] = this.s[j]!;
      e[i] = this.e[j]!;
      t[i] = this.t[j]!;
      f[i] = this.f[j]!;
    }
    this.s = s;
    this.e = e;
    this.t = t;
    this.f = f;
    this.cap = c;
    this.mask = c - 1;
    this.head = 0;
  }
}

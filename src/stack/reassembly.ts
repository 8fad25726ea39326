import { Timer } from '../time/scheduler.js';
import type { TimerScheduler } from '../time/scheduler.js';

/**
 * IPv4 fragment reassembly: RFC 791 §3.2, RFC 1122 §3.3.2, RFC 815 (we keep the received
 * pieces sorted by offset instead of a hole list: with overlaps forbidden, "complete" is
 * simply "the last fragment arrived and the byte count equals the total length").
 *
 * Overlap policy (exactly what we do; Linux >= 4.19, after CVE-2018-5391, drops the whole
 * datagram on overlap, RFC 5722 §4 style):
 * - A fragment with the same offset, length, MF flag and bytes as one already held is an
 *   exact duplicate: it is ignored and the datagram kept.
 * - Any other overlap with a held fragment (partial, contained, containing, same offset with
 *   another length, other bytes or another MF flag) drops the whole datagram and the fragment
 *   (counted in `overlaps` and `fails`). Linux is slightly more lenient: it also ignores a
 *   fragment lying wholly inside already received contiguous data without comparing bytes.
 * Invalid fragments also drop the datagram in progress with the same key (one `fails`):
 * zero length (Linux: `end == offset`), a non-last fragment whose length is not a multiple
 * of 8 (Linux trims it; the brief asks us to drop), an offset not a multiple of 8, an end
 * past `maxDatagramSize` minus the header length, an MF=0 fragment whose end disagrees with
 * a known end or lies below data already held, an MF=1 fragment reaching past a known end.
 */

export interface FragmentInput {
  /** The reassembly key (RFC 791 §3.2): source, destination (uint32), protocol, identification. */
  src: number;
  dst: number;
  protocol: number;
  id: number;
  /** Fragment offset in BYTES. */
  offset: number;
  /** MF flag. */
  more: boolean;
  /** This fragment's IP payload (a view; we copy what we keep). */
  payload: Uint8Array;
  /** This fragment's IP header (a view; only the offset-0 one is copied). */
  header: Uint8Array;
}

export interface ReassembledDatagram {
  /** IP header of the offset-0 fragment (our copy; the caller owns it). */
  header: Uint8Array;
  payload: Uint8Array;
}

export interface ReassemblyOptions {
  /** Linux ipfrag_time: 30 s. */
  timeoutMs: number;
  /** Linux ipfrag_high_thresh: 4 MiB, total bytes held over all datagrams. */
  maxBytes: number;
  /** Largest IPv4 datagram, header included (RFC 791 total length is 16 bits). */
  maxDatagramSize?: number;
}

export interface ReassemblyCounters {
  /** Fragments received for reassembly (ReasmReqds). */
  reqds: number;
  /** Datagrams reassembled (ReasmOKs). */
  oks: number;
  /** Datagrams or lone fragments given up on, for any reason (ReasmFails). */
  fails: number;
  /** Datagrams discarded by the reassembly timer (ReasmTimeout). */
  timeouts: number;
  /** Datagrams discarded because fragments overlapped (ReasmOverlaps). */
  overlaps: number;
  /** Datagrams discarded to keep bytesHeld within maxBytes. */
  evictions: number;
}

export type TimeoutCallback = (firstFragment: { header: Uint8Array; payloadStart: Uint8Array } | null) => void;

/** One datagram in progress. Fragments are kept as parallel arrays sorted by offset. */
class Pending {
  /** Next datagram sharing this Map key (same src and id, other dst or protocol). */
  nextInBucket: Pending | null = null;
  /** Age list, oldest first, for eviction. */
  older: Pending | null = null;
  newer: Pending | null = null;
  readonly offs: number[] = [];
  readonly datas: Uint8Array[] = [];
  /** Total payload length once the MF=0 fragment has arrived, else -1. */
  end = -1;
  /** Highest fragment end held. */
  highEnd = 0;
  /** Payload bytes held (no overlaps, so this reaches `end` exactly when complete). */
  received = 0;
  /** Bytes charged to bytesHeld: payload bytes plus the copied offset-0 header. */
  bytes = 0;
  header0: Uint8Array | null = null;
  readonly timer: Timer;
  constructor(
    readonly mapKey: number,
    readonly dst: number,
    readonly protocol: number,
    expire: (p: Pending) => void,
  ) {
    this.timer = new Timer(() => expire(this), true);
  }
}

const DEFAULTS: Required<ReassemblyOptions> = { timeoutMs: 30000, maxBytes: 4 * 1024 * 1024, maxDatagramSize: 65535 };

// Outcome of checking a fragment against a datagram in progress.
const OK = 0;
const DUPLICATE = 1;
const OVERLAP = 2;
const INVALID = 3;

export class Reassembler {
  readonly counters: ReassemblyCounters = { reqds: 0, oks: 0, fails: 0, timeouts: 0, overlaps: 0, evictions: 0 };
  private readonly opts: Required<ReassemblyOptions>;
  /**
   * Key: src * 65536 + id, an exact integer below 2^48 (no string building per fragment; Map
   * hashes numbers by value). dst and protocol are compared along a short chain: datagrams
   * that share src and id but differ in dst or protocol are rare, and there are at most
   * 256 protocols times the host's own addresses of them.
   */
  private readonly table = new Map<number, Pending>();
  private oldest: Pending | null = null;
  private newest: Pending | null = null;
  private held = 0;
  private count = 0;
  private readonly expireFn = (p: Pending): void => this.expire(p);

  constructor(
    private readonly scheduler: TimerScheduler,
    opts?: Partial<ReassemblyOptions>,
    private readonly onTimeout?: TimeoutCallback,
  ) {
    this.opts = {
      timeoutMs: opts?.timeoutMs ?? DEFAULTS.timeoutMs,
      maxBytes: opts?.maxBytes ?? DEFAULTS.maxBytes,
      maxDatagramSize: opts?.maxDatagramSize ?? DEFAULTS.maxDatagramSize,
    };
  }

  /** Bytes held over all datagrams in progress (payload copies plus offset-0 headers). */
  get bytesHeld(): number {
    return this.held;
  }

  /** Datagrams in progress. */
  get pending(): number {
    return this.count;
  }

  /**
   * Takes one fragment; returns the whole datagram when this fragment completes it, else
   * null. A datagram that is not fragmented (offset 0, MF=0) is handed back as is (the same
   * views): like Linux, it never enters reassembly and leaves any datagram in progress alone.
   */
  input(f: FragmentInput): ReassembledDatagram | null {
    const off = f.offset;
    const more = f.more;
    const payload = f.payload;
    if (off === 0 && !more) return { header: f.header, payload };
    this.counters.reqds++;

    const src = f.src >>> 0;
    const dst = f.dst >>> 0;
    const protocol = f.protocol & 0xff;
    const mapKey = src * 65536 + (f.id & 0xffff);
    let p = this.find(mapKey, dst, protocol);

    const len = payload.length;
    const fragEnd = off + len;
    const limit = this.opts.maxDatagramSize;
    // RFC 791 §3.2: offsets count 8-octet units and every fragment but the last carries a
    // multiple of 8 octets; the total length field is 16 bits. Linux: end == offset is invalid.
    if (
      len === 0 ||
      (off & 0xfff8) !== off || // also rejects negative, fractional, NaN and >= 65536
      (more && (len & 7) !== 0) ||
      fragEnd > limit - f.header.length
    ) {
      return this.fail(p, false);
    }

    const cost = off === 0 ? len + f.header.length : len;
    if (p !== null) {
      const verdict = this.check(p, off, fragEnd, more, payload, f.header.length, limit);
      if (verdict === DUPLICATE) return null;
      if (verdict !== OK) return this.fail(p, verdict === OVERLAP);
    }
    // A fragment alone bigger than the cap can never be held; its datagram can never complete.
    if (cost > this.opts.maxBytes) return this.fail(p, false);
    // Linux ipfrag_high_thresh: make room by evicting the oldest datagrams in progress.
    while (this.held + cost > this.opts.maxBytes) {
      const victim = this.oldest!;
      this.counters.evictions++;
      this.counters.fails++;
      this.discard(victim);
      if (victim === p) return null; // this fragment's own datagram was the oldest: it goes too
    }

    if (p === null) p = this.create(mapKey, dst, protocol);
    this.store(p, off, fragEnd, more, f, cost);
    if (p.end >= 0 && p.received === p.end) return this.complete(p);
    return null;
  }

  /** Frees every datagram in progress (counters are kept, like netstat's). */
  clear(): void {
    for (let p = this.oldest; p !== null; p = p.newer) {
      this.scheduler.disarm(p.timer);
    }
    this.table.clear();
    this.oldest = this.newest = null;
    this.held = 0;
    this.count = 0;
  }

  private find(mapKey: number, dst: number, protocol: number): Pending | null {
    let p = this.table.get(mapKey) ?? null;
    while (p !== null && (p.dst !== dst || p.protocol !== protocol)) p = p.nextInBucket;
    return p;
  }

  /** Checks a valid-looking fragment against the datagram in progress, without changing it. */
  private check(
    p: Pending,
    off: number,
    fragEnd: number,
    more: boolean,
    payload: Uint8Array,
    headerLen: number,
    limit: number,
  ): number {
    if (!more) {
      // RFC 791 §3.2 / Linux ip_frag_queue: a second "last" fragment must agree on the end,
      // and no data may lie past it.
      if ((p.end >= 0 && fragEnd !== p.end) || fragEnd < p.highEnd) return INVALID;
    } else if (p.end >= 0 && fragEnd > p.end) {
      return INVALID; // data past the known end
    }
    // The offset-0 header may be longer than the others (options not copied, RFC 791 §3.1).
    if (off === 0 && p.header0 === null) {
      if (headerLen + Math.max(p.highEnd, fragEnd) > limit) return INVALID;
    } else if (p.header0 !== null && p.header0.length + fragEnd > limit) {
      return INVALID;
    }

    const offs = p.offs;
    const datas = p.datas;
    const n = offs.length;
    // Fast path: in-order arrival lands after the last piece.
    if (n === 0 || offs[n - 1]! + datas[n - 1]!.length <= off) return OK;
    const i = lowerBound(offs, off);
    if (i < n && offs[i] === off) {
      const held = datas[i]!;
      // Only the piece ending at a known end came from the MF=0 fragment (overlaps are
      // never held, so no MF=1 piece can share that end).
      const heldMore = !(p.end >= 0 && off + held.length === p.end);
      return held.length === payload.length && heldMore === more && sameBytes(held, payload) ? DUPLICATE : OVERLAP;
    }
    if (i > 0 && offs[i - 1]! + datas[i - 1]!.length > off) return OVERLAP;
    if (i < n && offs[i]! < fragEnd) return OVERLAP;
    return OK;
  }

  private store(p: Pending, off: number, fragEnd: number, more: boolean, f: FragmentInput, cost: number): void {
    const copy = f.payload.slice();
    const offs = p.offs;
    const n = offs.length;
    if (n === 0 || offs[n - 1]! < off) {
      offs.push(off);
      p.datas.push(copy);
    } else {
      const i = lowerBound(offs, off);
      offs.splice(i, 0, off);
      p.datas.splice(i, 0, copy);
    }
    if (off === 0) p.header0 = f.header.slice();
    if (!more) p.end = fragEnd;
    if (fragEnd > p.highEnd) p.highEnd = fragEnd;
    p.received += copy.length;
    p.bytes += cost;
    this.held += cost;
  }

  private create(mapKey: number, dst: number, protocol: number): Pending {
    const p = new Pending(mapKey, dst, protocol, this.expireFn);
    const head = this.table.get(mapKey);
    if (head !== undefined) p.nextInBucket = head;
    this.table.set(mapKey, p);
    p.older = this.newest;
    if (this.newest !== null) this.newest.newer = p;
    else this.oldest = p;
    this.newest = p;
    this.count++;
    // Armed once at the first fragment and never re-armed by later ones, as Linux does
    // (ipfrag_time). RFC 791 raised the timer to each fragment's TTL; RFC 1122 §3.3.2 asks
    // for a fixed value instead (it suggests 60-120 s; Linux uses 30 s).
    this.scheduler.armIn(p.timer, this.opts.timeoutMs);
    return p;
  }

  private complete(p: Pending): ReassembledDatagram {
    const out = new Uint8Array(p.end);
    const offs = p.offs;
    const datas = p.datas;
    for (let i = 0; i < offs.length; i++) out.set(datas[i]!, offs[i]!);
    const header = p.header0!; // byte 0 is covered, so the offset-0 fragment is held
    this.discard(p);
    this.counters.oks++;
    return { header, payload: out };
  }

  /** Drops the fragment and the datagram in progress it belongs to, if any. */
  private fail(p: Pending | null, overlap: boolean): null {
    this.counters.fails++;
    if (overlap) this.counters.overlaps++;
    if (p !== null) this.discard(p);
    return null;
  }

  /** RFC 1122 §3.3.2: the timer ran out; ICMP time exceeded (code 1) only if fragment 0 came. */
  private expire(p: Pending): void {
    let first: { header: Uint8Array; payloadStart: Uint8Array } | null = null;
    if (p.header0 !== null && p.offs[0] === 0) {
      // A non-last fragment 0 carries at least 8 bytes; copy them rather than pin the piece.
      first = { header: p.header0, payloadStart: p.datas[0]!.slice(0, 8) };
    }
    this.counters.timeouts++;
    this.counters.fails++;
    this.discard(p);
    if (this.onTimeout) this.onTimeout(first);
  }

  /** Unlinks a datagram from the table and the age list, frees its bytes, stops its timer. */
  private discard(p: Pending): void {
    this.scheduler.disarm(p.timer);
    const head = this.table.get(p.mapKey)!;
    if (head === p) {
      if (p.nextInBucket !== null) this.table.set(p.mapKey, p.nextInBucket);
      else this.table.delete(p.mapKey);
    } else {
      let q = head;
      while (q.nextInBucket !== p) q = q.nextInBucket!;
      q.nextInBucket = p.nextInBucket;
    }
    if (p.older !== null) p.older.newer = p.newer;
    else this.oldest = p.newer;
    if (p.newer !== null) p.newer.older = p.older;
    else this.newest = p.older;
    p.older = p.newer = p.nextInBucket = null;
    this.held -= p.bytes;
    this.count--;
  }
}

/** First index whose offset is >= off (offs is sorted ascending). */
function lowerBound(offs: number[], off: number): number {
  let lo = 0;
  let hi = offs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (offs[mid]! < off) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

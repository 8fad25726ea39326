/**
 * A byte ring: a TCP connection's send or receive queue.
 *
 * Layout, as offsets from the first queued byte (the head):
 *
 *   [0, length)         readable (committed) bytes: read(), peek(), discard()
 *   [length, capacity)  free space; write() appends here, writeAt() places bytes here
 *                       without making them readable, commit() makes them readable
 *
 * The receive path writes an out-of-order segment at writeAt(seg.seq - rcv.nxt, ...) and,
 * once the Assembler reports the front contiguous, commit()s it: payload bytes are copied
 * once, from the frame into the ring, and once more out to the reader.
 *
 * Memory: `capacity` is a limit, not an allocation. Storage is allocated on the first write,
 * starts small and doubles up to the capacity as data queues; release() gives it back when
 * nothing is held, so an idle connection costs a few dozen bytes. Storage comes from and goes
 * back to a shared pool (storage-pool.ts), so short connections allocate none in steady state. Auto-tuning raises the
 * capacity with grow() (content and writeAt() offsets unchanged); SO_RCVBUF / SO_SNDBUF set it
 * with resize(). Every copy is at most two `set`/`subarray` calls (wrap-around), never a loop
 * over bytes.
 */

import { storagePool } from './storage-pool.js';

/** Smallest storage allocated; small exchanges (a request line, an echo) fit. */
const MIN_STORAGE = 512;

const EMPTY = new Uint8Array(0);

/**
 * Below this many bytes a copy is a plain loop: `set(subarray(…))` makes a view object per
 * call (about 36 ns on Node 20 here), which a loop beats only for the tiniest copies (16 bytes:
 * 26 ns; 64 bytes: 91 ns).
 */
const SMALL_COPY = 16;

/** dst[dstOff, dstOff + n) = src[srcOff, srcOff + n). */
function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, n: number): void {
  if (n < SMALL_COPY) {
    for (let k = 0; k < n; k++) dst[dstOff + k] = src[srcOff + k]!;
  } else if (srcOff === 0 && n === src.length) {
    dst.set(src, dstOff); // the whole source (a send of one message): no view to make
  } else {
    dst.set(src.subarray(srcOff, srcOff + n), dstOff);
  }
}

export class RingBuffer {
  private cap: number;
  private store: Uint8Array = EMPTY;
  /** Index in `store` of the first queued byte. */
  private head = 0;
  /** Readable bytes. */
  private len = 0;
  /**
   * Bytes from the head that hold data: readable bytes plus anything writeAt() placed
   * beyond them. Never below `len`. Storage is kept (and moved on growth) up to here.
   */
  private extent = 0;

  constructor(capacity: number) {
    this.cap = Math.max(0, Math.floor(capacity));
  }

  /** Most bytes the ring holds (readable plus free). */
  get capacity(): number {
    return this.cap;
  }

  /** Readable bytes. */
  get length(): number {
    return this.len;
  }

  /** Room past the readable bytes: capacity - length (what a receiver advertises); negative while an overdraft is held (writeAt). */
  get free(): number {
    return this.cap - this.len;
  }

  /** Bytes of storage currently allocated (0 when idle). */
  get allocated(): number {
    return this.store.length;
  }

  /**
   * Bytes from the head holding data, including bytes written ahead by writeAt() and not
   * committed yet; always >= length.
   */
  get extentLength(): number {
    return this.extent;
  }

  /**
   * Appends up to `len` bytes of src[off...]; returns how many fit (at most `free`, plus
   * `overdraft` bytes past the capacity that the caller may hold: see writeAt).
   */
  write(src: Uint8Array, off = 0, len = src.length - off, overdraft = 0): number {
    const n = this.writeAt(0, src, off, len, overdraft);
    this.len += n;
    if (this.extent < this.len) this.extent = this.len;
    return n;
  }

  /**
   * Copies up to `len` bytes of src[srcOff...] to `offset` bytes past the readable end,
   * without making them readable. Returns how many were stored: the part that fits below
   * the capacity (a prefix). Anything written there before is overwritten. `overdraft` lets
   * the bytes run that far past the capacity (a TCP receiver's window rounded up to its scale
   * unit offers a little more than the buffer: tcp/input.ts windowOverdraft); length may then
   * exceed capacity until they are read.
   */
  writeAt(offset: number, src: Uint8Array, srcOff = 0, len = src.length - srcOff, overdraft = 0): number {
    const room = this.cap + overdraft - this.len - offset;
    const n = Math.min(len, room, src.length - srcOff);
    if (!(n > 0) || offset < 0) return 0;
    const end = this.len + offset + n; // from the head
    this.reserve(end, this.cap + overdraft);
    const size = this.store.length;
    let i = this.head + this.len + offset;
    if (i >= size) i -= size;
    const first = Math.min(n, size - i);
    copyBytes(this.store, i, src, srcOff, first);
    if (first < n) copyBytes(this.store, 0, src, srcOff + first, n - first);
    if (end > this.extent) this.extent = end;
    return n;
  }

  /**
   * Makes the next n bytes past the readable end readable: the bytes writeAt() placed
   * there (TCP commits what the Assembler reports contiguous). Bytes never written have
   * unspecified content. Returns how many were committed (at most `free`, plus `overdraft`).
   */
  commit(n: number, overdraft = 0): number {
    const k = Math.min(Math.max(0, Math.floor(n)), this.cap + overdraft - this.len);
    if (k === 0) return 0;
    this.reserve(this.len + k, this.cap + overdraft);
    this.len += k;
    if (this.extent < this.len) this.extent = this.len;
    return k;
  }

  /** Copies up to `len` readable bytes into dst[off...] and consumes them; returns the count. */
  read(dst: Uint8Array, off = 0, len = dst.length - off): number {
    const n = this.peek(dst, 0, len, off);
    this.discard(n);
    return n;
  }

  /** Consumes up to `max` readable bytes into a new array of exactly that size (recv()). */
  readBytes(max: number = this.len): Uint8Array {
    const out = new Uint8Array(Math.max(0, Math.min(max, this.len)));
    this.read(out);
    return out;
  }

  /**
   * Copies up to `len` readable bytes starting `offset` bytes past the head into
   * dst[dstOff...], without consuming. Returns the count (0 when offset >= length). The TCP
   * sender reads unacknowledged data this way: offset = seq - snd.una.
   */
  peek(dst: Uint8Array, offset: number, len: number, dstOff = 0): number {
    const n = Math.min(len, this.len - offset, dst.length - dstOff);
    if (!(n > 0) || offset < 0) return 0;
    const size = this.store.length;
    let i = this.head + offset;
    if (i >= size) i -= size;
    const first = Math.min(n, size - i);
    copyBytes(dst, dstOff, this.store, i, first);
    if (first < n) copyBytes(dst, dstOff + first, this.store, 0, n - first);
    return n;
  }

  /**
   * Views of the readable bytes [offset, offset+len) without copying: one or two subarrays
   * (two when the range wraps). They alias the ring and are valid until the next mutation.
   */
  views(offset: number, len: number): Uint8Array[] {
    const n = Math.min(len, this.len - offset);
    if (!(n > 0) || offset < 0) return [];
    const size = this.store.length;
    let i = this.head + offset;
    if (i >= size) i -= size;
    const first = Math.min(n, size - i);
    const a = this.store.subarray(i, i + first);
    return first < n ? [a, this.store.subarray(0, n - first)] : [a];
  }

  /** Drops up to n bytes from the front (ACKed data); returns how many were dropped. */
  discard(n: number): number {
    const k = Math.min(Math.max(0, Math.floor(n)), this.len);
    if (k === 0) return 0;
    this.len -= k;
    this.extent -= k;
    if (this.extent === 0) {
      this.head = 0; // Nothing held: restart at 0 so the next copy does not wrap.
    } else {
      this.head += k;
      if (this.head >= this.store.length) this.head -= this.store.length;
    }
    return k;
  }

  /**
   * Forgets bytes written ahead by writeAt() and not committed (when the out-of-order
   * ranges that described them are dropped). Readable bytes stay.
   */
  dropAhead(): void {
    this.extent = this.len;
    if (this.len === 0) this.head = 0;
  }

  /** Drops everything, readable and written ahead; storage stays allocated. */
  clear(): void {
    this.len = 0;
    this.extent = 0;
    this.head = 0;
  }

  /**
   * Frees the storage when nothing is held (no readable and no written-ahead bytes);
   * returns whether it did. The next write allocates again.
   */
  release(): boolean {
    if (this.extent !== 0) return false;
    storagePool.release(this.store);
    this.store = EMPTY;
    this.head = 0;
    return true;
  }

  /**
   * Sets a new capacity (SO_RCVBUF / SO_SNDBUF), keeping the content. The ring never drops
   * data: the capacity set is max(newCapacity, extentLength), and it is returned.
   */
  resize(newCapacity: number): number {
    const cap = Math.max(Math.floor(newCapacity), this.extent, 0);
    this.cap = cap;
    if (this.store.length > cap) this.relocate(cap);
    return cap;
  }

  /**
   * Raises the capacity to `newCapacity` (buffer auto-tuning); never lowers it. Nothing moves:
   * readable bytes and bytes written ahead keep their offsets, so writeAt() offsets (the
   * receiver's out-of-order ranges) stay valid, and storage still grows only as data queues.
   * Returns the capacity.
   */
  grow(newCapacity: number): number {
    const cap = Math.floor(newCapacity);
    if (cap > this.cap) this.cap = cap;
    return this.cap;
  }

  /** Ensures storage for `end` bytes from the head, growing by doubling up to `limit` (the capacity plus any overdraft). */
  private reserve(end: number, limit: number): void {
    const size = this.store.length;
    if (end <= size) return;
    let next = Math.max(size * 2, MIN_STORAGE);
    while (next < end) next *= 2;
    this.relocate(Math.min(next, limit));
  }

  /** Moves the held bytes [0, extent) to the front of new storage of `size` bytes. */
  private relocate(size: number): void {
    const old = this.store;
    const next = size === 0 ? EMPTY : storagePool.acquire(size);
    const n = this.extent;
    if (n > 0) {
      const first = Math.min(n, old.length - this.head);
      next.set(old.subarray(this.head, this.head + first), 0);
      if (first < n) next.set(old.subarray(0, n - first), first);
    }
    storagePool.release(old);
    this.store = next;
    this.head = 0;
  }
}

/**
 * Recycled storage for byte rings (TCP send and receive queues). A connection's ring takes
 * storage at its first write and gives it back when it holds nothing (release, TIME-WAIT,
 * close); a host opening and closing connections at a high rate would otherwise allocate (and
 * later collect) several ArrayBuffers per connection — the engine zero-fills each, and a
 * backing store outside the JS heap costs far more to create than a heap object.
 *
 * Only power-of-two sizes from 512 bytes to 64 KiB are kept (the sizes a ring grows through);
 * any other size is allocated and dropped as before. Rings never expose their storage, so a
 * buffer back in the pool is referenced by nobody. Its content is whatever the last ring left:
 * a ring never reads a byte it did not write (RingBuffer.commit documents unwritten bytes as
 * unspecified).
 */

const MIN_LOG2 = 9;
const MAX_LOG2 = 16;
/** Free bytes kept per size class: enough for a burst of short connections, bounded when idle. */
const MAX_FREE_BYTES = 1 << 20;

export class StoragePool {
  private readonly free: Uint8Array[][] = Array.from({ length: MAX_LOG2 - MIN_LOG2 + 1 }, () => []);
  /** Buffers created because no free one of that size was there (for tests and benchmarks). */
  allocations = 0;

  /** Storage of exactly `size` bytes, recycled when a free one of that size is held. */
  acquire(size: number): Uint8Array {
    const c = classOf(size);
    const b = c >= 0 ? this.free[c]!.pop() : undefined;
    if (b !== undefined) return b;
    this.allocations++;
    return new Uint8Array(size);
  }

  /** Takes back storage its owner no longer uses (other sizes are left to the collector). */
  release(store: Uint8Array): void {
    const c = classOf(store.length);
    if (c < 0 || store.byteOffset !== 0 || store.buffer.byteLength !== store.length) return;
    const list = this.free[c]!;
    if (list.length * store.length < MAX_FREE_BYTES) list.push(store);
  }

  /** Free buffers held, over all sizes. */
  get freeCount(): number {
    let n = 0;
    for (const l of this.free) n += l.length;
    return n;
  }
}

/** The class index of a size the pool keeps, or -1. */
function classOf(size: number): number {
  if (size < 1 << MIN_LOG2 || size > 1 << MAX_LOG2 || (size & (size - 1)) !== 0) return -1;
  return 31 - Math.clz32(size) - MIN_LOG2;
}

/** The pool the rings of every host in the process share (one thread: no locking). */
export const storagePool = new StoragePool();

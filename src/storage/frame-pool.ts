/**
 * Recycled frame buffers: the transmit path builds a frame in a pooled buffer, and the host
 * that receives it gives the buffer back once the frame is processed, so steady bulk traffic
 * allocates no ArrayBuffer per segment (a fresh 64 KiB buffer is zero-filled by the engine and
 * costs a garbage collection later; DESIGN principle 5).
 *
 * Ownership is the NetDevice rule: whoever holds a frame owns it, and `transmit` hands it on.
 * The last owner of a received frame is IpHost.receiveFrame (or its loopback queue), which
 * releases it when input returns. So one rule keeps frames from being overwritten while held:
 * **a layer that keeps any part of a received frame after input returns copies it** (the IP
 * reassembler, raw sockets and the pcapng writer copy; TCP copies the payload into its receive
 * buffer; a Segment copies a duplicated or flooded frame). UDP's receive queue keeps views of
 * the frames it got, so UDP builds its frames outside the pool.
 *
 * Only buffers lent by the pool go back to it: releasing a frame some device or test built,
 * or the same frame twice, does nothing. A frame that is never released (dropped on a lossy
 * link, kept by a TAP device or a packetdrill capture) is simply collected by the engine.
 */

import { WORD_VIEW, type WordViewBuffer } from '../wire/checksum.js';

/** The largest frame: an Ethernet header and the largest IPv4 datagram (RFC 791 §3.1). */
export const MAX_FRAME = 14 + 0xffff;
/** Smallest class: a bare ACK with options (14 + 20 + 60 = 94 bytes) fits. */
const MIN_CLASS_LOG2 = 7;
/** Classes 128, 256, ... 32768 bytes, then one holding MAX_FRAME. */
const CLASS_COUNT = 10;
/**
 * Free bytes kept per class. A sender bursts a whole window (megabytes) onto a link before the
 * receiver takes any, so the pool must hold about one window of a class to stop allocating;
 * a bound keeps what an idle process holds at a few MiB.
 */
const MAX_FREE_BYTES = 4 << 20;
/** And at most this many buffers per class (each is a heap object too). */
const MAX_FREE_COUNT = 4096;

function classOf(len: number): number {
  if (len <= 1 << MIN_CLASS_LOG2) return 0;
  const c = 32 - Math.clz32(len - 1) - MIN_CLASS_LOG2; // ceil(log2(len)) - 7
  return c < CLASS_COUNT ? c : CLASS_COUNT - 1;
}

/** Buffer bytes of a class: powers of two, the last MAX_FRAME rounded up to whole words. */
function classSize(c: number): number {
  return c === CLASS_COUNT - 1 ? (MAX_FRAME + 7) & ~7 : 1 << (c + MIN_CLASS_LOG2);
}

/**
 * A pool's buffer carries this mark: true while lent, false while free; other buffers have
 * none. (A WeakSet of lent buffers did the same at ten times the cost: 5% of the MTU-1500 bulk
 * profile went to WeakSet.add.)
 */
const LENT: unique symbol = Symbol('lent');

/** Each carries its word view for the checksum (wire/checksum.ts), made once. */
interface PoolBuffer extends WordViewBuffer {
  [LENT]: boolean;
}

export class FramePool {
  private readonly free: PoolBuffer[][] = Array.from({ length: CLASS_COUNT }, () => []);
  private readonly maxFree: number[] = Array.from({ length: CLASS_COUNT }, (_, c) => Math.min(MAX_FREE_COUNT, Math.ceil(MAX_FREE_BYTES / classSize(c))));
  /** Buffers created because no free one was there (a figure for tests and benchmarks). */
  allocations = 0;

  /**
   * A frame of exactly `len` bytes (at most MAX_FRAME) over a pooled buffer. Its content is
   * whatever the last user left: the caller writes every byte it sends.
   */
  acquire(len: number): Uint8Array {
    if (len > MAX_FRAME) return new Uint8Array(len); // IP refuses it (EMSGSIZE); never pooled
    const c = classOf(len);
    let buf = this.free[c]!.pop();
    if (buf === undefined) {
      buf = new ArrayBuffer(classSize(c)) as PoolBuffer;
      buf[WORD_VIEW] = new Uint32Array(buf);
      this.allocations++;
    }
    buf[LENT] = true;
    return new Uint8Array(buf, 0, len);
  }

  /**
   * Gives back the buffer under `frame` (any view of it) once nobody holds the frame any more.
   * Buffers the pool did not lend, or already got back, are ignored.
   */
  release(frame: Uint8Array): void {
    const buf = frame.buffer as PoolBuffer;
    if (buf[LENT] !== true) return;
    buf[LENT] = false;
    const c = classOf(buf.byteLength);
    const list = this.free[c]!;
    if (list.length < this.maxFree[c]!) list.push(buf);
  }

  /** Free buffers held, over all classes. */
  get freeCount(): number {
    let n = 0;
    for (const l of this.free) n += l.length;
    return n;
  }
}

/**
 * The pool every host of the process shares: a frame built by one host is released by the
 * host that receives it, on the same segment. One thread, so no locking; what it holds never
 * changes a byte sent (every frame is written whole before it leaves).
 */
export const framePool = new FramePool();

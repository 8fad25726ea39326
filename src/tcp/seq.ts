/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4).
 *
 * Sequence numbers are uint32 values (0 .. 2^32-1). Comparisons take the signed 32-bit
 * difference, so they are correct while the two numbers are less than 2^31 apart, which
 * TCP guarantees (windows are at most 2^30, RFC 7323 §2.3).
 */

/** a - b as a signed 32-bit integer: negative when a is "before" b. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** a + n modulo 2^32, as a uint32 (n may be negative). */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** a < b in sequence space. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** a <= b in sequence space. */
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** a > b in sequence space. */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** a >= b in sequence space. */
export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/**
 * left <= x < left + size in sequence space (the test RFC 9293 §3.10.7.4 applies to
 * RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND). `size` is 0 .. 2^32-1; an empty window holds
 * nothing (the zero-window special cases of §3.10.7.4 are the caller's).
 */
export function seqInWindow(x: number, left: number, size: number): boolean {
  return (x - left) >>> 0 < size;
}

/** The larger of a and b in sequence space. */
export function seqMax(a: number, b: number): number {
  return ((a - b) | 0) >= 0 ? a : b;
}

/** The smaller of a and b in sequence space. */
export function seqMin(a: number, b: number): number {
  return ((a - b) | 0) <= 0 ? a : b;
}

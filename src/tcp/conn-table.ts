import type { TcpEndpoint } from './tcp-endpoint.js';

/** Fewest buckets the table keeps (a power of two). */
const MIN_BUCKETS = 16;

/** Mixes a 4-tuple into a 32-bit key, an int32 (collisions chain through hashNext). */
export function connKey(la: number, lp: number, ra: number, rp: number): number {
  let h = Math.imul(la ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ ra ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ ((lp << 16) | rp) ^ (h >>> 16), 0x27d4eb2f);
  return h ^ (h >>> 15);
}

/** n empty buckets (filled by push: a packed array, without holes to check on each read). */
function emptyBuckets(n: number): Array<TcpEndpoint | null> {
  const b: Array<TcpEndpoint | null> = [];
  for (let i = 0; i < n; i++) b.push(null);
  return b;
}

function keyOf(ep: TcpEndpoint): number {
  return connKey(ep.localAddr, ep.localPort, ep.remoteAddr, ep.remotePort);
}

/**
 * The connection table (Linux ehash): endpoints by 4-tuple, in a power-of-two array of buckets
 * chained through TcpEndpoint.hashNext. It holds one slot per connection or two (it doubles
 * past one endpoint per bucket and halves below a quarter), where a Map would hold an entry of
 * several words per connection. An endpoint's 4-tuple must not change while it is in the table.
 */
export class ConnTable {
  private buckets = emptyBuckets(MIN_BUCKETS);
  private count = 0;

  get size(): number {
    return this.count;
  }

  lookup(la: number, lp: number, ra: number, rp: number): TcpEndpoint | null {
    let ep: TcpEndpoint | null = this.buckets[connKey(la, lp, ra, rp) & (this.buckets.length - 1)]!;
    while (ep !== null && !(ep.localPort === lp && ep.remotePort === rp && ep.localAddr === la && ep.remoteAddr === ra)) ep = ep.hashNext;
    return ep;
  }

  insert(ep: TcpEndpoint): void {
    if (this.count >= this.buckets.length) this.rehash(this.buckets.length * 2);
    const i = keyOf(ep) & (this.buckets.length - 1);
    ep.hashNext = this.buckets[i]!;
    this.buckets[i] = ep;
    this.count++;
  }

  remove(ep: TcpEndpoint): void {
    const i = keyOf(ep) & (this.buckets.length - 1);
    let p: TcpEndpoint | null = this.buckets[i]!;
    if (p === ep) {
      this.buckets[i] = ep.hashNext;
    } else {
      while (p !== null && p.hashNext !== ep) p = p.hashNext;
      if (p === null) return;
      p.hashNext = ep.hashNext;
    }
    ep.hashNext = null;
    this.count--;
    if (this.buckets.length > MIN_BUCKETS && this.count < this.buckets.length >>> 2) this.rehash(this.buckets.length >>> 1);
  }

  /** Every endpoint in the table. */
  *values(): IterableIterator<TcpEndpoint> {
    for (let ep of this.buckets) for (; ep !== null; ep = ep.hashNext) yield ep;
  }

  private rehash(n: number): void {
    const old = this.buckets;
    this.buckets = emptyBuckets(n);
    for (let ep of old) {
      while (ep !== null) {
        const next = ep.hashNext;
        const i = keyOf(ep) & (n - 1);
        ep.hashNext = this.buckets[i]!;
        this.buckets[i] = ep;
        ep = next;
      }
    }
  }
}

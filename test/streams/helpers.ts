import { Network, type Host } from '../../src/index.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export function pair(seed = 5, link = {}): { net: Network; a: Host; b: Host } {
  const net = new Network({ seed, link });
  return { net, a: net.host('a', '10.0.0.1/24'), b: net.host('b', '10.0.0.2/24') };
}

/** Bytes that are not periodic at any small stride, so a lost, doubled or reordered chunk shows. */
export function pattern(n: number, salt = 0): Uint8Array {
  const b = new Uint8Array(n);
  let x = 0x9e3779b9 ^ salt;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Reads a byte stream to its end. */
export async function readAll(r: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of r) parts.push(c);
  return concat(parts);
}

/** A readable of `data` cut into `chunk`-byte pieces. */
export function chunked(data: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= data.length) {
        c.close();
        return;
      }
      c.enqueue(data.subarray(off, off + chunk));
      off += chunk;
    },
  });
}

/** Settles to the rejection reason, or fails when the promise resolves. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, got a value');
}

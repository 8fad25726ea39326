/** Shared helpers for the socket API tests: errno assertions and small topologies. */
import assert from 'node:assert/strict';
import { Network, SocketError, ERRNO, type ErrnoCode, type Host } from '../../src/index.js';

/** Checks that `e` is a SocketError with `code`, its Linux errno number and `syscall`. */
export function isSocketError(e: unknown, code: ErrnoCode, syscall: string): true {
  assert.ok(e instanceof SocketError, `expected a SocketError, got ${String(e)}`);
  assert.equal(e.code, code, `code (${e.message})`);
  assert.equal(e.errno, ERRNO[code], 'errno');
  assert.equal(e.syscall, syscall, 'syscall');
  return true;
}

/** A synchronous call must throw SocketError(code, syscall). */
export function throwsErr(fn: () => unknown, code: ErrnoCode, syscall: string): void {
  assert.throws(fn, (e: unknown) => isSocketError(e, code, syscall));
}

/** An asynchronous call must reject with SocketError(code, syscall). */
export async function rejectsErr(p: Promise<unknown> | (() => Promise<unknown>), code: ErrnoCode, syscall: string): Promise<void> {
  await assert.rejects(typeof p === 'function' ? p() : p, (e: unknown) => isSocketError(e, code, syscall));
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Two hosts on one /24 segment: a = 10.0.0.1, b = 10.0.0.2. */
export function pair(seed = 7, link = {}): { net: Network; a: Host; b: Host } {
  const net = new Network({ seed, link });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  return { net, a, b };
}

/** RFC 1071 Internet checksum of `b`, for building ICMP messages by hand. */
export function inetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An ICMP echo request (RFC 792): type 8, code 0, checksum, id, seq, data. */
export function echoRequest(id: number, seq: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + data.length);
  m[0] = 8;
  m[4] = id >>> 8;
  m[5] = id & 0xff;
  m[6] = seq >>> 8;
  m[7] = seq & 0xff;
  m.set(data, 8);
  const ck = inetChecksum(m);
  m[2] = ck >>> 8;
  m[3] = ck & 0xff;
  return m;
}

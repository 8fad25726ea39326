import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IsnGenerator, ISN_TICKS_PER_MS, siphash24, siphash24Bytes } from '../../src/tcp/isn.js';
import { seqDiff } from '../../src/tcp/seq.js';
import { Rng } from '../../src/time/rng.js';

// Key 00 01 .. 0f as four little-endian words.
const KEY = new Uint32Array([0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c]);
const MSG = Uint8Array.from({ length: 64 }, (_, i) => i);

function hash64(key: Uint32Array, data: Uint8Array): bigint {
  const out = new Uint32Array(2);
  const lo = siphash24Bytes(key, data, out);
  assert.equal(lo, out[0]);
  return (BigInt(out[1]!) << 32n) | BigInt(out[0]!);
}

test('SipHash-2-4 reference vectors (paper appendix A and the reference vectors.h)', () => {
  assert.equal(hash64(KEY, MSG.subarray(0, 0)), 0x726fdb47dd0e0e31n);
  assert.equal(hash64(KEY, MSG.subarray(0, 1)), 0x74f839c593dc67fdn);
  assert.equal(hash64(KEY, MSG.subarray(0, 8)), 0x93f5f5799a932462n);
  assert.equal(hash64(KEY, MSG.subarray(0, 15)), 0xa129ca6149be45e5n);
  // Cross-checked with `openssl mac -macopt size:8 ... SIPHASH`.
  assert.equal(hash64(KEY, MSG.subarray(0, 7)), 0xab0200f58b01d137n);
  assert.equal(hash64(KEY, MSG.subarray(0, 63)), 0x958a324ceb064572n);
});

/** A plain 64-bit BigInt SipHash-2-4, written from the paper, as an oracle. */
function oracle(key: Uint32Array, data: Uint8Array): bigint {
  const M = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M;
  const k0 = (BigInt(key[1]!) << 32n) | BigInt(key[0]!);
  const k1 = (BigInt(key[3]!) << 32n) | BigInt(key[2]!);
  let v0 = k0 ^ 0x736f6d6570736575n, v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n, v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & M; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const n = data.length;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    let m = 0n;
    for (let j = 7; j >= 0; j--) m = (m << 8n) | BigInt(data[i + j]!);
    v3 ^= m; round(); round(); v0 ^= m;
  }
  let b = BigInt(n & 0xff) << 56n;
  for (let j = 0; i < n; i++, j++) b |= BigInt(data[i]!) << BigInt(8 * j);
  v3 ^= b; round(); round(); v0 ^= b;
  v2 ^= 0xffn;
  round(); round(); round(); round();
  return v0 ^ v1 ^ v2 ^ v3;
}

test('property: 32-bit-halves SipHash equals a BigInt oracle (bytes and words)', () => {
  const key = fc.uint32Array({ minLength: 4, maxLength: 4 });
  fc.assert(
    fc.property(key, fc.uint8Array({ maxLength: 300 }), (k, data) => {
      assert.equal(hash64(k, data), oracle(k, data));
    }),
  );
  fc.assert(
    fc.property(key, fc.uint32Array({ maxLength: 40 }), (k, words) => {
      const out = new Uint32Array(2);
      siphash24(k, words, out);
      const bytes = new Uint8Array(words.length * 4);
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < words.length; i++) view.setUint32(i * 4, words[i]!, true);
      assert.equal((BigInt(out[1]!) << 32n) | BigInt(out[0]!), oracle(k, bytes));
    }),
  );
});

test('ISNs differ per 4-tuple', () => {
  const gen = new IsnGenerator(new Rng(1));
  const a = 0x0a000001, b = 0x0a000002;
  const seen = new Set<number>();
  seen.add(gen.isn(a, 1000, b, 80, 0));
  seen.add(gen.isn(a, 1001, b, 80, 0)); // local port
  seen.add(gen.isn(a, 1000, b, 81, 0)); // remote port
  seen.add(gen.isn(a + 1, 1000, b, 80, 0)); // local address
  seen.add(gen.isn(a, 1000, b + 1, 80, 0)); // remote address
  seen.add(gen.isn(b, 80, a, 1000, 0)); // the reverse direction
  seen.add(gen.isn(a, 80, b, 1000, 0)); // ports swapped
  assert.equal(seen.size, 7);
  for (const isn of seen) assert.ok(Number.isInteger(isn) && isn >= 0 && isn <= 0xffffffff);
});

test('ISNs advance with the 4 µs clock: 250 per millisecond', () => {
  const gen = new IsnGenerator(new Rng(7));
  const at = (ms: number): number => gen.isn(0xc0a80001, 40000, 0xc0a80002, 22, ms);
  const base = at(1000);
  assert.equal(ISN_TICKS_PER_MS, 250);
  assert.equal(seqDiff(at(1001), base), 250);
  assert.equal(seqDiff(at(2000), base), 250_000);
  assert.equal(seqDiff(at(1000.004), base), 1); // one 4 µs tick
  assert.equal(seqDiff(at(1000.0039), base), 0); // not yet a tick
  assert.equal(at(1000), base); // a pure function of tuple and time
});

test('ISNs wrap modulo 2^32', () => {
  const gen = new IsnGenerator(new Rng(3));
  const at = (ms: number): number => gen.isn(1, 2, 3, 4, ms);
  const period = 2 ** 32 / ISN_TICKS_PER_MS; // 17179869.184 ms: exactly 2^32 ticks
  assert.equal(at(period), at(0));
  assert.equal(at(5 * period + 1), at(1));
  // Somewhere within one period the value passes 2^32 - 1 and comes back small.
  const f = at(0);
  const msToWrap = Math.ceil((2 ** 32 - f) / ISN_TICKS_PER_MS);
  const after = at(msToWrap);
  assert.ok(after < f && after < 250);
  assert.equal(seqDiff(after, at(msToWrap - 1)), 250);
});

test('same seed, same ISNs; different seed, different ISNs', () => {
  const tuples: Array<[number, number, number, number, number]> = [
    [0x0a000001, 1024, 0x0a000002, 7, 0],
    [0x0a000001, 1025, 0x0a000002, 7, 12.5],
    [0x7f000001, 5555, 0x7f000001, 80, 99999],
  ];
  const run = (seed: number): number[] => {
    const gen = new IsnGenerator(new Rng(seed));
    return tuples.map((t) => gen.isn(...t));
  };
  assert.deepEqual(run(42), run(42));
  assert.notDeepEqual(run(42), run(43));
});

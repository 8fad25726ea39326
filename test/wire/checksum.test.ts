import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WORD_VIEW, checksumFinish, checksumPartial, internetChecksum, pseudoHeaderPartial, type WordViewBuffer } from '../../src/wire/checksum.js';
import { DNS_QUERY_FRAME, PING_REQUEST_FRAME, WIKIPEDIA_IPV4_HEADER, hex } from './golden-frames.js';

/** Reference: RFC 1071 §4.1 "C" loop, 16 bits at a time with end-around carry. */
function naiveChecksum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = (initial & 0xffff) + Math.floor(initial / 65536);
  let i = 0;
  for (; i + 1 < len; i += 2) {
    sum += (buf[off + i]! << 8) | buf[off + i + 1]!;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (i < len) sum += buf[off + i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

test('Wikipedia IPv4 header example: checksum is 0xb861 and the header verifies to 0', () => {
  const h = WIKIPEDIA_IPV4_HEADER.slice();
  assert.equal(internetChecksum(h, 0, 20), 0);
  h[10] = 0;
  h[11] = 0;
  assert.equal(internetChecksum(h, 0, 20), 0xb861);
});

test('RFC 1071 §3 numerical example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2', () => {
  const b = hex('0001 f203 f4f5 f6f7');
  assert.equal(checksumFinish(checksumPartial(b, 0, 8)), ~0xddf2 & 0xffff);
  // The sum is independent of where the bytes sit (odd offset inside a larger buffer).
  const shifted = new Uint8Array(11);
  shifted.set(b, 3);
  assert.equal(internetChecksum(shifted, 3, 8), 0x220d);
});

test('captured ICMP echo request verifies; captured UDP verifies with its pseudo-header', () => {
  // ICMP: 64 bytes at offset 34 (14 Ethernet + 20 IP).
  assert.equal(internetChecksum(PING_REQUEST_FRAME, 34, 64), 0);
  // UDP: 37 bytes (odd) at 34, 10.9.0.1 -> 10.9.0.2.
  const ph = pseudoHeaderPartial(0x0a090001, 0x0a090002, 17, 37);
  assert.equal(checksumFinish(checksumPartial(DNS_QUERY_FRAME, 34, 37, ph)), 0);
  assert.notEqual(checksumFinish(checksumPartial(DNS_QUERY_FRAME, 34, 37, ph + 1)), 0);
});

test('pseudoHeaderPartial adds the address halves, protocol and length', () => {
  assert.equal(pseudoHeaderPartial(0xc0a80001, 0xc0a800c7, 17, 0x5f), 0xc0a8 + 0x0001 + 0xc0a8 + 0x00c7 + 17 + 0x5f);
  // A negative int32 is treated as its uint32.
  assert.equal(pseudoHeaderPartial(0xffffffff | 0, 0, 6, 0), 0xffff + 0xffff + 6);
});

test('empty span: partial is the initial value, checksum 0xffff', () => {
  const b = new Uint8Array(4);
  assert.equal(checksumPartial(b, 2, 0, 1234), 1234);
  assert.equal(internetChecksum(b, 0, 0), 0xffff);
});

test('a span running past the buffer is cut at its end instead of throwing', () => {
  const b = new Uint8Array(300).fill(7);
  assert.equal(internetChecksum(b, 10, 1000), naiveChecksum(b, 10, 290));
  assert.equal(internetChecksum(b, 280, 50), naiveChecksum(b, 280, 20));
});

test('a large all-0xff buffer (worst case carries, past the fold chunk) matches the reference', () => {
  const b = new Uint8Array((9 << 20) + 3).fill(0xff);
  b[12345] = 0x12;
  assert.equal(internetChecksum(b, 1, b.length - 1), naiveChecksum(b, 1, b.length - 1));
});

test('property: 32-bit-word checksum equals the 16-bit reference for any buffer, offset, length', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 700, size: 'max' }),
      fc.nat(),
      fc.nat(),
      fc.nat({ max: 0xffffffff }),
      (buf, a, b, initial) => {
        const off = buf.length === 0 ? 0 : a % (buf.length + 1);
        const len = (buf.length - off === 0) ? 0 : b % (buf.length - off + 1);
        assert.equal(checksumFinish(checksumPartial(buf, off, len, initial)), naiveChecksum(buf, off, len, initial));
      },
    ),
    { numRuns: 2000 },
  );
});

test('property: chaining partials over even-length pieces equals one pass', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 600, size: 'max' }), fc.nat(), (buf, cut) => {
      const split = (cut % (buf.length + 1)) & ~1;
      const chained = checksumPartial(buf, split, buf.length - split, checksumPartial(buf, 0, split));
      assert.equal(checksumFinish(chained), internetChecksum(buf, 0, buf.length));
    }),
  );
});

test('property: data with its checksum written in verifies to 0', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 2, maxLength: 400, size: 'max' }), (data) => {
      const buf = new Uint8Array(data.length + 2);
      buf.set(data, 2);
      const ck = internetChecksum(buf, 0, buf.length);
      buf[0] = ck >>> 8;
      buf[1] = ck & 0xff;
      assert.equal(internetChecksum(buf, 0, buf.length), 0);
    }),
  );
});

test('property: views at every alignment (both the native-word and the DataView path) equal the reference', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000, size: 'max' }), fc.nat(7), fc.nat(), (data, shift, b) => {
      const backing = new Uint8Array(data.length + 8);
      backing.set(data, shift);
      const view = backing.subarray(shift, shift + data.length); // byteOffset 0..7
      const len = b % (data.length + 1);
      assert.equal(checksumFinish(checksumPartial(view, 0, len)), naiveChecksum(data, 0, len));
    }),
    { numRuns: 1000 },
  );
});

test('property: a buffer carrying its word view (the frame pool\'s) sums the same at every offset and alignment', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000, size: 'max' }), fc.nat(7), fc.nat(), fc.nat(), (data, shift, a, b) => {
      const ab = new ArrayBuffer(data.length + 8) as WordViewBuffer;
      ab[WORD_VIEW] = new Uint32Array(ab, 0, ab.byteLength >>> 2);
      const view = new Uint8Array(ab, shift, data.length);
      view.set(data);
      const off = a % (data.length + 1);
      const len = b % (data.length - off + 1);
      assert.equal(checksumFinish(checksumPartial(view, off, len, 7)), naiveChecksum(data, off, len, 7));
    }),
    { numRuns: 1000 },
  );
});

test('a span longer than the fold interval (9 MiB) at both alignments equals the reference', () => {
  const big = new Uint8Array((9 << 20) + 3);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  for (const off of [0, 1, 2]) assert.equal(checksumFinish(checksumPartial(big, off, big.length - off)), naiveChecksum(big, off, big.length - off));
});

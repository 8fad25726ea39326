import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../src/wire/error.js';
import { UDP_HEADER_LEN, emitUdpHeader, fillUdpChecksum, parseUdp, type UdpRepr } from '../../src/wire/udp.js';
import { checksumFinish, checksumPartial, pseudoHeaderPartial } from '../../src/wire/checksum.js';
import { DNS_QUERY_FRAME, PORT_UNREACH_FRAME, toHex } from './golden-frames.js';

const U = 34; // UDP after Ethernet (14) and IP (20)
const A = 0x0a090001; // 10.9.0.1, the querier
const B = 0x0a090002; // 10.9.0.2

function parsed(buf: Uint8Array, off: number, len: number, src: number, dst: number, verify = true): UdpRepr {
  const r = parseUdp(buf, off, len, src, dst, verify);
  if (r instanceof WireError) assert.fail(r.message);
  return r;
}

function errKind(buf: Uint8Array, off: number, len: number, src = A, dst = B): string {
  const r = parseUdp(buf, off, len, src, dst);
  assert.ok(r instanceof WireError, 'expected a WireError');
  return r.kind;
}

test('captured glibc DNS query: fields, and header + checksum rebuilt byte for byte', () => {
  const r = parsed(DNS_QUERY_FRAME, U, 37, A, B);
  assert.deepEqual(r, { srcPort: 54563, dstPort: 53, length: 37, checksum: 0x7058 });
  // The DNS message: id 0xd670, RD, one question "example.com" A IN.
  const payload = DNS_QUERY_FRAME.subarray(U + 8);
  assert.equal(toHex(payload.subarray(0, 4)), 'd6700100');
  const out = new Uint8Array(37);
  emitUdpHeader(54563, 53, payload.length, out, 0);
  assert.equal(toHex(out.subarray(0, 8)), 'd523003500250000');
  out.set(payload, 8);
  fillUdpChecksum(out, 0, 37, A, B);
  assert.equal(toHex(out), toHex(DNS_QUERY_FRAME.subarray(U)));
});

test('the datagram quoted in the captured port unreachable verifies too', () => {
  const r = parsed(PORT_UNREACH_FRAME, U + 8 + 20, 37, A, B);
  assert.equal(r.dstPort, 53);
  // Wrong pseudo-header addresses make the same bytes fail.
  assert.equal(errKind(PORT_UNREACH_FRAME, U + 8 + 20, 37, A, 0x0a090003), 'bad-checksum');
});

test('length field shorter than the IP payload: trailing bytes are not summed', () => {
  const b = new Uint8Array(40);
  b.set(DNS_QUERY_FRAME.subarray(U));
  b.fill(0x99, 37);
  assert.equal(parsed(b, 0, 40, A, B).length, 37);
});

test('errors: truncated, malformed, bad-checksum; checksum 0 means none', () => {
  const d = () => DNS_QUERY_FRAME.slice(U);
  assert.equal(errKind(d(), 0, 7), 'truncated');
  assert.equal(errKind(d(), 0, 36), 'truncated'); // length field 37 > 36
  assert.equal(errKind(d(), 5, 37), 'truncated'); // span past the buffer
  const tiny = d();
  tiny[5] = 7; // length 7 < 8
  assert.equal(errKind(tiny, 0, 37), 'malformed');
  const flipped = d();
  flipped[20] ^= 0x01;
  assert.equal(errKind(flipped, 0, 37), 'bad-checksum');
  assert.equal(parsed(flipped, 0, 37, A, B, false).srcPort, 54563); // offloaded: not checked
  flipped[6] = 0;
  flipped[7] = 0;
  assert.equal(parsed(flipped, 0, 37, A, B).checksum, 0); // RFC 768: no checksum
});

test('a checksum that computes to 0 is sent as 0xffff and verifies', () => {
  // Make the datagram's sum 0xffff by appending its own checksum as a data word.
  const b = new Uint8Array(12);
  emitUdpHeader(1000, 2000, 4, b, 0);
  b[8] = 0xab;
  b[9] = 0xcd;
  const c = checksumFinish(checksumPartial(b, 0, 12, pseudoHeaderPartial(A, B, 17, 12)));
  b[10] = c >>> 8;
  b[11] = c & 0xff;
  assert.equal(checksumFinish(checksumPartial(b, 0, 12, pseudoHeaderPartial(A, B, 17, 12))), 0);
  fillUdpChecksum(b, 0, 12, A, B);
  assert.equal(b[6], 0xff);
  assert.equal(b[7], 0xff);
  assert.equal(parsed(b, 0, 12, A, B).checksum, 0xffff);
});

const u16 = fc.nat({ max: 0xffff });
const ip = fc.nat({ max: 0xffffffff });

test('property: emit + fill then parse round-trips; any single-byte change is detected', () => {
  fc.assert(
    fc.property(
      u16, u16, fc.uint8Array({ maxLength: 300, size: 'max' }), ip, ip, fc.nat({ max: 3 }), fc.nat(), fc.integer({ min: 1, max: 255 }),
      (sp, dp, payload, src, dst, off, where, mask) => {
        const len = UDP_HEADER_LEN + payload.length;
        const buf = new Uint8Array(off + len);
        emitUdpHeader(sp, dp, payload.length, buf, off);
        buf.set(payload, off + 8);
        fillUdpChecksum(buf, off, len, src, dst);
        const r = parsed(buf, off, len, src, dst);
        assert.equal(r.srcPort, sp);
        assert.equal(r.dstPort, dp);
        assert.equal(r.length, len);
        assert.notEqual(r.checksum, 0);
        // Flip bits in a port or payload byte (not length/checksum, which change the error).
        const candidates = [0, 1, 2, 3];
        for (let i = 8; i < len; i++) candidates.push(i);
        buf[off + candidates[where % candidates.length]!]! ^= mask;
        const e = parseUdp(buf, off, len, src, dst);
        assert.ok(e instanceof WireError && e.kind === 'bad-checksum');
      },
    ),
  );
});

test('property: parse never throws on random bytes or mutated golden packets', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 60 }), fc.integer({ min: -2, max: 70 }), fc.integer({ min: -2, max: 70 }), ip, ip, fc.boolean(), (b, off, len, s, d, v) => {
      const r = parseUdp(b, off, len, s, d, v);
      assert.ok(r instanceof WireError || (r.length >= 8 && r.length <= len));
    }),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat({ max: 36 }), fc.nat({ max: 255 })), { maxLength: 4 }), (muts) => {
      const b = DNS_QUERY_FRAME.slice(U);
      for (const [i, x] of muts) b[i] = x;
      const r = parseUdp(b, 0, b.length, A, B);
      assert.ok(r instanceof WireError || r.length <= b.length);
    }),
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../src/wire/error.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import {
  IPV4_HEADER_LEN, IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP, emitIpv4, fillIpv4Checksum, parseIpv4,
  type Ipv4Repr,
} from '../../src/wire/ipv4.js';
import { formatIPv4 } from '../../src/wire/address.js';
import {
  ALL_FRAMES, DNS_QUERY_FRAME, PING_REPLY_FRAME, PING_REQUEST_FRAME, PORT_UNREACH_FRAME, TTL_PING_FRAME,
  WIKIPEDIA_IPV4_HEADER, toHex,
} from './golden-frames.js';

const E = 14; // IP starts after the Ethernet header

function parsed(buf: Uint8Array, off = E, len = buf.length - off, verify = true): Ipv4Repr {
  const r = parseIpv4(buf, off, len, verify);
  if (r instanceof WireError) assert.fail(r.message);
  return r;
}

function errKind(buf: Uint8Array, off = E, len = buf.length - off, verify = true): string {
  const r = parseIpv4(buf, off, len, verify);
  assert.ok(r instanceof WireError, 'expected a WireError');
  return r.kind;
}

/** Emits `r` and checks the 20 bytes equal the captured header at buf[off]. */
function assertEmitsSame(r: Ipv4Repr, buf: Uint8Array, off = E): void {
  const out = new Uint8Array(IPV4_HEADER_LEN);
  assert.equal(emitIpv4(r, out, 0), IPV4_HEADER_LEN);
  assert.equal(toHex(out), toHex(buf.subarray(off, off + IPV4_HEADER_LEN)));
}

test('Wikipedia example header (checksum 0xb861): fields and identical emit', () => {
  const dgram = new Uint8Array(115);
  dgram.set(WIKIPEDIA_IPV4_HEADER);
  const r = parsed(dgram, 0);
  assert.deepEqual(r, {
    headerLength: 20, tos: 0, totalLength: 115, id: 0, dontFragment: true, moreFragments: false,
    fragmentOffset: 0, ttl: 64, protocol: IP_PROTO_UDP, src: 0xc0a80001, dst: 0xc0a800c7,
  });
  assertEmitsSame(r, dgram, 0);
});

test('captured ping request (DF) and the kernel reply (no DF): fields and identical emit', () => {
  const q = parsed(PING_REQUEST_FRAME);
  assert.deepEqual(q, {
    headerLength: 20, tos: 0, totalLength: 84, id: 0xbf1d, dontFragment: true, moreFragments: false,
    fragmentOffset: 0, ttl: 64, protocol: IP_PROTO_ICMP, src: 0x0a090001, dst: 0x0a090002,
  });
  assertEmitsSame(q, PING_REQUEST_FRAME);
  const a = parsed(PING_REPLY_FRAME);
  assert.equal(a.id, 0x7b20);
  assert.equal(a.dontFragment, false);
  assert.equal(formatIPv4(a.src), '10.9.0.2');
  assert.equal(formatIPv4(a.dst), '10.9.0.1');
  assertEmitsSame(a, PING_REPLY_FRAME);
});

test('captured DNS query, ICMP error (tos 0xc0) and ttl-1 ping: fields and identical emit', () => {
  const d = parsed(DNS_QUERY_FRAME);
  assert.equal(d.protocol, IP_PROTO_UDP);
  assert.equal(d.totalLength, 57);
  assert.equal(d.id, 0x0de7);
  assertEmitsSame(d, DNS_QUERY_FRAME);
  const u = parsed(PORT_UNREACH_FRAME);
  assert.equal(u.tos, 0xc0);
  assert.equal(u.totalLength, 85);
  assert.equal(u.protocol, IP_PROTO_ICMP);
  assertEmitsSame(u, PORT_UNREACH_FRAME);
  const t = parsed(TTL_PING_FRAME);
  assert.equal(t.ttl, 1);
  assert.equal(formatIPv4(t.dst), '10.9.1.5');
  assertEmitsSame(t, TTL_PING_FRAME);
  // The header quoted inside the ICMP error is the query's header, byte for byte.
  assert.deepEqual(parsed(PORT_UNREACH_FRAME, E + 28, 57), d);
});

test('fragment fields: MF with offset 1480 bytes is 0x20b9 on the wire', () => {
  const out = new Uint8Array(20);
  emitIpv4(
    { headerLength: 20, tos: 0, totalLength: 20, id: 0x1234, dontFragment: false, moreFragments: true,
      fragmentOffset: 1480, ttl: 64, protocol: IP_PROTO_TCP, src: 1, dst: 2 },
    out, 0,
  );
  assert.equal(out[6], 0x20);
  assert.equal(out[7], 0xb9);
  const r = parsed(out, 0);
  assert.equal(r.moreFragments, true);
  assert.equal(r.fragmentOffset, 1480);
});

test('payload length: link padding beyond totalLength is allowed', () => {
  const padded = new Uint8Array(60);
  padded.set(DNS_QUERY_FRAME.subarray(E));
  const r = parsed(padded, 0);
  assert.equal(r.totalLength, 57);
});

test('options are skipped by header length; fillIpv4Checksum covers them', () => {
  const b = new Uint8Array(28);
  emitIpv4(
    { headerLength: 24, tos: 0, totalLength: 28, id: 7, dontFragment: false, moreFragments: false,
      fragmentOffset: 0, ttl: 1, protocol: 2, src: 0x0a000001, dst: 0xe0000016 },
    b, 0,
  );
  b[0] = 0x46; // IHL 6
  b.set([0x94, 0x04, 0x00, 0x00], 20); // Router Alert (RFC 2113)
  fillIpv4Checksum(b, 0, 24);
  assert.equal(internetChecksum(b, 0, 24), 0);
  const r = parsed(b, 0);
  assert.equal(r.headerLength, 24);
  assert.equal(r.totalLength, 28);
});

test('emit ignores repr.headerLength and without computeChecksum leaves the field 0', () => {
  const r = parsed(PING_REQUEST_FRAME);
  const out = new Uint8Array(20).fill(0xee);
  emitIpv4({ ...r, headerLength: 60 }, out, 0, false);
  assert.equal(out[0], 0x45);
  assert.equal(out[10], 0);
  assert.equal(out[11], 0);
  assert.equal(errKind(out, 0, 20), 'truncated'); // totalLength 84 > 20
});

test('errors: bad-version, truncated, malformed, bad-checksum', () => {
  const ip = () => PING_REQUEST_FRAME.slice(E); // 84-byte datagram at offset 0
  const v6 = ip();
  v6[0] = 0x65;
  assert.equal(errKind(v6, 0), 'bad-version');
  assert.equal(errKind(ip(), 0, 0), 'truncated');
  assert.equal(errKind(ip(), 0, 19), 'truncated');
  assert.equal(errKind(ip(), 0, 83), 'truncated'); // totalLength 84 > len
  assert.equal(errKind(ip(), 10, 80), 'truncated'); // span past the buffer
  const ihl4 = ip();
  ihl4[0] = 0x44;
  assert.equal(errKind(ihl4, 0), 'malformed');
  const ihl15 = ip();
  ihl15[0] = 0x4f;
  fillIpv4Checksum(ihl15, 0, 60);
  assert.equal(errKind(ihl15, 0, 40), 'truncated'); // 60-byte header in 40 bytes
  const short = ip();
  short[2] = 0;
  short[3] = 19; // totalLength 19 < 20
  fillIpv4Checksum(short, 0, 20);
  assert.equal(errKind(short, 0), 'malformed');
  const evil = ip();
  evil[6] |= 0x80; // reserved flag
  fillIpv4Checksum(evil, 0, 20);
  assert.equal(errKind(evil, 0), 'malformed');
  const corrupt = ip();
  corrupt[8] ^= 0x01; // ttl changed, checksum not updated
  assert.equal(errKind(corrupt, 0), 'bad-checksum');
  // ...which passes when verification is offloaded.
  assert.equal(parsed(corrupt, 0, 84, false).ttl, 65);
});

const reprArb = fc.record({
  headerLength: fc.constant(20),
  tos: fc.nat({ max: 255 }),
  totalLength: fc.integer({ min: 20, max: 200 }),
  id: fc.nat({ max: 0xffff }),
  dontFragment: fc.boolean(),
  moreFragments: fc.boolean(),
  fragmentOffset: fc.nat({ max: 0x1fff }).map((x) => x * 8),
  ttl: fc.nat({ max: 255 }),
  protocol: fc.nat({ max: 255 }),
  src: fc.nat({ max: 0xffffffff }),
  dst: fc.nat({ max: 0xffffffff }),
});

test('property: emit then parse round-trips, checksum valid', () => {
  fc.assert(
    fc.property(reprArb, fc.nat({ max: 7 }), (r, off) => {
      const buf = new Uint8Array(off + r.totalLength);
      assert.equal(emitIpv4(r, buf, off), 20);
      assert.equal(internetChecksum(buf, off, 20), 0);
      assert.deepEqual(parsed(buf, off, r.totalLength), { ...r }); // fc.record objects have a null prototype
    }),
  );
});

test('property: parse never throws on random bytes or mutated golden packets', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: -2, max: 90 }), fc.integer({ min: -2, max: 90 }), fc.boolean(), (b, off, len, v) => {
      const r = parseIpv4(b, off, len, v);
      assert.ok(r instanceof WireError || (r.headerLength >= 20 && r.totalLength >= r.headerLength));
    }),
  );
  fc.assert(
    fc.property(
      fc.constantFrom(...ALL_FRAMES.filter((f) => f[12] === 0x08 && f[13] === 0x00)),
      fc.array(fc.tuple(fc.nat({ max: 40 }), fc.nat({ max: 255 })), { maxLength: 4 }),
      fc.boolean(),
      (frame, muts, v) => {
        const b = frame.slice(E);
        for (const [i, x] of muts) b[i] = x;
        const r = parseIpv4(b, 0, b.length, v);
        assert.ok(r instanceof WireError || r.totalLength <= b.length);
      },
    ),
  );
});

test('readIpv4Header: fields of a cut-short or zero-length header; null for what is not an IPv4 header', async () => {
  const { readIpv4Header, emitIpv4 } = await import('../../src/wire/ipv4.js');
  const b = new Uint8Array(28);
  emitIpv4({ headerLength: 20, tos: 0, totalLength: 1500, id: 0xbeef, dontFragment: true, moreFragments: false,
    fragmentOffset: 0, ttl: 9, protocol: 17, src: 0x0a000001, dst: 0x0a000002 }, b, 0, true);
  const h = readIpv4Header(b)!; // total length 1500 > 28 bytes: a quote, still readable
  assert.equal(h.totalLength, 1500);
  assert.equal(h.id, 0xbeef);
  assert.equal(h.dontFragment, true);
  assert.equal(h.src, 0x0a000001);
  assert.equal(h.dst, 0x0a000002);
  b[2] = 0; b[3] = 0; // total length 0, as IP_HDRINCL programs may leave it
  assert.equal(readIpv4Header(b)!.totalLength, 0);
  assert.equal(readIpv4Header(b.subarray(0, 19)), null);
  const v6 = b.slice(); v6[0] = 0x65;
  assert.equal(readIpv4Header(v6), null);
  const ihl4 = b.slice(); ihl4[0] = 0x44;
  assert.equal(readIpv4Header(ihl4), null);
  const long = b.slice(); long[0] = 0x48; // IHL 8 = 32 bytes > 28 present
  assert.equal(readIpv4Header(long), null);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../src/wire/error.js';
import { internetChecksum } from '../../src/wire/checksum.js';
import {
  ICMP_DEST_UNREACH, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_PARAM_PROBLEM, ICMP_TIME_EXCEEDED,
  TIME_EXCEEDED_TTL, UNREACH_FRAG_NEEDED, UNREACH_PORT, emitIcmpv4, icmpv4Length, parseIcmpv4, type Icmpv4Repr,
} from '../../src/wire/icmpv4.js';
import {
  ALL_FRAMES, DNS_QUERY_FRAME, FRAG_NEEDED_FRAME, ODD_PING_REPLY_FRAME, ODD_PING_REQUEST_FRAME, PING_REPLY_FRAME,
  PING_REQUEST_FRAME, PORT_UNREACH_FRAME, TIME_EXCEEDED_FRAME, TTL_PING_FRAME, hex, toHex,
} from './golden-frames.js';

const I = 34; // ICMP starts after Ethernet (14) and a 20-byte IP header in every capture

function parsed(frame: Uint8Array, off = I, len = frame.length - off, verify = true): Icmpv4Repr {
  const r = parseIcmpv4(frame, off, len, verify);
  if (r instanceof WireError) assert.fail(r.message);
  return r;
}

function errKind(buf: Uint8Array, off: number, len: number): string {
  const r = parseIcmpv4(buf, off, len);
  assert.ok(r instanceof WireError, 'expected a WireError');
  return r.kind;
}

/** Emits `r` and checks it reproduces the captured ICMP message exactly. */
function assertEmitsSame(r: Icmpv4Repr, frame: Uint8Array): void {
  const want = frame.subarray(I);
  assert.equal(icmpv4Length(r), want.length);
  const out = new Uint8Array(want.length + 3).fill(0x77);
  assert.equal(emitIcmpv4(r, out, 3), want.length);
  assert.equal(toHex(out.subarray(3)), toHex(want));
}

/** iputils ping data: 16-byte timeval, then bytes counting up from 0x10. */
function assertPingPattern(data: Uint8Array, timeval: string, len: number): void {
  assert.equal(data.length, len);
  assert.equal(toHex(data.subarray(0, 16)), timeval);
  for (let k = 16; k < len; k++) assert.equal(data[k], k, `data[${k}]`);
}

test('captured Linux ping echo request (56 data bytes) and reply: fields and identical emit', () => {
  const q = parsed(PING_REQUEST_FRAME);
  assert.equal(q.kind, 'echo-request');
  if (q.kind !== 'echo-request') return;
  assert.equal(q.id, 0x1252);
  assert.equal(q.seq, 1);
  assertPingPattern(q.data, 'e82e016b00000000ac76030000000000', 56);
  assert.equal(q.data.buffer, PING_REQUEST_FRAME.buffer); // a view
  assertEmitsSame(q, PING_REQUEST_FRAME);
  const a = parsed(PING_REPLY_FRAME);
  assert.equal(a.kind, 'echo-reply');
  if (a.kind !== 'echo-reply') return;
  assert.equal(a.id, 0x1252);
  assert.equal(a.seq, 1);
  assert.equal(toHex(a.data), toHex(q.data));
  assertEmitsSame(a, PING_REPLY_FRAME);
});

test('captured odd-length ping (-s 57): request and reply round-trip', () => {
  const q = parsed(ODD_PING_REQUEST_FRAME);
  assert.equal(q.kind, 'echo-request');
  if (q.kind !== 'echo-request') return;
  assert.equal(q.id, 0x136d);
  assertPingPattern(q.data, '002f016b00000000cefc060000000000', 57);
  assert.equal(q.data[56], 0x38);
  assertEmitsSame(q, ODD_PING_REQUEST_FRAME);
  const a = parsed(ODD_PING_REPLY_FRAME);
  assert.equal(a.kind, 'echo-reply');
  assertEmitsSame(a, ODD_PING_REPLY_FRAME);
});

test('captured port unreachable quoting a DNS query: fields and identical emit', () => {
  const r = parsed(PORT_UNREACH_FRAME);
  assert.equal(r.kind, 'dest-unreachable');
  if (r.kind !== 'dest-unreachable') return;
  assert.equal(r.code, UNREACH_PORT);
  assert.equal(r.nextHopMtu, 0);
  assert.equal(toHex(r.original), toHex(DNS_QUERY_FRAME.subarray(14))); // the whole offending datagram
  assertEmitsSame(r, PORT_UNREACH_FRAME);
});

test('captured time exceeded in transit quoting a ttl-1 ping: fields and identical emit', () => {
  const r = parsed(TIME_EXCEEDED_FRAME);
  assert.equal(r.kind, 'time-exceeded');
  if (r.kind !== 'time-exceeded') return;
  assert.equal(r.code, TIME_EXCEEDED_TTL);
  assert.equal(toHex(r.original), toHex(TTL_PING_FRAME.subarray(14)));
  assertEmitsSame(r, TIME_EXCEEDED_FRAME);
});

test('captured fragmentation needed (RFC 1191): next-hop MTU 1000, 548 quoted bytes, identical emit', () => {
  const r = parsed(FRAG_NEEDED_FRAME);
  assert.equal(r.kind, 'dest-unreachable');
  if (r.kind !== 'dest-unreachable') return;
  assert.equal(r.code, UNREACH_FRAG_NEEDED);
  assert.equal(r.nextHopMtu, 1000);
  assert.equal(r.original.length, 548); // 576 - 20 - 8, Linux's quote limit
  // The quoted header: 1228-byte DF echo request 10.9.0.1 -> 10.9.1.5.
  assert.equal(toHex(r.original.subarray(0, 20)), '450004cc000040004001211a0a0900010a090105');
  assert.equal(r.original[20], ICMP_ECHO_REQUEST);
  for (let k = 44; k < 548; k++) assert.equal(r.original[k], (k - 28) & 0xff, `original[${k}]`);
  assertEmitsSame(r, FRAG_NEEDED_FRAME);
});

test('parameter problem (code 0) round-trips with its pointer', () => {
  const original = TTL_PING_FRAME.subarray(14, 14 + 28);
  const buf = new Uint8Array(36);
  const n = emitIcmpv4({ kind: 'param-problem', pointer: 9, original }, buf, 0);
  assert.equal(n, 36);
  assert.equal(buf[0], ICMP_PARAM_PROBLEM);
  assert.equal(buf[1], 0);
  assert.equal(toHex(buf.subarray(4, 8)), '09000000');
  assert.equal(internetChecksum(buf, 0, 36), 0);
  const r = parsed(buf, 0, 36);
  assert.deepEqual(r, { kind: 'param-problem', pointer: 9, original });
});

test('types and codes without a repr come back as "other" and re-emit identically', () => {
  // Timestamp request (type 13, RFC 792): id 1, seq 2, three timestamps.
  const ts = hex('0d00 0000 0001 0002 0000 0001 0000 0000 0000 0000');
  const fill = (b: Uint8Array) => {
    const ck = internetChecksum(b, 0, b.length);
    b[2] = ck >>> 8;
    b[3] = ck & 0xff;
    return b;
  };
  for (const msg of [
    fill(ts),
    fill(hex('0801 0000 0001 0001 6869')), // echo request with code 1
    fill(hex('0c01 0000 0000 0000')), // param problem code 1, no quote
    fill(hex('0500 0000 0a00 0001')), // redirect, 8 bytes
  ]) {
    const r = parsed(msg, 0, msg.length);
    assert.equal(r.kind, 'other');
    if (r.kind !== 'other') return;
    assert.equal(r.type, msg[0]);
    assert.equal(r.code, msg[1]);
    assert.equal(toHex(r.body), toHex(msg.subarray(4)));
    const out = new Uint8Array(msg.length);
    assert.equal(emitIcmpv4(r, out, 0), msg.length);
    assert.equal(toHex(out), toHex(msg));
  }
});

test('emit in place: a payload view that already sits at the destination is not copied', () => {
  const frame = PING_REQUEST_FRAME.slice();
  const q = parsed(frame);
  if (q.kind !== 'echo-request') return assert.fail('not an echo request');
  // Turn the request into its reply inside the same buffer, as the stack does.
  const n = emitIcmpv4({ kind: 'echo-reply', id: q.id, seq: q.seq, data: q.data }, frame, I);
  assert.equal(n, 64);
  assert.equal(toHex(frame.subarray(I)), toHex(PING_REPLY_FRAME.subarray(I)));
  // A view overlapping the header area (shifted) is still copied correctly.
  const buf = new Uint8Array(40);
  for (let i = 0; i < 40; i++) buf[i] = i;
  const data = buf.subarray(7, 27).slice();
  emitIcmpv4({ kind: 'echo-request', id: 1, seq: 2, data: buf.subarray(7, 27) }, buf, 0);
  assert.equal(toHex(buf.subarray(8, 28)), toHex(data));
  assert.equal(internetChecksum(buf, 0, 28), 0);
});

test('without computeChecksum the checksum field is 0', () => {
  const buf = new Uint8Array(12).fill(0xff);
  emitIcmpv4({ kind: 'echo-request', id: 1, seq: 1, data: new Uint8Array(4) }, buf, 0, false);
  assert.equal(buf[2], 0);
  assert.equal(buf[3], 0);
  assert.equal(parsed(buf, 0, 12, false).kind, 'echo-request');
});

test('errors: truncated, malformed (error quoting less than an IP header), bad-checksum', () => {
  assert.equal(errKind(PING_REQUEST_FRAME, I, 7), 'truncated');
  assert.equal(errKind(PING_REQUEST_FRAME, I, 100), 'truncated'); // span past the buffer
  assert.equal(errKind(PING_REQUEST_FRAME, -1, 8), 'truncated');
  const short = new Uint8Array(18);
  emitIcmpv4({ kind: 'dest-unreachable', code: UNREACH_PORT, nextHopMtu: 0, original: DNS_QUERY_FRAME.subarray(14, 24) }, short, 0);
  assert.equal(errKind(short, 0, 18), 'malformed');
  const bad = PING_REQUEST_FRAME.slice();
  bad[I + 20] ^= 0x40;
  assert.equal(errKind(bad, I, 64), 'bad-checksum');
  assert.equal(parsed(bad, I, 64, false).kind, 'echo-request');
});

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const reprArb: fc.Arbitrary<Icmpv4Repr> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const),
    id: fc.nat({ max: 0xffff }),
    seq: fc.nat({ max: 0xffff }),
    data: bytes(0, 100),
  }),
  fc.record({
    kind: fc.constant('dest-unreachable' as const),
    code: fc.nat({ max: 255 }),
    nextHopMtu: fc.nat({ max: 0xffff }),
    original: bytes(20, 100),
  }),
  fc.record({ kind: fc.constant('time-exceeded' as const), code: fc.nat({ max: 255 }), original: bytes(20, 100) }),
  fc.record({ kind: fc.constant('param-problem' as const), pointer: fc.nat({ max: 255 }), original: bytes(20, 100) }),
  fc.record({
    kind: fc.constant('other' as const),
    type: fc.nat({ max: 255 }).filter((t) => ![ICMP_ECHO_REPLY, ICMP_DEST_UNREACH, ICMP_ECHO_REQUEST, ICMP_TIME_EXCEEDED, ICMP_PARAM_PROBLEM].includes(t)),
    code: fc.nat({ max: 255 }),
    body: bytes(4, 60),
  }),
);

test('property: emit then parse round-trips every kind, with a valid checksum', () => {
  fc.assert(
    fc.property(reprArb, fc.nat({ max: 5 }), (r, off) => {
      const len = icmpv4Length(r);
      const buf = new Uint8Array(off + len + 2);
      assert.equal(emitIcmpv4(r, buf, off), len);
      assert.equal(internetChecksum(buf, off, len), 0);
      assert.deepEqual(parsed(buf, off, len), { ...r });
    }),
  );
});

test('property: parse never throws on random bytes or mutated golden packets', () => {
  fc.assert(
    fc.property(bytes(0, 80), fc.integer({ min: -2, max: 90 }), fc.integer({ min: -2, max: 90 }), fc.boolean(), (b, off, len, v) => {
      const r = parseIcmpv4(b, off, len, v);
      assert.ok(r instanceof WireError || icmpv4Length(r) === len);
    }),
  );
  const icmpFrames = ALL_FRAMES.filter((f) => f[12] === 0x08 && f[23] === 1);
  fc.assert(
    fc.property(fc.constantFrom(...icmpFrames), fc.array(fc.tuple(fc.nat({ max: 60 }), fc.nat({ max: 255 })), { maxLength: 4 }), fc.boolean(), (frame, muts, v) => {
      const b = frame.slice(I);
      for (const [i, x] of muts) b[i] = x;
      const r = parseIcmpv4(b, 0, b.length, v);
      assert.ok(r instanceof WireError || icmpv4Length(r) === b.length);
    }),
  );
});

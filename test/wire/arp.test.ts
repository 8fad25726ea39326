import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../src/wire/error.js';
import { ARP_LEN, ARP_REPLY, ARP_REQUEST, emitArp, parseArp, type ArpRepr } from '../../src/wire/arp.js';
import { formatIPv4, formatMac } from '../../src/wire/address.js';
import { ARP_REPLY_FRAME, ARP_REQUEST_FRAME, toHex } from './golden-frames.js';

const E = 14; // ARP starts after the Ethernet header

function parsed(buf: Uint8Array, off = E, len = buf.length - off): ArpRepr {
  const r = parseArp(buf, off, len);
  if (r instanceof WireError) assert.fail(r.message);
  return r;
}

function errKind(buf: Uint8Array, off = E, len = buf.length - off): string {
  const r = parseArp(buf, off, len);
  assert.ok(r instanceof WireError, 'expected a WireError');
  return r.kind;
}

test('captured ARP request "who has 10.9.0.2? tell 10.9.0.1": fields and identical emit', () => {
  const r = parsed(ARP_REQUEST_FRAME);
  assert.equal(r.op, ARP_REQUEST);
  assert.equal(formatMac(r.senderMac), '52:54:00:12:34:01');
  assert.equal(formatIPv4(r.senderIp), '10.9.0.1');
  assert.equal(formatMac(r.targetMac), '00:00:00:00:00:00');
  assert.equal(formatIPv4(r.targetIp), '10.9.0.2');
  const out = new Uint8Array(ARP_LEN + 5).fill(0xaa);
  assert.equal(emitArp(r, out, 5), ARP_LEN);
  assert.equal(toHex(out.subarray(5)), toHex(ARP_REQUEST_FRAME.subarray(E)));
});

test('captured ARP reply "10.9.0.2 is at 52:54:00:12:34:02": fields and identical emit', () => {
  const r = parsed(ARP_REPLY_FRAME);
  assert.equal(r.op, ARP_REPLY);
  assert.equal(formatMac(r.senderMac), '52:54:00:12:34:02');
  assert.equal(r.senderIp, 0x0a090002);
  assert.equal(formatMac(r.targetMac), '52:54:00:12:34:01');
  assert.equal(r.targetIp, 0x0a090001);
  assert.equal(r.senderMac.buffer, ARP_REPLY_FRAME.buffer); // a view
  const out = new Uint8Array(ARP_LEN);
  emitArp(r, out, 0);
  assert.equal(toHex(out), toHex(ARP_REPLY_FRAME.subarray(E)));
});

test('Ethernet padding after the 28 bytes is ignored', () => {
  const padded = new Uint8Array(60);
  padded.set(ARP_REQUEST_FRAME);
  padded.fill(0x5a, ARP_REQUEST_FRAME.length);
  assert.equal(parsed(padded).targetIp, 0x0a090002);
});

test('errors: truncated and unsupported', () => {
  assert.equal(errKind(ARP_REQUEST_FRAME, E, 27), 'truncated');
  assert.equal(errKind(ARP_REQUEST_FRAME.subarray(0, 41)), 'truncated');
  assert.equal(errKind(ARP_REQUEST_FRAME, E, 100), 'truncated'); // span past the buffer
  const mutate = (i: number, v: number) => {
    const b = ARP_REQUEST_FRAME.slice();
    b[E + i] = v;
    return b;
  };
  assert.equal(errKind(mutate(1, 6)), 'unsupported'); // htype 6 (IEEE 802)
  assert.equal(errKind(mutate(2, 0x86)), 'unsupported'); // ptype 0x8600
  assert.equal(errKind(mutate(4, 8)), 'unsupported'); // hlen 8
  assert.equal(errKind(mutate(5, 16)), 'unsupported'); // plen 16
  assert.equal(errKind(mutate(7, 3)), 'unsupported'); // RARP request
  assert.equal(errKind(mutate(7, 0)), 'unsupported'); // op 0
});

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const ip = fc.nat({ max: 0xffffffff });

test('property: emit then parse round-trips', () => {
  fc.assert(
    fc.property(fc.constantFrom(ARP_REQUEST, ARP_REPLY), mac, ip, mac, ip, fc.nat({ max: 20 }), (op, sm, si, tm, ti, off) => {
      const buf = new Uint8Array(off + ARP_LEN);
      emitArp({ op, senderMac: sm, senderIp: si, targetMac: tm, targetIp: ti }, buf, off);
      const r = parsed(buf, off, ARP_LEN);
      assert.equal(r.op, op);
      assert.deepEqual([...r.senderMac], [...sm]);
      assert.equal(r.senderIp, si);
      assert.deepEqual([...r.targetMac], [...tm]);
      assert.equal(r.targetIp, ti);
    }),
  );
});

test('property: parse never throws on random bytes or mutated golden packets', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -2, max: 70 }), fc.integer({ min: -2, max: 70 }), (b, off, len) => {
      const r = parseArp(b, off, len);
      assert.ok(r instanceof WireError || r.senderMac.length === 6);
    }),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat({ max: 41 }), fc.nat({ max: 255 })), { maxLength: 6 }), (muts) => {
      const b = ARP_REPLY_FRAME.slice();
      for (const [i, v] of muts) b[i] = v;
      const r = parseArp(b, E, b.length - E);
      assert.ok(r instanceof WireError || r.op === ARP_REQUEST || r.op === ARP_REPLY);
    }),
  );
});

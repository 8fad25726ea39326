import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../src/wire/error.js';
import {
  ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETH_HEADER_LEN, emitEthernet, ethertypeOf, parseEthernet,
  type EthernetRepr,
} from '../../src/wire/ethernet.js';
import { formatMac } from '../../src/wire/address.js';
import { ALL_FRAMES, ARP_REQUEST_FRAME, PING_REPLY_FRAME, toHex } from './golden-frames.js';

function parsed(buf: Uint8Array): EthernetRepr {
  const r = parseEthernet(buf);
  if (r instanceof WireError) assert.fail(r.message);
  return r;
}

test('captured ARP request: broadcast from 52:54:00:12:34:01, type ARP; emit gives the same bytes', () => {
  const r = parsed(ARP_REQUEST_FRAME);
  assert.equal(formatMac(r.dst), 'ff:ff:ff:ff:ff:ff');
  assert.equal(formatMac(r.src), '52:54:00:12:34:01');
  assert.equal(r.ethertype, ETHERTYPE_ARP);
  // Views, not copies.
  assert.equal(r.dst.buffer, ARP_REQUEST_FRAME.buffer);
  assert.equal(r.src.byteOffset, ARP_REQUEST_FRAME.byteOffset + 6);
  const out = new Uint8Array(14);
  assert.equal(emitEthernet(r, out), ETH_HEADER_LEN);
  assert.equal(toHex(out), toHex(ARP_REQUEST_FRAME.subarray(0, 14)));
});

test('captured echo reply: unicast 52:54:00:12:34:02 -> :01, IPv4; emit at an offset', () => {
  const r = parsed(PING_REPLY_FRAME);
  assert.equal(formatMac(r.dst), '52:54:00:12:34:01');
  assert.equal(formatMac(r.src), '52:54:00:12:34:02');
  assert.equal(r.ethertype, ETHERTYPE_IPV4);
  assert.equal(ethertypeOf(PING_REPLY_FRAME), ETHERTYPE_IPV4);
  const out = new Uint8Array(20);
  assert.equal(emitEthernet(r, out, 3), 14);
  assert.equal(toHex(out.subarray(3, 17)), toHex(PING_REPLY_FRAME.subarray(0, 14)));
  assert.equal(out[2], 0);
  assert.equal(out[17], 0);
});

test('every golden frame parses', () => {
  for (const f of ALL_FRAMES) {
    const r = parseEthernet(f);
    assert.ok(!(r instanceof WireError));
    assert.ok(r.ethertype === ETHERTYPE_IPV4 || r.ethertype === ETHERTYPE_ARP);
  }
});

test('errors: truncated, unsupported (802.3 length), malformed (undefined type)', () => {
  const short = parseEthernet(ARP_REQUEST_FRAME.subarray(0, 13));
  assert.ok(short instanceof WireError);
  assert.equal(short.kind, 'truncated');
  const llc = ARP_REQUEST_FRAME.slice();
  llc[12] = 0x05;
  llc[13] = 0xdc; // 1500: an 802.3 length
  const e1 = parseEthernet(llc);
  assert.ok(e1 instanceof WireError);
  assert.equal(e1.kind, 'unsupported');
  llc[13] = 0xff; // 1535: neither length nor type
  const e2 = parseEthernet(llc);
  assert.ok(e2 instanceof WireError);
  assert.equal(e2.kind, 'malformed');
  llc[12] = 0x06;
  llc[13] = 0x00; // 0x0600, the smallest type
  assert.equal((parseEthernet(llc) as EthernetRepr).ethertype, 0x0600);
  assert.equal(ethertypeOf(new Uint8Array(13)), -1);
  assert.equal(ethertypeOf(new Uint8Array(0)), -1);
});

test('property: emit then parse round-trips', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 6, maxLength: 6 }),
      fc.uint8Array({ minLength: 6, maxLength: 6 }),
      fc.oneof(fc.integer({ min: 0x0600, max: 0xffff }), fc.constantFrom(ETHERTYPE_IPV4, ETHERTYPE_ARP, ETHERTYPE_IPV6)),
      (dst, src, ethertype) => {
        const buf = new Uint8Array(ETH_HEADER_LEN);
        emitEthernet({ dst, src, ethertype }, buf);
        const r = parsed(buf);
        assert.deepEqual([...r.dst], [...dst]);
        assert.deepEqual([...r.src], [...src]);
        assert.equal(r.ethertype, ethertype);
        assert.equal(ethertypeOf(buf), ethertype);
      },
    ),
  );
});

test('property: parse never throws on random bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      const r = parseEthernet(b);
      assert.ok(r instanceof WireError || r.dst.length === 6);
      ethertypeOf(b);
    }),
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4 } from 'node:net';
import fc from 'fast-check';
import {
  BROADCAST_MAC, broadcastOf, formatIPv4, formatMac, isBroadcastMac, isClassE, isLimitedBroadcast,
  isLoopbackIPv4, isMulticastIPv4, isMulticastMac, isUnspecifiedIPv4, macEquals, networkOf, parseCidr,
  parseIPv4, parseMac, prefixMask,
} from '../../src/wire/address.js';

test('parseIPv4 accepts dotted quads', () => {
  assert.equal(parseIPv4('0.0.0.0'), 0);
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  assert.equal(parseIPv4('10.0.0.1'), 0x0a000001);
  assert.equal(parseIPv4('192.168.0.199'), 0xc0a800c7);
  assert.equal(parseIPv4('1.20.100.0'), 0x01146400);
});

test('parseIPv4 rejects what inet_pton(AF_INET) rejects', () => {
  for (const bad of [
    '', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.256', '+1.2.3.4', ' 1.2.3.4', '1.2.3.4 ', '1..2.3',
    '.1.2.3', '1.2.3.', '01.2.3.4', '1.2.3.04', '00.1.2.3', '0x1.2.3.4', '1.2.3.-4', '1.2.3.4/24',
    '10.1', '4294967295', '1.2.3.4\n', '１.2.3.4', '1000.2.3.4',
  ]) {
    assert.equal(parseIPv4(bad), null, JSON.stringify(bad));
  }
});

test('property: format then parse is the identity on uint32', () => {
  fc.assert(
    fc.property(fc.nat({ max: 0xffffffff }), (n) => {
      assert.equal(parseIPv4(formatIPv4(n)), n);
    }),
  );
});

test('property: parseIPv4 accepts exactly what Node net.isIPv4 (strict, no leading zeros) accepts', () => {
  const chars = fc.constantFrom('0', '1', '2', '5', '9', '.', '.', '.');
  fc.assert(
    fc.property(fc.string({ unit: chars, maxLength: 16 }), (s) => {
      assert.equal(parseIPv4(s) !== null, isIPv4(s), s);
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.ipV4(), (s) => {
      assert.equal(formatIPv4(parseIPv4(s)!), s);
    }),
  );
});

test('formatIPv4 reads negative int32 as uint32', () => {
  assert.equal(formatIPv4(0xc0a80001 | 0), '192.168.0.1');
});

test('parseCidr', () => {
  assert.deepEqual(parseCidr('10.0.0.1/24'), { address: 0x0a000001, prefix: 24 });
  assert.deepEqual(parseCidr('10.0.0.1'), { address: 0x0a000001, prefix: 32 });
  assert.deepEqual(parseCidr('0.0.0.0/0'), { address: 0, prefix: 0 });
  assert.deepEqual(parseCidr('1.2.3.4/32'), { address: 0x01020304, prefix: 32 });
  for (const bad of ['10.0.0.1/33', '10.0.0.1/', '10.0.0.1/024', '10.0.0.1/+4', '10.0.0.1/ 4', '10.0.0/8', '/8', '10.0.0.1/2/3', '10.0.0.1/100']) {
    assert.equal(parseCidr(bad), null, bad);
  }
});

test('prefixMask, networkOf, broadcastOf', () => {
  assert.equal(prefixMask(0), 0);
  assert.equal(prefixMask(1), 0x80000000);
  assert.equal(prefixMask(8), 0xff000000);
  assert.equal(prefixMask(24), 0xffffff00);
  assert.equal(prefixMask(31), 0xfffffffe);
  assert.equal(prefixMask(32), 0xffffffff);
  assert.equal(prefixMask(-3), 0);
  assert.equal(prefixMask(40), 0xffffffff);
  assert.equal(networkOf(0x0a0000c8, 24), 0x0a000000);
  assert.equal(broadcastOf(0x0a0000c8, 24), 0x0a0000ff);
  assert.equal(networkOf(0xc0a80a0b, 16), 0xc0a80000);
  assert.equal(broadcastOf(0xc0a80a0b, 0), 0xffffffff);
  assert.equal(broadcastOf(0xc0a80a0b, 32), 0xc0a80a0b);
  fc.assert(
    fc.property(fc.nat({ max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (a, p) => {
      const m = prefixMask(p);
      assert.ok(m >= 0 && m <= 0xffffffff);
      assert.equal(m.toString(2).replace(/0+$/, '').length === p || (p === 0 && m === 0), true);
      assert.equal(networkOf(a, p) + (~m >>> 0), broadcastOf(a, p));
      assert.equal((networkOf(a, p) & ~m) >>> 0, 0);
    }),
  );
});

test('address class predicates at their boundaries', () => {
  const ip = (s: string) => parseIPv4(s)!;
  assert.equal(isMulticastIPv4(ip('224.0.0.1')), true);
  assert.equal(isMulticastIPv4(ip('239.255.255.255')), true);
  assert.equal(isMulticastIPv4(ip('223.255.255.255')), false);
  assert.equal(isMulticastIPv4(ip('240.0.0.0')), false);
  assert.equal(isLimitedBroadcast(ip('255.255.255.255')), true);
  assert.equal(isLimitedBroadcast(-1), true);
  assert.equal(isLimitedBroadcast(ip('255.255.255.254')), false);
  assert.equal(isLoopbackIPv4(ip('127.0.0.1')), true);
  assert.equal(isLoopbackIPv4(ip('127.255.255.255')), true);
  assert.equal(isLoopbackIPv4(ip('128.0.0.1')), false);
  assert.equal(isLoopbackIPv4(ip('126.255.255.255')), false);
  assert.equal(isUnspecifiedIPv4(0), true);
  assert.equal(isUnspecifiedIPv4(ip('0.0.0.1')), false);
  assert.equal(isClassE(ip('240.0.0.0')), true);
  assert.equal(isClassE(ip('255.255.255.255')), true);
  assert.equal(isClassE(ip('239.255.255.255')), false);
});

test('parseMac and formatMac', () => {
  assert.deepEqual(parseMac('52:54:00:12:34:01'), new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 1]));
  assert.deepEqual(parseMac('AA-bb-CC-dd-EE-ff'), new Uint8Array([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]));
  for (const bad of ['52:54:00:12:34', '52:54:00:12:34:011', '52-54:00:12:34:01', '52:54:00:12:34:0g', '5:54:00:12:34:01a', '525400123401', '52 54 00 12 34 01', '+2:54:00:12:34:01']) {
    assert.equal(parseMac(bad), null, bad);
  }
  assert.equal(formatMac(new Uint8Array([0xaa, 0xbb, 0xcc, 0x0d, 0xee, 0xff])), 'aa:bb:cc:0d:ee:ff');
  assert.equal(formatMac(new Uint8Array([9, 9, 0xde, 0xad, 0xbe, 0xef, 0, 1]), 2), 'de:ad:be:ef:00:01');
  assert.equal(formatMac(BROADCAST_MAC), 'ff:ff:ff:ff:ff:ff');
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (m) => {
      assert.deepEqual(parseMac(formatMac(m)), m);
      assert.deepEqual(parseMac(formatMac(m).toUpperCase().replaceAll(':', '-')), m);
    }),
  );
});

test('macEquals, isBroadcastMac, isMulticastMac', () => {
  const a = new Uint8Array([0, 0x52, 0x54, 0, 0x12, 0x34, 1]);
  const b = new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 1]);
  assert.equal(macEquals(a, 1, b, 0), true);
  b[5] = 2;
  assert.equal(macEquals(a, 1, b, 0), false);
  assert.equal(macEquals(a, 0, b, 0), false);
  assert.equal(isBroadcastMac(BROADCAST_MAC, 0), true);
  assert.equal(isBroadcastMac(new Uint8Array([0, 255, 255, 255, 255, 255, 255]), 1), true);
  assert.equal(isBroadcastMac(new Uint8Array([255, 255, 255, 255, 255, 254]), 0), false);
  assert.equal(isMulticastMac(parseMac('01:00:5e:00:00:01')!, 0), true);
  assert.equal(isMulticastMac(BROADCAST_MAC, 0), true);
  assert.equal(isMulticastMac(parseMac('52:54:00:12:34:01')!, 0), false);
  assert.equal(isMulticastMac(parseMac('02:00:00:00:00:00')!, 0), false);
});

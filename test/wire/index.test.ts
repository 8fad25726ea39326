import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as wire from '../../src/wire/index.js';
import { PING_REQUEST_FRAME } from './golden-frames.js';

test('the index re-exports every wire module', () => {
  for (const name of [
    'WireError', 'checksumPartial', 'checksumFinish', 'internetChecksum', 'pseudoHeaderPartial', 'parseIPv4',
    'formatIPv4', 'parseCidr', 'prefixMask', 'parseMac', 'formatMac', 'BROADCAST_MAC', 'parseEthernet',
    'emitEthernet', 'ethertypeOf', 'parseArp', 'emitArp', 'parseIpv4', 'emitIpv4', 'parseIcmpv4', 'emitIcmpv4',
    'icmpv4Length', 'parseUdp', 'emitUdpHeader', 'fillUdpChecksum',
  ]) {
    assert.ok(name in wire, name);
  }
});

test('a captured frame decodes layer by layer through the index', () => {
  const f = PING_REQUEST_FRAME;
  assert.equal(wire.ethertypeOf(f), wire.ETHERTYPE_IPV4);
  const ip = wire.parseIpv4(f, wire.ETH_HEADER_LEN, f.length - wire.ETH_HEADER_LEN);
  if (ip instanceof wire.WireError) return assert.fail(ip.message);
  assert.equal(ip.protocol, wire.IP_PROTO_ICMP);
  const icmp = wire.parseIcmpv4(f, wire.ETH_HEADER_LEN + ip.headerLength, ip.totalLength - ip.headerLength);
  if (icmp instanceof wire.WireError) return assert.fail(icmp.message);
  assert.equal(icmp.kind, 'echo-request');
});

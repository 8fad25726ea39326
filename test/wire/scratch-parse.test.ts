/** The receive path parses every segment and datagram into the same objects: nothing of one may show through in the next. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emitTcp, newTcpRepr, parseTcpInto, parseTcp, tcpOptionsLength, type TcpOptions } from '../../src/wire/tcp.js';
import { WireError } from '../../src/wire/error.js';
import { checkIpv4, emitIpv4, newIpv4Repr, parseIpv4, readIpv4HeaderInto } from '../../src/wire/ipv4.js';

function seg(options: TcpOptions, payload = 0): Uint8Array {
  const len = 20 + tcpOptionsLength(options) + payload;
  const b = new Uint8Array(7 + len + 5);
  emitTcp({ srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: 0x10, window: 5, urgentPointer: 0, options }, b, 7);
  return b;
}

test('parseTcpInto: options of one segment never show through in the next', () => {
  const out = newTcpRepr();
  const ts = { value: 0, echo: 0 };
  const full = seg({ mss: 1460, windowScale: 7, sackPermitted: true, timestamp: { value: 9, echo: 8 } });
  assert.equal(parseTcpInto(full, 7, full.length - 12, 0, false, out, ts), out);
  assert.equal(out.options.mss, 1460);
  assert.equal(out.options.timestamp, ts);
  const sack = seg({ sack: [[1, 2], [3, 4]], timestamp: { value: 1, echo: 2 } });
  assert.equal(parseTcpInto(sack, 7, sack.length - 12, 0, false, out, ts), out);
  assert.deepEqual(out.options.sack, [[1, 2], [3, 4]]);
  assert.equal(out.options.mss, undefined);
  assert.equal(out.options.windowScale, undefined);
  assert.equal(out.options.sackPermitted, undefined);
  const none = seg({}, 10);
  assert.equal(parseTcpInto(none, 7, none.length - 12, 0, false, out, ts), out);
  for (const k of ['mss', 'windowScale', 'sackPermitted', 'timestamp', 'sack'] as const) assert.equal(out.options[k], undefined, k);
  assert.equal(out.payloadOffset, 27);
  assert.equal(out.payloadLength, 10);
  // The same answers as parseTcp gives in a fresh object (whose absent options are absent keys).
  const fresh = parseTcp(none, 7, none.length - 12, 0, 0, false);
  if (fresh instanceof WireError) assert.fail(fresh.message);
  assert.deepEqual({ ...fresh, options: {} }, { ...out, options: {} });
  assert.deepEqual(Object.keys(fresh.options), []);
});

test('checkIpv4 + readIpv4HeaderInto agree with parseIpv4', () => {
  const b = new Uint8Array(14 + 40 + 6);
  emitIpv4({ headerLength: 20, tos: 3, totalLength: 40, id: 77, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 9, protocol: 6, src: 0x0a000001, dst: 0x0a000002 }, b, 14, true);
  assert.equal(checkIpv4(b, 14, b.length - 14, true), null);
  const out = newIpv4Repr();
  assert.deepEqual(readIpv4HeaderInto(b, 14, out), parseIpv4(b, 14, b.length - 14));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../src/wire/error.js';
import {
  TCP_ACK, TCP_HEADER_LEN, TCP_PSH, TCP_SYN, emitTcp, fillTcpChecksum, parseTcp, tcpOptionsLength,
  type TcpHeader, type TcpOptions, type TcpRepr,
} from '../../src/wire/tcp.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));

// Captured from Linux 6.18 on a veth pair (tx checksum offload off, so checksums are real),
// 10.9.0.1:60662 -> 10.9.0.2:7, tcp_rmem max 6 MiB. IPv4 header (20 bytes) included.
const A = 0x0a090001;
const B = 0x0a090002;
// tcpdump: Flags [S], seq 198846758, win 64240, options [mss 1460,sackOK,TS val 2953965240 ecr 0,nop,wscale 7]
const SYN = hex('4500003c03e84000400622c00a0900010a090002ecf600070bda292600000000a002faf078320000020405b40402080ab011eeb80000000001030307');
// Flags [S.], the answer from 10.9.0.2.
const SYNACK = hex('4500003c00004000400626a80a0900020a0900010007ecf6999595590bda2927a012fe88d8d90000020405b40402080a9cb1d00eb011eeb801030307');
// Flags [P.], "Hello, world", options [nop,nop,TS val 2953965240 ecr 2628898830]
const DATA = hex('4500004003ea4000400622ba0a0900010a090002ecf600070bda29279995955a801801f6e3d800000101080ab011eeb89cb1d00e48656c6c6f2c20776f726c64');

function parsed(ip: Uint8Array, src: number, dst: number): TcpRepr {
  const r = parseTcp(ip, 20, ip.length - 20, src, dst);
  if (r instanceof WireError) assert.fail(r.toString());
  return r;
}

/** Emits h + payload into a fresh buffer at offset `at`, with a valid checksum. */
function build(h: TcpHeader, payload: Uint8Array = new Uint8Array(0), at = 0): { buf: Uint8Array; len: number } {
  const buf = new Uint8Array(at + 60 + payload.length);
  const hlen = emitTcp(h, buf, at);
  buf.set(payload, at + hlen);
  fillTcpChecksum(buf, at, hlen + payload.length, A, B);
  return { buf, len: hlen + payload.length };
}

const base: TcpHeader = { srcPort: 1000, dstPort: 80, seq: 1, ack: 2, flags: TCP_ACK, window: 100, urgentPointer: 0, options: {} };

/** A segment whose option bytes are given raw (padded by the caller to a multiple of 4). */
function withRawOptions(opts: number[], verify = true): TcpRepr | WireError {
  const buf = new Uint8Array(20 + opts.length);
  emitTcp(base, buf, 0);
  buf.set(opts, 20);
  buf[12] = ((20 + opts.length) / 4) << 4;
  fillTcpChecksum(buf, 0, buf.length, A, B);
  return parseTcp(buf, 0, buf.length, A, B, verify);
}

function errKind(r: TcpRepr | WireError): string {
  return r instanceof WireError ? r.kind : 'ok';
}

test('golden: a Linux SYN parses', () => {
  const r = parsed(SYN, A, B);
  assert.equal(r.srcPort, 60662);
  assert.equal(r.dstPort, 7);
  assert.equal(r.seq, 198846758);
  assert.equal(r.ack, 0);
  assert.equal(r.flags, TCP_SYN);
  assert.equal(r.window, 64240);
  assert.equal(r.checksum, 0x7832);
  assert.equal(r.dataOffset, 40);
  assert.equal(r.urgentPointer, 0);
  assert.equal(r.payloadOffset, 60);
  assert.equal(r.payloadLength, 0);
  assert.deepEqual(r.options, { mss: 1460, sackPermitted: true, timestamp: { value: 0xb011eeb8, echo: 0 }, windowScale: 7 });
});

test('golden: a Linux SYN-ACK and data segment parse', () => {
  const sa = parsed(SYNACK, B, A);
  assert.equal(sa.flags, TCP_SYN | TCP_ACK);
  assert.equal(sa.ack, 198846759);
  assert.deepEqual(sa.options, { mss: 1460, sackPermitted: true, timestamp: { value: 0x9cb1d00e, echo: 0xb011eeb8 }, windowScale: 7 });
  const d = parsed(DATA, A, B);
  assert.equal(d.flags, TCP_PSH | TCP_ACK);
  assert.equal(d.seq, 198846759);
  assert.equal(d.ack, 0x9995955a);
  assert.equal(d.window, 502);
  assert.equal(d.dataOffset, 32);
  assert.deepEqual(d.options, { timestamp: { value: 0xb011eeb8, echo: 0x9cb1d00e } });
  assert.equal(new TextDecoder().decode(DATA.subarray(d.payloadOffset, d.payloadOffset + d.payloadLength)), 'Hello, world');
});

test('golden: emit reproduces the Linux bytes exactly, checksum included', () => {
  for (const [ip, src, dst] of [[SYN, A, B], [SYNACK, B, A], [DATA, A, B]] as const) {
    const r = parsed(ip, src, dst);
    const out = new Uint8Array(ip.length - 20);
    const hlen = emitTcp(r, out, 0);
    assert.equal(hlen, r.dataOffset);
    assert.equal(tcpOptionsLength(r.options), hlen - 20);
    out.set(ip.subarray(r.payloadOffset), hlen);
    assert.equal(fillTcpChecksum(out, 0, out.length, src, dst), r.checksum);
    assert.deepEqual(out, ip.subarray(20));
  }
});

test('checksum errors and verifyChecksum=false', () => {
  const ip = DATA.slice();
  ip[ip.length - 1] ^= 1;
  assert.equal(errKind(parseTcp(ip, 20, ip.length - 20, A, B)), 'bad-checksum');
  assert.equal(errKind(parseTcp(ip, 20, ip.length - 20, A, B, false)), 'ok');
  // The pseudo-header is covered: the right bytes from the wrong address fail.
  assert.equal(errKind(parseTcp(DATA, 20, DATA.length - 20, A + 1, B)), 'bad-checksum');
});

test('truncated and bad data offsets', () => {
  const seg = SYN.subarray(20);
  assert.equal(errKind(parseTcp(seg, 0, 19, A, B, false)), 'truncated');
  assert.equal(errKind(parseTcp(seg, 0, 0, A, B, false)), 'truncated');
  assert.equal(errKind(parseTcp(seg, 10, seg.length, A, B, false)), 'truncated'); // past the buffer
  assert.equal(errKind(parseTcp(seg, -1, 20, A, B, false)), 'truncated');
  assert.equal(errKind(parseTcp(seg, 0, 39, A, B, false)), 'malformed'); // offset 40 > len 39
  const low = seg.slice();
  low[12] = 4 << 4;
  assert.equal(errKind(parseTcp(low, 0, low.length, A, B, false)), 'malformed');
  low[12] = 0;
  assert.equal(errKind(parseTcp(low, 0, low.length, A, B, false)), 'malformed');
});

test('malformed option lengths', () => {
  const cases: Array<[string, number[]]> = [
    ['length 0', [30, 0, 0, 0]],
    ['length 1', [30, 1, 0, 0]],
    ['runs past the header', [30, 6, 0, 0]],
    ['no length byte', [1, 1, 1, 2]],
    ['MSS length 3', [2, 3, 5, 0]],
    ['MSS length 5', [2, 5, 5, 0, 0, 0, 0, 0]],
    ['WS length 2', [3, 2, 0, 0]],
    ['WS length 4', [3, 4, 7, 0]],
    ['SACK-perm length 3', [4, 3, 0, 0]],
    ['TS length 8', [8, 8, 0, 0, 0, 0, 0, 0]],
    ['TS length 12', [8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['SACK length 2', [5, 2, 0, 0]],
    ['SACK length 9', [5, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['SACK length 11', [5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
  ];
  for (const [name, opts] of cases) assert.equal(errKind(withRawOptions(opts)), 'malformed', name);
});

test('EOL ends the list, NOPs and unknown kinds are skipped, WS is clamped to 14', () => {
  const r = withRawOptions([1, 30, 6, 9, 9, 9, 9, 2, 4, 5, 0xb4, 3, 3, 15, 0, 2, 0, 0, 0, 0]);
  assert.ok(!(r instanceof WireError), String(r));
  // The bytes after EOL (2, 0, ...) would be a bad MSS if they were parsed.
  assert.deepEqual(r.options, { mss: 1460, windowScale: 14 });
  const s = withRawOptions([1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 9, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0x10]);
  assert.ok(!(s instanceof WireError));
  assert.deepEqual(s.options, { sack: [[1, 9], [0xfffffff0, 0x10]] });
});

test('emit uses the Linux option layouts', () => {
  const seg = (o: TcpOptions): number[] => {
    const buf = new Uint8Array(60);
    const hlen = emitTcp({ ...base, options: o }, buf, 0);
    return [...buf.subarray(20, hlen)];
  };
  assert.deepEqual(seg({}), []);
  assert.deepEqual(seg({ mss: 536, sackPermitted: true, windowScale: 2 }), [2, 4, 2, 24, 1, 1, 4, 2, 1, 3, 3, 2]);
  assert.deepEqual(seg({ mss: 536, timestamp: { value: 1, echo: 2 }, windowScale: 0 }), [2, 4, 2, 24, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 0]);
  assert.deepEqual(seg({ timestamp: { value: 1, echo: 2 }, sack: [[5, 6]] }), [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 10, 0, 0, 0, 5, 0, 0, 0, 6]);
  const blocks: Array<[number, number]> = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]];
  assert.equal(tcpOptionsLength({ sack: blocks }), 36); // 4 blocks without timestamps
  assert.equal(tcpOptionsLength({ sack: blocks, timestamp: { value: 0, echo: 0 } }), 40); // 3 with
});

// Options as the parser reports them after emit: only the SACK blocks that fit survive.
function expectedOptions(o: TcpOptions): TcpOptions {
  const e: TcpOptions = {};
  if (o.mss !== undefined) e.mss = o.mss;
  if (o.sackPermitted) e.sackPermitted = true;
  if (o.timestamp !== undefined) e.timestamp = { value: o.timestamp.value, echo: o.timestamp.echo };
  if (o.windowScale !== undefined) e.windowScale = o.windowScale;
  if (o.sack !== undefined && o.sack.length > 0) {
    const used = tcpOptionsLength({ ...o, sack: undefined });
    const fit = Math.floor((40 - used - 4) / 8);
    if (fit > 0) e.sack = o.sack.slice(0, fit).map(([l, r]): [number, number] => [l, r]);
  }
  return e;
}

const u32 = fc.nat(0xffffffff);
const optionsArb: fc.Arbitrary<TcpOptions> = fc.record(
  {
    mss: fc.nat(0xffff),
    windowScale: fc.nat(14),
    sackPermitted: fc.constant(true),
    timestamp: fc.record({ value: u32, echo: u32 }),
    sack: fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 5 }),
  },
  { requiredKeys: [] },
);
const headerArb: fc.Arbitrary<TcpHeader> = fc.record({
  srcPort: fc.nat(0xffff),
  dstPort: fc.nat(0xffff),
  seq: u32,
  ack: u32,
  flags: fc.nat(0xff),
  window: fc.nat(0xffff),
  urgentPointer: fc.nat(0xffff),
  options: optionsArb,
});

test('property: emit then parse round-trips', () => {
  fc.assert(
    fc.property(headerArb, fc.uint8Array({ maxLength: 100 }), fc.nat(8), (h, payload, at) => {
      const { buf, len } = build(h, payload, at);
      const hlen = TCP_HEADER_LEN + tcpOptionsLength(h.options);
      assert.equal(len, hlen + payload.length);
      assert.equal(hlen % 4, 0);
      assert.ok(hlen <= 60);
      const r = parseTcp(buf, at, len, A, B);
      if (r instanceof WireError) assert.fail(r.toString());
      const { srcPort, dstPort, seq, ack, flags, window, urgentPointer } = r;
      assert.deepEqual(
        { srcPort, dstPort, seq, ack, flags, window, urgentPointer, options: r.options },
        { ...h, options: expectedOptions(h.options) },
      );
      assert.equal(r.dataOffset, hlen);
      assert.equal(r.payloadOffset, at + hlen);
      assert.deepEqual(buf.subarray(r.payloadOffset, r.payloadOffset + r.payloadLength), payload);
    }),
  );
});

test('property: any single bit flip in a checksummed segment is rejected', () => {
  fc.assert(
    fc.property(headerArb, fc.uint8Array({ maxLength: 64 }), fc.nat(), (h, payload, bitSeed) => {
      const { buf, len } = build(h, payload);
      const bit = bitSeed % (len * 8);
      buf[bit >>> 3] ^= 1 << (bit & 7);
      assert.ok(parseTcp(buf, 0, len, A, B) instanceof WireError);
    }),
  );
});

test('property: parsing random bytes never throws and stays in bounds', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: -2, max: 90 }), fc.integer({ min: -2, max: 90 }), fc.boolean(), (buf, off, len, verify) => {
      const r = parseTcp(buf, off, len, A, B, verify);
      if (r instanceof WireError) return;
      assert.ok(r.dataOffset >= 20 && r.dataOffset <= 60 && r.dataOffset <= len);
      assert.equal(r.payloadOffset + r.payloadLength, off + len);
      assert.ok(off + len <= buf.length);
    }),
    { numRuns: 2000 },
  );
});

test('property: random option bytes never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 10 }).map((a) => [...a, 0, 0, 0, 0].slice(0, 4 * Math.ceil(a.length / 4))), (opts) => {
      const r = withRawOptions(opts, true);
      assert.ok(r instanceof WireError ? r.kind === 'malformed' : r.dataOffset === 20 + opts.length);
    }),
    { numRuns: 2000 },
  );
});

import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapngWriter, tapToPcap } from '../../src/link/pcapng.js';
import { Segment } from '../../src/link/segment.js';
import { VirtualClock } from '../../src/time/clock.js';
import { TimerScheduler } from '../../src/time/scheduler.js';
import { Rng } from '../../src/time/rng.js';

// ---- hand-built, valid Ethernet + IPv4 + UDP frames (independent of src/wire) ----

/** RFC 1071 Internet checksum over `parts`, each of even length except possibly the last. */
function inetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const p of parts) {
    for (let i = 0; i + 1 < p.length; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
    if (p.length & 1) sum += p[p.length - 1]! << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const MAC_A = Uint8Array.of(0x02, 0, 0, 0, 0, 1);
const MAC_B = Uint8Array.of(0x02, 0, 0, 0, 0, 2);
const IP_A = Uint8Array.of(10, 0, 0, 1);
const IP_B = Uint8Array.of(10, 0, 0, 2);

function udpFrame(srcMac: Uint8Array, dstMac: Uint8Array, src: Uint8Array, dst: Uint8Array, sport: number, dport: number, id: number, payload: Uint8Array): Uint8Array {
  const udpLen = 8 + payload.length;
  const f = new Uint8Array(14 + 20 + udpLen);
  const dv = new DataView(f.buffer);
  f.set(dstMac, 0);
  f.set(srcMac, 6);
  dv.setUint16(12, 0x0800);
  const ip = f.subarray(14, 34);
  ip[0] = 0x45; // RFC 791: version 4, IHL 5
  dv.setUint16(16, 20 + udpLen);
  dv.setUint16(18, id);
  dv.setUint16(20, 0x4000); // DF
  ip[8] = 64;
  ip[9] = 17;
  ip.set(src, 12);
  ip.set(dst, 16);
  dv.setUint16(24, inetChecksum(ip));
  dv.setUint16(34, sport);
  dv.setUint16(36, dport);
  dv.setUint16(38, udpLen);
  f.set(payload, 42);
  // RFC 768: checksum over the pseudo header, the UDP header and the data.
  const pseudo = new Uint8Array(12);
  pseudo.set(src, 0);
  pseudo.set(dst, 4);
  pseudo[9] = 17;
  new DataView(pseudo.buffer).setUint16(10, udpLen);
  const c = inetChecksum(pseudo, f.subarray(34));
  dv.setUint16(40, c === 0 ? 0xffff : c);
  return f;
}

function payload(i: number): Uint8Array {
  const p = new Uint8Array(32 + (i % 7)); // varied lengths exercise the 32-bit padding
  for (let k = 0; k < p.length; k++) p[k] = 0x41 + ((i + k) % 26);
  return p;
}

const frameAB = (i: number): Uint8Array => udpFrame(MAC_A, MAC_B, IP_A, IP_B, 40000 + i, 7, i, payload(i));

// ---- a minimal pcapng reader for structure checks ----

interface Block {
  type: number;
  offset: number;
  length: number;
  dv: DataView;
}

function readBlocks(bytes: Uint8Array): Block[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Block[] = [];
  let off = 0;
  while (off < bytes.length) {
    const type = dv.getUint32(off, true);
    const length = dv.getUint32(off + 4, true);
    assert.ok(length >= 12, 'block length >= 12');
    assert.equal(length % 4, 0, 'block length is a multiple of 4');
    assert.ok(off + length <= bytes.length, 'block fits in the file');
    assert.equal(dv.getUint32(off + length - 4, true), length, 'trailing length equals leading length');
    out.push({ type, offset: off, length, dv: new DataView(bytes.buffer, bytes.byteOffset + off, length) });
    off += length;
  }
  assert.equal(off, bytes.length);
  return out;
}

/** Options from `start` to the block trailer: [code, value] pairs, checking opt_endofopt. */
function readOptions(b: Block, start: number): Array<[number, Uint8Array]> {
  const opts: Array<[number, Uint8Array]> = [];
  let off = start;
  const end = b.length - 4;
  while (off < end) {
    const code = b.dv.getUint16(off, true);
    const len = b.dv.getUint16(off + 2, true);
    if (code === 0) {
      assert.equal(len, 0);
      assert.equal(off + 4, end, 'opt_endofopt is last');
      return opts;
    }
    opts.push([code, new Uint8Array(b.dv.buffer, b.dv.byteOffset + off + 4, len)]);
    off += 4 + ((len + 3) & ~3);
  }
  assert.equal(off, end);
  return opts;
}

const text = (u: Uint8Array): string => new TextDecoder().decode(u);

test('structure: SHB, then an IDB per interface, then EPBs with lengths, padding and flags', () => {
  const w = new PcapngWriter();
  const eth0 = w.addInterface('eth0');
  const small = w.addInterface('tap-ü', 64);
  assert.deepEqual([eth0, small], [0, 1]);
  const frames = [frameAB(0), frameAB(1), frameAB(2)];
  w.writePacket(eth0, 1234.5678, frames[0]!, 'out');
  w.writePacket(eth0, 1235, frames[1]!, 'in');
  w.writePacket(small, (2 ** 32 + 5) / 1000, frames[2]!);
  assert.equal(w.packetCount, 3);
  const blocks = readBlocks(w.bytes());
  assert.deepEqual(
    blocks.map((b) => b.type),
    [0x0a0d0d0a, 1, 1, 6, 6, 6],
  );

  const shb = blocks[0]!;
  assert.equal(shb.dv.getUint32(8, true), 0x1a2b3c4d);
  assert.equal(shb.dv.getUint16(12, true), 1);
  assert.equal(shb.dv.getUint16(14, true), 0);
  assert.equal(shb.dv.getBigInt64(16, true), -1n);
  assert.deepEqual(
    readOptions(shb, 24).map(([c, v]) => [c, text(v)]),
    [[4, 'sockstack']],
  );

  for (const [i, name, snaplen] of [
    [1, 'eth0', 262144],
    [2, 'tap-ü', 64],
  ] as const) {
    const idb = blocks[i]!;
    assert.equal(idb.dv.getUint16(8, true), 1, 'LINKTYPE_ETHERNET');
    assert.equal(idb.dv.getUint16(10, true), 0);
    assert.equal(idb.dv.getUint32(12, true), snaplen);
    const opts = readOptions(idb, 16);
    assert.deepEqual(
      opts.map(([c]) => c),
      [2, 9],
    );
    assert.equal(text(opts[0]![1]), name);
    assert.deepEqual([...opts[1]![1]], [6], 'if_tsresol = 6 (microseconds)');
  }

  const epb = (k: number) => {
    const b = blocks[3 + k]!;
    const cap = b.dv.getUint32(20, true);
    const padded = (cap + 3) & ~3;
    const data = new Uint8Array(b.dv.buffer, b.dv.byteOffset + 28, cap);
    const pad = new Uint8Array(b.dv.buffer, b.dv.byteOffset + 28 + cap, padded - cap);
    return {
      iface: b.dv.getUint32(8, true),
      hi: b.dv.getUint32(12, true),
      lo: b.dv.getUint32(16, true),
      cap,
      orig: b.dv.getUint32(24, true),
      data,
      pad,
      opts: readOptions(b, 28 + padded),
    };
  };
  const p0 = epb(0);
  assert.deepEqual([p0.iface, p0.hi, p0.lo, p0.cap, p0.orig], [0, 0, 1234568, frames[0]!.length, frames[0]!.length]);
  assert.deepEqual(p0.data, frames[0]);
  assert.ok(p0.pad.every((x) => x === 0));
  assert.equal(p0.opts.length, 1);
  assert.equal(p0.opts[0]![0], 2, 'epb_flags');
  assert.equal(new DataView(p0.opts[0]![1].buffer, p0.opts[0]![1].byteOffset).getUint32(0, true), 2, 'outbound');
  const p1 = epb(1);
  assert.equal(p1.lo, 1235000);
  assert.equal(new DataView(p1.opts[0]![1].buffer, p1.opts[0]![1].byteOffset).getUint32(0, true), 1, 'inbound');
  const p2 = epb(2);
  assert.deepEqual([p2.iface, p2.hi, p2.lo, p2.cap, p2.orig], [1, 1, 5, 64, frames[2]!.length], 'snaplen truncates');
  assert.deepEqual(p2.data, frames[2]!.subarray(0, 64));
  assert.deepEqual(p2.opts, [], 'no direction, no options');
});

test('writePacket rejects an unknown interface; addInterface rejects a bad snaplen', () => {
  const w = new PcapngWriter();
  assert.throws(() => w.writePacket(0, 0, frameAB(0)), RangeError);
  assert.throws(() => w.addInterface('x', -1), RangeError);
  assert.throws(() => w.addInterface('x', 1.5), RangeError);
  w.addInterface('x');
  w.writePacket(0, -5, frameAB(0)); // negative time clamps to the epoch
  w.writePacket(0, NaN, frameAB(0));
  const epbs = readBlocks(w.bytes()).filter((b) => b.type === 6);
  assert.equal(epbs.length, 2);
  for (const b of epbs) assert.deepEqual([b.dv.getUint32(12, true), b.dv.getUint32(16, true)], [0, 0]);
});

function sample(w: PcapngWriter): void {
  const a = w.addInterface('a');
  for (let i = 0; i < 20; i++) w.writePacket(a, i * 0.125, frameAB(i), i % 2 ? 'in' : 'out');
  const b = w.addInterface('b', 100); // an IDB after EPBs: legal within a section
  for (let i = 20; i < 30; i++) w.writePacket(b, i * 1.5, frameAB(i));
}

test('output is byte-for-byte deterministic, and a sink receives the same bytes', () => {
  const w1 = new PcapngWriter();
  const w2 = new PcapngWriter();
  sample(w1);
  sample(w2);
  const b1 = w1.bytes();
  assert.deepEqual(b1, w2.bytes());
  assert.deepEqual(w1.bytes(), b1, 'bytes() is repeatable');

  const chunks: Uint8Array[] = [];
  const ws = new PcapngWriter((c) => chunks.push(c));
  sample(ws);
  const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    joined.set(c, off);
    off += c.length;
  }
  assert.deepEqual(joined, b1);
  assert.equal(ws.bytes().length, 0, 'a writer with a sink keeps nothing');
  assert.equal(ws.packetCount, 30);
});

test('tapToPcap captures what a segment port sends and receives, stamped by the clock', () => {
  const clock = new VirtualClock();
  const sched = new TimerScheduler(clock);
  const seg = new Segment('lan', sched, new Rng(1), { latency: 1.5 });
  const a = seg.attach('a', MAC_A);
  const b = seg.attach('b', MAC_B);
  const w = new PcapngWriter();
  const ta = tapToPcap(w, a, clock);
  const tb = tapToPcap(w, b, clock, { name: 'port-b' });
  a.transmit(frameAB(0));
  clock.advanceTo(sched.nextDeadline());
  sched.runDue();
  ta.stop();
  a.transmit(frameAB(1));
  clock.advanceTo(sched.nextDeadline());
  sched.runDue();
  assert.equal(w.packetCount, 3);
  const blocks = readBlocks(w.bytes());
  const epbs = blocks.filter((x) => x.type === 6);
  const summary = epbs.map((x) => [x.dv.getUint32(8, true), x.dv.getUint32(16, true), new DataView(x.dv.buffer, x.dv.byteOffset + x.dv.getUint32(4, true) - 12).getUint32(0, true)]);
  // [interface, microseconds, epb_flags]: a's 'out' at 0, b's 'in' at 1500 us, then b's 'in' only.
  assert.deepEqual(summary, [
    [ta.interfaceId, 0, 2],
    [tb.interfaceId, 1500, 1],
    [tb.interfaceId, 3000, 1],
  ]);
  const idbNames = blocks.filter((x) => x.type === 1).map((x) => text(readOptions(x, 16)[0]![1]));
  assert.deepEqual(idbNames, ['a', 'port-b']);
});

// ---- interop: Wireshark's own tools read what we write ----

function haveTool(t: TestContext, name: string): boolean {
  const r = spawnSync(name, ['-v'], { encoding: 'utf8' });
  if (!r.error && r.status === 0) return true;
  const why = `${name} not installed (apt-get install tshark)`;
  if (process.env['SOCKSTACK_REQUIRE_INTEROP'] === '1') assert.fail(`${why}, and SOCKSTACK_REQUIRE_INTEROP=1`);
  t.skip(why);
  return false;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.error, undefined);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function withCapture(bytes: Uint8Array, fn: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'sockstack-pcapng-'));
  try {
    const file = join(dir, 'capture.pcapng');
    writeFileSync(file, bytes);
    fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('interop: capinfos counts the packets', (t) => {
  if (!haveTool(t, 'capinfos')) return;
  const w = new PcapngWriter();
  sample(w);
  withCapture(w.bytes(), (file) => {
    const out = run('capinfos', ['-M', '-c', '-t', file]);
    assert.match(out, /File type:\s+.*pcapng/);
    assert.match(out, /Number of packets:\s+30\b/);
  });
});

test('interop: tshark reads every packet, with interfaces, directions, times and no malformed packet', (t) => {
  if (!haveTool(t, 'tshark')) return;
  const w = new PcapngWriter();
  sample(w);
  withCapture(w.bytes(), (file) => {
    const check = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
    const rows = run('tshark', ['-n', '-r', file, ...check, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.interface_name', '-e', 'frame.packet_flags_direction', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'udp.srcport'])
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    assert.equal(rows.length, 30);
    const expect = (i: number): string[] => {
      const len = String(frameAB(i).length);
      if (i < 20) return ['a', i % 2 ? '0x00000001' : '0x00000002', (i * 0.125e-3).toFixed(9), len, len, String(40000 + i)];
      return ['b', '', (i * 1.5e-3).toFixed(9), len, String(Math.min(100, frameAB(i).length)), String(40000 + i)];
    };
    for (let i = 0; i < 30; i++) {
      const r = rows[i]!;
      const e = expect(i);
      assert.deepEqual([r[0], r[1], Number(r[2]).toFixed(9), r[3], r[4], r[5]], e, `packet ${i}`);
    }
    // No packet may be malformed and, with checksum checks on, no expert info may appear at all
    // (the test frames are complete and fit interface b's 100-byte snaplen).
    const bad = run('tshark', ['-n', '-r', file, ...check, '-Y', '_ws.malformed || _ws.expert']);
    assert.equal(bad.trim(), '', `tshark complained:\n${bad}`);
  });
});

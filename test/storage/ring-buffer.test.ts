import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RingBuffer } from '../../src/storage/ring-buffer.js';

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
const range = (n: number, from = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

test('storage is allocated on first write and released when empty', () => {
  const r = new RingBuffer(64 * 1024);
  assert.equal(r.allocated, 0);
  assert.equal(r.capacity, 65536);
  assert.equal(r.free, 65536);
  assert.equal(r.write(bytes(1, 2, 3)), 3);
  assert.ok(r.allocated > 0 && r.allocated <= 1024, `allocated ${r.allocated}`);
  assert.equal(r.release(), false); // still holds data
  assert.deepEqual(r.readBytes(), bytes(1, 2, 3));
  assert.equal(r.release(), true);
  assert.equal(r.allocated, 0);
  assert.equal(r.write(bytes(9)), 1);
  assert.deepEqual(r.readBytes(), bytes(9));
});

test('storage grows with the data, never past the capacity', () => {
  const r = new RingBuffer(3000);
  assert.equal(r.write(range(2000)), 2000);
  assert.ok(r.allocated >= 2000 && r.allocated <= 3000);
  assert.equal(r.write(range(5000)), 1000); // only `free` is accepted
  assert.equal(r.allocated, 3000);
  assert.equal(r.free, 0);
  assert.equal(r.write(bytes(1)), 0);
});

test('write and read wrap around the end of storage', () => {
  const r = new RingBuffer(8);
  r.resize(8);
  assert.equal(r.write(range(6)), 6);
  assert.equal(r.discard(5), 5);
  assert.equal(r.write(range(7, 100)), 7); // wraps
  assert.equal(r.length, 8);
  const out = new Uint8Array(8);
  assert.equal(r.peek(out, 0, 8), 8);
  assert.deepEqual(out, bytes(5, 100, 101, 102, 103, 104, 105, 106));
  const v = r.views(0, 8);
  assert.deepEqual(Uint8Array.from(v.flatMap((x) => [...x])), out);
  assert.equal(r.read(out, 0, 3), 3);
  assert.deepEqual(out.subarray(0, 3), bytes(5, 100, 101));
  assert.equal(r.length, 5);
});

test('growing and shrinking storage keep wrapped content in order', () => {
  const r = new RingBuffer(2000);
  r.write(range(500));
  r.discard(400);
  assert.equal(r.write(range(400, 500)), 400); // wraps inside the first 512-byte storage
  assert.equal(r.allocated, 512);
  assert.equal(r.write(range(300, 900)), 300); // grows while wrapped
  assert.ok(r.allocated > 512);
  assert.equal(r.discard(50), 50);
  assert.equal(r.resize(750), 750); // shrinks storage, content kept
  assert.equal(r.allocated, 750);
  const all = r.readBytes();
  assert.deepEqual(all, range(750, 450));
});

test('peek reads by offset without consuming', () => {
  const r = new RingBuffer(100);
  r.write(range(50));
  const out = new Uint8Array(10);
  assert.equal(r.peek(out, 45, 10, 2), 5);
  assert.deepEqual(out.subarray(2, 7), range(5, 45));
  assert.equal(r.peek(out, 50, 10), 0);
  assert.equal(r.length, 50);
});

test('writeAt places bytes past the readable end; commit makes them readable', () => {
  const r = new RingBuffer(16);
  r.write(bytes(1, 2));
  assert.equal(r.writeAt(3, bytes(6, 7)), 2); // a hole at offset 0..2
  assert.equal(r.length, 2);
  assert.equal(r.extentLength, 7);
  assert.equal(r.writeAt(0, bytes(3, 4, 5)), 3); // fills the hole
  assert.equal(r.commit(5), 5);
  assert.deepEqual(r.readBytes(), bytes(1, 2, 3, 4, 5, 6, 7));
  assert.equal(r.writeAt(10, range(20)), 6); // clipped at the capacity
  assert.equal(r.writeAt(16, range(1)), 0);
  assert.equal(r.writeAt(-1, range(1)), 0);
});

test('resize keeps content and never drops held bytes', () => {
  const r = new RingBuffer(100);
  r.write(range(30));
  r.discard(20);
  r.write(range(60, 30));
  r.writeAt(5, bytes(0xaa));
  assert.equal(r.resize(10), 76); // readable 70 + ahead up to offset 5 -> 76
  assert.equal(r.capacity, 76);
  assert.equal(r.free, 6);
  r.dropAhead();
  assert.equal(r.resize(10), 70);
  const all = r.readBytes();
  assert.deepEqual(all.subarray(0, 10), range(10, 20));
  assert.deepEqual(all.subarray(10), range(60, 30));
  assert.equal(r.resize(4096), 4096);
  assert.equal(r.write(range(3000)), 3000);
});

test('release refuses while bytes are written ahead', () => {
  const r = new RingBuffer(100);
  r.writeAt(10, bytes(1));
  assert.equal(r.release(), false);
  r.dropAhead();
  assert.equal(r.release(), true);
});

// Model: `held[i]` is the byte at offset i from the head (undefined = never written), the
// first `len` readable; held.length is the extent.
type Model = { cap: number; len: number; held: Array<number | undefined> };

type Op =
  | { op: 'write'; data: Uint8Array }
  | { op: 'writeAt'; at: number; data: Uint8Array }
  | { op: 'commit'; n: number }
  | { op: 'read'; n: number }
  | { op: 'peek'; at: number; n: number }
  | { op: 'discard'; n: number }
  | { op: 'resize'; cap: number }
  | { op: 'grow'; cap: number }
  | { op: 'release' }
  | { op: 'dropAhead' }
  | { op: 'views'; at: number; n: number };

const data = fc.uint8Array({ maxLength: 700, size: 'medium' });
const small = fc.nat(900);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('write' as const), data }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('writeAt' as const), at: small, data }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('commit' as const), n: small }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('read' as const), n: small }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('peek' as const), at: small, n: small }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('discard' as const), n: small }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('resize' as const), cap: fc.nat(3000) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('grow' as const), cap: fc.nat(4000) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('release' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('dropAhead' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('views' as const), at: small, n: small }), weight: 1 },
);

function sameKnown(actual: Uint8Array, expected: Array<number | undefined>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] !== undefined) assert.equal(actual[i], expected[i], `${what}: byte ${i}`);
  }
}

function apply(r: RingBuffer, m: Model, o: Op): void {
  switch (o.op) {
    case 'write': {
      const n = Math.min(o.data.length, m.cap - m.len);
      assert.equal(r.write(o.data), n);
      for (let i = 0; i < n; i++) m.held[m.len + i] = o.data[i];
      m.len += n;
      break;
    }
    case 'writeAt': {
      const n = Math.max(0, Math.min(o.data.length, m.cap - m.len - o.at));
      assert.equal(r.writeAt(o.at, o.data, 0, o.data.length), n);
      for (let i = 0; i < n; i++) m.held[m.len + o.at + i] = o.data[i];
      break;
    }
    case 'commit': {
      const n = Math.min(o.n, m.cap - m.len);
      assert.equal(r.commit(o.n), n);
      m.len += n;
      if (m.held.length < m.len) m.held.length = m.len;
      break;
    }
    case 'read': {
      const n = Math.min(o.n, m.len);
      const out = new Uint8Array(o.n + 3);
      assert.equal(r.read(out, 3, o.n), n);
      sameKnown(out.subarray(3, 3 + n), m.held.slice(0, n), 'read');
      m.held.splice(0, n);
      m.len -= n;
      break;
    }
    case 'peek': {
      const n = Math.max(0, Math.min(o.n, m.len - o.at));
      const out = new Uint8Array(o.n);
      assert.equal(r.peek(out, o.at, o.n), n);
      sameKnown(out.subarray(0, n), m.held.slice(o.at, o.at + n), 'peek');
      break;
    }
    case 'views': {
      const n = Math.max(0, Math.min(o.n, m.len - o.at));
      const vs = r.views(o.at, o.n);
      assert.ok(vs.length <= 2);
      sameKnown(Uint8Array.from(vs.flatMap((v) => [...v])), m.held.slice(o.at, o.at + n), 'views');
      break;
    }
    case 'discard': {
      const n = Math.min(o.n, m.len);
      assert.equal(r.discard(o.n), n);
      m.held.splice(0, n);
      m.len -= n;
      break;
    }
    case 'resize': {
      m.cap = Math.max(o.cap, m.held.length);
      assert.equal(r.resize(o.cap), m.cap);
      break;
    }
    case 'grow': {
      m.cap = Math.max(m.cap, o.cap);
      assert.equal(r.grow(o.cap), m.cap);
      break;
    }
    case 'release':
      assert.equal(r.release(), m.held.length === 0);
      if (m.held.length === 0) assert.equal(r.allocated, 0);
      break;
    case 'dropAhead':
      r.dropAhead();
      m.held.length = m.len;
      break;
  }
}

test('property: the ring behaves like an array model over random operations', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2000 }), fc.array(opArb, { maxLength: 60 }), (cap, ops) => {
      const r = new RingBuffer(cap);
      const m: Model = { cap, len: 0, held: [] };
      for (const o of ops) {
        apply(r, m, o);
        assert.equal(r.length, m.len);
        assert.equal(r.capacity, m.cap);
        assert.equal(r.free, m.cap - m.len);
        assert.equal(r.extentLength, m.held.length);
        assert.ok(r.allocated <= m.cap);
        const all = new Uint8Array(m.len);
        assert.equal(r.peek(all, 0, m.len), m.len);
        sameKnown(all, m.held.slice(0, m.len), 'content');
      }
    }),
    { numRuns: 300 },
  );
});

test('grow raises the capacity only, keeping readable bytes and bytes written ahead in place', () => {
  const r = new RingBuffer(16);
  r.write(range(12));
  r.discard(10); // head moves: the next writes wrap around the 16-byte storage
  r.write(range(10, 50)); // readable: 12 bytes, wrapped
  assert.equal(r.writeAt(2, bytes(7, 8)), 2); // written ahead, at the end of the capacity
  assert.equal(r.free, 4);
  assert.equal(r.grow(8), 16, 'never shrinks');
  assert.equal(r.grow(1000), 1000);
  assert.equal(r.capacity, 1000);
  assert.equal(r.free, 1000 - 12);
  assert.equal(r.extentLength, 16);
  assert.equal(r.writeAt(300, range(100)), 100, 'the new room takes bytes far ahead');
  assert.equal(r.commit(4), 4); // the two bytes never written (offsets 0, 1) and 7, 8
  const got = r.readBytes(16);
  assert.deepEqual(got.subarray(0, 2), range(2, 10));
  assert.deepEqual(got.subarray(2, 12), range(10, 50));
  assert.deepEqual(got.subarray(14, 16), bytes(7, 8));
});

/**
 * A TCP receiver's use of the ring: segments of a stream arrive in any order, each placed with
 * writeAt() at its offset from RCV.NXT (only within the free space, like a window); the front
 * is committed once contiguous; the reader takes bytes; the capacity grows at random moments.
 * Whatever the order and the growth, the reader gets exactly the stream.
 */
test('property: growth keeps out-of-order bytes placed with writeAt, so reassembly stays exact', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3000 }),
      fc.integer({ min: 1, max: 400 }),
      fc.array(fc.oneof(
        { arbitrary: fc.record({ op: fc.constant('arrive' as const), pick: fc.nat() }), weight: 6 },
        { arbitrary: fc.record({ op: fc.constant('read' as const), n: fc.nat(2000) }), weight: 2 },
        { arbitrary: fc.record({ op: fc.constant('grow' as const), by: fc.nat(3000) }), weight: 1 },
      ), { maxLength: 200 }),
      fc.integer({ min: 1, max: 1 << 30 }),
      (cap0, seg, ops, seed) => {
        const total = 6000;
        const stream = Uint8Array.from({ length: total }, (_, i) => (i * 31 + seed + (i >> 8)) & 0xff);
        const r = new RingBuffer(cap0);
        let nxt = 0; // stream offset of the ring's readable end (RCV.NXT)
        let readPos = 0; // stream offset of the next byte the reader gets
        const have = new Set<number>(); // segment starts held ahead of nxt, not yet committed
        const out: number[] = [];
        const commitFront = (): void => {
          // Like the Assembler: commit while the segment at nxt is held ahead.
          while (have.has(nxt)) {
            have.delete(nxt);
            const len = Math.min(seg, total - nxt);
            assert.equal(r.commit(len), len);
            nxt += len;
          }
        };
        for (const o of ops) {
          if (o.op === 'arrive') {
            // A segment within the window (what fits below the capacity), in any order.
            const room = r.capacity - r.length;
            const first = Math.ceil(nxt / seg) * seg;
            const slots: number[] = [];
            for (let s = first; s < total && s - nxt + Math.min(seg, total - s) <= room; s += seg) slots.push(s);
            if (slots.length === 0) continue;
            const s = slots[o.pick % slots.length]!;
            const len = Math.min(seg, total - s);
            assert.equal(r.writeAt(s - nxt, stream, s, len), len);
            have.add(s);
            commitFront();
          } else if (o.op === 'read') {
            const got = r.readBytes(o.n);
            for (const b of got) out.push(b);
            readPos += got.length;
          } else {
            r.grow(r.capacity + o.by);
          }
          assert.equal(r.length, nxt - readPos);
        }
        // Drain: grow enough for the rest, deliver every missing segment, read everything.
        r.grow(total);
        for (let s = Math.ceil(nxt / seg) * seg; s < total; s += seg) {
          if (have.has(s)) continue;
          const len = Math.min(seg, total - s);
          assert.equal(r.writeAt(s - nxt, stream, s, len), len);
          have.add(s);
        }
        commitFront();
        for (const b of r.readBytes()) out.push(b);
        assert.equal(out.length, total);
        assert.deepEqual(Uint8Array.from(out), stream);
      },
    ),
    { numRuns: 300 },
  );
});

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reassembler } from '../../src/stack/reassembly.js';
import type { FragmentInput, ReassemblyOptions, ReassembledDatagram } from '../../src/stack/reassembly.js';
import { VirtualClock } from '../../src/time/clock.js';
import { TimerScheduler } from '../../src/time/scheduler.js';
import { Rng } from '../../src/time/rng.js';

interface Key {
  src: number;
  dst: number;
  protocol: number;
  id: number;
}
interface Piece {
  offset: number;
  more: boolean;
  payload: Uint8Array;
  header: Uint8Array;
}
type Seen = { header: Uint8Array; payloadStart: Uint8Array } | null;

const KEY: Key = { src: 0x0a000001, dst: 0x0a000002, protocol: 17, id: 0x1234 };

function setup(opts?: Partial<ReassemblyOptions>) {
  const clock = new VirtualClock();
  const sched = new TimerScheduler(clock);
  const seen: Seen[] = [];
  const r = new Reassembler(sched, opts, (first) => seen.push(first));
  /** Fires every timer, jumping virtual time to each deadline in turn. */
  const expireAll = (): void => {
    for (let d = sched.nextDeadline(); d !== Infinity; d = sched.nextDeadline()) {
      clock.advanceTo(d);
      sched.runDue();
    }
  };
  return { clock, sched, r, seen, expireAll };
}

/** A 20-byte IPv4-looking header; `tag` makes each one recognisable. */
function header(tag: number, len = 20): Uint8Array {
  const h = new Uint8Array(len);
  h[0] = 0x40 | (len >> 2);
  for (let i = 1; i < len; i++) h[i] = (tag * 31 + i * 7) & 0xff;
  return h;
}

function bytes(n: number, seed: number): Uint8Array {
  return new Rng(seed).fill(new Uint8Array(n));
}

/** Cuts `data` into fragments: non-last sizes are random multiples of 8 up to maxUnits*8. */
function fragment(data: Uint8Array, rng: Rng, maxUnits: number, tag = 1): Piece[] {
  const out: Piece[] = [];
  let pos = 0;
  do {
    const size = rng.int(1, maxUnits) * 8;
    const last = size >= data.length - pos;
    const end = last ? data.length : pos + size;
    out.push({ offset: pos, more: !last, payload: data.subarray(pos, end), header: header(pos === 0 ? tag : tag + 100) });
    pos = end;
  } while (pos < data.length);
  return out;
}

function shuffle<T>(a: T[], rng: Rng): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/**
 * Feeds one piece from fresh copies, then scribbles over the copies the reassembler was
 * given, so a result that still points into them would be caught.
 */
function feed(r: Reassembler, key: Key, p: Piece): ReassembledDatagram | null {
  const payload = p.payload.slice();
  const hdr = p.header.slice();
  const f: FragmentInput = { ...key, offset: p.offset, more: p.more, payload, header: hdr };
  const out = r.input(f);
  if (p.offset !== 0 || p.more) {
    payload.fill(0xee);
    hdr.fill(0xee);
  }
  return out;
}

function piece(offset: number, len: number, more: boolean, seed = offset, hdr = header(offset === 0 ? 1 : 2)): Piece {
  return { offset, more, payload: bytes(len, seed), header: hdr };
}

describe('Reassembler: valid datagrams', () => {
  test('any order with exact duplicates: identical bytes, once, at the completing fragment, nothing held', () => {
    const lenArb = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 65515 }));
    const unitsArb = fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 8192 }));
    fc.assert(
      fc.property(lenArb, unitsArb, fc.integer(), fc.integer({ min: 0, max: 12 }), (len, maxUnits, seed, dups) => {
        const rng = new Rng(seed);
        const data = rng.fill(new Uint8Array(len));
        const pieces = fragment(data, rng, maxUnits, 7);
        const order = shuffle(pieces.slice(), rng);
        // Duplicates go after their original and before the completing (last new) fragment.
        const seq = order.slice(0, -1);
        for (let d = 0; d < dups && seq.length > 0; d++) {
          const p = rng.int(0, seq.length - 1);
          seq.splice(rng.int(p + 1, seq.length), 0, seq[p]!);
        }
        seq.push(order[order.length - 1]!);

        const { r, sched } = setup();
        const results: Array<[number, ReassembledDatagram]> = [];
        seq.forEach((p, i) => {
          const out = feed(r, KEY, p);
          if (out) results.push([i, out]);
          assert.ok(r.bytesHeld <= 4 * 1024 * 1024);
        });
        assert.equal(results.length, 1);
        assert.equal(results[0]![0], seq.length - 1);
        assert.deepEqual(results[0]![1].payload, data);
        assert.deepEqual(results[0]![1].header, header(7));
        assert.equal(r.pending, 0);
        assert.equal(r.bytesHeld, 0);
        assert.equal(sched.size, 0, 'timer disarmed');
        assert.equal(r.counters.fails, 0);
        if (pieces.length > 1) {
          assert.equal(r.counters.oks, 1);
          assert.equal(r.counters.reqds, seq.length);
        }
      }),
      { numRuns: 150 },
    );
  });

  test('all 24 orders of a 4-fragment datagram', () => {
    const data = bytes(100, 3);
    const pieces = [0, 32, 64, 96].map((o) => ({
      offset: o,
      more: o < 96,
      payload: data.subarray(o, Math.min(o + 32, 100)),
      header: header(o === 0 ? 1 : 2),
    }));
    const perms = (a: number[]): number[][] =>
      a.length <= 1 ? [a] : a.flatMap((x, i) => perms([...a.slice(0, i), ...a.slice(i + 1)]).map((p) => [x, ...p]));
    const all = perms([0, 1, 2, 3]);
    assert.equal(all.length, 24);
    for (const perm of all) {
      const { r } = setup();
      const outs = perm.map((i) => feed(r, KEY, pieces[i]!));
      assert.deepEqual(outs.slice(0, 3), [null, null, null]);
      assert.deepEqual(outs[3]!.payload, data);
      assert.equal(r.pending, 0);
    }
  });

  test('a non-fragmented datagram passes through untouched and leaves work in progress alone', () => {
    const { r } = setup();
    assert.equal(feed(r, KEY, piece(8, 8, true)), null);
    const payload = bytes(30, 1);
    const hdr = header(9);
    const out = r.input({ ...KEY, offset: 0, more: false, payload, header: hdr });
    assert.ok(out);
    assert.equal(out.payload, payload);
    assert.equal(out.header, hdr);
    assert.equal(r.pending, 1);
    assert.equal(r.counters.reqds, 1);
    assert.equal(r.counters.fails, 0);
  });

  test('exact duplicate of fragment 0 is ignored; the datagram still completes', () => {
    const { r } = setup();
    const a = piece(0, 16, true);
    const b = piece(16, 5, false);
    assert.equal(feed(r, KEY, a), null);
    assert.equal(feed(r, KEY, a), null);
    assert.equal(r.bytesHeld, 16 + 20, 'a duplicate costs nothing');
    const out = feed(r, KEY, b);
    assert.ok(out);
    assert.equal(out.payload.length, 21);
    assert.deepEqual(out.payload.subarray(16), b.payload);
    assert.equal(r.counters.overlaps, 0);
  });

  test('a duplicate arriving after completion starts a new datagram that times out', () => {
    const { r, seen, expireAll } = setup();
    const a = piece(0, 8, true);
    feed(r, KEY, a);
    assert.ok(feed(r, KEY, piece(8, 8, false)));
    assert.equal(feed(r, KEY, a), null);
    assert.equal(r.pending, 1);
    expireAll();
    assert.equal(r.pending, 0);
    assert.equal(seen.length, 1);
    assert.equal(r.counters.timeouts, 1);
  });

  test('the key is normalised: a signed src and an id above 16 bits name the same datagram', () => {
    const { r } = setup();
    const k1 = { src: 0xc0a80001, dst: 0x0a000002, protocol: 6, id: 5 };
    const k2 = { src: 0xc0a80001 | 0, dst: 0x0a000002, protocol: 6 + 256, id: 5 + 65536 };
    assert.equal(feed(r, k1, piece(0, 8, true)), null);
    assert.ok(feed(r, k2, piece(8, 8, false)));
  });

  test('datagrams sharing src and id but not dst or protocol: completing one in the middle of a chain', () => {
    const { r } = setup();
    const keys = [6, 17, 1].map((protocol) => ({ ...KEY, protocol }));
    for (const k of keys) assert.equal(feed(r, k, piece(0, 8, true, k.protocol)), null);
    const other = { ...KEY, dst: KEY.dst + 1 };
    assert.equal(feed(r, other, piece(0, 8, true, 99)), null);
    assert.equal(r.pending, 4);
    const out = feed(r, keys[1]!, piece(8, 3, false, 50));
    assert.ok(out);
    assert.deepEqual(out.payload.subarray(0, 8), bytes(8, 17));
    for (const k of [keys[0]!, keys[2]!]) assert.ok(feed(r, k, piece(8, 3, false)));
    assert.ok(feed(r, other, piece(8, 3, false)));
    assert.equal(r.pending, 0);
    assert.equal(r.bytesHeld, 0);
  });
});

describe('Reassembler: interleaved datagrams', () => {
  test('datagrams with different keys reassemble independently', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.integer(), (k, seed) => {
        const rng = new Rng(seed);
        // Each key differs from the base in one field (src+id collisions included on purpose).
        const keys: Key[] = [];
        for (let i = 0; i < k; i++) {
          const key = { ...KEY };
          const field = i === 0 ? -1 : rng.int(0, 3);
          if (field === 0) key.src = (key.src + i) >>> 0;
          if (field === 1) key.dst = (key.dst + i) >>> 0;
          if (field === 2) key.protocol = (key.protocol + i) & 0xff;
          if (field === 3) key.id = (key.id + i) & 0xffff;
          keys.push(key);
        }
        const datas = keys.map(() => rng.fill(new Uint8Array(rng.int(9, 3000))));
        const stream: Array<[number, Piece]> = [];
        datas.forEach((d, i) => {
          // At least two fragments each, so every datagram goes through reassembly.
          for (const p of fragment(d, rng, Math.max(1, ((d.length - 1) >> 3) >> 1), i + 1)) stream.push([i, p]);
        });
        shuffle(stream, rng);
        const lastIndex = new Map<number, number>();
        stream.forEach(([i], pos) => lastIndex.set(i, pos));
        const { r } = setup();
        const done = new Set<number>();
        stream.forEach(([i, p], pos) => {
          const out = feed(r, keys[i]!, p);
          if (out) {
            assert.equal(pos, lastIndex.get(i));
            assert.ok(!done.has(i));
            done.add(i);
            assert.deepEqual(out.payload, datas[i]);
            assert.deepEqual(out.header, header(i + 1));
          } else {
            assert.notEqual(pos, lastIndex.get(i));
          }
        });
        assert.equal(done.size, k);
        assert.equal(r.pending, 0);
        assert.equal(r.bytesHeld, 0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Reassembler: invalid patterns', () => {
  test('an overlapping fragment (partial, contained, or same place with other bytes) dooms the datagram', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 5000 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer(),
        fc.boolean(),
        (len, maxUnits, seed, sameRange) => {
          const rng = new Rng(seed);
          const data = rng.fill(new Uint8Array(len));
          const pieces = fragment(data, rng, maxUnits);
          fc.pre(pieces.length >= 2);
          let bad: Piece;
          if (sameRange) {
            const pick = pieces[rng.int(0, pieces.length - 1)]!;
            bad = { ...pick, payload: pick.payload.slice() };
          } else {
            // A random 8-aligned range inside the datagram, carrying the right bytes.
            const o = rng.int(0, (len - 8) >> 3) * 8;
            const l = rng.int(1, (len - o) >> 3) * 8;
            bad = { offset: o, more: true, payload: data.slice(o, o + l), header: header(o === 0 ? 1 : 2) };
          }
          // Exactly where an original sits, with the same MF: only other bytes make it a conflict.
          const same = pieces.find((p) => p.offset === bad.offset && p.payload.length === bad.payload.length);
          if (same && same.more === bad.more) bad.payload[rng.int(0, bad.payload.length - 1)]! ^= 0x5a;
          // The conflict arrives after a piece it overlaps and before the last piece. (Arriving
          // before all of them, it could legitimately win: first come, first kept.)
          const order = shuffle(pieces.slice(), rng);
          const hits = (p: Piece): boolean =>
            p.offset < bad.offset + bad.payload.length && bad.offset < p.offset + p.payload.length;
          let first = order.findIndex(hits);
          if (first === order.length - 1) {
            [order[0], order[first]] = [order[first]!, order[0]!];
            first = 0;
          }
          order.splice(rng.int(first + 1, order.length - 1), 0, bad);

          const { r, sched, expireAll } = setup();
          for (const p of order) {
            assert.equal(feed(r, KEY, p), null);
          }
          assert.equal(r.counters.oks, 0);
          assert.ok(r.counters.overlaps >= 1);
          assert.ok(r.counters.fails >= 1);
          expireAll();
          assert.equal(r.pending, 0);
          assert.equal(r.bytesHeld, 0);
          assert.equal(sched.size, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('an overlap is caught whichever piece arrives first', () => {
    for (const [a, b] of [
      [piece(8, 16, true), piece(0, 16, true)],
      [piece(0, 16, true), piece(8, 16, true)],
      [piece(16, 8, false), piece(8, 16, true)],
    ] as const) {
      const { r } = setup();
      assert.equal(feed(r, KEY, a), null);
      assert.equal(feed(r, KEY, b), null);
      assert.equal(r.pending, 0);
      assert.equal(r.bytesHeld, 0);
      assert.deepEqual([r.counters.overlaps, r.counters.fails], [1, 1]);
    }
  });

  test('first come, first kept: a conflicting piece that arrives before its rival wins', () => {
    const { r } = setup();
    const evil = piece(8, 8, false, 66);
    feed(r, KEY, evil);
    const out = feed(r, KEY, piece(0, 8, true));
    assert.ok(out);
    assert.deepEqual(out.payload.subarray(8), evil.payload);
    // The genuine piece, late, starts a new datagram (Linux does the same).
    assert.equal(feed(r, KEY, piece(8, 8, false)), null);
    assert.equal(r.pending, 1);
  });

  test('same offset with another length drops the datagram', () => {
    const { r } = setup();
    feed(r, KEY, piece(0, 16, true));
    assert.equal(feed(r, KEY, piece(0, 8, true)), null);
    assert.equal(r.pending, 0);
    assert.equal(r.bytesHeld, 0);
    assert.deepEqual([r.counters.overlaps, r.counters.fails], [1, 1]);
  });

  test('a fragment inside a held one is an overlap, even with the same bytes (stricter than Linux)', () => {
    const { r } = setup();
    const big = piece(0, 32, true);
    feed(r, KEY, big);
    assert.equal(feed(r, KEY, { ...big, offset: 8, payload: big.payload.slice(8, 16) }), null);
    assert.equal(r.pending, 0);
    assert.equal(r.counters.overlaps, 1);
  });

  test('same bytes but a different MF flag is a conflict, not a duplicate', () => {
    const { r } = setup();
    const p = piece(16, 8, true);
    feed(r, KEY, p);
    assert.equal(feed(r, KEY, { ...p, more: false }), null);
    assert.equal(r.pending, 0);
    assert.equal(r.counters.overlaps, 1);
  });

  test('two last fragments that disagree on the end', () => {
    const { r } = setup();
    feed(r, KEY, piece(16, 8, false));
    assert.equal(feed(r, KEY, piece(24, 8, false)), null);
    assert.equal(r.pending, 0);
    assert.equal(feed(r, KEY, piece(0, 16, true)), null, 'the rest starts afresh and cannot complete');
    assert.equal(r.pending, 1);
    assert.deepEqual([r.counters.fails, r.counters.overlaps, r.counters.oks], [1, 0, 0]);
  });

  test('data past a known end, and a last fragment below data already held', () => {
    const a = setup();
    a.r.input({ ...KEY, ...piece(16, 8, false) });
    assert.equal(a.r.input({ ...KEY, ...piece(24, 8, true) }), null);
    assert.equal(a.r.pending, 0);
    assert.equal(a.r.counters.fails, 1);

    const b = setup();
    b.r.input({ ...KEY, ...piece(32, 8, true) });
    assert.equal(b.r.input({ ...KEY, ...piece(8, 8, false) }), null);
    assert.equal(b.r.pending, 0);
    assert.equal(b.r.bytesHeld, 0);
    assert.equal(b.r.counters.fails, 1);
  });

  test('bad sizes: non-last not a multiple of 8, zero length, bad offset', () => {
    const bad: Piece[] = [
      piece(8, 12, true),
      piece(8, 0, true),
      piece(8, 0, false),
      piece(4, 8, true),
      piece(-8, 8, true),
      piece(8.5, 8, true),
    ];
    for (const p of bad) {
      const { r, sched } = setup();
      feed(r, KEY, piece(0, 8, true));
      assert.equal(r.pending, 1);
      assert.equal(feed(r, KEY, p), null);
      assert.equal(r.pending, 0, `offset ${p.offset} length ${p.payload.length} drops the datagram`);
      assert.equal(r.bytesHeld, 0);
      assert.equal(sched.size, 0);
      assert.equal(r.counters.fails, 1);
      // Alone, with nothing in progress, it is dropped and counted too.
      assert.equal(feed(r, KEY, p), null);
      assert.equal(r.pending, 0);
      assert.equal(r.counters.fails, 2);
    }
  });

  test('more than 65535 bytes in total', () => {
    const { r } = setup();
    // 65512 + 8 = 65520 > 65535 - 20.
    assert.equal(feed(r, KEY, piece(65512, 8, false)), null);
    assert.equal(r.pending, 0);
    assert.equal(r.counters.fails, 1);
    // Exactly the maximum is fine: 65504 + 11 = 65515.
    assert.equal(feed(r, KEY, piece(65504, 11, false)), null);
    assert.equal(r.pending, 1);
    // A longer header on fragment 0 (options) pushes the total over: 60 + 65515 > 65535.
    assert.equal(feed(r, KEY, piece(0, 8, true, 0, header(1, 60))), null);
    assert.equal(r.pending, 0);
    assert.equal(r.bytesHeld, 0);
    assert.equal(r.counters.fails, 2);
    // And the other way round: fragment 0 with options first, then a far end.
    feed(r, KEY, piece(0, 8, true, 0, header(1, 60)));
    assert.equal(feed(r, KEY, piece(65480, 8, false)), null);
    assert.equal(r.pending, 0);
    assert.equal(r.counters.fails, 3);
  });

  test('maxDatagramSize option lowers the limit', () => {
    const { r } = setup({ maxDatagramSize: 1500 });
    assert.equal(feed(r, KEY, piece(1480, 1, false)), null);
    assert.equal(r.pending, 0);
    assert.equal(feed(r, KEY, piece(1472, 8, false)), null);
    assert.equal(r.pending, 1);
  });
});

describe('Reassembler: timeout', () => {
  test('fragment 0 received: discarded at the deadline, onTimeout gets its header and 8 payload bytes', () => {
    const { r, sched, clock, seen } = setup();
    const first = piece(0, 24, true, 5, header(42));
    feed(r, KEY, first);
    feed(r, KEY, piece(32, 4, false));
    assert.equal(sched.nextDeadline(), 30000);
    clock.advanceTo(29999);
    assert.equal(sched.runDue(), 0);
    assert.equal(r.pending, 1);
    clock.advanceTo(sched.nextDeadline());
    assert.equal(sched.runDue(), 1);
    assert.equal(r.pending, 0);
    assert.equal(r.bytesHeld, 0);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]!.header, header(42));
    assert.deepEqual(seen[0]!.payloadStart, first.payload.subarray(0, 8));
    assert.deepEqual(r.counters, { reqds: 2, oks: 0, fails: 1, timeouts: 1, overlaps: 0, evictions: 0 });
  });

  test('fragment 0 missing: onTimeout(null)', () => {
    const { r, seen, expireAll } = setup();
    feed(r, KEY, piece(8, 8, true));
    feed(r, KEY, piece(16, 8, false));
    expireAll();
    assert.deepEqual(seen, [null]);
    assert.equal(r.pending, 0);
    assert.equal(r.counters.timeouts, 1);
    assert.equal(r.counters.fails, 1);
  });

  test('later fragments do not re-arm the timer; timeoutMs is honoured', () => {
    const { r, sched, clock, seen } = setup({ timeoutMs: 1000 });
    feed(r, KEY, piece(8, 8, true));
    clock.advanceTo(900);
    feed(r, KEY, piece(0, 8, true));
    assert.equal(sched.nextDeadline(), 1000);
    clock.advanceTo(1000);
    sched.runDue();
    assert.equal(seen.length, 1);
    assert.notEqual(seen[0], null);
    assert.equal(r.pending, 0);
  });

  test('each datagram has its own deadline; a completed one leaves no timer', () => {
    const { r, sched, clock, seen } = setup();
    feed(r, KEY, piece(0, 8, true));
    clock.advanceTo(10000);
    const k2 = { ...KEY, id: 2 };
    feed(r, k2, piece(8, 8, true));
    const k3 = { ...KEY, id: 3 };
    feed(r, k3, piece(0, 8, true));
    assert.ok(feed(r, k3, piece(8, 8, false)));
    assert.equal(sched.size, 2);
    clock.advanceTo(sched.nextDeadline());
    sched.runDue();
    assert.equal(r.pending, 1);
    assert.equal(sched.nextDeadline(), 40000);
    clock.advanceTo(40000);
    sched.runDue();
    assert.equal(seen.length, 2);
    assert.notEqual(seen[0], null);
    assert.equal(seen[1], null);
    assert.equal(r.counters.timeouts, 2);
    assert.equal(r.counters.oks, 1);
  });

  test('invalid datagrams are also gone after the timeout', () => {
    const { r, sched, expireAll } = setup();
    feed(r, KEY, piece(0, 16, true));
    feed(r, KEY, piece(8, 16, true)); // overlap: dropped
    feed(r, KEY, piece(24, 8, false)); // starts afresh
    assert.equal(r.pending, 1);
    expireAll();
    assert.equal(r.pending, 0);
    assert.equal(r.bytesHeld, 0);
    assert.equal(sched.size, 0);
    assert.equal(r.counters.fails, 2);
  });

  test('clear() frees everything and disarms every timer', () => {
    const { r, sched, seen } = setup();
    for (let id = 0; id < 5; id++) feed(r, { ...KEY, id }, piece(0, 8, true));
    assert.equal(r.pending, 5);
    r.clear();
    assert.equal(r.pending, 0);
    assert.equal(r.bytesHeld, 0);
    assert.equal(sched.size, 0);
    assert.equal(seen.length, 0);
    // Still usable afterwards.
    feed(r, KEY, piece(0, 8, true));
    assert.ok(feed(r, KEY, piece(8, 1, false)));
  });
});

describe('Reassembler: memory cap', () => {
  test('a flood of incomplete datagrams: bytesHeld stays within maxBytes, oldest go first', () => {
    const maxBytes = 10500;
    const { r, sched } = setup({ maxBytes });
    for (let id = 0; id < 100; id++) {
      assert.equal(feed(r, { ...KEY, id }, piece(8, 1000, false)), null);
      assert.ok(r.bytesHeld <= maxBytes);
    }
    assert.equal(r.pending, 10);
    assert.equal(r.bytesHeld, 10000);
    assert.equal(r.counters.evictions, 90);
    assert.equal(r.counters.fails, 90);
    assert.equal(sched.size, 10);
    // The survivors are the ten newest: each completes with its missing first piece.
    for (let id = 99; id >= 90; id--) {
      const out = feed(r, { ...KEY, id }, piece(0, 8, true));
      assert.ok(out, `datagram ${id} survived`);
      assert.equal(out.payload.length, 1008);
    }
    assert.equal(feed(r, { ...KEY, id: 89 }, piece(0, 8, true)), null, 'datagram 89 was evicted');
    assert.equal(r.bytesHeld, 28);
  });

  test('when its own datagram is the oldest, it is evicted and the fragment dropped', () => {
    const { r } = setup({ maxBytes: 2000 });
    feed(r, KEY, piece(8, 1000, true));
    feed(r, { ...KEY, id: 9 }, piece(8, 1000, true));
    assert.equal(r.bytesHeld, 2000);
    assert.equal(feed(r, KEY, piece(1008, 8, false)), null);
    assert.equal(r.pending, 1);
    assert.equal(r.bytesHeld, 1000);
    assert.equal(r.counters.evictions, 1);
  });

  test('a fragment alone bigger than the cap is dropped with its datagram', () => {
    const { r } = setup({ maxBytes: 1000 });
    feed(r, KEY, piece(0, 8, true));
    assert.equal(feed(r, KEY, piece(8, 1008, true)), null);
    assert.equal(r.pending, 0);
    assert.equal(r.bytesHeld, 0);
    assert.equal(r.counters.fails, 1);
    assert.equal(r.counters.evictions, 0);
    // Offset 0: the header counts too (976 + 24 fits exactly, 984 + 24 does not).
    assert.equal(feed(r, KEY, piece(0, 976, true, 0, header(1, 24))), null);
    assert.equal(r.bytesHeld, 1000);
    assert.equal(feed(r, { ...KEY, id: 1 }, piece(0, 984, true, 0, header(1, 24))), null);
    assert.equal(r.bytesHeld, 1000);
    assert.equal(r.counters.fails, 2);
  });

  test('random fragment streams never hold more than maxBytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 20000 }), fc.integer(), (maxBytes, seed) => {
        const rng = new Rng(seed);
        const { r, sched, expireAll } = setup({ maxBytes });
        let completed = 0;
        for (let i = 0; i < 300; i++) {
          const key = { ...KEY, id: rng.int(0, 20), protocol: rng.int(0, 2) };
          const offset = rng.int(0, 64) * 8;
          const more = rng.chance(0.8);
          const len = more ? rng.int(1, 100) * 8 : rng.int(1, 800);
          const out = feed(r, key, piece(offset, len, more, i));
          if (out && (offset !== 0 || more)) completed++;
          assert.ok(r.bytesHeld >= 0 && r.bytesHeld <= maxBytes);
          assert.equal(r.pending === 0, r.bytesHeld === 0);
          assert.equal(sched.size, r.pending);
        }
        const c = r.counters;
        assert.equal(c.oks, completed);
        expireAll();
        assert.equal(r.bytesHeld, 0);
        assert.equal(r.pending, 0);
        // Every datagram started either completed or failed in exactly one way.
        assert.ok(c.fails >= c.timeouts + c.evictions + c.overlaps);
      }),
      { numRuns: 100 },
    );
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Segment } from '../../src/link/segment.js';
import type { Impairments, SegmentPort } from '../../src/link/segment.js';
import { VirtualClock } from '../../src/time/clock.js';
import { TimerScheduler } from '../../src/time/scheduler.js';
import { Rng } from '../../src/time/rng.js';
import { Network } from '../../src/sim/network.js';
import { AF_INET, SOCK_DGRAM } from '../../src/socket/constants.js';

const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
const MULTICAST = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb);
const mac = (n: number): Uint8Array => Uint8Array.of(0x02, 0, 0, 0, 0, n);

/** An Ethernet frame dst|src|0x88b5 (local experimental) carrying `id` in its first 4 payload bytes. */
function frame(dst: Uint8Array, src: Uint8Array, id: number, payload = 46): Uint8Array {
  const f = new Uint8Array(14 + payload);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  new DataView(f.buffer).setUint32(14, id);
  return f;
}
const idOf = (f: Uint8Array): number => new DataView(f.buffer, f.byteOffset).getUint32(14);

interface Arrival {
  t: number;
  to: string;
  id: number;
}

function setup(imp: Partial<Impairments> = {}, seed = 1, names = ['a', 'b', 'c']) {
  const clock = new VirtualClock();
  const sched = new TimerScheduler(clock);
  const seg = new Segment('lan', sched, new Rng(seed), imp);
  const log: Arrival[] = [];
  const frames: Record<string, Uint8Array[]> = {};
  const ports: Record<string, SegmentPort> = {};
  names.forEach((n, i) => {
    const p = seg.attach(n, mac(i + 1));
    frames[n] = [];
    p.setReceiver((f) => {
      log.push({ t: clock.now(), to: n, id: idOf(f) });
      frames[n]!.push(f);
    });
    ports[n] = p;
  });
  /** Runs every timer up to `limit` (the virtual-time run loop). */
  const drain = (limit = Infinity): void => {
    for (;;) {
      const d = sched.nextDeadline();
      if (d === Infinity || d > limit) break;
      clock.advanceTo(d);
      sched.runDue();
    }
    if (limit !== Infinity) clock.advanceTo(limit);
  };
  const send = (from: string, dst: Uint8Array, id: number, payload?: number): void =>
    ports[from]!.transmit(frame(dst, ports[from]!.mac, id, payload));
  return { clock, sched, seg, log, frames, ports, drain, send };
}

const receivers = (log: Arrival[], id: number): string[] => log.filter((a) => a.id === id).map((a) => a.to).sort();

test('learning switch: floods unknown unicast, then forwards to the learned port only', () => {
  const { log, drain, send, seg } = setup();
  send('a', mac(2), 1); // b unknown yet: flooded
  drain();
  assert.deepEqual(receivers(log, 1), ['b', 'c']);
  send('b', mac(1), 2); // a was learned from frame 1
  drain();
  assert.deepEqual(receivers(log, 2), ['a']);
  send('a', mac(2), 3); // b learned from frame 2
  drain();
  assert.deepEqual(receivers(log, 3), ['b']);
  send('c', BROADCAST, 4);
  send('c', MULTICAST, 5);
  drain();
  assert.deepEqual(receivers(log, 4), ['a', 'b']);
  assert.deepEqual(receivers(log, 5), ['a', 'b']);
  assert.equal(seg.counters.delivered, 8);
  assert.equal(seg.counters.framesIn, 5);
});

test('learning switch: a station that moves is followed, and a port whose link fails is forgotten', () => {
  // Each port keeps the switch's last answers for its frames; these must change with the table.
  const { log, drain, ports } = setup();
  const from = (p: string, src: Uint8Array, dst: Uint8Array, id: number): void => ports[p]!.transmit(frame(dst, src, id));
  from('a', mac(7), mac(1), 1); // station 7 is learnt on a; mac(1) is unknown yet: flooded
  from('b', mac(2), mac(7), 2);
  drain();
  assert.deepEqual(receivers(log, 1), ['b', 'c']);
  assert.deepEqual(receivers(log, 2), ['a']);
  from('b', mac(2), mac(7), 3); // the same answer again, from b's cache
  drain();
  assert.deepEqual(receivers(log, 3), ['a']);
  from('c', mac(7), BROADCAST, 4); // station 7 moves to c
  from('b', mac(2), mac(7), 5);
  drain();
  assert.deepEqual(receivers(log, 5), ['c']);
  ports['c']!.down(); // addresses learnt on c go: 7 is unknown again and flooded
  ports['c']!.up();
  from('b', mac(2), mac(7), 6);
  drain();
  assert.deepEqual(receivers(log, 6), ['a', 'c']);
});

test('a frame is never delivered back to its sender; unicast to the sender itself is filtered', () => {
  const { log, drain, send, seg } = setup();
  for (let i = 0; i < 20; i++) send('a', i % 2 ? BROADCAST : mac(9), i);
  send('a', mac(1), 100); // a's own address, learned on a's port
  drain();
  assert.equal(log.filter((x) => x.to === 'a').length, 0);
  assert.deepEqual(receivers(log, 100), []);
  assert.equal(seg.counters.dropFiltered, 1);
});

test('delivery is never synchronous, even with zero latency', () => {
  const { clock, sched, log, send } = setup();
  send('a', BROADCAST, 1);
  assert.equal(log.length, 0);
  assert.equal(sched.nextDeadline(), clock.now());
  sched.runDue();
  assert.equal(log.length, 2);
});

test('each receiver owns its frame: flooded and duplicated frames are distinct copies', () => {
  const { frames, drain, ports, seg } = setup();
  const original = frame(BROADCAST, ports['a']!.mac, 7);
  ports['a']!.transmit(original);
  drain();
  const fb = frames['b']![0]!;
  const fc2 = frames['c']![0]!;
  assert.notEqual(fb, fc2);
  assert.deepEqual(fb, fc2);
  assert.ok(fb === original || fc2 === original);
  fb[20] = 0xaa;
  assert.notEqual(fc2[20], 0xaa);

  seg.setImpairments({ duplicate: 1 });
  ports['b']!.transmit(frame(mac(1), ports['b']!.mac, 8));
  drain();
  const got = frames['a']!.filter((f) => idOf(f) === 8);
  assert.equal(got.length, 2);
  assert.notEqual(got[0], got[1]);
  assert.deepEqual(got[0], got[1]);
});

test('taps see outgoing frames synchronously (before impairments) and incoming ones', () => {
  const { ports, drain, seg } = setup({ loss: 1 });
  const seen: string[] = [];
  ports['a']!.addTap((f, dir) => seen.push(`a:${dir}:${idOf(f)}`));
  const stopB = ports['b']!.addTap((f, dir) => seen.push(`b:${dir}:${idOf(f)}`));
  ports['a']!.transmit(frame(BROADCAST, ports['a']!.mac, 1));
  assert.deepEqual(seen, ['a:out:1']); // tapped although lost
  seg.setImpairments({ loss: 0 });
  let tappedBeforeReceiver = false;
  ports['b']!.setReceiver(() => {
    tappedBeforeReceiver = seen.includes('b:in:2');
  });
  ports['a']!.transmit(frame(BROADCAST, ports['a']!.mac, 2));
  drain();
  assert.deepEqual(seen, ['a:out:1', 'a:out:2', 'b:in:2']);
  assert.ok(tappedBeforeReceiver);
  stopB();
  ports['a']!.transmit(frame(BROADCAST, ports['a']!.mac, 3));
  drain();
  assert.deepEqual(seen.slice(3), ['a:out:3']);
});

test('latency is exact under a virtual clock', () => {
  const { log, drain, send } = setup({ latency: 5 }, 1, ['a', 'b']);
  send('a', mac(2), 1);
  drain(2);
  send('a', mac(2), 2);
  drain();
  assert.deepEqual(log, [
    { t: 5, to: 'b', id: 1 },
    { t: 7, to: 'b', id: 2 },
  ]);
});

test('frames in flight keep their schedule and order: a burst arrives in order, a lowered latency overtakes, one timer carries the burst', () => {
  const { log, drain, send, seg, sched } = setup({ latency: 10 }, 1, ['a', 'b']);
  for (let id = 1; id <= 50; id++) send('a', mac(2), id);
  send('b', mac(1), 99); // the other direction joins the same line (same arrival time)
  drain(1);
  assert.equal(sched.size, 1, 'the whole burst waits behind one timer');
  seg.setImpairments({ latency: 2 });
  send('a', mac(2), 51); // due at 3: before the burst (at 10), so it takes a timer of its own
  drain();
  assert.deepEqual(log.map((x) => x.id), [51, ...Array.from({ length: 50 }, (_, i) => i + 1), 99]);
  assert.deepEqual([...new Set(log.map((x) => x.t))], [3, 10]);
  assert.equal(seg.inFlight, 0);
});

test('jitter spreads delays uniformly within latency ± jitter and may reorder', () => {
  const { log, drain, send } = setup({ latency: 10, jitter: 4 }, 3, ['a', 'b']);
  const N = 10000;
  for (let i = 0; i < N; i++) {
    drain(i);
    send('a', mac(2), i);
  }
  drain();
  assert.equal(log.length, N);
  let sum = 0;
  let outOfOrder = 0;
  let max = -1;
  let minD = Infinity;
  let maxD = -Infinity;
  for (const a of log) {
    const d = a.t - a.id; // frame i was sent at t = i
    sum += d;
    minD = Math.min(minD, d);
    maxD = Math.max(maxD, d);
    if (a.id < max) outOfOrder++;
    max = Math.max(max, a.id);
  }
  assert.ok(minD >= 6 && maxD <= 14, `delays in [${minD}, ${maxD}]`);
  assert.ok(minD < 6.5 && maxD > 13.5, 'the whole range is used');
  assert.ok(Math.abs(sum / N - 10) < 0.2, `mean delay ${sum / N}`);
  assert.ok(outOfOrder > 1000, `reordered by jitter: ${outOfOrder}`);
});

test('loss 0.1 drops about 10% of 10000 frames', () => {
  const { log, drain, send, seg } = setup({ loss: 0.1 }, 42, ['a', 'b']);
  for (let i = 0; i < 10000; i++) send('a', mac(2), i);
  drain();
  const lost = 10000 - log.length;
  assert.ok(lost >= 900 && lost <= 1100, `lost ${lost}`);
  assert.equal(seg.counters.dropLoss, lost);
  assert.equal(seg.counters.delivered, log.length);
  assert.equal(seg.ports[0]!.counters.txDropped, lost);
});

test('duplicate 0.05 delivers about 5% of 10000 frames twice', () => {
  const { log, drain, send, seg } = setup({ duplicate: 0.05 }, 42, ['a', 'b']);
  for (let i = 0; i < 10000; i++) send('a', mac(2), i);
  drain();
  const extra = log.length - 10000;
  assert.ok(extra >= 400 && extra <= 600, `duplicated ${extra}`);
  assert.equal(seg.counters.duplicated, extra);
  assert.equal(new Set(log.map((a) => a.id)).size, 10000);
});

test('reorder 0.1 holds back about 10% of 10000 frames behind later ones, losing none', () => {
  const { log, drain, send, seg } = setup({ reorder: 0.1, latency: 5 }, 42, ['a', 'b']);
  for (let i = 0; i < 10000; i++) {
    drain(i);
    send('a', mac(2), i);
  }
  drain();
  assert.equal(log.length, 10000);
  assert.equal(new Set(log.map((a) => a.id)).size, 10000);
  let max = -1;
  let outOfOrder = 0;
  for (const a of log) {
    if (a.id < max) outOfOrder++;
    max = Math.max(max, a.id);
  }
  const held = seg.counters.reordered;
  assert.ok(held >= 900 && held <= 1100, `held back ${held}`);
  // Every held frame arrives after a later one, except any held at the very end of the run.
  assert.ok(outOfOrder <= held && outOfOrder >= held - 3, `out of order ${outOfOrder}, held ${held}`);
  assert.equal(seg.inFlight, 0);
});

test('a held frame is delivered right after the next frame from its port', () => {
  const { log, drain, send, seg } = setup({ reorder: 1, latency: 2 }, 1, ['a', 'b']);
  send('a', mac(2), 1);
  seg.setImpairments({ reorder: 0 });
  drain(1);
  send('a', mac(2), 2);
  drain();
  assert.deepEqual(log, [
    { t: 3, to: 'b', id: 2 },
    { t: 3, to: 'b', id: 1 },
  ]);
});

test('a held frame with no later traffic is still delivered, late', () => {
  const { log, drain, send, seg } = setup({ reorder: 1, latency: 2 }, 1, ['a', 'b']);
  send('a', mac(2), 1);
  drain();
  assert.equal(seg.counters.reordered, 1);
  assert.deepEqual(log, [{ t: 2 + 10, to: 'b', id: 1 }]);
});

test('rate limiting: serialization delay is bits / rate, FIFO per sending port', () => {
  // 1250-byte frames at 1 Mbit/s take 10 ms each.
  const { log, drain, send } = setup({ rate: 1_000_000, latency: 5 }, 1, ['a', 'b']);
  for (let i = 0; i < 3; i++) send('a', mac(2), i, 1250 - 14);
  drain();
  assert.deepEqual(
    log.map((a) => a.t),
    [15, 25, 35],
  );
  drain(100);
  send('a', mac(2), 3, 1250 - 14);
  drain();
  assert.equal(log[3]!.t, 115);
});

test('rate limiting: each port has its own queue', () => {
  const { log, drain, send } = setup({ rate: 1_000_000 }, 1, ['a', 'b']);
  send('a', mac(2), 1, 1250 - 14);
  send('b', mac(1), 2, 1250 - 14);
  drain();
  assert.deepEqual(
    log.map((a) => a.t),
    [10, 10],
  );
});

test('queue limit: tail drop when the backlog would exceed queueLimit bytes', () => {
  // 1000-byte frames at 1 Mbit/s: 8 ms each; the queue holds 3000 bytes.
  const { log, drain, send, seg } = setup({ rate: 1_000_000, queueLimit: 3000 }, 1, ['a', 'b']);
  for (let i = 0; i < 5; i++) send('a', mac(2), i, 1000 - 14);
  assert.equal(seg.counters.dropQueue, 2);
  drain(8); // frame 0 has left: 2000 bytes wait
  send('a', mac(2), 5, 1000 - 14);
  send('a', mac(2), 6, 1000 - 14);
  assert.equal(seg.counters.dropQueue, 3);
  drain();
  assert.deepEqual(
    log.map((a) => [a.id, a.t]),
    [
      [0, 8],
      [1, 16],
      [2, 24],
      [5, 32],
    ],
  );
});

test('MTU: a payload larger than the MTU is dropped and counted; the MTU can change', () => {
  const { log, drain, send, seg, ports } = setup({}, 1, ['a', 'b']);
  assert.equal(ports['a']!.mtu, 1500);
  send('a', mac(2), 1, 1500);
  send('a', mac(2), 2, 1501);
  drain();
  assert.deepEqual(
    log.map((a) => a.id),
    [1],
  );
  assert.equal(seg.counters.dropMtu, 1);
  seg.setImpairments({ mtu: 9000 });
  assert.equal(ports['a']!.mtu, 9000);
  send('a', mac(2), 3, 1501);
  drain();
  assert.deepEqual(
    log.map((a) => a.id),
    [1, 3],
  );
});

test('runt frames are dropped and counted, never thrown on', () => {
  const { log, drain, seg, ports } = setup();
  for (let n = 0; n < 14; n++) ports['a']!.transmit(new Uint8Array(n));
  drain();
  assert.equal(log.length, 0);
  assert.equal(seg.counters.dropRunt, 14);
});

test('partition drops frames between the groups until heal', () => {
  const { log, drain, send, seg, ports } = setup();
  send('a', BROADCAST, 1);
  send('b', BROADCAST, 2);
  send('c', BROADCAST, 3); // everyone learned
  drain();
  seg.partition([ports['a']!], [ports['c']!]);
  send('a', BROADCAST, 10);
  send('c', mac(1), 11);
  send('b', mac(3), 12);
  drain();
  assert.deepEqual(receivers(log, 10), ['b']);
  assert.deepEqual(receivers(log, 11), []);
  assert.deepEqual(receivers(log, 12), ['c']);
  assert.equal(seg.counters.dropPartition, 2);
  seg.heal();
  send('a', BROADCAST, 20);
  drain();
  assert.deepEqual(receivers(log, 20), ['b', 'c']);

  seg.partition(['a', 'b'], ['c']);
  send('c', BROADCAST, 30);
  send('a', mac(2), 31);
  drain();
  assert.deepEqual(receivers(log, 30), []);
  assert.deepEqual(receivers(log, 31), ['b']);
  assert.throws(() => seg.partition(['nope'], ['a']));
});

test('partition also cuts frames already in flight', () => {
  const { log, drain, send, seg } = setup({ latency: 10 }, 1, ['a', 'b']);
  send('a', mac(2), 1);
  drain(5);
  seg.partition(['a'], ['b']);
  drain();
  assert.equal(log.length, 0);
  assert.equal(seg.counters.dropPartition, 1);
});

test('down/up: a pulled cable drops frames to and from the port', () => {
  const { log, drain, send, seg, ports } = setup();
  send('a', BROADCAST, 1);
  send('b', BROADCAST, 2);
  drain();
  ports['b']!.down();
  assert.equal(ports['b']!.isUp, false);
  send('a', mac(2), 10); // b's address was forgotten: flooded, reaches c only
  send('b', BROADCAST, 11);
  drain();
  assert.deepEqual(receivers(log, 10), ['c']);
  assert.deepEqual(receivers(log, 11), []);
  assert.equal(seg.counters.dropDown, 2);
  assert.equal(ports['b']!.counters.rxDropped, 1);
  assert.equal(ports['b']!.counters.txDropped, 1);
  ports['b']!.up();
  send('b', mac(1), 20);
  send('a', mac(2), 21);
  drain();
  assert.deepEqual(receivers(log, 20), ['a']);
  assert.deepEqual(receivers(log, 21), ['b']);
});

test('a frame in flight to a port that goes down is dropped', () => {
  const { log, drain, send, seg, ports } = setup({ latency: 10 }, 1, ['a', 'b']);
  send('a', mac(2), 1);
  drain(5);
  ports['b']!.down();
  drain();
  assert.equal(log.length, 0);
  assert.equal(seg.counters.dropDown, 1);
});

test('invalid impairments and ports are rejected', () => {
  const { seg } = setup();
  assert.throws(() => seg.setImpairments({ loss: 1.5 }), RangeError);
  assert.throws(() => seg.setImpairments({ latency: -1 }), RangeError);
  assert.throws(() => seg.setImpairments({ rate: NaN }), RangeError);
  assert.equal(seg.impairments.loss, 0); // nothing applied from a rejected call
  assert.throws(() => seg.attach('a', mac(9)));
  assert.throws(() => seg.attach('x', new Uint8Array(5)), RangeError);
});

/** A busy scenario with every impairment on; returns the delivery sequence. */
function scenario(seed: number): Arrival[] {
  const { log, drain, send } = setup(
    { latency: 2, jitter: 3, loss: 0.1, duplicate: 0.1, reorder: 0.1, rate: 10_000_000, queueLimit: 4000 },
    seed,
  );
  const pick = new Rng(7); // the traffic pattern is fixed; only the segment's seed varies
  const names = ['a', 'b', 'c'];
  for (let i = 0; i < 2000; i++) {
    drain(i * 0.25);
    const from = names[pick.int(0, 2)]!;
    const to = pick.chance(0.2) ? BROADCAST : mac(pick.int(1, 3));
    send(from, to, i, pick.int(46, 1500));
  }
  drain();
  return log;
}

test('same seed gives the same delivery sequence; different seeds differ', () => {
  const a = scenario(1234);
  const b = scenario(1234);
  const c = scenario(1235);
  assert.ok(a.length > 1000);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('property: every frame is accounted for exactly once (two ports)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.record({
        latency: fc.integer({ min: 0, max: 20 }),
        jitter: fc.integer({ min: 0, max: 10 }),
        loss: fc.double({ min: 0, max: 1, noNaN: true }),
        duplicate: fc.double({ min: 0, max: 1, noNaN: true }),
        reorder: fc.double({ min: 0, max: 1, noNaN: true }),
        rate: fc.constantFrom(0, 100_000, 10_000_000),
        queueLimit: fc.integer({ min: 0, max: 10000 }),
        mtu: fc.integer({ min: 0, max: 1500 }),
      }),
      fc.array(
        fc.record({
          from: fc.integer({ min: 0, max: 1 }),
          len: fc.integer({ min: 0, max: 1600 }),
          dst: fc.constantFrom('peer', 'self', 'bcast', 'random'),
          spoof: fc.boolean(),
          gap: fc.double({ min: 0, max: 5, noNaN: true }),
          event: fc.constantFrom('none', 'none', 'none', 'down', 'up', 'partition', 'heal'),
        }),
        { maxLength: 120 },
      ),
      (seed, imp, steps) => {
        const { seg, drain, ports, clock, log } = setup(imp, seed, ['a', 'b']);
        const ps = [ports['a']!, ports['b']!];
        for (const s of steps) {
          drain(clock.now() + s.gap);
          const p = ps[s.from]!;
          if (s.event === 'down') p.down();
          else if (s.event === 'up') p.up();
          else if (s.event === 'partition') seg.partition(['a'], ['b']);
          else if (s.event === 'heal') seg.heal();
          const f = new Uint8Array(s.len);
          const dst = { peer: ps[1 - s.from]!.mac, self: p.mac, bcast: BROADCAST, random: mac(77) }[s.dst];
          if (f.length >= 14) {
            f.set(dst, 0);
            f.set(s.spoof ? ps[1 - s.from]!.mac : p.mac, 6);
          }
          p.transmit(f);
        }
        drain();
        const c = seg.counters;
        assert.equal(seg.inFlight, 0);
        assert.equal(log.length, c.delivered);
        assert.equal(
          c.framesIn + c.duplicated,
          c.delivered + c.dropLoss + c.dropQueue + c.dropMtu + c.dropPartition + c.dropDown + c.dropFiltered + c.dropRunt,
        );
      },
    ),
    { numRuns: 200, seed: 99 },
  );
});

test('checksumOffload: ports report the option; hosts on such a segment skip UDP checksums and still deliver', async () => {
  const plain = new Segment('plain', new TimerScheduler(new VirtualClock()), new Rng(1));
  assert.equal(plain.attach('p', mac(1)).checksumOffload, false);
  const off = new Segment('off', new TimerScheduler(new VirtualClock()), new Rng(1), {}, { checksumOffload: true });
  const port = off.attach('p', mac(1));
  assert.equal(port.checksumOffload, true);
  off.checksumOffload = false;
  assert.equal(port.checksumOffload, false, 'the port follows the segment');

  // End to end: the UDP checksum field (frame offset 14 + 20 + 6) is 0 with offload, computed without.
  for (const offload of [false, true]) {
    const net = new Network({ seed: 3 });
    net.segment().checksumOffload = offload;
    const a = net.host('a', '10.0.0.1/24');
    const b = net.host('b', '10.0.0.2/24');
    const sums: number[] = [];
    net.segment().port('a:eth0')!.addTap((f, dir) => {
      if (dir === 'out' && f[12] === 0x08 && f[13] === 0x00 && f[14 + 9] === 17) sums.push((f[40]! << 8) | f[41]!);
    });
    const got = await net.run(async () => {
      const rfd = b.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      b.sockets.bind(rfd, { address: '0.0.0.0', port: 9000 });
      const sfd = a.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      const receiving = b.sockets.recvfrom(rfd, 100);
      await a.sockets.sendto(sfd, Uint8Array.of(1, 2, 3, 4), 0, { address: '10.0.0.2', port: 9000 });
      const [data] = await receiving;
      return [...data];
    });
    assert.deepEqual(got, [1, 2, 3, 4]);
    assert.equal(sums.length, 1);
    if (offload) assert.equal(sums[0], 0);
    else assert.notEqual(sums[0], 0);
    assert.equal(b.counters.udp.inCsumErrors, 0);
  }
});

test('frames from one port arrive in the order sent, even when another port with more latency sends between them', () => {
  // The segment keeps frames in flight in one line behind one timer; a frame that would overtake
  // the line's last one takes a timer of its own. Ties at one arrival time must still follow the
  // order of sending, as they did with a timer per frame.
  const { clock, log, drain, send, ports } = setup({ latency: 5 }, 1, ['p', 'q', 'r']);
  ports.q!.setImpairments({ latency: 20 });
  // Learn every MAC so the frames below are unicast.
  send('p', mac(3), 90);
  send('q', mac(3), 91);
  send('r', mac(1), 92);
  drain();
  log.length = 0;
  clock.advanceTo(100);
  send('r', mac(1), 100); // heads the line, due at 105
  clock.advanceTo(101);
  send('p', mac(3), 1); // joins the line, due at 106
  send('q', mac(3), 2); // joins the line, due at 121
  send('p', mac(3), 3); // due at 106, before the line's last frame: a timer of its own
  drain();
  assert.deepEqual(
    log.map((a) => `${a.to}<-${a.id}@${a.t}`),
    ['p<-100@105', 'r<-1@106', 'r<-3@106', 'r<-2@121'],
  );
});

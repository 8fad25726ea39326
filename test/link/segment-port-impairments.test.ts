import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Segment } from '../../src/link/segment.js';
import type { Impairments, PortImpairments, SegmentPort } from '../../src/link/segment.js';
import { VirtualClock } from '../../src/time/clock.js';
import { TimerScheduler } from '../../src/time/scheduler.js';
import { Rng } from '../../src/time/rng.js';

const mac = (n: number): Uint8Array => Uint8Array.of(0x02, 0, 0, 0, 0, n);

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

/** Two ports a and b on one segment under a virtual clock; arrivals logged per receiver. */
function setup(imp: Partial<Impairments> = {}, seed = 1) {
  const clock = new VirtualClock();
  const sched = new TimerScheduler(clock);
  const seg = new Segment('lan', sched, new Rng(seed), imp);
  const log: Array<{ t: number; to: string; id: number }> = [];
  const ports: Record<string, SegmentPort> = {};
  ['a', 'b'].forEach((n, i) => {
    const p = seg.attach(n, mac(i + 1));
    p.setReceiver((f) => log.push({ t: clock.now(), to: n, id: idOf(f) }));
    ports[n] = p;
  });
  const drain = (limit = Infinity): void => {
    for (;;) {
      const d = sched.nextDeadline();
      if (d === Infinity || d > limit) break;
      clock.advanceTo(d);
      sched.runDue();
    }
    if (limit !== Infinity) clock.advanceTo(limit);
  };
  const send = (from: 'a' | 'b', id: number, payload?: number): void => {
    const p = ports[from]!;
    p.transmit(frame(from === 'a' ? mac(2) : mac(1), p.mac, id, payload));
  };
  return { seg, ports, log, drain, send };
}

test('port impairments: loss set on one port drops only what that port sends', () => {
  const { seg, ports, log, drain, send } = setup({}, 7);
  ports.a!.setImpairments({ loss: 0.2 });
  for (let i = 0; i < 5000; i++) {
    send('a', i);
    send('b', 100_000 + i);
  }
  drain();
  const toB = log.filter((x) => x.to === 'b').length;
  const toA = log.filter((x) => x.to === 'a').length;
  assert.equal(toA, 5000, 'the reverse direction loses nothing');
  assert.ok(toB >= 4000 - 150 && toB <= 4000 + 150, `a -> b delivered ${toB} of 5000`);
  assert.equal(ports.a!.counters.txDropped, 5000 - toB);
  assert.equal(ports.b!.counters.txDropped, 0);
  assert.equal(seg.counters.dropLoss, 5000 - toB);
});

test('port impairments: keys not overridden follow the segment, also when it changes later', () => {
  const { seg, ports, log, drain, send } = setup({ latency: 5 });
  ports.a!.setImpairments({ loss: 0 });
  assert.equal(ports.a!.impairments.latency, 5);
  send('a', 1);
  drain();
  assert.deepEqual(log, [{ t: 5, to: 'b', id: 1 }]);
  seg.setImpairments({ latency: 8 });
  assert.equal(ports.a!.impairments.latency, 8);
  send('a', 2);
  send('b', 3);
  drain();
  assert.deepEqual(log.slice(1), [
    { t: 13, to: 'b', id: 2 },
    { t: 13, to: 'a', id: 3 },
  ]);
});

test('port impairments: a port latency and rate of its own make an asymmetric path', () => {
  // 1250-byte frames: 10 ms at 1 Mbit/s, 1 ms at 10 Mbit/s.
  const { ports, log, drain, send } = setup({ latency: 5, rate: 10_000_000 });
  ports.a!.setImpairments({ latency: 20, rate: 1_000_000 });
  send('a', 1, 1250 - 14);
  send('b', 2, 1250 - 14);
  drain();
  assert.deepEqual(log, [
    { t: 6, to: 'a', id: 2 },
    { t: 30, to: 'b', id: 1 },
  ]);
});

test('port impairments: a queue limit of its own tail-drops at that port only', () => {
  const { seg, ports, drain, send } = setup({ rate: 1_000_000, queueLimit: 100_000 });
  ports.a!.setImpairments({ queueLimit: 2000 });
  for (let i = 0; i < 5; i++) {
    send('a', i, 1000 - 14);
    send('b', 10 + i, 1000 - 14);
  }
  drain();
  assert.equal(ports.a!.counters.txDropped, 3, 'a holds 2000 bytes, the frame in service included');
  assert.equal(ports.b!.counters.txDropped, 0);
  assert.equal(seg.counters.dropQueue, 3);
});

test('port impairments: reorder on one port holds back only its frames', () => {
  const { seg, ports, log, drain, send } = setup({ latency: 2 });
  ports.a!.setImpairments({ reorder: 1 });
  send('a', 1);
  ports.a!.setImpairments({ reorder: 0 });
  send('b', 2);
  drain(1);
  send('a', 3);
  drain();
  assert.equal(seg.counters.reordered, 1);
  assert.deepEqual(
    log.map((x) => x.id),
    [2, 3, 1],
  );
});

test('port impairments: clearImpairments returns to the segment; bad values and mtu are refused', () => {
  const { seg, ports } = setup({ loss: 0.5 });
  const a = ports.a!;
  a.setImpairments({ loss: 0 });
  assert.equal(a.impairments.loss, 0);
  a.clearImpairments();
  assert.equal(a.impairments.loss, 0.5);
  assert.throws(() => a.setImpairments({ loss: 2 }), RangeError);
  assert.throws(() => a.setImpairments({ rate: -1 }), RangeError);
  assert.throws(() => a.setImpairments({ mtu: 9000 } as unknown as Partial<PortImpairments>), /MTU is the segment's/);
  assert.throws(() => a.setImpairments({ bogus: 1 } as unknown as Partial<PortImpairments>), /unknown impairment/);
  assert.equal(a.impairments.loss, 0.5, 'a refused call changes nothing');
  assert.throws(() => seg.setImpairments({ reorder: 1.5 }), RangeError);
  seg.setImpairments({ mtu: 9000 });
  assert.equal(a.impairments.mtu, 9000);
  assert.equal(a.mtu, 9000);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as C from '../../src/socket/constants.js';
import { Network } from '../../src/sim/network.js';
import type { Host } from '../../src/sim/host.js';
import { dec, enc, icmpSocket, recvIcmp, sendEcho, udpBound, udpEchoServer } from '../stack/helpers.js';

test('run returns the value of the function and rethrows its error', async () => {
  const net = new Network({ seed: 1 });
  assert.equal(await net.run(async () => 42), 42);
  assert.equal(await net.run(() => 'sync'), 'sync');
  await assert.rejects(net.run(async () => { throw new Error('boom'); }), /boom/);
  // The network is usable again after a failed run.
  assert.equal(await net.run(async () => { await net.sleep(5); return net.now(); }), 5);
});

test('run rejects clearly on deadlock, naming the blocked call, and stays usable', async () => {
  const net = new Network({ seed: 2 });
  const b = net.host('b', '10.0.0.2/24');
  const fd = udpBound(b, 7);
  await assert.rejects(net.run(async () => b.sockets.recv(fd, 10)), (e: Error) => {
    assert.match(e.message, /deadlock/);
    assert.match(e.message, new RegExp(`recv\\(${fd}\\)`));
    return true;
  });
  // A task waiting on nothing at all is a deadlock too.
  await assert.rejects(net.run(() => new Promise<void>(() => undefined)), /deadlock/);
  assert.equal(await net.run(async () => 'again'), 'again');
});

test('run does not report a deadlock for a task woken by a bare scheduler timer', async () => {
  const net = new Network({ seed: 3 });
  net.host('a', '10.0.0.1/24');
  const t = await net.run(async () => {
    await new Promise<void>((r) => net.scheduler.after(50, r));
    return net.now();
  });
  assert.equal(t, 50);
});

test('nested run() is refused', async () => {
  const net = new Network({ seed: 4 });
  await net.run(async () => {
    await assert.rejects(net.run(async () => 1), /already running/);
  });
});

test('runLimitMs bounds virtual time when tasks stay blocked', async () => {
  const net = new Network({ seed: 5, runLimitMs: 10_000 });
  const a = net.host('a', '10.0.0.1/24');
  await net.run(() => net.sleep(9_000));
  await assert.rejects(net.run(() => net.sleep(20_000)), /time limit of 10000 ms/);
  // Endless background traffic does not make a blocked task run forever either.
  const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
  const rfd = udpBound(a, 9);
  await assert.rejects(
    net.run(async () => {
      const chatter = (async () => {
        for (;;) {
          await a.sockets.sendto(fd, enc('tick'), 0, { address: '10.0.0.1', port: 9 });
          await net.sleep(100);
        }
      })();
      await a.sockets.recvfrom(udpBound(a, 10), 10); // nobody sends to port 10
      await chatter;
    }),
    /time limit/,
  );
  void rfd;
});

test('routers built with net.router() forward over two hops; the TTL shows it', async () => {
  const net = new Network({ seed: 6 });
  const a = net.host('a', { interfaces: [{ segment: 'n1', address: '10.1.0.2/24' }], gateway: '10.1.0.1' });
  const r1 = net.router('r1', [{ segment: 'n1', address: '10.1.0.1/24' }, { segment: 'n2', address: '10.2.0.1/24' }]);
  const r2 = net.router('r2', [{ segment: 'n2', address: '10.2.0.2/24' }, { segment: 'n3', address: '10.3.0.1/24' }], { gateway: '10.2.0.1' });
  const b = net.host('b', { interfaces: [{ segment: 'n3', address: '10.3.0.2/24' }], gateway: '10.3.0.1' });
  r1.addRoute('10.3.0.0/24', '10.2.0.2');
  assert.equal(r1.ip.forwarding, true);
  assert.equal(a.ip.forwarding, false);
  await net.run(async () => {
    const fd = icmpSocket(a.sockets);
    await sendEcho(a.sockets, fd, '10.3.0.2', 1, 1, enc('two hops'));
    const m = await recvIcmp(a.sockets, fd);
    assert.equal(m.icmp.kind, 'echo-reply');
    assert.equal(m.ip.ttl, 62);
  });
  assert.equal(r1.counters.ip.forwDatagrams, 2);
  assert.equal(r2.counters.ip.forwDatagrams, 2);
  assert.equal(b.counters.icmp.outEchoReps, 1);
  assert.match(r2.describe(), /default via 10\.2\.0\.1 dev eth0/);
});

test('a partition stops traffic between its sides; heal() restores it', async () => {
  const net = new Network({ seed: 7 });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  const c = net.host('c', '10.0.0.3/24');
  const seg = net.segment();
  await net.run(async () => {
    const fb = udpBound(b, 7);
    const fc2 = udpBound(c, 7);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    seg.partition(['a:eth0'], ['b:eth0']);
    await a.sockets.sendto(fd, enc('to b'), 0, { address: '10.0.0.2', port: 7 });
    await a.sockets.sendto(fd, enc('to c'), 0, { address: '10.0.0.3', port: 7 });
    assert.equal(dec(await c.sockets.recv(fc2, 100)), 'to c');
    await net.sleep(5000);
    await assert.rejects(b.sockets.recv(fb, 100, C.MSG_DONTWAIT), { code: 'EAGAIN' });
    assert.ok(seg.counters.dropPartition > 0);
    assert.equal(a.counters.arp.resolveFailures, 1);
    seg.heal();
    await a.sockets.sendto(fd, enc('healed'), 0, { address: '10.0.0.2', port: 7 });
    assert.equal(dec(await b.sockets.recv(fb, 100)), 'healed');
  });
});

const hostTimers = (): number =>
  (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('real clock: a UDP datagram arrives after the link latency; close() stops the driver', async () => {
  const baseline = hostTimers();
  const latency = 15;
  const net = new Network({ seed: 8, clock: 'real', link: { latency } });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  try {
    const [data, elapsed] = await net.run(async () => {
      const rfd = udpBound(b, 7);
      const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
      await net.sleep(2 * latency); // start-up announcements delivered
      const t0 = net.now();
      await a.sockets.sendto(fd, enc('real time'), 0, { address: '10.0.0.2', port: 7 });
      const d = await b.sockets.recv(rfd, 100);
      return [d, net.now() - t0] as const;
    });
    assert.equal(dec(data), 'real time');
    // Not a speed check: the segment cannot deliver before its latency has passed on the clock.
    assert.ok(elapsed >= latency, `elapsed ${elapsed}`);
    // A timer still armed on the network keeps one host timer armed for it...
    void net.sleep(60_000);
    assert.equal(hostTimers(), baseline + 1);
  } finally {
    net.close();
  }
  // ...until close(): the process may exit.
  assert.equal(hostTimers(), baseline);
});

/** The scenario for the pcap determinism property: UDP echo and pings over a bad link. */
async function lossyScenario(seed: number): Promise<Uint8Array> {
  const net = new Network({ seed, link: { latency: 3, jitter: 4, loss: 0.1, duplicate: 0.1, reorder: 0.15 } });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  const cap = net.capture();
  await net.run(async () => {
    const echo = udpEchoServer(b, 7);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    const icmp = icmpSocket(a.sockets);
    for (let i = 0; i < 30; i++) {
      await a.sockets.sendto(fd, enc(`datagram ${i}`), 0, { address: '10.0.0.2', port: 7 });
      if (i % 5 === 0) await sendEcho(a.sockets, icmp, '10.0.0.2', 3, i, enc('ping'));
      await net.sleep(7);
    }
    await a.sockets.sendto(fd, new Uint8Array(4000), 0, { address: '10.0.0.2', port: 7 }); // fragments too
    await net.sleep(2000);
    await echo.stop();
  });
  return cap.bytes();
}

test('property: the same seed gives a byte-identical pcap; another seed gives other bytes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 2 }), async (seed) => {
      const one = await lossyScenario(seed);
      const two = await lossyScenario(seed);
      assert.ok(one.length > 1000);
      assert.ok(Buffer.from(one).equals(Buffer.from(two)), 'same seed, same bytes');
      const other = await lossyScenario(seed + 1);
      assert.ok(!Buffer.from(one).equals(Buffer.from(other)), 'another seed, other bytes');
    }),
    { numRuns: 15, seed: 0xcafe },
  );
});

/**
 * A client that retries a request every 200 ms until the matching response arrives.
 * Returns the attempts it took and the virtual time at the end.
 */
async function requestWithRetries(seed: number): Promise<{ attempts: number; at: number; reply: string }> {
  const net = new Network({ seed, link: { latency: 5, loss: 0.3 } });
  const client: Host = net.host('client', '10.0.0.1/24');
  const server: Host = net.host('server', '10.0.0.2/24');
  return net.run(async () => {
    const echo = udpEchoServer(server, 7);
    const fd = client.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await client.sockets.connect(fd, { address: '10.0.0.2', port: 7 });
    for (let attempt = 1; attempt <= 100; attempt++) {
      await client.sockets.send(fd, enc(`request ${seed}`));
      const [p] = await client.sockets.poll([{ fd, events: C.POLLIN }], 200);
      if (p!.revents! & C.POLLIN) {
        const reply = dec(await client.sockets.recv(fd, 100));
        await echo.stop();
        return { attempts: attempt, at: net.now(), reply };
      }
    }
    throw new Error('no reply after 100 attempts');
  });
}

test('property: request/response with retries over a 30%-loss link succeeds, the same way for a seed', async () => {
  let retried = 0;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
      const first = await requestWithRetries(seed);
      assert.equal(first.reply, `request ${seed}`);
      if (first.attempts > 1) retried++;
      assert.deepEqual(await requestWithRetries(seed), first);
    }),
    { numRuns: 40, seed: 0xfeed },
  );
  // With 30% loss each way, some requests needed more than one attempt.
  assert.ok(retried > 0);
});

test('a zero-latency exchange runs within microtasks: no macrotask hop per frame', async () => {
  const net = new Network({ seed: 21 });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  const server = udpEchoServer(b, 7);
  const fd = udpBound(a, 5000);
  const to = { address: '10.0.0.2', port: 7 };
  const rounds = 200;
  await net.run(async () => {
    // Resolve the neighbour first (ARP), then count only the exchanges.
    await a.sockets.sendto(fd, enc('warm'), 0, to);
    await a.sockets.recv(fd, 100);
    const hops = net.runStats.hops;
    const flushes = net.runStats.dueFlushes;
    for (let i = 0; i < rounds; i++) {
      await a.sockets.sendto(fd, enc(`m${i}`), 0, to);
      assert.equal(dec(await a.sockets.recv(fd, 100)), `m${i}`);
    }
    assert.ok(net.runStats.hops - hops < rounds / 10, `${net.runStats.hops - hops} hops for ${rounds} exchanges`);
    assert.ok(net.runStats.dueFlushes - flushes >= rounds, `${net.runStats.dueFlushes - flushes} microtask passes`);
    assert.equal(server.served(), rounds + 1);
    await server.stop();
  });
});

test('an application timer due now still fires only after every runnable task', async () => {
  const net = new Network({ seed: 22 });
  net.host('a', '10.0.0.1/24');
  await net.run(async () => {
    let steps = 0;
    const busy = (async () => {
      // A long microtask chain: sleep(0) must not cut into it.
      for (let i = 0; i < 500; i++) {
        await null;
        steps++;
      }
    })();
    await net.sleep(0);
    assert.equal(steps, 500);
    await busy;
  });
});

test('a stack timer that throws while fired from a microtask rejects run()', async () => {
  const net = new Network({ seed: 23 });
  net.host('a', '10.0.0.1/24');
  const { Timer } = await import('../../src/time/scheduler.js');
  await assert.rejects(
    net.run(async () => {
      net.scheduler.armIn(new Timer(() => { throw new Error('timer broke'); }, true), 0);
      await net.sleep(10);
    }),
    /timer broke/,
  );
  assert.equal(await net.run(async () => 'usable'), 'usable');
});

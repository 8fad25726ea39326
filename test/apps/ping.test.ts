import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/index.js';
import { formatLoss, formatRtt, ping } from '../../src/apps/ping.js';

function pair(): { net: Network; a: ReturnType<Network['host']> } {
  const net = new Network({ seed: 4, link: { latency: 3 } });
  const a = net.host('a', '10.0.0.1/24');
  net.host('b', '10.0.0.2/24');
  return { net, a };
}

test('formatRtt: iputils precision (3 decimals below 1 ms, 2 below 10, 1 below 100, then none)', () => {
  assert.equal(formatRtt(0.0456), '0.046');
  assert.equal(formatRtt(6.123), '6.12');
  assert.equal(formatRtt(42.25), '42.3');
  assert.equal(formatRtt(250.4), '250');
});

test('formatLoss: printf %g like iputils', () => {
  assert.equal(formatLoss(3, 3), '0');
  assert.equal(formatLoss(3, 0), '100');
  assert.equal(formatLoss(3, 2), '33.3333');
  assert.equal(formatLoss(4, 3), '25');
  assert.equal(formatLoss(0, 0), '0');
});

test('each request gets its own sequence number and checksum: every one is answered', async () => {
  const { net, a } = pair();
  const lines: string[] = [];
  const res = await net.run(() => ping(a.sockets, '10.0.0.2', { count: 3, log: (l) => lines.push(l) }));
  assert.equal(res.received, 3);
  assert.deepEqual(
    lines.filter((l) => l.includes('bytes from')).map((l) => /icmp_seq=(\d+) ttl=64 time=\d+\.\d+ ms$/.exec(l)?.[1]),
    ['1', '2', '3'],
  );
  assert.deepEqual(lines.slice(-4, -1), ['', '--- 10.0.0.2 ping statistics ---', '3 packets transmitted, 3 received, 0% packet loss, time 2006ms']);
  assert.match(lines.at(-1)!, /^rtt min\/avg\/max\/mdev = 6\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms$/);
});

test('count Infinity runs until the signal aborts; the statistics follow', async () => {
  const { net, a } = pair();
  const lines: string[] = [];
  const ac = new AbortController();
  const res = await net.run(async () => {
    const run = ping(a.sockets, '10.0.0.2', { count: Infinity, intervalMs: 1000, signal: ac.signal, log: (l) => lines.push(l) });
    await net.sleep(3500); // requests at 0, 1000, 2000 and 3000 ms, each answered after 6 ms
    ac.abort();
    return run;
  });
  assert.equal(res.transmitted, 4);
  assert.equal(res.received, 4);
  assert.ok(lines.includes('--- 10.0.0.2 ping statistics ---'));
  assert.match(lines.find((l) => l.includes('packets transmitted'))!, /^4 packets transmitted, 4 received, 0% packet loss, time 3500ms$/);
  assert.equal(a.sockets.openSockets().length, 0, 'the raw socket is closed');
});

test('an abort while waiting for a reply counts the request as lost', async () => {
  const net = new Network({ seed: 4, link: { latency: 3, loss: 1 } });
  const a = net.host('a', '10.0.0.1/24');
  net.host('b', '10.0.0.2/24');
  const ac = new AbortController();
  const lines: string[] = [];
  const res = await net.run(async () => {
    const run = ping(a.sockets, '10.0.0.2', { count: 5, timeoutMs: 10_000, signal: ac.signal, log: (l) => lines.push(l) });
    await net.sleep(100);
    ac.abort();
    return run;
  });
  assert.deepEqual([res.transmitted, res.received], [1, 0]);
  assert.match(lines.at(-1)!, /^1 packets transmitted, 0 received, 100% packet loss, time 100ms$/);
});

test('quiet: no line per reply', async () => {
  const { net, a } = pair();
  const lines: string[] = [];
  const res = await net.run(() => ping(a.sockets, '10.0.0.2', { count: 2, quiet: true, log: (l) => lines.push(l) }));
  assert.equal(res.received, 2);
  assert.equal(lines.filter((l) => l.includes('bytes from')).length, 0);
  assert.equal(lines[0], 'PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.');
  assert.match(lines.join('\n'), /2 packets transmitted, 2 received/);
});

test('a send error is reported with its strerror text', async () => {
  const { net, a } = pair();
  const lines: string[] = [];
  const res = await net.run(() => ping(a.sockets, '172.16.0.1', { count: 2, log: (l) => lines.push(l) }));
  assert.equal(res.transmitted, 0);
  assert.ok(lines.includes('ping: sendto: Network is unreachable'), lines.join('\n'));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network, SocketError, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_LINGER, type Host } from '../../src/index.js';
import { tcpEchoServer, tcpEchoClient, sendAll } from '../../src/apps/tcp-echo.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function pair(seed = 3, link = {}): { net: Network; a: Host; b: Host } {
  const net = new Network({ seed, link });
  return { net, a: net.host('a', '10.0.0.1/24'), b: net.host('b', '10.0.0.2/24') };
}

function pattern(n: number, salt = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + salt + (i >> 9)) & 0xff;
  return b;
}

test('the echo client gets back exactly what it sent, and leaves no descriptor open', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const srv = tcpEchoServer(b.sockets, 7);
    const got = await tcpEchoClient(a.sockets, '10.0.0.2', 7, enc('Hello, world'));
    assert.equal(dec(got), 'Hello, world');
    assert.equal(a.sockets.openSockets().length, 0);
    await srv.stop();
    await srv.done;
    assert.equal(srv.accepted, 1);
    assert.equal(srv.finished, 1);
    assert.equal(srv.echoed, 12);
    assert.equal(b.sockets.openSockets().length, 0);
  });
});

test('one task per connection: a client that stays connected does not hold up the others', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const lines: string[] = [];
    const srv = tcpEchoServer(b.sockets, 7, { log: (l) => lines.push(l) });
    // A slow client: connected, sent a little, not finished.
    const s = a.sockets;
    const slow = s.socket(AF_INET, SOCK_STREAM, 0);
    await s.connect(slow, { address: '10.0.0.2', port: 7 });
    await sendAll(s, slow, enc('first '));
    assert.equal(dec(await s.recv(slow, 100)), 'first ');
    // Meanwhile two more clients come and go.
    const [x, y] = await Promise.all([
      tcpEchoClient(a.sockets, '10.0.0.2', 7, enc('second')),
      tcpEchoClient(a.sockets, '10.0.0.2', 7, enc('third')),
    ]);
    assert.equal(dec(x), 'second');
    assert.equal(dec(y), 'third');
    assert.equal(srv.accepted, 3);
    assert.equal(srv.finished, 2, 'the slow one is still being served');
    await sendAll(s, slow, enc('and last'));
    assert.equal(dec(await s.recv(slow, 100)), 'and last');
    await s.close(slow);
    await srv.stop();
    await srv.done;
    assert.equal(srv.finished, 3);
    assert.ok(lines.some((l) => /^accept\(\) = \d+: connection from 10\.0\.0\.1:\d+$/.test(l)), lines.join('\n'));
  });
});

test('128 KiB echoed intact through 5% loss, reordering and duplicates', async () => {
  const { net, a, b } = pair(11, { latency: 5, loss: 0.05, reorder: 0.05, duplicate: 0.02 });
  await net.run(async () => {
    const srv = tcpEchoServer(b.sockets, 7, { readSize: 4096 });
    const msg = pattern(131072);
    const got = await tcpEchoClient(a.sockets, '10.0.0.2', 7, msg, { readSize: 8192 });
    assert.equal(got.length, msg.length);
    assert.deepEqual(got, msg);
    assert.ok(net.segment().counters.dropLoss > 0, 'the link did lose frames');
    await srv.stop();
    await srv.done;
  });
});

test('after stop(), new connections are refused; done waits for the ones in progress', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const srv = tcpEchoServer(b.sockets, 7);
    const s = a.sockets;
    const fd = s.socket(AF_INET, SOCK_STREAM, 0);
    await s.connect(fd, { address: '10.0.0.2', port: 7 });
    await net.sleep(10); // let the server accept it
    await srv.stop();
    let settled = false;
    void srv.done.then(() => (settled = true));
    await assert.rejects(tcpEchoClient(s, '10.0.0.2', 7, enc('x')), (e: unknown) => e instanceof SocketError && e.code === 'ECONNREFUSED');
    assert.equal(settled, false, 'a connection is still being served');
    await sendAll(s, fd, enc('still here'));
    assert.equal(dec(await s.recv(fd, 100)), 'still here');
    await s.close(fd);
    await srv.done;
    assert.equal(srv.finished, 1);
  });
});

test('a client that resets mid-stream costs the server one connection, not the service', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const lines: string[] = [];
    const srv = tcpEchoServer(b.sockets, 7, { log: (l) => lines.push(l) });
    const s = a.sockets;
    const fd = s.socket(AF_INET, SOCK_STREAM, 0);
    await s.connect(fd, { address: '10.0.0.2', port: 7 });
    await sendAll(s, fd, enc('abc'));
    await s.recv(fd, 10);
    s.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 0 });
    await s.close(fd); // RST
    await net.sleep(50);
    assert.equal(srv.finished, 1);
    assert.ok(lines.some((l) => l.includes('ECONNRESET')), lines.join('\n'));
    assert.equal(dec(await tcpEchoClient(s, '10.0.0.2', 7, enc('next'))), 'next');
    await srv.stop();
    await srv.done;
  });
});

test('tcpEchoClient rejects with ECONNREFUSED when nobody listens, and closes its socket', async () => {
  const { net, a } = pair();
  await net.run(async () => {
    await assert.rejects(tcpEchoClient(a.sockets, '10.0.0.2', 7, enc('x')), (e: unknown) => e instanceof SocketError && e.code === 'ECONNREFUSED' && e.syscall === 'connect');
    assert.equal(a.sockets.openSockets().length, 0);
  });
});

test('tcpEchoServer throws EADDRINUSE for a port already listened on, without leaking the socket', async () => {
  const { net, b } = pair();
  await net.run(async () => {
    const first = tcpEchoServer(b.sockets, 7);
    assert.throws(() => tcpEchoServer(b.sockets, 7), (e: unknown) => e instanceof SocketError && e.code === 'EADDRINUSE');
    await net.sleep(1);
    assert.equal(b.sockets.openSockets().length, 1);
    await first.stop();
    await first.done;
  });
});

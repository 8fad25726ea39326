import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_RCVBUF, type Host } from '../../src/index.js';
import { chatServer, chatClient, type ChatClient } from '../../src/apps/chat-server.js';
import { formatAddr, sendAll } from '../../src/apps/tcp-echo.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function lan(seed = 5, link = {}): { net: Network; srv: Host; a: Host; b: Host; c: Host } {
  const net = new Network({ seed, link });
  return {
    net,
    srv: net.host('srv', '10.0.0.10/24'),
    a: net.host('a', '10.0.0.1/24'),
    b: net.host('b', '10.0.0.2/24'),
    c: net.host('c', '10.0.0.3/24'),
  };
}

async function join(h: Host): Promise<ChatClient> {
  const cl = await chatClient(h.sockets, '10.0.0.10', 6667);
  await cl.waitFor('* Welcome');
  return cl;
}

test('a line goes to every other client, prefixed with its sender, and never back to the sender', async () => {
  const { net, srv, a, b, c } = lan();
  await net.run(async () => {
    const chat = chatServer(srv.sockets, 6667);
    const ca = await join(a);
    const cb = await join(b);
    const cc = await join(c);
    assert.match(cc.received[0]!, /^\* Welcome, 10\.0\.0\.3:\d+! 2 others are here\.$/);
    assert.match(ca.received[0]!, /Nobody else is here yet/);
    await ca.waitFor(`* ${formatAddr(cc.local)} joined`);
    await ca.say('hello');
    const name = formatAddr(ca.local);
    assert.equal(await cb.waitFor('hello'), `[${name}] hello`);
    assert.equal(await cc.waitFor('hello'), `[${name}] hello`);
    await cb.say('hi a');
    await ca.waitFor('hi a');
    assert.ok(!ca.received.some((l) => l.includes('] hello')), 'the sender does not get its own line');
    assert.deepEqual(chat.clients(), [formatAddr(ca.local), formatAddr(cb.local), formatAddr(cc.local)]);
    assert.equal(chat.messages, 2);
    await chat.stop();
    await chat.done;
  });
});

test('partial lines: bytes trickling in, CRLF, and a UTF-8 character split across writes', async () => {
  const { net, srv, a, b } = lan();
  await net.run(async () => {
    const chat = chatServer(srv.sockets, 6667);
    const ca = await join(a);
    const cb = await join(b);
    const bytes = enc('héllo, wörld 😀\r\n');
    for (let i = 0; i < bytes.length; i++) {
      await ca.sendRaw(bytes.subarray(i, i + 1)); // a byte at a time: the server sees the line in pieces
      await net.sleep(5);
    }
    const line = await cb.waitFor('wörld');
    assert.equal(line, `[${formatAddr(ca.local)}] héllo, wörld 😀`);
    // Two lines in one write arrive as two lines.
    await ca.sendRaw(enc('one\ntwo\n'));
    await cb.waitFor('two');
    assert.deepEqual(cb.received.slice(-2), [`[${formatAddr(ca.local)}] one`, `[${formatAddr(ca.local)}] two`]);
    await chat.stop();
    await chat.done;
  });
});

test('a line longer than maxLine is delivered in pieces instead of buffered forever', async () => {
  const { net, srv, a, b } = lan();
  await net.run(async () => {
    const chat = chatServer(srv.sockets, 6667, { maxLine: 16 });
    const ca = await join(a);
    const cb = await join(b);
    await ca.sendRaw(enc('x'.repeat(40)));
    await cb.waitFor(`] ${'x'.repeat(16)}`);
    await net.sleep(50);
    assert.equal(cb.received.filter((l) => l.endsWith('x'.repeat(16))).length, 2, cb.received.join('\n'));
    await chat.stop();
    await chat.done;
  });
});

test('a client that resets (ECONNRESET on the server\'s read) is announced and removed; the server carries on', async () => {
  const { net, srv, a, b, c } = lan();
  await net.run(async () => {
    const log: string[] = [];
    const chat = chatServer(srv.sockets, 6667, { log: (l) => log.push(l) });
    const ca = await join(a);
    const cb = await join(b);
    const cc = await join(c);
    await ca.waitFor(`${formatAddr(cc.local)} joined`);
    await cc.abort();
    assert.equal(await ca.waitFor(`${formatAddr(cc.local)} left`), `* ${formatAddr(cc.local)} left (connection error: ECONNRESET)`);
    await cb.waitFor(`${formatAddr(cc.local)} left`);
    assert.ok(log.some((l) => l.includes('ECONNRESET')), log.join('\n'));
    assert.equal(chat.clients().length, 2);
    await ca.say('still alive?');
    assert.match(await cb.waitFor('still alive?'), /still alive\?$/);
    let failed: unknown = null;
    void chat.done.catch((e: unknown) => (failed = e));
    await chat.stop();
    await chat.done;
    assert.equal(failed, null);
  });
});

test('EOF after half a line: the half line is delivered, then the leave', async () => {
  const { net, srv, a, b } = lan();
  await net.run(async () => {
    const chat = chatServer(srv.sockets, 6667);
    const ca = await join(a);
    const cb = await join(b);
    const name = formatAddr(ca.local);
    await ca.sendRaw(enc('no newline'));
    await ca.quit();
    await cb.waitFor(`${name} left`);
    assert.deepEqual(cb.received.slice(-2), [`[${name}] no newline`, `* ${name} left (disconnected)`]);
    assert.equal(await ca.ended, null);
    await chat.stop();
    await chat.done;
  });
});

test('a client that never reads is dropped once its output queue passes maxQueued; the others go on', async () => {
  const { net, srv, a, b, c } = lan();
  await net.run(async () => {
    const chat = chatServer(srv.sockets, 6667, { maxQueued: 8192 });
    const ca = await join(a);
    const cb = await join(b);
    // The silent one: a small receive buffer, and nobody ever calls recv().
    const s = c.sockets;
    const fd = s.socket(AF_INET, SOCK_STREAM, 0);
    s.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 4096);
    await s.connect(fd, { address: '10.0.0.10', port: 6667 });
    const silent = formatAddr(s.getsockname(fd));
    await ca.waitFor(`${silent} joined`);
    const line = `${'y'.repeat(1000)}\n`;
    for (let i = 0; i < 400 && !ca.received.some((l) => l.includes(`${silent} left`)); i++) {
      await sendAll(a.sockets, ca.fd, enc(line));
      if (i % 20 === 19) await net.sleep(20);
    }
    assert.equal(await ca.waitFor(`${silent} left`), `* ${silent} left (too slow (output queue full))`);
    assert.equal(chat.clients().length, 2);
    await cb.waitFor(`${silent} left`);
    await s.close(fd);
    await chat.stop();
    await chat.done;
  });
});

test('stop() closes every client (they read EOF) and ends the select() loop', async () => {
  const { net, srv, a, b } = lan();
  await net.run(async () => {
    const chat = chatServer(srv.sockets, 6667);
    const ca = await join(a);
    const cb = await join(b);
    await chat.stop();
    await chat.done;
    assert.equal(await ca.ended, null);
    assert.equal(await cb.ended, null);
    assert.equal(srv.sockets.openSockets().length, 0);
    await assert.rejects(ca.waitFor('never'), /connection ended/);
  });
});

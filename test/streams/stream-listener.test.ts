import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SocketError, type StreamSocket } from '../../src/index.js';
import { listenStream } from '../../src/streams/stream-listener.js';
import { dec, enc, pair, readAll, rejection } from './helpers.js';

test('for await delivers each connection; close() ends the iteration without an error', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const l = b.listen({ port: 7000 });
    assert.deepEqual(await l.opened, { localAddress: '0.0.0.0', localPort: 7000 });
    const greeted: string[] = [];
    const serving = (async () => {
      for await (const c of l) {
        const who = await c.opened;
        greeted.push(`${who.remoteAddress}:${who.remotePort}`);
        const w = c.writable.getWriter();
        await w.write(enc(`hello #${greeted.length}`));
        await w.close();
        await readAll(c.readable);
        await c.closed;
      }
      return 'ended';
    })();
    for (let i = 1; i <= 3; i++) {
      const s = a.connect({ hostname: '10.0.0.2', port: 7000 });
      const w = s.writable.getWriter();
      assert.equal(dec(await readAll(s.readable)), `hello #${i}`);
      await w.close();
      await s.closed;
    }
    await l.close();
    assert.equal(await serving, 'ended');
    await l.closed;
    assert.equal(greeted.length, 3);
    assert.equal(b.sockets.openSockets().length, 0);
    // The port is free again.
    const again = b.listen({ port: 7000 });
    await again.opened;
    await again.close();
  });
});

test('close() while the iteration waits in accept ends it; a later iteration ends at once', async () => {
  const { net, b } = pair();
  await net.run(async () => {
    const l = b.listen({ port: 7001 });
    const it = l[Symbol.asyncIterator]();
    const waiting = it.next();
    await net.sleep(10);
    await l.close();
    assert.deepEqual(await waiting, { value: undefined, done: true });
    assert.deepEqual(await l[Symbol.asyncIterator]().next(), { value: undefined, done: true });
  });
});

test('leaving the loop keeps the listener: the next loop gets the next connection', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const l = b.listen({ port: 7002 });
    const s1 = a.connect({ hostname: '10.0.0.2', port: 7002 });
    const s2 = a.connect({ hostname: '10.0.0.2', port: 7002 });
    const got: StreamSocket[] = [];
    for await (const c of l) {
      got.push(c);
      break;
    }
    for await (const c of l) {
      got.push(c);
      break;
    }
    assert.equal(got.length, 2);
    const ports = await Promise.all(got.map(async (c) => (await c.opened).remotePort));
    const mine = await Promise.all([s1, s2].map(async (s) => (await s.opened).localPort));
    assert.deepEqual(ports.sort(), mine.sort());
    await Promise.all([...got, s1, s2].map((s) => s.close()));
    await l.close();
  });
});

test('closing the listener resets connections it queued but nobody accepted', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const l = b.listen({ port: 7003 });
    const s = a.connect({ hostname: '10.0.0.2', port: 7003 });
    await s.opened; // the handshake completes in the kernel, before any accept
    await l.close();
    const e = (await rejection(s.readable.getReader().read())) as SocketError;
    assert.equal(e.code, 'ECONNRESET');
    assert.equal(await rejection(s.closed), e);
  });
});

test('port 0 listens on an ephemeral port; hostname picks the address', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const l = b.listen({ port: 0, hostname: '10.0.0.2' });
    const { localAddress, localPort } = await l.opened;
    assert.equal(localAddress, '10.0.0.2');
    assert.ok(localPort >= 32768 && localPort < 61000, String(localPort));
    const s = a.connect({ hostname: '10.0.0.2', port: localPort });
    await s.opened;
    await s.close();
    await l.close();
  });
});

test('EADDRINUSE and EADDRNOTAVAIL reject opened and closed, and iterating throws the same error', async () => {
  const { net, b } = pair();
  await net.run(async () => {
    const first = b.listen({ port: 80 });
    await first.opened;
    const second = b.listen({ port: 80 });
    const e = (await rejection(second.opened)) as SocketError;
    assert.ok(e instanceof SocketError);
    assert.equal(e.code, 'EADDRINUSE');
    assert.equal(e.syscall, 'bind');
    assert.equal(await rejection(second.closed), e);
    assert.equal(await rejection(second[Symbol.asyncIterator]().next()), e);
    await second.close(); // harmless
    const elsewhere = b.listen({ port: 81, hostname: '10.0.0.99' });
    assert.equal(((await rejection(elsewhere.opened)) as SocketError).code, 'EADDRNOTAVAIL');
    await first.close();
    assert.equal(b.sockets.openSockets().length, 0);
  });
});

test('an unprivileged process cannot listen below 1024 (EACCES)', async () => {
  const { net, b } = pair();
  await net.run(async () => {
    // host.listen uses the privileged process; the Berkeley rule still shows through the streams API.
    const l = listenStream(b.process({ privileged: false }).sockets, { port: 80 });
    assert.equal(((await rejection(l.opened)) as SocketError).code, 'EACCES');
  });
});

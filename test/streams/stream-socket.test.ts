import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network, SocketError, type Host, type StreamSocket } from '../../src/index.js';
import { TcpState } from '../../src/tcp/state.js';
import { chunked, dec, enc, pair, pattern, readAll, rejection } from './helpers.js';

/** An echo service on `host`:`port` over the streams API; `transform` may rewrite what comes back. */
function echoServer(host: Host, port: number, transform?: () => TransformStream<Uint8Array, Uint8Array>): { done: Promise<number>; close(): Promise<void> } {
  const l = host.listen({ port });
  const done = (async () => {
    let served = 0;
    for await (const c of l) {
      const piped = transform ? c.readable.pipeThrough(transform()).pipeTo(c.writable) : c.readable.pipeTo(c.writable);
      await piped;
      await c.closed;
      served++;
    }
    return served;
  })();
  return { done, close: () => l.close() };
}

function xor(k: number): () => TransformStream<Uint8Array, Uint8Array> {
  return () =>
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        c.enqueue(chunk.map((x) => x ^ k));
      },
    });
}

test('1 MiB through an echo server: pipeTo out, pipeThrough back, every byte in order, nothing left open', async () => {
  const { net, a, b } = pair(11, { latency: 2, loss: 0.01, reorder: 0.01 });
  await net.run(async () => {
    const srv = echoServer(b, 7, xor(0x5a));
    const data = pattern(1 << 20, 1);
    const s = a.connect({ hostname: '10.0.0.2', port: 7 });
    const info = await s.opened;
    assert.equal(info.remoteAddress, '10.0.0.2');
    assert.equal(info.remotePort, 7);
    assert.equal(info.localAddress, '10.0.0.1');
    assert.ok(info.localPort >= 32768, `ephemeral port ${info.localPort}`);
    const [, back] = await Promise.all([chunked(data, 3000).pipeTo(s.writable), readAll(s.readable.pipeThrough(xor(0x5a)()))]);
    assert.equal(back.length, data.length);
    assert.deepEqual(back, data);
    await s.closed;
    await srv.close();
    assert.equal(await srv.done, 1);
    assert.equal(a.sockets.openSockets().length, 0);
    assert.equal(b.sockets.openSockets().length, 0);
  });
});

test("connect('host:port') and opened's addresses agree with the other side's", async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const l = b.listen({ port: 8080 });
    const accepted = l[Symbol.asyncIterator]().next();
    const s = a.connect('10.0.0.2:8080');
    const mine = await s.opened;
    const { value: theirs } = await accepted;
    const peer = await (theirs as StreamSocket).opened;
    assert.deepEqual(peer, { localAddress: '10.0.0.2', localPort: 8080, remoteAddress: mine.localAddress, remotePort: mine.localPort });
    await s.close();
    await (theirs as StreamSocket).close();
    await l.close();
  });
});

test('malformed addresses throw a TypeError at once', () => {
  const { a } = pair();
  assert.throws(() => a.connect('10.0.0.2'), TypeError);
  assert.throws(() => a.connect('10.0.0.2:http'), TypeError);
  assert.throws(() => a.connect({ hostname: '10.0.0.2', port: 70000 }), TypeError);
  assert.equal(a.sockets.openSockets().length, 0);
});

test('half-close: closing our writable sends a FIN the peer reads as EOF, and our readable still reads', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const l = b.listen({ port: 9 });
    const server = (async () => {
      for await (const c of l) {
        const got = dec(await readAll(c.readable)); // up to the client's FIN
        await net.sleep(100); // think before answering: the client stays half-closed meanwhile
        const w = c.writable.getWriter();
        await w.write(enc(`you said ${got.length} bytes: ${got}`));
        await w.close();
        await c.closed;
        return got;
      }
    })();
    const s = a.connect({ hostname: '10.0.0.2', port: 9 });
    let closed = false;
    void s.closed.then(() => (closed = true));
    const w = s.writable.getWriter();
    await w.write(enc('question'));
    await w.close();
    await net.sleep(50);
    assert.equal(closed, false, 'one direction is still open');
    // Our side is in FIN-WAIT: the connection is half-closed, not gone.
    const mine = a.tcp.endpoints().find((e) => e.remotePort === 9)!;
    assert.ok(([TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2] as number[]).includes(mine.state), mine.stateName);
    assert.equal(dec(await readAll(s.readable)), 'you said 8 bytes: question');
    assert.equal(await server, 'question');
    await s.closed;
    assert.equal(closed, true);
    assert.equal(a.sockets.openSockets().length, 0);
    await l.close();
  });
});

test('ECONNREFUSED rejects opened, errors both streams, rejects closed and leaves no descriptor', async () => {
  const { net, a } = pair();
  await net.run(async () => {
    const s = a.connect({ hostname: '10.0.0.2', port: 4444 });
    const e = await rejection(s.opened);
    assert.ok(e instanceof SocketError);
    assert.equal(e.code, 'ECONNREFUSED');
    assert.equal(e.syscall, 'connect');
    assert.equal(await rejection(s.closed), e);
    assert.equal(await rejection(s.readable.getReader().read()), e);
    assert.equal(await rejection(s.writable.getWriter().write(enc('x'))), e);
    assert.equal(a.sockets.openSockets().length, 0);
    await s.close(); // closing a failed socket is harmless
  });
});

test('a socket whose refusal nobody awaits does not raise an unhandled rejection', async () => {
  const { net, a } = pair();
  const unhandled: unknown[] = [];
  const onUnhandled = (r: unknown): void => void unhandled.push(r);
  process.on('unhandledRejection', onUnhandled);
  try {
    await net.run(async () => {
      a.connect({ hostname: '10.0.0.2', port: 4444 });
      await net.sleep(1000);
    });
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, []);
  assert.equal(a.sockets.openSockets().length, 0);
});

test('names: localhost is the loopback, IPv6 is EAFNOSUPPORT, other names are EINVAL (no resolver)', async () => {
  const { net, a } = pair();
  await net.run(async () => {
    const l = a.listen({ port: 5000, hostname: 'localhost' });
    assert.deepEqual(await l.opened, { localAddress: '127.0.0.1', localPort: 5000 });
    const s = a.connect({ hostname: 'localhost', port: 5000 });
    assert.equal((await s.opened).remoteAddress, '127.0.0.1');
    await s.close();
    await l.close();
    const v6 = (await rejection(a.connect({ hostname: '::1', port: 80 }).opened)) as SocketError;
    assert.equal(v6.code, 'EAFNOSUPPORT');
    const name = (await rejection(a.connect({ hostname: 'db.example', port: 80 }).opened)) as SocketError;
    assert.equal(name.code, 'EINVAL');
    assert.equal(a.sockets.openSockets().length, 0);
  });
});

test("the peer's reset errors our readable with ECONNRESET and rejects closed", async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const l = b.listen({ port: 7 });
    const accepted = l[Symbol.asyncIterator]().next();
    const s = a.connect({ hostname: '10.0.0.2', port: 7 });
    await s.opened;
    const peer = (await accepted).value as StreamSocket;
    await peer.writable.abort(new Error('giving up'));
    const e = (await rejection(s.readable.getReader().read())) as SocketError;
    assert.equal(e.code, 'ECONNRESET');
    assert.equal(await rejection(s.closed), e);
    assert.equal(((await rejection(peer.closed)) as Error).message, 'giving up');
    assert.equal(a.sockets.openSockets().length, 0);
    assert.equal(b.counters.tcp.outRsts > 0, true);
    await l.close();
  });
});

test('close() ends the readable after what it queued, errors the writable, closes the descriptor', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const l = b.listen({ port: 7 });
    const accepted = l[Symbol.asyncIterator]().next();
    const s = a.connect({ hostname: '10.0.0.2', port: 7 });
    await s.opened;
    const peer = (await accepted).value as StreamSocket;
    const pw = peer.writable.getWriter();
    await pw.write(enc('early'));
    await net.sleep(100); // the bytes reach our readable's queue
    const r = s.readable.getReader();
    const w = s.writable.getWriter();
    await s.close();
    assert.equal(dec((await r.read()).value!), 'early');
    assert.equal((await r.read()).done, true);
    assert.ok((await rejection(w.write(enc('late')))) instanceof Error);
    await s.closed;
    assert.equal(a.sockets.openSockets().length, 0);
    // The peer sees our FIN.
    assert.equal((await peer.readable.getReader().read()).done, true);
    await pw.close();
    await peer.closed;
    await l.close();
  });
});

test('cancelling the readable and closing the writable end the socket; the peer still gets our FIN', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const l = b.listen({ port: 7 });
    const accepted = l[Symbol.asyncIterator]().next();
    const s = a.connect({ hostname: '10.0.0.2', port: 7 });
    await s.opened;
    const peer = (await accepted).value as StreamSocket;
    await s.readable.cancel();
    const w = s.writable.getWriter();
    await w.write(enc('last words'));
    await w.close();
    await s.closed;
    assert.equal(a.sockets.openSockets().length, 0);
    assert.equal(dec(await readAll(peer.readable)), 'last words');
    await peer.close();
    await l.close();
  });
});

test('backpressure: a reader that does not read stops recv; the window closes and the writer waits', async () => {
  const { net, a, b } = pair(3, { latency: 1 });
  await net.run(async () => {
    const l = b.listen({ port: 7 });
    const accepted = l[Symbol.asyncIterator]().next();
    const s = a.connect({ hostname: '10.0.0.2', port: 7 });
    await s.opened;
    const peer = (await accepted).value as StreamSocket;
    // More than both buffers can ever grow to (auto-tuning: rcvBufMax 6 MiB + sndBufMax 4 MiB).
    const data = pattern(16 << 20, 2);
    const w = s.writable.getWriter();
    let written = false;
    const writing = w.write(data).then(() => (written = true));
    await net.sleep(5000);
    assert.equal(written, false, 'the 16 MiB write waits for room');
    const theirs = b.tcp.endpoints().find((e) => e.localPort === 7 && e.state === TcpState.ESTABLISHED)!;
    // The readable pulled what its queue holds (64 KiB) and then stopped calling recv: the rest
    // sits in the receive buffer, full, so the advertised window is 0 and our send buffer is full.
    // (Full, and a little more: the bytes a window rounded up to whole scale units offered past
    // the capacity are taken, not dropped; tcp/input.ts windowOverdraft.)
    assert.ok(theirs.recvBuf.length >= theirs.recvBuf.capacity, `receive buffer full: ${theirs.recvBuf.length} of ${theirs.recvBuf.capacity}`);
    const ours = a.tcp.endpoints().find((e) => e.remotePort === 7)!;
    assert.equal(ours.sndWnd, 0, 'the window is closed');
    assert.equal(ours.sendBuf.free, 0);
    // What recv handed to the readable: at most its high-water mark, 64 KiB.
    const pulled = (theirs.readSeq - theirs.irs - 1) >>> 0;
    assert.ok(pulled > 0 && pulled <= 65536, `${pulled} bytes left the stack before anyone read`);
    // Reading drains everything, and then the write completes.
    const reading = readAll(peer.readable);
    await writing;
    await w.close();
    assert.deepEqual(await reading, data);
    await s.close();
    await peer.close();
    await l.close();
  });
});

test('real clock: a round trip and an orderly close', async () => {
  const net = new Network({ clock: 'real', seed: 9 });
  try {
    const a = net.host('a', '10.0.0.1/24');
    const b = net.host('b', '10.0.0.2/24');
    const srv = echoServer(b, 7);
    const s = a.connect({ hostname: '10.0.0.2', port: 7 });
    const msg = pattern(200_000, 3);
    const [, back] = await Promise.all([chunked(msg, 8192).pipeTo(s.writable), readAll(s.readable)]);
    assert.deepEqual(back, msg);
    await s.closed;
    await srv.close();
    assert.equal(await srv.done, 1);
    assert.equal(a.sockets.openSockets().length, 0);
    assert.equal(b.sockets.openSockets().length, 0);
  } finally {
    net.close();
  }
});

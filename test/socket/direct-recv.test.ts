/**
 * A recv(fd, buf) asleep on an empty receive queue takes arriving in-order bytes straight into
 * its buffer (TcpEndpoint.reader, like Linux's old "ucopy"). What an application sees must be
 * the same as through the queue: order, lengths, MSG_WAITALL, urgent data, timeouts, close,
 * several readers, and what poll reports.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Network, SOL_SOCKET, SO_RCVTIMEO, SO_LINGER, SIOCINQ, MSG_WAITALL, MSG_OOB, MSG_PEEK, POLLIN, SHUT_WR } from '../../src/index.js';
import { dec, enc, rejectsErr } from './helpers.js';
import { connectPair, fillSendBuffer, tcpPair, track } from '../tcp/helpers.js';

describe('recv into a waiting buffer (direct delivery)', () => {
  it('a blocked recv gets the bytes that fit; the rest stays queued, in order', async () => {
    const { net, a, b } = tcpPair();
    await net.run(async () => {
      const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7101);
      const buf = new Uint8Array(5);
      const waiting = b.sockets.recv(s, buf);
      await a.sockets.send(c, enc('hello world'));
      const got = await waiting;
      assert.equal(got, buf, 'a filled buffer comes back as itself');
      assert.equal(dec(got), 'hello');
      assert.equal(b.sockets.ioctl(s, SIOCINQ), 6, 'the rest of the segment is queued');
      assert.equal(dec(await b.sockets.recv(s, 100)), ' world');
      assert.equal(b.sockets.ioctl(s, SIOCINQ), 0);
    });
  });

  it('MSG_WAITALL fills the buffer across segments, then the next segment is queued', async () => {
    const { net, a, b } = tcpPair(7, { latency: 1 });
    await net.run(async () => {
      const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7102);
      const buf = new Uint8Array(6);
      const waiting = track(b.sockets.recv(s, buf, MSG_WAITALL));
      await a.sockets.send(c, enc('abc'));
      await net.sleep(50);
      assert.equal(waiting.state, 'pending', 'half the buffer: still waiting');
      assert.equal(b.sockets.ioctl(s, SIOCINQ), 0, 'the bytes went to the buffer, not the queue');
      await a.sockets.send(c, enc('defgh'));
      assert.equal(dec(await waiting.promise), 'abcdef');
      await net.sleep(50);
      assert.equal(dec(await b.sockets.recv(s, 10)), 'gh');
    });
  });

  it('queued bytes come first: with data already queued, recv reads the queue', async () => {
    const { net, a, b } = tcpPair();
    await net.run(async () => {
      const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7103);
      await a.sockets.send(c, enc('first'));
      await net.sleep(50);
      const buf = new Uint8Array(64);
      const w1 = b.sockets.recv(s, buf, MSG_WAITALL);
      await a.sockets.send(c, enc('-second'));
      await a.sockets.send(c, new Uint8Array(52).fill(0x2e));
      const got = await w1;
      assert.equal(got.length, 64);
      assert.equal(dec(got.subarray(0, 12)), 'first-second');
    });
  });

  it('urgent data is not taken past its mark: the urgent byte still comes out of band', async () => {
    const { net, a, b } = tcpPair();
    await net.run(async () => {
      const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7104);
      const buf = new Uint8Array(100);
      const waiting = b.sockets.recv(s, buf);
      await a.sockets.send(c, enc('ab!'), MSG_OOB);
      await net.sleep(50);
      assert.equal(dec(await waiting), 'ab', 'the read stops at the mark');
      assert.equal(dec(await b.sockets.recv(s, 1, MSG_OOB)), '!');
    });
  });

  it('a recv that timed out (SO_RCVTIMEO) takes nothing more: the next bytes are queued for the next call', async () => {
    const { net, a, b } = tcpPair();
    await net.run(async () => {
      const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7105);
      b.sockets.setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 0, tv_usec: 100_000 });
      const buf = new Uint8Array(16).fill(0xee);
      await rejectsErr(b.sockets.recv(s, buf), 'EAGAIN', 'recv');
      await a.sockets.send(c, enc('late'));
      await net.sleep(50);
      assert.equal(buf[0], 0xee, 'the timed-out call left the buffer alone');
      assert.equal(b.sockets.ioctl(s, SIOCINQ), 4);
      assert.equal(dec(await b.sockets.recv(s, buf)), 'late');
    });
  });

  it('close while a recv waits: EBADF, and later bytes are not written to its buffer', async () => {
    const { net, a, b } = tcpPair();
    await net.run(async () => {
      const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7107);
      const buf = new Uint8Array(8).fill(0xee);
      const waiting = b.sockets.recv(s, buf);
      await b.sockets.close(s);
      await rejectsErr(waiting, 'EBADF', 'recv');
      await a.sockets.send(c, enc('xyz')).catch(() => 0);
      await net.sleep(50);
      assert.deepEqual([...buf], new Array(8).fill(0xee));
    });
  });

  it('bytes a waiting reader took do not make the socket readable for a poll that came after it', async () => {
    const { net, a, b } = tcpPair();
    await net.run(async () => {
      const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7108);
      const reading = b.sockets.recv(s, new Uint8Array(32));
      const polled = track(b.sockets.poll([{ fd: s, events: POLLIN }], 200));
      await a.sockets.send(c, enc('taken'));
      assert.equal(dec(await reading), 'taken');
      const [p] = await polled.promise;
      assert.equal(p!.revents, 0, 'nothing readable: poll timed out');
    });
  });

  it('a send blocked on the same socket does not keep a recv from taking bytes directly', async () => {
    const { net, a, b } = tcpPair();
    await net.run(async () => {
      const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7115);
      await fillSendBuffer(b.sockets, s); // a never reads: b's next send blocks
      const sending = track(b.sockets.send(s, new Uint8Array(65536)));
      await net.sleep(100);
      assert.equal(sending.state, 'pending', 'the send is blocked');
      const reading = b.sockets.recv(s, new Uint8Array(32));
      const ep = b.tcp.endpoints().find((e) => e.localPort === 7115 && e.remotePort !== 0)!;
      assert.notEqual(ep.reader, null, 'the recv is the direct reader');
      await a.sockets.send(c, enc('direct'));
      assert.equal(dec(await reading), 'direct');
      assert.equal(ep.reader, null, 'and is not once it returned');
    });
  });

  it('a poll that waited first is told (no direct delivery past it)', async () => {
    const { net, a, b } = tcpPair();
    await net.run(async () => {
      const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7114);
      const polled = b.sockets.poll([{ fd: s, events: POLLIN }], 200);
      const reading = b.sockets.recv(s, new Uint8Array(32));
      await a.sockets.send(c, enc('seen'));
      const [p] = await polled;
      assert.equal(p!.revents, POLLIN);
      assert.equal(dec(await reading), 'seen');
    });
  });
});

describe('direct delivery keeps the order of waiters', () => {
  // Found in review: the first recv(buf) to sleep took the bytes even when a call had blocked
  // before it, which then never heard of them.
  // With two buffers the first is the direct reader; a recv of a length is never passed by one.
  for (const first of ['a buffer', 'a length'] as const) {
    it(`two blocked readers, the first with ${first}: it gets the first bytes, the later recv(buf) the next`, async () => {
      const { net, a, b } = tcpPair(7, { latency: 1 });
      await net.run(async () => {
        const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', first === 'a buffer' ? 7106 : 7110);
        const r1 = first === 'a buffer' ? b.sockets.recv(s, new Uint8Array(10)) : b.sockets.recv(s, 10);
        const r2 = b.sockets.recv(s, new Uint8Array(10));
        await a.sockets.send(c, enc('one'));
        await net.sleep(20);
        await a.sockets.send(c, enc('two'));
        assert.equal(dec(await r1), 'one');
        assert.equal(dec(await r2), 'two');
      });
    });
  }

  it('a recv(MSG_PEEK) that blocked first sees the bytes a later recv(buf) reads', async () => {
    const { net, a, b } = tcpPair(7, { latency: 1 });
    await net.run(async () => {
      const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7111);
      const p = track(b.sockets.recv(s, new Uint8Array(10), MSG_PEEK));
      const r = b.sockets.recv(s, new Uint8Array(10));
      await a.sockets.send(c, enc('one'));
      assert.equal(dec(await r), 'one');
      await net.sleep(20);
      assert.equal(p.state, 'fulfilled');
      assert.equal(dec(p.value!), 'one');
    });
  });
});

describe('an error after part of a MSG_WAITALL read', () => {
  // Linux tcp_recvmsg: with bytes copied, an error ends the call and stays (sk_err) for the next.
  for (const into of [true, false]) {
    it(`the call returns the bytes it has; the next call reports the reset (${into ? 'into a buffer' : 'a new array'})`, async () => {
      const { net, a, b } = tcpPair(7, { latency: 1 });
      await net.run(async () => {
        const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', into ? 7112 : 7113);
        const waiting = into ? b.sockets.recv(s, new Uint8Array(10), MSG_WAITALL) : b.sockets.recv(s, 10, MSG_WAITALL);
        await a.sockets.send(c, enc('abc'));
        await net.sleep(20);
        a.sockets.setsockopt(c, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 0 });
        await a.sockets.close(c); // an RST
        assert.equal(dec(await waiting), 'abc', 'the bytes read before the reset');
        await rejectsErr(b.sockets.recv(s, 10), 'ECONNRESET', 'recv');
      });
    });
  }
});

describe('direct delivery and the window', () => {
  it('a reader that takes whole segments still opens the window at once: 4 MiB at MTU 65535 never waits for a delayed ACK', async () => {
    // Found by the bulk benchmark: without the read-side window update, each pair of 64 KiB
    // segments waited 40 ms for the delayed-ACK timer.
    const net = new Network({ seed: 3, link: { mtu: 65535 } });
    net.segment().checksumOffload = true;
    const a = net.host('a', '10.0.0.1/24');
    const b = net.host('b', '10.0.0.2/24');
    const total = 4 << 20;
    await net.run(async () => {
      const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7109);
      const t0 = net.now();
      const buf = new Uint8Array(65536);
      const reader = (async () => {
        let got = 0;
        for (;;) {
          const d = await b.sockets.recv(s, buf);
          if (d.length === 0) return got;
          got += d.length;
        }
      })();
      const chunk = new Uint8Array(65536).fill(7);
      for (let sent = 0; sent < total; sent += chunk.length) await a.sockets.send(c, chunk);
      a.sockets.shutdown(c, SHUT_WR);
      assert.equal(await reader, total);
      assert.ok(net.now() - t0 < 1, `took ${net.now() - t0} ms of virtual time on a link without latency`);
    });
  });
});

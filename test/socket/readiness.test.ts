/**
 * poll, select and epoll over datagram sockets under virtual time, and the run loop's
 * deadlock report.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AF_INET, SOCK_DGRAM, SOCK_STREAM, POLLIN, POLLOUT, POLLERR, POLLNVAL, POLLHUP, EPOLLIN, EPOLLOUT, EPOLLET, EPOLLONESHOT,
  EPOLL_CTL_ADD, EPOLL_CTL_MOD, MSG_DONTWAIT,
} from '../../src/index.js';
import { enc, dec, pair, rejectsErr } from './helpers.js';

/** A socket bound to 127.0.0.1:`port` on host a, and a helper that sends it a datagram. */
async function loopSocket(port: number) {
  const env = pair();
  const s = env.a.sockets;
  const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
  s.bind(fd, { address: '127.0.0.1', port });
  const tx = s.socket(AF_INET, SOCK_DGRAM, 0);
  const send = (text: string) => s.sendto(tx, enc(text), 0, { address: '127.0.0.1', port });
  return { ...env, s, fd, tx, send };
}

describe('poll', () => {
  it('POLLOUT always, POLLIN with data, POLLNVAL for a bad fd, negative fds ignored; timeout 0 returns at once', async () => {
    const { net, s, fd, send } = await loopSocket(5000);
    await net.run(async () => {
      const t0 = net.now();
      let r = await s.poll([{ fd, events: POLLIN | POLLOUT }, { fd: 42, events: POLLIN }, { fd: -1, events: POLLIN }], 0);
      assert.deepEqual(r.map((p) => p.revents), [POLLOUT, POLLNVAL, 0]);
      assert.equal(net.now(), t0);
      r = await s.poll([{ fd, events: POLLIN }], 0);
      assert.equal(r[0]!.revents, 0, 'not readable, and POLLOUT not asked for');
      await send('x');
      await net.sleep(1);
      r = await s.poll([{ fd, events: POLLIN }], 0);
      assert.equal(r[0]!.revents, POLLIN);
      await s.recv(fd, 10);
      r = await s.poll([{ fd, events: POLLIN }], 0);
      assert.equal(r[0]!.revents, 0, 'no longer readable once drained');
    });
  });

  it('a timeout > 0 expires in virtual time with nothing ready', async () => {
    const { net, s, fd } = await loopSocket(5000);
    await net.run(async () => {
      const t0 = net.now();
      const r = await s.poll([{ fd, events: POLLIN }], 250);
      assert.equal(r[0]!.revents, 0);
      assert.equal(net.now() - t0, 250);
    });
  });

  it('-1 waits until data arrives, however long that takes', async () => {
    const { net, s, fd, send } = await loopSocket(5000);
    await net.run(async () => {
      const t0 = net.now();
      setTimeoutVirtual(net, 60_000, () => send('finally'));
      const r = await s.poll([{ fd, events: POLLIN }], -1);
      assert.equal(r[0]!.revents, POLLIN);
      assert.ok(net.now() - t0 >= 60_000);
      assert.equal(dec(await s.recv(fd, 100)), 'finally');
    });
  });

  it('POLLERR for a pending error is reported even when not asked for', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.connect(fd, { address: '10.0.0.2', port: 4444 });
      const waiting = s.poll([{ fd, events: POLLIN }], -1);
      await s.send(fd, enc('x'));
      const [r] = await waiting;
      assert.equal(r!.revents! & POLLERR, POLLERR);
      await rejectsErr(s.recv(fd, 10, MSG_DONTWAIT), 'ECONNREFUSED', 'recv');
      const [r2] = await s.poll([{ fd, events: POLLIN }], 0);
      assert.equal(r2!.revents, 0, 'cleared once reported');
    });
  });

  it('closing a polled socket reports POLLNVAL to a poll in progress', async () => {
    const { net, s, fd } = await loopSocket(5000);
    await net.run(async () => {
      const waiting = s.poll([{ fd, events: POLLIN }], -1);
      await net.sleep(10);
      await s.close(fd);
      const [r] = await waiting;
      assert.equal(r!.revents, POLLNVAL);
    });
  });

  it('POLLHUP after SHUT_RDWR', async () => {
    const { net, s, fd } = await loopSocket(5000);
    await net.run(async () => {
      await s.connect(fd, { address: '127.0.0.1', port: 5000 });
      s.shutdown(fd, 2);
      const [r] = await s.poll([{ fd, events: 0 }], 0);
      assert.equal(r!.revents, POLLHUP);
    });
  });
});

/** Runs `fn` after `ms` of the network's clock, without blocking the caller. */
function setTimeoutVirtual(net: { sleep(ms: number): Promise<void> }, ms: number, fn: () => unknown): void {
  void net.sleep(ms).then(fn);
}

describe('select', () => {
  it('reports readable and writable sets; times out in virtual time', async () => {
    const { net, s, fd, tx, send } = await loopSocket(5000);
    await net.run(async () => {
      let [r, w, x] = await s.select([fd, tx], [fd], [fd], 0);
      assert.deepEqual([r, w, x], [[], [fd], []]);
      const t0 = net.now();
      [r, w, x] = await s.select([fd], null, null, 100);
      assert.deepEqual([r, w, x], [[], [], []]);
      assert.equal(net.now() - t0, 100);
      setTimeoutVirtual(net, 30, () => send('wake'));
      [r, w] = await s.select([fd, tx], [], [], null);
      assert.deepEqual(r, [fd]);
      assert.deepEqual(w, []);
      assert.equal(net.now() - t0, 130);
    });
  });
});

describe('epoll', () => {
  it('level-triggered: reported again while data remains', async () => {
    const { net, s, fd, send } = await loopSocket(5000);
    await net.run(async () => {
      const ep = s.epoll_create1();
      s.epoll_ctl(ep, EPOLL_CTL_ADD, fd, { events: EPOLLIN, data: 'sock' });
      assert.deepEqual(await s.epoll_wait(ep, 8, 0), []);
      await send('a');
      await send('b');
      assert.deepEqual(await s.epoll_wait(ep, 8, 100), [{ events: EPOLLIN, data: 'sock' }]);
      assert.deepEqual(await s.epoll_wait(ep, 8, 0), [{ events: EPOLLIN, data: 'sock' }], 'still ready');
      await s.recv(fd, 10);
      assert.deepEqual(await s.epoll_wait(ep, 8, 0), [{ events: EPOLLIN, data: 'sock' }], 'one datagram left');
      await s.recv(fd, 10);
      assert.deepEqual(await s.epoll_wait(ep, 8, 0), []);
      // The epoll fd itself polls readable while events are ready.
      await send('c');
      await net.sleep(1);
      const [p] = await s.poll([{ fd: ep, events: POLLIN }], 0);
      assert.equal(p!.revents, POLLIN);
    });
  });

  it('edge-triggered: reported once per arrival, even with data left', async () => {
    const { net, s, fd, send } = await loopSocket(5000);
    await net.run(async () => {
      const ep = s.epoll_create1();
      s.epoll_ctl(ep, EPOLL_CTL_ADD, fd, { events: EPOLLIN | EPOLLET });
      await send('a');
      await send('b');
      const ev = await s.epoll_wait(ep, 8, 100);
      assert.deepEqual(ev, [{ events: EPOLLIN, data: fd }]);
      assert.deepEqual(await s.epoll_wait(ep, 8, 0), [], 'not again without a new arrival');
      const t0 = net.now();
      assert.deepEqual(await s.epoll_wait(ep, 8, 50), []);
      assert.equal(net.now() - t0, 50);
      await send('c');
      assert.deepEqual(await s.epoll_wait(ep, 8, 100), [{ events: EPOLLIN, data: fd }], 'a new arrival');
      assert.deepEqual(await s.epoll_wait(ep, 8, 0), []);
    });
  });

  it('edge-triggered EPOLLOUT is not re-reported when only input arrives', async () => {
    const { net, s, fd, send } = await loopSocket(5000);
    await net.run(async () => {
      const ep = s.epoll_create1();
      s.epoll_ctl(ep, EPOLL_CTL_ADD, fd, { events: EPOLLOUT | EPOLLET });
      assert.deepEqual(await s.epoll_wait(ep, 8, 0), [{ events: EPOLLOUT, data: fd }], 'writable at once');
      assert.deepEqual(await s.epoll_wait(ep, 8, 0), []);
      await send('in');
      await net.sleep(1);
      assert.deepEqual(await s.epoll_wait(ep, 8, 0), [], 'an input event is not an EPOLLOUT edge');
    });
  });

  it('EPOLLONESHOT: disarmed after one report until EPOLL_CTL_MOD', async () => {
    const { net, s, fd, send } = await loopSocket(5000);
    await net.run(async () => {
      const ep = s.epoll_create1();
      s.epoll_ctl(ep, EPOLL_CTL_ADD, fd, { events: EPOLLIN | EPOLLONESHOT });
      await send('a');
      assert.deepEqual(await s.epoll_wait(ep, 8, 100), [{ events: EPOLLIN, data: fd }]);
      await send('b');
      await net.sleep(1);
      assert.deepEqual(await s.epoll_wait(ep, 8, 0), [], 'disarmed');
      s.epoll_ctl(ep, EPOLL_CTL_MOD, fd, { events: EPOLLIN | EPOLLONESHOT, data: 'again' });
      assert.deepEqual(await s.epoll_wait(ep, 8, 0), [{ events: EPOLLIN, data: 'again' }], 'rearmed, still readable');
      assert.deepEqual(await s.epoll_wait(ep, 8, 0), []);
    });
  });

  it('maxevents limits one harvest; the rest come next time', async () => {
    const env = pair();
    const s = env.a.sockets;
    await env.net.run(async () => {
      const ep = s.epoll_create1();
      const fds = [5001, 5002, 5003].map((port) => {
        const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
        s.bind(fd, { address: '127.0.0.1', port });
        s.epoll_ctl(ep, EPOLL_CTL_ADD, fd, { events: EPOLLIN | EPOLLET });
        return fd;
      });
      const tx = s.socket(AF_INET, SOCK_DGRAM, 0);
      for (const port of [5001, 5002, 5003]) await s.sendto(tx, enc('x'), 0, { address: '127.0.0.1', port });
      await env.net.sleep(1);
      const first = await s.epoll_wait(ep, 2, 0);
      const second = await s.epoll_wait(ep, 2, 0);
      assert.equal(first.length, 2);
      assert.equal(second.length, 1);
      assert.deepEqual([...first, ...second].map((e) => e.data).sort(), fds);
      await rejectsErr(s.epoll_wait(ep, 0, 0), 'EINVAL', 'epoll_wait');
      await rejectsErr(s.epoll_wait(fds[0]!, 1, 0), 'EINVAL', 'epoll_wait');
    });
  });
});

describe('deadlock', () => {
  it('net.run rejects, naming the blocked call, when a recvfrom waits forever', async () => {
    const { net, b } = pair();
    await assert.rejects(
      net.run(async () => {
        const fd = b.sockets.socket(AF_INET, SOCK_DGRAM, 0);
        b.sockets.bind(fd, { address: '0.0.0.0', port: 9 });
        await b.sockets.recvfrom(fd, 100);
      }),
      (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, /deadlock/);
        assert.match(e.message, /recvfrom\(3\)/);
        return true;
      },
    );
  });

  it('the report lists every call still asleep, in the order they blocked, and none that was woken', async () => {
    const { net, a, b } = pair();
    await assert.rejects(
      net.run(async () => {
        const l = b.sockets.socket(AF_INET, SOCK_STREAM, 0);
        b.sockets.bind(l, { address: '0.0.0.0', port: 80 });
        b.sockets.listen(l, 4);
        const accepting = b.sockets.accept(l);
        const c = a.sockets.socket(AF_INET, SOCK_STREAM, 0);
        await a.sockets.connect(c, { address: '10.0.0.2', port: 80 });
        const [s] = await accepting;
        const woken = b.sockets.recv(s, new Uint8Array(4));
        const r1 = a.sockets.recv(c, 10);
        const r2 = b.sockets.recv(s, 10); // queued behind `woken`
        const r3 = b.sockets.accept(l);
        await a.sockets.send(c, new Uint8Array(4));
        assert.equal((await woken).length, 4);
        assert.equal(a.sockets.blocked.size, 1);
        assert.equal(b.sockets.blocked.size, 2);
        await Promise.all([r1, r2, r3]);
      }),
      (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, /deadlock.*blocked: a: recv\(3\), b: recv\(4\), b: accept\(3\)$/);
        return true;
      },
    );
  });

  it('a poll(-1) with nothing to wake it is a deadlock too', async () => {
    const { net, a } = pair();
    await assert.rejects(
      net.run(async () => {
        const fd = a.sockets.socket(AF_INET, SOCK_DGRAM, 0);
        await a.sockets.poll([{ fd, events: POLLIN }], -1);
      }),
      /deadlock.*poll\(3\)/,
    );
  });
});

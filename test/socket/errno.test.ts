/**
 * Every errno the datagram/raw socket API can produce, provoked on purpose: each failure is
 * checked for its `code`, its Linux `errno` number and the `syscall` that failed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Network, AF_INET, AF_INET6, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM, SOCK_NONBLOCK, IPPROTO_UDP, IPPROTO_TCP,
  IPPROTO_ICMP, IPPROTO_IP, SOL_SOCKET, SO_REUSEADDR, SO_BROADCAST, SO_RCVTIMEO, SO_ERROR, IP_TTL, TCP_NODELAY,
  SHUT_RD, SHUT_RDWR, MSG_DONTWAIT, F_GETFL, F_SETFL, O_NONBLOCK, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD,
  EPOLLIN, MSG_OOB,
} from '../../src/index.js';
import { dec, enc, pair, rejectsErr, throwsErr } from './helpers.js';

describe('EADDRINUSE', () => {
  it('a second bind to the same port fails; the first socket keeps it', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const x = s.socket(AF_INET, SOCK_DGRAM, 0);
      const y = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(x, { address: '0.0.0.0', port: 5000 });
      throwsErr(() => s.bind(y, { address: '0.0.0.0', port: 5000 }), 'EADDRINUSE', 'bind');
      // The failed socket is still unbound and can take another port.
      assert.deepEqual(s.getsockname(y), { address: '0.0.0.0', port: 0 });
      s.bind(y, { address: '0.0.0.0', port: 5001 });
      assert.deepEqual(s.getsockname(x), { address: '0.0.0.0', port: 5000 });
    });
  });

  it('is allowed when both sockets set SO_REUSEADDR, not when only one does', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const x = s.socket(AF_INET, SOCK_DGRAM, 0);
      const y = s.socket(AF_INET, SOCK_DGRAM, 0);
      const z = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.setsockopt(x, SOL_SOCKET, SO_REUSEADDR, 1);
      s.setsockopt(y, SOL_SOCKET, SO_REUSEADDR, 1);
      s.bind(x, { address: '0.0.0.0', port: 5000 });
      s.bind(y, { address: '0.0.0.0', port: 5000 });
      assert.equal(s.getsockname(y).port, 5000);
      throwsErr(() => s.bind(z, { address: '0.0.0.0', port: 5000 }), 'EADDRINUSE', 'bind');
      assert.equal(s.getsockopt(x, SOL_SOCKET, SO_REUSEADDR), 1);
      assert.equal(s.getsockopt(z, SOL_SOCKET, SO_REUSEADDR), 0);
    });
  });

  it('a specific address conflicts with the wildcard on the same port, both ways', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const w = s.socket(AF_INET, SOCK_DGRAM, 0);
      const sp = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(w, { address: '0.0.0.0', port: 6000 });
      throwsErr(() => s.bind(sp, { address: '10.0.0.1', port: 6000 }), 'EADDRINUSE', 'bind');
      const sp2 = s.socket(AF_INET, SOCK_DGRAM, 0);
      const w2 = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(sp2, { address: '10.0.0.1', port: 6001 });
      throwsErr(() => s.bind(w2, { address: '0.0.0.0', port: 6001 }), 'EADDRINUSE', 'bind');
      // Two different specific addresses do not conflict.
      const lo = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(lo, { address: '127.0.0.1', port: 6001 });
      assert.deepEqual(s.getsockname(lo), { address: '127.0.0.1', port: 6001 });
    });
  });

  it('the port is in use across processes of one host, and free again after close', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const p = a.process({ privileged: false }).sockets;
      const x = a.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      a.sockets.bind(x, { address: '0.0.0.0', port: 7000 });
      const y = p.socket(AF_INET, SOCK_DGRAM, 0);
      throwsErr(() => p.bind(y, { address: '0.0.0.0', port: 7000 }), 'EADDRINUSE', 'bind');
      await a.sockets.close(x);
      p.bind(y, { address: '0.0.0.0', port: 7000 });
      assert.equal(p.getsockname(y).port, 7000);
    });
  });
});

describe('EACCES', () => {
  it('an unprivileged process cannot bind below 1024; the privileged one can; 1024 is free for all', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const u = a.process({ privileged: false }).sockets;
      const fd = u.socket(AF_INET, SOCK_DGRAM, 0);
      throwsErr(() => u.bind(fd, { address: '0.0.0.0', port: 53 }), 'EACCES', 'bind');
      throwsErr(() => u.bind(fd, { address: '0.0.0.0', port: 1023 }), 'EACCES', 'bind');
      u.bind(fd, { address: '0.0.0.0', port: 1024 });
      const pfd = a.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      a.sockets.bind(pfd, { address: '0.0.0.0', port: 53 });
      assert.equal(a.sockets.getsockname(pfd).port, 53);
      // Port 0 asks for an ephemeral port, which needs no privilege.
      const e = u.socket(AF_INET, SOCK_DGRAM, 0);
      u.bind(e, { address: '0.0.0.0', port: 0 });
      assert.ok(u.getsockname(e).port >= 32768);
    });
  });

  for (const bcast of ['255.255.255.255', '10.0.0.255']) {
    it(`sendto and connect to ${bcast} need SO_BROADCAST; with it the datagram reaches another host`, async () => {
      const { net, a, b } = pair();
      await net.run(async () => {
        const rx = b.sockets.socket(AF_INET, SOCK_DGRAM, 0);
        b.sockets.bind(rx, { address: '0.0.0.0', port: 6789 });
        const s = a.sockets;
        const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
        await rejectsErr(s.sendto(fd, enc('x'), 0, { address: bcast, port: 6789 }), 'EACCES', 'sendto');
        await rejectsErr(s.connect(fd, { address: bcast, port: 6789 }), 'EACCES', 'connect');
        const raw = s.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
        await rejectsErr(s.sendto(raw, enc('x'), 0, { address: bcast, port: 0 }), 'EACCES', 'sendto');
        await rejectsErr(s.connect(raw, { address: bcast, port: 0 }), 'EACCES', 'connect');
        await s.close(raw);
        assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_BROADCAST), 0);
        s.setsockopt(fd, SOL_SOCKET, SO_BROADCAST, 1);
        assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_BROADCAST), 1);
        assert.equal(await s.sendto(fd, enc('hello all'), 0, { address: bcast, port: 6789 }), 9);
        const [data, from] = await b.sockets.recvfrom(rx, 100);
        assert.equal(dec(data), 'hello all');
        assert.equal(from.address, '10.0.0.1');
        assert.equal(from.port, s.getsockname(fd).port);
        await s.connect(fd, { address: bcast, port: 6789 });
        await s.send(fd, enc('again'));
        assert.equal(dec(await b.sockets.recv(rx, 100)), 'again');
      });
    });
  }
});

describe('ECONNREFUSED', () => {
  it('a connected UDP socket learns of ICMP port unreachable on its next recv, once', async () => {
    const { net, a, b } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.connect(fd, { address: '10.0.0.2', port: 4444 }); // nobody listens on b:4444
      assert.equal(await s.send(fd, enc('knock')), 5); // the send itself succeeds
      await net.sleep(50);
      assert.ok(b.counters.udp.noPorts >= 1);
      assert.ok(b.counters.icmp.outDestUnreachs >= 1);
      await rejectsErr(s.recv(fd, 100, MSG_DONTWAIT), 'ECONNREFUSED', 'recv');
      // Reported once: the error is cleared, the socket works on.
      await rejectsErr(s.recv(fd, 100, MSG_DONTWAIT), 'EAGAIN', 'recv');
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_ERROR), 0);
    });
  });

  it('the next send fails with ECONNREFUSED too, and the one after succeeds', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.connect(fd, { address: '10.0.0.2', port: 4444 });
      await s.send(fd, enc('1'));
      await net.sleep(50);
      await rejectsErr(s.send(fd, enc('2')), 'ECONNREFUSED', 'send');
      assert.equal(await s.send(fd, enc('3')), 1);
    });
  });

  it('wakes a blocked recvfrom on the connected socket', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.connect(fd, { address: '10.0.0.2', port: 4444 });
      const pending = s.recvfrom(fd, 100);
      await s.send(fd, enc('knock'));
      await rejectsErr(pending, 'ECONNREFUSED', 'recvfrom');
    });
  });

  it('an unconnected socket is not told (as on Linux)', async () => {
    const { net, a, b } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.sendto(fd, enc('knock'), 0, { address: '10.0.0.2', port: 4444 });
      await net.sleep(50);
      assert.ok(b.counters.icmp.outDestUnreachs >= 1);
      assert.ok(a.counters.icmp.inDestUnreachs >= 1);
      await rejectsErr(s.recv(fd, 100, MSG_DONTWAIT), 'EAGAIN', 'recv');
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_ERROR), 0);
      assert.equal(await s.sendto(fd, enc('again'), 0, { address: '10.0.0.2', port: 4444 }), 5);
    });
  });
});

describe('ENETUNREACH', () => {
  it('a host without a gateway cannot send off its subnet', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await rejectsErr(s.sendto(fd, enc('x'), 0, { address: '192.0.2.1', port: 9 }), 'ENETUNREACH', 'sendto');
      await rejectsErr(s.connect(fd, { address: '192.0.2.1', port: 9 }), 'ENETUNREACH', 'connect');
      assert.ok(a.counters.ip.outNoRoutes >= 1);
      const raw = s.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
      await rejectsErr(s.sendto(raw, enc('x'), 0, { address: '192.0.2.1', port: 0 }), 'ENETUNREACH', 'sendto');
    });
  });

  it('succeeds once a default gateway exists (control)', async () => {
    const net = new Network({ seed: 3 });
    const a = net.host('a', { address: '10.0.0.1/24', gateway: '10.0.0.254' });
    await net.run(async () => {
      const fd = a.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      assert.equal(await a.sockets.sendto(fd, enc('x'), 0, { address: '192.0.2.1', port: 9 }), 1);
    });
  });
});

describe('EMSGSIZE', () => {
  it('65508 bytes fail; 65507 bytes cross MTU 1500 in fragments and arrive whole', async () => {
    const { net, a, b } = pair(11, { mtu: 1500 });
    await net.run(async () => {
      const rx = b.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      b.sockets.bind(rx, { address: '0.0.0.0', port: 9999 });
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      const to = { address: '10.0.0.2', port: 9999 };
      await rejectsErr(s.sendto(fd, new Uint8Array(65508), 0, to), 'EMSGSIZE', 'sendto');
      await rejectsErr(s.sendto(fd, new Uint8Array(70000), 0, to), 'EMSGSIZE', 'sendto');
      const big = new Uint8Array(65507);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
      assert.equal(await s.sendto(fd, big, 0, to), 65507);
      const [data] = await b.sockets.recvfrom(rx, 70000);
      assert.equal(data.length, 65507);
      assert.deepEqual(data, big);
      assert.ok(a.counters.ip.fragCreates >= 44, `fragments: ${a.counters.ip.fragCreates}`);
      assert.equal(b.counters.ip.reasmOKs, 1);
    });
  });

  it('a connected send past the limit fails the same way', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const fd = a.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      await a.sockets.connect(fd, { address: '10.0.0.2', port: 9 });
      await rejectsErr(a.sockets.send(fd, new Uint8Array(65508)), 'EMSGSIZE', 'send');
      await rejectsErr(a.sockets.write(fd, new Uint8Array(65508)), 'EMSGSIZE', 'write');
    });
  });
});

describe('EAGAIN', () => {
  it('O_NONBLOCK set with fcntl(F_SETFL) makes recv fail at once; clearing it blocks again', async () => {
    const { net, a, b } = pair();
    await net.run(async () => {
      const s = b.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '0.0.0.0', port: 5353 });
      assert.equal(s.fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
      s.fcntl(fd, F_SETFL, s.fcntl(fd, F_GETFL) | O_NONBLOCK);
      assert.equal(s.fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
      const t0 = net.now();
      await rejectsErr(s.recv(fd, 10), 'EAGAIN', 'recv');
      await rejectsErr(s.recvfrom(fd, 10), 'EAGAIN', 'recvfrom');
      await rejectsErr(s.read(fd, 10), 'EAGAIN', 'read');
      assert.equal(net.now(), t0, 'no virtual time passed');
      s.fcntl(fd, F_SETFL, 0);
      const waiting = s.recv(fd, 10);
      const c = a.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      await a.sockets.sendto(c, enc('late'), 0, { address: '10.0.0.2', port: 5353 });
      assert.equal(dec(await waiting), 'late');
    });
  });

  it('MSG_DONTWAIT fails on one call only', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '127.0.0.1', port: 5000 });
      await rejectsErr(s.recv(fd, 10, MSG_DONTWAIT), 'EAGAIN', 'recv');
      await rejectsErr(s.recvfrom(fd, 10, MSG_DONTWAIT), 'EAGAIN', 'recvfrom');
      assert.equal(s.fcntl(fd, F_GETFL) & O_NONBLOCK, 0, 'the socket itself stays blocking');
      await s.sendto(fd, enc('self'), 0, { address: '127.0.0.1', port: 5000 });
      assert.equal(dec(await s.recv(fd, 10)), 'self');
    });
  });

  it('SOCK_NONBLOCK in the type makes the socket non-blocking from the start', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
      assert.equal(s.fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
      await rejectsErr(s.recv(fd, 10), 'EAGAIN', 'recv');
    });
  });

  it('SO_RCVTIMEO makes a blocked recv give up with EAGAIN after the timeout (virtual time)', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '0.0.0.0', port: 5000 });
      s.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 1, tv_usec: 500_000 });
      assert.deepEqual(s.getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO), { tv_sec: 1, tv_usec: 500_000 });
      const t0 = net.now();
      await rejectsErr(s.recvfrom(fd, 10), 'EAGAIN', 'recvfrom');
      assert.equal(net.now() - t0, 1500);
    });
  });

  it('SO_RCVTIMEO counts from the start of the call even when unrelated wake-ups happen', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '127.0.0.1', port: 5000 });
      s.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: 1, tv_usec: 0 });
      const t0 = net.now();
      const r1 = s.recv(fd, 10);
      const r2 = s.recv(fd, 10);
      // One datagram at 600 ms wakes both readers; one gets it, the other must still
      // time out at 1000 ms, not 1600 ms.
      await net.sleep(600);
      await s.sendto(fd, enc('one'), 0, { address: '127.0.0.1', port: 5000 });
      const results = await Promise.allSettled([r1, r2]);
      const ok = results.filter((r) => r.status === 'fulfilled');
      assert.equal(ok.length, 1);
      assert.equal(net.now() - t0, 1000);
    });
  });
});

describe('EBADF and ENOTSOCK', () => {
  it('a closed or never-opened descriptor is EBADF for every call', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.close(fd);
      for (const bad of [fd, 99, -1]) {
        throwsErr(() => s.bind(bad, { address: '0.0.0.0', port: 0 }), 'EBADF', 'bind');
        throwsErr(() => s.getsockname(bad), 'EBADF', 'getsockname');
        throwsErr(() => s.getpeername(bad), 'EBADF', 'getpeername');
        throwsErr(() => s.setsockopt(bad, SOL_SOCKET, SO_REUSEADDR, 1), 'EBADF', 'setsockopt');
        throwsErr(() => s.getsockopt(bad, SOL_SOCKET, SO_REUSEADDR), 'EBADF', 'getsockopt');
        throwsErr(() => s.shutdown(bad, SHUT_RD), 'EBADF', 'shutdown');
        throwsErr(() => s.fcntl(bad, F_GETFL), 'EBADF', 'fcntl');
        await rejectsErr(s.send(bad, enc('x')), 'EBADF', 'send');
        await rejectsErr(s.sendto(bad, enc('x'), 0, { address: '10.0.0.2', port: 9 }), 'EBADF', 'sendto');
        await rejectsErr(s.recv(bad, 10), 'EBADF', 'recv');
        await rejectsErr(s.recvfrom(bad, 10), 'EBADF', 'recvfrom');
        await rejectsErr(s.read(bad, 10), 'EBADF', 'read');
        await rejectsErr(s.write(bad, enc('x')), 'EBADF', 'write');
        await rejectsErr(s.connect(bad, { address: '10.0.0.2', port: 9 }), 'EBADF', 'connect');
        await rejectsErr(s.close(bad), 'EBADF', 'close');
        await rejectsErr(s.select([bad], [], [], 0), 'EBADF', 'select');
      }
    });
  });

  it('an epoll descriptor used as a socket is ENOTSOCK', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const ep = s.epoll_create1();
      throwsErr(() => s.bind(ep, { address: '0.0.0.0', port: 0 }), 'ENOTSOCK', 'bind');
      throwsErr(() => s.getsockname(ep), 'ENOTSOCK', 'getsockname');
      throwsErr(() => s.setsockopt(ep, SOL_SOCKET, SO_REUSEADDR, 1), 'ENOTSOCK', 'setsockopt');
      throwsErr(() => s.shutdown(ep, SHUT_RD), 'ENOTSOCK', 'shutdown');
      throwsErr(() => s.listen(ep), 'ENOTSOCK', 'listen');
      await rejectsErr(s.send(ep, enc('x')), 'ENOTSOCK', 'send');
      await rejectsErr(s.recvfrom(ep, 10), 'ENOTSOCK', 'recvfrom');
      await rejectsErr(s.connect(ep, { address: '10.0.0.2', port: 9 }), 'ENOTSOCK', 'connect');
      // fcntl and close work on any descriptor.
      assert.equal(typeof s.fcntl(ep, F_GETFL), 'number');
      await s.close(ep);
    });
  });
});

describe('EINVAL', () => {
  it('bind twice; after autobind too', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '0.0.0.0', port: 5000 });
      throwsErr(() => s.bind(fd, { address: '0.0.0.0', port: 5001 }), 'EINVAL', 'bind');
      const f2 = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.sendto(f2, enc('x'), 0, { address: '10.0.0.2', port: 9 }); // autobinds
      throwsErr(() => s.bind(f2, { address: '0.0.0.0', port: 5002 }), 'EINVAL', 'bind');
    });
  });

  it('bad address text and bad ports', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      for (const address of ['10.0.0', '10.0.0.256', 'localhost', '', ' 10.0.0.1', '010.0.0.1']) {
        throwsErr(() => s.bind(fd, { address, port: 1 }), 'EINVAL', 'bind');
        await rejectsErr(s.sendto(fd, enc('x'), 0, { address, port: 9 }), 'EINVAL', 'sendto');
        await rejectsErr(s.connect(fd, { address, port: 9 }), 'EINVAL', 'connect');
      }
      for (const port of [-1, 65536, 1.5, NaN]) {
        throwsErr(() => s.bind(fd, { address: '0.0.0.0', port }), 'EINVAL', 'bind');
        await rejectsErr(s.connect(fd, { address: '10.0.0.2', port }), 'EINVAL', 'connect');
      }
      // sendto port 0 is EINVAL too (udp_sendmsg: dport == 0).
      await rejectsErr(s.sendto(fd, enc('x'), 0, { address: '10.0.0.2', port: 0 }), 'EINVAL', 'sendto');
      // Nothing was bound by the failures above... except the autobind of a send that got that far.
      assert.equal(s.getsockname(fd).address, '0.0.0.0');
    });
  });

  it('shutdown with a bad how; IP_TTL 0 or 256; bad socket type', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.connect(fd, { address: '10.0.0.2', port: 9 });
      throwsErr(() => s.shutdown(fd, 3), 'EINVAL', 'shutdown');
      throwsErr(() => s.shutdown(fd, -1), 'EINVAL', 'shutdown');
      throwsErr(() => s.setsockopt(fd, IPPROTO_IP, IP_TTL, 0), 'EINVAL', 'setsockopt');
      throwsErr(() => s.setsockopt(fd, IPPROTO_IP, IP_TTL, 256), 'EINVAL', 'setsockopt');
      assert.equal(s.getsockopt(fd, IPPROTO_IP, IP_TTL), 64, 'unchanged by the failures');
      s.setsockopt(fd, IPPROTO_IP, IP_TTL, 255);
      assert.equal(s.getsockopt(fd, IPPROTO_IP, IP_TTL), 255);
      s.setsockopt(fd, IPPROTO_IP, IP_TTL, -1); // back to the default
      assert.equal(s.getsockopt(fd, IPPROTO_IP, IP_TTL), 64);
      throwsErr(() => s.socket(AF_INET, 77, 0), 'EINVAL', 'socket');
      throwsErr(() => s.fcntl(fd, 9999), 'EINVAL', 'fcntl');
      await rejectsErr(s.recv(fd, -1), 'EINVAL', 'recv');
    });
  });
});

describe('EAFNOSUPPORT, EPROTONOSUPPORT, EPERM', () => {
  it('AF_INET6 sockets and IPv6 addresses on AF_INET sockets', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      throwsErr(() => s.socket(AF_INET6, SOCK_DGRAM, 0), 'EAFNOSUPPORT', 'socket');
      throwsErr(() => s.socket(99, SOCK_DGRAM, 0), 'EAFNOSUPPORT', 'socket');
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      throwsErr(() => s.bind(fd, { address: '::1', port: 5000 }), 'EAFNOSUPPORT', 'bind');
      await rejectsErr(s.connect(fd, { address: 'fe80::1', port: 5000 }), 'EAFNOSUPPORT', 'connect');
      await rejectsErr(s.sendto(fd, enc('x'), 0, { address: '::ffff:10.0.0.2', port: 5000 }), 'EAFNOSUPPORT', 'sendto');
    });
  });

  it('a protocol that does not go with the type', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      throwsErr(() => s.socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), 'EPROTONOSUPPORT', 'socket');
      throwsErr(() => s.socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), 'EPROTONOSUPPORT', 'socket');
      throwsErr(() => s.socket(AF_INET, SOCK_RAW, 0), 'EPROTONOSUPPORT', 'socket');
      // The good combinations work.
      assert.equal(typeof s.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP), 'number');
      assert.equal(typeof s.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), 'number');
    });
  });

  it('raw sockets need privilege', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const u = a.process({ privileged: false }).sockets;
      throwsErr(() => u.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), 'EPERM', 'socket');
      throwsErr(() => u.socket(AF_INET, SOCK_RAW, IPPROTO_UDP), 'EPERM', 'socket');
      // The protocol is checked first (inet_create), privilege second.
      throwsErr(() => u.socket(AF_INET, SOCK_RAW, 0), 'EPROTONOSUPPORT', 'socket');
      // The failed call leaked no descriptor: the next socket gets 3.
      assert.equal(u.socket(AF_INET, SOCK_DGRAM, 0), 3);
    });
  });
});

describe('EDESTADDRREQ, ENOTCONN, ENOPROTOOPT', () => {
  it('send or write on an unconnected UDP socket', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await rejectsErr(s.send(fd, enc('x')), 'EDESTADDRREQ', 'send');
      await rejectsErr(s.write(fd, enc('x')), 'EDESTADDRREQ', 'write');
      await rejectsErr(s.sendto(fd, enc('x'), 0, null), 'EDESTADDRREQ', 'sendto');
      const raw = s.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
      await rejectsErr(s.send(raw, enc('x')), 'EDESTADDRREQ', 'send');
    });
  });

  it('getpeername and shutdown on an unconnected socket', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      throwsErr(() => s.getpeername(fd), 'ENOTCONN', 'getpeername');
      throwsErr(() => s.shutdown(fd, SHUT_RDWR), 'ENOTCONN', 'shutdown');
      const raw = s.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
      throwsErr(() => s.getpeername(raw), 'ENOTCONN', 'getpeername');
      await s.connect(fd, { address: '10.0.0.2', port: 9 });
      await s.connect(fd, null);
      throwsErr(() => s.getpeername(fd), 'ENOTCONN', 'getpeername');
    });
  });

  it('unknown options and TCP options on UDP', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      throwsErr(() => s.setsockopt(fd, SOL_SOCKET, 9999, 1), 'ENOPROTOOPT', 'setsockopt');
      throwsErr(() => s.getsockopt(fd, SOL_SOCKET, 9999), 'ENOPROTOOPT', 'getsockopt');
      throwsErr(() => s.setsockopt(fd, IPPROTO_IP, 9999, 1), 'ENOPROTOOPT', 'setsockopt');
      throwsErr(() => s.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, 1), 'ENOPROTOOPT', 'setsockopt');
      throwsErr(() => s.getsockopt(fd, IPPROTO_TCP, TCP_NODELAY), 'ENOPROTOOPT', 'getsockopt');
      throwsErr(() => s.setsockopt(fd, 4242, 1, 1), 'ENOPROTOOPT', 'setsockopt');
    });
  });
});

describe('EMFILE', () => {
  it('a process with maxFds 6 gets descriptors 3, 4, 5 and then EMFILE; closing one frees it', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const p = a.process({ maxFds: 6 }).sockets;
      assert.deepEqual([p.socket(AF_INET, SOCK_DGRAM, 0), p.socket(AF_INET, SOCK_DGRAM, 0), p.epoll_create1()], [3, 4, 5]);
      throwsErr(() => p.socket(AF_INET, SOCK_DGRAM, 0), 'EMFILE', 'socket');
      throwsErr(() => p.epoll_create1(), 'EMFILE', 'epoll_create1');
      await p.close(4);
      assert.equal(p.socket(AF_INET, SOCK_DGRAM, 0), 4);
      // Other processes on the host are not limited by this one's table.
      assert.equal(a.sockets.socket(AF_INET, SOCK_DGRAM, 0), 3);
    });
  });

  it('a socket refused by EMFILE holds no port', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const p = a.process({ maxFds: 4 }).sockets;
      const fd = p.socket(AF_INET, SOCK_DGRAM, 0);
      p.bind(fd, { address: '0.0.0.0', port: 5000 });
      throwsErr(() => p.socket(AF_INET, SOCK_DGRAM, 0), 'EMFILE', 'socket');
      assert.equal(a.udp.endpoints().length, 1);
    });
  });
});

describe('epoll_ctl errors', () => {
  it('EEXIST on a second ADD, ENOENT on MOD/DEL of an unwatched fd, EINVAL on a bad op', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const ep = s.epoll_create1();
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.epoll_ctl(ep, EPOLL_CTL_ADD, fd, { events: EPOLLIN });
      throwsErr(() => s.epoll_ctl(ep, EPOLL_CTL_ADD, fd, { events: EPOLLIN }), 'EEXIST', 'epoll_ctl');
      const other = s.socket(AF_INET, SOCK_DGRAM, 0);
      throwsErr(() => s.epoll_ctl(ep, EPOLL_CTL_MOD, other, { events: EPOLLIN }), 'ENOENT', 'epoll_ctl');
      throwsErr(() => s.epoll_ctl(ep, EPOLL_CTL_DEL, other), 'ENOENT', 'epoll_ctl');
      s.epoll_ctl(ep, EPOLL_CTL_DEL, fd);
      throwsErr(() => s.epoll_ctl(ep, EPOLL_CTL_DEL, fd), 'ENOENT', 'epoll_ctl');
      // A bad op is EINVAL whether or not the fd is watched (do_epoll_ctl's switch default).
      throwsErr(() => s.epoll_ctl(ep, 42, fd, { events: EPOLLIN }), 'EINVAL', 'epoll_ctl');
      // Not an epoll fd; watching itself; bad descriptors.
      throwsErr(() => s.epoll_ctl(fd, EPOLL_CTL_ADD, other, { events: EPOLLIN }), 'EINVAL', 'epoll_ctl');
      throwsErr(() => s.epoll_ctl(ep, EPOLL_CTL_ADD, ep, { events: EPOLLIN }), 'EINVAL', 'epoll_ctl');
      throwsErr(() => s.epoll_ctl(ep, EPOLL_CTL_ADD, 77, { events: EPOLLIN }), 'EBADF', 'epoll_ctl');
      throwsErr(() => s.epoll_ctl(77, EPOLL_CTL_ADD, fd, { events: EPOLLIN }), 'EBADF', 'epoll_ctl');
      throwsErr(() => s.epoll_ctl(fd, EPOLL_CTL_ADD, 77, { events: EPOLLIN }), 'EBADF', 'epoll_ctl');
    });
  });

  it('a closed socket leaves the set: its fd number can be added again for a new socket', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const ep = s.epoll_create1();
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.epoll_ctl(ep, EPOLL_CTL_ADD, fd, { events: EPOLLIN });
      await s.close(fd);
      const again = s.socket(AF_INET, SOCK_DGRAM, 0);
      assert.equal(again, fd);
      throwsErr(() => s.epoll_ctl(ep, EPOLL_CTL_MOD, again, { events: EPOLLIN }), 'ENOENT', 'epoll_ctl');
      s.epoll_ctl(ep, EPOLL_CTL_ADD, again, { events: EPOLLIN });
      s.bind(again, { address: '127.0.0.1', port: 5000 });
      await s.sendto(again, enc('x'), 0, { address: '127.0.0.1', port: 5000 });
      const ev = await s.epoll_wait(ep, 8, 100);
      assert.deepEqual(ev, [{ events: EPOLLIN, data: again }]);
    });
  });
});

describe('EFAULT', () => {
  it('data that is not a Uint8Array', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.connect(fd, { address: '10.0.0.2', port: 9 });
      for (const bad of ['text', [1, 2, 3], null, undefined, 42, new ArrayBuffer(4)]) {
        await rejectsErr(s.send(fd, bad as never), 'EFAULT', 'send');
        await rejectsErr(s.sendto(fd, bad as never, 0, { address: '10.0.0.2', port: 9 }), 'EFAULT', 'sendto');
        await rejectsErr(s.write(fd, bad as never), 'EFAULT', 'write');
      }
      // A Uint8Array view of a larger buffer is fine.
      assert.equal(await s.send(fd, new Uint8Array(new ArrayBuffer(16), 4, 8)), 8);
      await rejectsErr(s.poll('nope' as never, 0), 'EFAULT', 'poll');
      await rejectsErr(s.poll([3 as never], 0), 'EFAULT', 'poll');
      await rejectsErr(s.select('nope' as never, [], [], 0), 'EFAULT', 'select');
    });
  });
});

describe('EPIPE and SO_ERROR', () => {
  it('send after SHUT_WR is EPIPE; SO_ERROR reports and clears a pending error', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.connect(fd, { address: '10.0.0.2', port: 4444 });
      await s.send(fd, enc('x'));
      await net.sleep(20);
      const polled = await s.poll([{ fd, events: 0 }], 0);
      assert.equal(polled[0]!.revents! & 0x008, 0x008, 'POLLERR while the error is pending');
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_ERROR), 111);
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_ERROR), 0);
      s.shutdown(fd, 1);
      await rejectsErr(s.send(fd, enc('x')), 'EPIPE', 'send');
    });
  });
});

describe('unprivileged processes share the host', () => {
  it('an unprivileged socket may still send and receive', async () => {
    const { net, a, b } = pair();
    await net.run(async () => {
      const u = b.process({ privileged: false }).sockets;
      const fd = u.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
      u.bind(fd, { address: '0.0.0.0', port: 40000 });
      const c = a.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      await a.sockets.sendto(c, enc('hi'), 0, { address: '10.0.0.2', port: 40000 });
      const [r] = await u.poll([{ fd, events: 1 }], -1);
      assert.equal(r!.revents, 1);
      assert.equal(dec(await u.recv(fd, 10)), 'hi');
    });
  });
});

describe('EADDRNOTAVAIL and EOPNOTSUPP', () => {
  it('bind to an address the host does not own', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      throwsErr(() => s.bind(fd, { address: '10.0.0.2', port: 5000 }), 'EADDRNOTAVAIL', 'bind');
      const raw = s.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
      throwsErr(() => s.bind(raw, { address: '192.0.2.1', port: 0 }), 'EADDRNOTAVAIL', 'bind');
      // The host's own and broadcast addresses are fine.
      s.bind(fd, { address: '10.0.0.255', port: 5000 });
      s.bind(raw, { address: '10.0.0.1', port: 0 });
      assert.equal(s.getsockname(raw).address, '10.0.0.1');
    });
  });

  it('listen/accept on a datagram socket, and MSG_OOB on a datagram send', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      throwsErr(() => s.listen(fd, 5), 'EOPNOTSUPP', 'listen');
      await rejectsErr(s.accept(fd), 'EOPNOTSUPP', 'accept');
      await rejectsErr(s.sendto(fd, enc('x'), MSG_OOB, { address: '10.0.0.2', port: 9 }), 'EOPNOTSUPP', 'sendto');
      const raw = s.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
      await rejectsErr(s.sendto(raw, enc('x'), MSG_OOB, { address: '10.0.0.2', port: 0 }), 'EOPNOTSUPP', 'sendto');
    });
  });
});

describe('a pending error outlives a reconnect (ip4_datagram_connect leaves sk_err)', () => {
  it('reconnecting does not clear ECONNREFUSED', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.connect(fd, { address: '10.0.0.2', port: 4444 });
      await s.send(fd, enc('x'));
      await net.sleep(20);
      await s.connect(fd, { address: '10.0.0.2', port: 4445 });
      await rejectsErr(s.recv(fd, 10, MSG_DONTWAIT), 'ECONNREFUSED', 'recv');
    });
  });
});

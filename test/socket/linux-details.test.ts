// Linux details pinned after review: each of these failed before its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/index.js';
import { Network } from '../../src/index.js';
import { pair, throwsErr, rejectsErr } from './helpers.js';

const enc = new TextEncoder();

test('run loop: a task woken by a bare scheduler timer runs before time moves on', async () => {
  const net = new Network({ seed: 1 });
  net.host('a', '10.0.0.1/24');
  const seen: number[] = [];
  await net.run(async () => {
    const slow = net.sleep(1000);
    await new Promise<void>((r) => net.scheduler.after(10, r));
    seen.push(net.now());
    await slow;
  });
  assert.deepEqual(seen, [10]);
});

test('epoll fd in poll(): woken when data arrives even if the item was already on the ready list', async () => {
  const { net, a, b } = pair(3);
  await net.run(async () => {
    const sa = a.sockets;
    const fd = sa.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    sa.bind(fd, { address: '0.0.0.0', port: 5000 });
    const ep = sa.epoll_create1();
    sa.epoll_ctl(ep, C.EPOLL_CTL_ADD, fd, { events: C.EPOLLIN });
    const c = b.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await b.sockets.sendto(c, enc.encode('1'), 0, { address: '10.0.0.1', port: 5000 });
    assert.equal((await sa.poll([{ fd: ep, events: C.POLLIN }], 1000))[0]!.revents! & C.POLLIN, C.POLLIN);
    await sa.recv(fd, 10); // drained with recv: the LT item is still listed but not ready
    const t0 = net.now();
    const polled = sa.poll([{ fd: ep, events: C.POLLIN }], 5000);
    await net.sleep(100);
    await b.sockets.sendto(c, enc.encode('2'), 0, { address: '10.0.0.1', port: 5000 });
    const [r] = await polled;
    assert.equal(r!.revents! & C.POLLIN, C.POLLIN);
    assert.ok(net.now() - t0 < 1000, `woke at +${net.now() - t0} ms, not at the timeout`);
  });
});

test('SHUT_RD on UDP: datagrams still queue and recv returns them (Linux ignores sk_shutdown on enqueue)', async () => {
  const { net, a, b } = pair(4);
  await net.run(async () => {
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    a.sockets.bind(fd, { address: '0.0.0.0', port: 6000 });
    throwsErr(() => a.sockets.shutdown(fd, C.SHUT_RD), 'ENOTCONN', 'shutdown');
    const c = b.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await b.sockets.sendto(c, enc.encode('late'), 0, { address: '10.0.0.1', port: 6000 });
    await net.sleep(50);
    assert.equal(new TextDecoder().decode(await a.sockets.recv(fd, 100)), 'late');
    assert.equal((await a.sockets.recv(fd, 100)).length, 0); // then EOF
  });
});

test('destination 0.0.0.0 means this host (127.0.0.1), as Linux routes it', async () => {
  const { net, a } = pair(5);
  await net.run(async () => {
    const s = a.sockets;
    const srv = s.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    s.bind(srv, { address: '0.0.0.0', port: 9 });
    const c = s.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await s.connect(c, { address: '0.0.0.0', port: 9 });
    assert.deepEqual(s.getpeername(c), { address: '127.0.0.1', port: 9 });
    await s.send(c, enc.encode('self'));
    const [data, from] = await s.recvfrom(srv, 100);
    assert.equal(new TextDecoder().decode(data), 'self');
    assert.equal(from.address, '127.0.0.1');
  });
});

test('SO_RCVTIMEO with tv_sec < 0 never waits; SO_RCVBUF -1 means the maximum', async () => {
  const { net, a } = pair(6);
  await net.run(async () => {
    const s = a.sockets;
    const fd = s.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    s.bind(fd, { address: '0.0.0.0', port: 7000 });
    s.setsockopt(fd, C.SOL_SOCKET, C.SO_RCVTIMEO, { tv_sec: -1, tv_usec: 0 });
    const t0 = net.now();
    await rejectsErr(s.recv(fd, 10), 'EAGAIN', 'recv');
    assert.equal(net.now(), t0);
    s.setsockopt(fd, C.SOL_SOCKET, C.SO_RCVBUF, -1);
    assert.equal(s.getsockopt(fd, C.SOL_SOCKET, C.SO_RCVBUF), 425_984);
  });
});

test('bind(port 0) with every ephemeral port taken is EADDRINUSE; an implicit bind is EAGAIN', async () => {
  const { net, a } = pair(7);
  await net.run(async () => {
    const p = a.process({ maxFds: 40_000 }).sockets;
    for (let port = 32768; port <= 60999; port++) {
      const fd = p.socket(C.AF_INET, C.SOCK_DGRAM, 0);
      p.bind(fd, { address: '0.0.0.0', port });
      if (port >= 32768 + 39_000) break;
    }
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    throwsErr(() => a.sockets.bind(fd, { address: '0.0.0.0', port: 0 }), 'EADDRINUSE', 'bind');
    await rejectsErr(a.sockets.sendto(fd, enc.encode('x'), 0, { address: '10.0.0.2', port: 9 }), 'EAGAIN', 'sendto');
  });
});

test('IP_HDRINCL: total length 0 is filled in, a non-zero id is kept, ICMP sent by a program is counted', async () => {
  const { net, a, b } = pair(8);
  await net.run(async () => {
    const listen = b.sockets.socket(C.AF_INET, C.SOCK_RAW, 253);
    const raw = a.sockets.socket(C.AF_INET, C.SOCK_RAW, C.IPPROTO_RAW);
    const d = new Uint8Array(20 + 4);
    d.set([0x45, 0, 0, 0, 0x12, 0x34, 0, 0, 64, 253, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 1, 2, 3, 4]);
    assert.equal(await a.sockets.sendto(raw, d, 0, { address: '10.0.0.2', port: 0 }), 24);
    const [pkt] = await b.sockets.recvfrom(listen, 100);
    assert.equal((pkt[2]! << 8) | pkt[3]!, 24);
    assert.equal((pkt[4]! << 8) | pkt[5]!, 0x1234);
    assert.deepEqual([...pkt.subarray(20)], [1, 2, 3, 4]);
    const icmp = a.sockets.socket(C.AF_INET, C.SOCK_RAW, C.IPPROTO_ICMP);
    const echo = new Uint8Array([8, 0, 0xf7, 0xff, 0, 0, 0, 0]); // checksum of an all-zero echo
    await a.sockets.sendto(icmp, echo, 0, { address: '10.0.0.2', port: 0 });
    assert.equal(a.counters.icmp.outEchos, 1);
  });
});

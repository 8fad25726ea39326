import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import { RouteTable } from '../../src/stack/route-table.js';
import { Network } from '../../src/sim/network.js';
import { SocketError } from '../../src/stack/errno.js';
import { dec, enc, ip, routed, udpBound, udpEchoServer } from './helpers.js';

test('RouteTable: longest prefix wins, then the lowest metric; remove drops a prefix', () => {
  const t = new RouteTable();
  t.add({ network: 0, prefix: 0, gateway: ip('10.0.0.254'), ifindex: 0, metric: 0 });
  t.add({ network: ip('192.168.0.0'), prefix: 16, gateway: ip('10.0.0.1'), ifindex: 0, metric: 0 });
  t.add({ network: ip('192.168.5.77'), prefix: 24, gateway: ip('10.1.0.1'), ifindex: 1, metric: 0 });
  t.add({ network: ip('192.168.5.0'), prefix: 24, gateway: ip('10.1.0.2'), ifindex: 1, metric: 5 });
  assert.equal(t.lookup(ip('192.168.5.9'))!.gateway, ip('10.1.0.1'));
  assert.equal(t.lookup(ip('192.168.6.9'))!.gateway, ip('10.0.0.1'));
  assert.equal(t.lookup(ip('8.8.8.8'))!.gateway, ip('10.0.0.254'));
  // The host bits given in add() are ignored: 192.168.5.77/24 is 192.168.5.0/24.
  assert.equal(t.list().filter((r) => r.network === ip('192.168.5.0')).length, 2);
  // Adding the same route again replaces it instead of duplicating it.
  t.add({ network: ip('192.168.0.0'), prefix: 16, gateway: ip('10.0.0.1'), ifindex: 0, metric: 0 });
  assert.equal(t.list().length, 4);
  assert.equal(t.remove(ip('192.168.5.0'), 24), 2);
  assert.equal(t.lookup(ip('192.168.5.9'))!.gateway, ip('10.0.0.1'));
  assert.deepEqual(t.format((i) => `eth${i}`), ['192.168.0.0/16 via 10.0.0.1 dev eth0', 'default via 10.0.0.254 dev eth0']);
  assert.equal(new RouteTable().lookup(ip('1.2.3.4')), null);
});

test('routeTo: connected networks, longest prefix across interfaces, default gateway, local addresses', () => {
  const net = new Network({ seed: 3 });
  const h = net.host('h', {
    interfaces: [
      { segment: 'one', address: '10.0.0.1/24' },
      { segment: 'two', address: '10.1.0.1/24' },
    ],
  });
  h.addRoute('192.168.0.0/16', '10.0.0.254');
  h.addRoute('192.168.5.0/24', '10.1.0.254');
  let r = h.ip.routeTo(ip('192.168.5.9'))!;
  assert.equal(r.iface!.name, 'eth1');
  assert.equal(r.nextHop, ip('10.1.0.254'));
  assert.equal(r.src, ip('10.1.0.1'));
  r = h.ip.routeTo(ip('192.168.6.1'))!;
  assert.equal(r.iface!.name, 'eth0');
  assert.equal(r.nextHop, ip('10.0.0.254'));
  r = h.ip.routeTo(ip('10.1.0.77'))!;
  assert.equal(r.iface!.name, 'eth1');
  assert.equal(r.nextHop, ip('10.1.0.77')); // on-link: ARP for the destination itself
  assert.equal(h.ip.routeTo(ip('10.0.0.255'))!.broadcast, true);
  assert.equal(h.ip.routeTo(ip('8.8.8.8')), null);
  h.setGateway('10.0.0.254');
  r = h.ip.routeTo(ip('8.8.8.8'))!;
  assert.equal(r.nextHop, ip('10.0.0.254'));
  assert.equal(r.iface!.name, 'eth0');
  // Our own addresses and 127/8 are delivered locally.
  assert.equal(h.ip.routeTo(ip('10.1.0.1'))!.iface, null);
  assert.equal(h.ip.routeTo(ip('127.0.0.9'))!.src, ip('127.0.0.1'));
  // A gateway must be on a connected network.
  assert.throws(() => h.addRoute('172.16.0.0/12', '192.168.5.1'), /not on a connected network/);
  assert.match(h.describe(), /default via 10\.0\.0\.254 dev eth0/);
});

test('sendto without a route fails with ENETUNREACH', async () => {
  const net = new Network({ seed: 4 });
  const a = net.host('a', '10.0.0.1/24');
  await net.run(async () => {
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await assert.rejects(a.sockets.sendto(fd, enc('x'), 0, { address: '192.0.2.1', port: 9 }), (e: unknown) => {
      assert.ok(e instanceof SocketError);
      assert.equal(e.code, 'ENETUNREACH');
      assert.equal(e.errno, 101);
      assert.equal(e.syscall, 'sendto');
      return true;
    });
    await assert.rejects(a.sockets.connect(fd, { address: '192.0.2.1', port: 9 }), { code: 'ENETUNREACH' });
  });
  assert.equal(a.counters.ip.outNoRoutes, 1);
});

test('a host behind a router is reachable when both sides have a gateway', async () => {
  const { net, a, r, b } = routed(5);
  await net.run(async () => {
    const echo = udpEchoServer(b, 7);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.sendto(fd, enc('across'), 0, { address: '10.0.2.2', port: 7 });
    const [data, from] = await a.sockets.recvfrom(fd, 100);
    assert.equal(dec(data), 'across');
    assert.deepEqual(from, { address: '10.0.2.2', port: 7 });
    await echo.stop();
  });
  assert.equal(r.counters.ip.forwDatagrams, 2);
  // a resolved the router, not b: the next hop is the gateway.
  assert.ok(a.ip.neighbors.list().some((n) => n.ip === ip('10.0.1.1')));
  assert.ok(!a.ip.neighbors.list().some((n) => n.ip === ip('10.0.2.2')));
});

test('without a gateway on the far side, replies cannot get back', async () => {
  const net = new Network({ seed: 6 });
  const a = net.host('a', { interfaces: [{ segment: 'lan1', address: '10.0.1.2/24' }], gateway: '10.0.1.1' });
  net.router('r', [
    { segment: 'lan1', address: '10.0.1.1/24' },
    { segment: 'lan2', address: '10.0.2.1/24' },
  ]);
  const b = net.host('b', { interfaces: [{ segment: 'lan2', address: '10.0.2.2/24' }] });
  await net.run(async () => {
    const rfd = udpBound(b, 7);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.sendto(fd, enc('ping'), 0, { address: '10.0.2.2', port: 7 });
    const [, from] = await b.sockets.recvfrom(rfd, 100);
    await assert.rejects(b.sockets.sendto(rfd, enc('pong'), 0, from), { code: 'ENETUNREACH' });
  });
});

test('a router does not forward a directed broadcast (RFC 2644); it takes it itself', async () => {
  const { net, a, r, b } = routed(7);
  await net.run(async () => {
    const rfd = udpBound(b, 7000);
    b.sockets.setsockopt(rfd, C.SOL_SOCKET, C.SO_BROADCAST, 1);
    const rr = udpBound(r, 7000);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.sendto(fd, enc('smurf?'), 0, { address: '10.0.2.255', port: 7000 });
    assert.equal(dec(await r.sockets.recv(rr, 100)), 'smurf?');
    await net.sleep(100);
    await assert.rejects(b.sockets.recv(rfd, 100, C.MSG_DONTWAIT), { code: 'EAGAIN' });
  });
  assert.equal(r.counters.ip.forwDatagrams, 0);
  assert.equal(b.counters.udp.inDatagrams, 0);
});

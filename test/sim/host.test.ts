import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import { Network } from '../../src/sim/network.js';
import { enc, udpBound } from '../stack/helpers.js';

test('host: interfaces, routes and the describe / ss / netstat views', async () => {
  const net = new Network({ seed: 71 });
  const a = net.host('a', { address: '10.0.0.1/24', gateway: '10.0.0.254' });
  const b = net.host('b', '10.0.0.2/24');
  assert.equal(a.address, '10.0.0.1');
  assert.equal(net.hosts.get('a'), a);
  assert.throws(() => net.host('a', '10.0.0.9/24'), /already exists/);
  assert.throws(() => a.addRoute('10.1.0.0/33', '10.0.0.254'), /CIDR/);
  assert.throws(() => a.addRoute('10.1.0.0/16', '10.0.0.256'), /not an IPv4 address/);
  const lines = a.describe().split('\n');
  assert.match(lines[0]!, /^eth0: 10\.0\.0\.1\/24 brd 10\.0\.0\.255 ether 02:[0-9a-f:]{14} mtu 1500$/);
  assert.ok(lines.includes('10.0.0.0/24 dev eth0 scope link'));
  assert.ok(lines.includes('default via 10.0.0.254 dev eth0'));
  await net.run(async () => {
    const rfd = udpBound(b, 7);
    const fd = a.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
    await a.sockets.sendto(fd, enc('hi'), 0, { address: '10.0.0.2', port: 7 });
    await b.sockets.recv(rfd, 10);
    assert.match(b.ss(), /udp\s+UNCONN\s+0\s+0\s+0\.0\.0\.0:7\s+0\.0\.0\.0:\*\s+users:\(\("b",fd=3\)\)/);
    assert.match(b.netstat(), /UdpInDatagrams\s+1/);
  });
});

test('host: an unprivileged process gets EACCES below port 1024 and EPERM for raw sockets', async () => {
  const net = new Network({ seed: 72 });
  const h = net.host('h', '10.0.0.1/24');
  const p = h.process({ privileged: false });
  assert.equal(p.privileged, false);
  const fd = p.sockets.socket(C.AF_INET, C.SOCK_DGRAM, 0);
  assert.equal(fd, 3); // its own descriptor table
  assert.throws(() => p.sockets.bind(fd, { address: '0.0.0.0', port: 80 }), { code: 'EACCES' });
  p.sockets.bind(fd, { address: '0.0.0.0', port: 8080 });
  assert.throws(() => p.sockets.socket(C.AF_INET, C.SOCK_RAW, C.IPPROTO_ICMP), { code: 'EPERM' });
  assert.equal(h.processes.length, 2);
});

test('host.sleep runs on the network clock', async () => {
  const net = new Network({ seed: 73 });
  const h = net.host('h', '10.0.0.1/24');
  assert.equal(await net.run(async () => { await h.sleep(1234); return net.now(); }), 1234);
});

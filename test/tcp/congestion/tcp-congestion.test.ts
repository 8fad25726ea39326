/**
 * TCP_CONGESTION and the congestion fields of TCP_INFO through the socket API: the default,
 * set and get (strings and NUL-terminated bytes, as Linux reads its char buffer), ENOENT for an
 * unknown name, inheritance by accept(), switching on a live connection, and tcpi_ca_state,
 * tcpi_pmtu, tcpi_reordering, tcpi_rcv_ssthresh, tcpi_rcv_space.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../../src/socket/constants.js';
import { SocketError } from '../../../src/stack/errno.js';
import type { TcpInfo } from '../../../src/socket/options.js';
import { Cubic } from '../../../src/tcp/congestion/cubic.js';
import { NewReno } from '../../../src/tcp/congestion/newreno.js';
import { TCP_CA_LOSS, TCP_CA_OPEN } from '../../../src/tcp/congestion/congestion-control.js';
import type { Host } from '../../../src/sim/host.js';
import { connectPair, readN, tcpPair } from '../helpers.js';

const get = (h: Host, fd: number): unknown => h.sockets.getsockopt(fd, C.IPPROTO_TCP, C.TCP_CONGESTION);
const set = (h: Host, fd: number, v: string | Uint8Array | number): void => h.sockets.setsockopt(fd, C.IPPROTO_TCP, C.TCP_CONGESTION, v);
const info = (h: Host, fd: number): TcpInfo => h.sockets.getsockopt(fd, C.IPPROTO_TCP, C.TCP_INFO) as TcpInfo;
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function rejects(fn: () => void, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof SocketError && e.code === code && e.syscall === 'setsockopt');
}

test('TCP_CONGESTION is 13 (Linux); new sockets use the host default, cubic as on Linux', () => {
  const { a } = tcpPair();
  assert.equal(C.TCP_CONGESTION, 13);
  assert.equal(a.tcp.config.congestionControl, 'cubic');
  const fd = a.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
  assert.equal(get(a, fd), 'cubic');
  a.tcp.config.congestionControl = 'reno'; // net.ipv4.tcp_congestion_control
  assert.equal(get(a, a.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0)), 'reno');
  assert.equal(get(a, fd), 'cubic', 'an existing socket keeps its choice');
});

test('set and get: a name as a string or bytes (up to a NUL, at most 15 characters); ENOENT for an unknown one, EINVAL for no name', () => {
  const { a } = tcpPair();
  const fd = a.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
  set(a, fd, 'reno');
  assert.equal(get(a, fd), 'reno');
  set(a, fd, bytes('cubic\0garbage'));
  assert.equal(get(a, fd), 'cubic');
  set(a, fd, 'reno\0');
  assert.equal(get(a, fd), 'reno');
  rejects(() => set(a, fd, 'bbr'), 'ENOENT');
  rejects(() => set(a, fd, 'Cubic'), 'ENOENT');
  rejects(() => set(a, fd, 'cubic' + 'x'.repeat(20)), 'ENOENT');
  rejects(() => set(a, fd, bytes('\0cubic')), 'ENOENT');
  rejects(() => set(a, fd, ''), 'EINVAL');
  rejects(() => set(a, fd, new Uint8Array(0)), 'EINVAL');
  rejects(() => set(a, fd, 1), 'EINVAL');
  assert.equal(get(a, fd), 'reno', 'a refused name changes nothing');
  try {
    set(a, fd, 'vegas');
  } catch (e) {
    assert.equal((e as SocketError).errno, 2);
  }
});

test('accept() inherits the listener\'s choice; each end runs its own algorithm', async () => {
  const { net, a, b } = tcpPair();
  await net.run(async () => {
    const l = b.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
    set(b, l, 'reno');
    b.sockets.bind(l, { address: '0.0.0.0', port: 80 });
    b.sockets.listen(l, 4);
    const accepting = b.sockets.accept(l);
    const c = a.sockets.socket(C.AF_INET, C.SOCK_STREAM, 0);
    await a.sockets.connect(c, { address: '10.0.0.2', port: 80 });
    const [s] = await accepting;
    assert.equal(get(b, s), 'reno');
    assert.equal(get(a, c), 'cubic');
    // The controllers are created with the first data each end sends.
    const srvEp = b.tcp.endpoints().find((e) => e.localPort === 80 && e.remotePort !== 0)!;
    assert.equal(srvEp.cc, null, 'an idle connection holds no congestion control');
    assert.equal(info(b, s).tcpi_snd_cwnd, 10, 'TCP_INFO reports the initial window before it exists');
    await a.sockets.send(c, bytes('x'));
    await readN(b.sockets, s, 1);
    await b.sockets.send(s, bytes('y'));
    await readN(a.sockets, c, 1);
    const srv = b.tcp.endpoints().find((e) => e.localPort === 80 && e.cc !== null)!;
    assert.ok(srv.cc instanceof NewReno);
    const cli = a.tcp.endpoints().find((e) => e.remotePort === 80)!;
    assert.ok(cli.cc instanceof Cubic);
  });
});

test('switching on a live connection keeps cwnd and ssthresh and uses the new algorithm from then on', async () => {
  const { net, a, b } = tcpPair(3, { latency: 5 });
  await net.run(async () => {
    const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7);
    const data = new Uint8Array(200_000);
    const reading = readN(b.sockets, s, data.length);
    await a.sockets.send(c, data);
    await reading;
    const ep = a.tcp.endpoints().find((e) => e.remotePort === 7)!;
    const before = info(a, c);
    assert.ok(ep.cc instanceof Cubic);
    const cwnd = ep.cc.cwnd;
    const ssthresh = ep.cc.ssthresh;
    set(a, c, 'reno');
    assert.equal(get(a, c), 'reno');
    assert.ok(ep.cc instanceof NewReno, 'the controller was replaced');
    assert.equal(ep.cc.cwnd, cwnd);
    assert.equal(ep.cc.ssthresh, ssthresh);
    const after = info(a, c);
    assert.equal(after.tcpi_snd_cwnd, before.tcpi_snd_cwnd);
    assert.equal(after.tcpi_snd_ssthresh, before.tcpi_snd_ssthresh);
    // Setting the name it already has changes nothing (Linux: no reinit).
    const same = ep.cc;
    set(a, c, 'reno');
    assert.equal(ep.cc, same);
    // The connection still works under the new algorithm.
    const more = new Uint8Array(50_000).fill(7);
    const reading2 = readN(b.sockets, s, more.length);
    await a.sockets.send(c, more);
    assert.deepEqual(await reading2, more);
    assert.ok(ep.cc.cwnd >= cwnd, 'NewReno grew from where CUBIC left off');
  });
});

test('TCP_INFO: tcpi_ca_state (Open, then Loss after a timeout until recovered), tcpi_pmtu, tcpi_reordering, receive-side fields', async () => {
  const { net, a, b } = tcpPair(5, { latency: 2 });
  await net.run(async () => {
    const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 9);
    let i = info(a, c);
    assert.equal(i.tcpi_ca_state, TCP_CA_OPEN);
    assert.equal(i.tcpi_pmtu, 1500, 'the link MTU');
    assert.equal(i.tcpi_reordering, 3);
    assert.ok(i.tcpi_rcv_ssthresh > 0 && i.tcpi_rcv_ssthresh <= (a.sockets.getsockopt(c, C.SOL_SOCKET, C.SO_RCVBUF) as number));
    assert.ok(i.tcpi_rcv_space > 0);
    assert.equal(i.tcpi_snd_cwnd, 10, 'IW10 in segments');
    // Cut the link: the retransmission timer fires: TCP_CA_Loss with cwnd 1.
    const seg = net.segment('default');
    seg.partition(['a:eth0'], ['b:eth0']);
    await a.sockets.send(c, new Uint8Array(5000));
    await net.sleep(1500);
    i = info(a, c);
    assert.equal(i.tcpi_ca_state, TCP_CA_LOSS);
    assert.equal(i.tcpi_snd_cwnd, 1);
    seg.heal();
    await readN(b.sockets, s, 5000);
    await net.sleep(1000);
    i = info(a, c);
    assert.equal(i.tcpi_ca_state, TCP_CA_OPEN, 'everything sent before the timeout was acknowledged');
  });
});

/**
 * What an application's send loops back is delivered before the call returns, as on Linux
 * (loopback_xmit -> netif_rx, run by the NET_RX softirq at the send's local_bh_enable): the
 * receiving socket is readable as soon as send() has been called, with no timer tick between
 * (IpHost.beginSend / endSend). When other stack timers are already due at that instant, the
 * loopback waits for its tick behind them, as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, IPPROTO_TCP, MSG_DONTWAIT, SOCK_DGRAM, TCP_NODELAY, type SocketApi } from '../../src/index.js';
import { dec, enc, pair, rejectsErr } from './helpers.js';
import { connectPair } from '../tcp/helpers.js';

/** The UDP address the tests below send to themselves. */
const SELF = { address: '127.0.0.1', port: 5000 };

/**
 * A UDP socket bound to SELF, after one datagram to itself has come back: it waits for its
 * tick, as the host's start-up frames (a gratuitous ARP) are due, and they are gone after it.
 */
async function settledSelfSocket(s: SocketApi): Promise<number> {
  const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
  s.bind(fd, SELF);
  await s.sendto(fd, enc('first'), 0, SELF);
  assert.equal(dec(await s.recv(fd, 100)), 'first');
  return fd;
}

test('a TCP send over 127.0.0.1 has reached the peer socket when the call returns', async () => {
  const { net, a } = pair();
  await net.run(async () => {
    const s = a.sockets;
    const { c, s: srv } = await connectPair(s, s, '127.0.0.1', 7000);
    s.setsockopt(c, IPPROTO_TCP, TCP_NODELAY, 1);
    const t0 = net.now();
    const sending = s.send(c, enc('ping'));
    // The recv below tries at once, before any microtask or timer has run.
    assert.equal(dec(await s.recv(srv, 100, MSG_DONTWAIT)), 'ping');
    assert.equal(await sending, 4);
    assert.equal(net.now(), t0);
    // The reply comes back the same way, and the connection goes on as usual.
    const replying = s.send(srv, enc('pong'));
    assert.equal(dec(await s.recv(c, 100, MSG_DONTWAIT)), 'pong');
    await replying;
    await s.close(c);
    assert.equal((await s.recv(srv, 100)).length, 0, 'EOF');
    await s.close(srv);
  });
});

test('a UDP datagram sent to 127.0.0.1 is queued at the receiving socket when sendto returns', async () => {
  const { net, a } = pair();
  await net.run(async () => {
    const s = a.sockets;
    const fd = await settledSelfSocket(s);
    const sending = s.sendto(fd, enc('hello'), 0, SELF);
    assert.equal(dec(await s.recv(fd, 100, MSG_DONTWAIT)), 'hello');
    assert.equal(await sending, 5);
  });
});

test('with another stack timer already due, the loopback waits for its tick behind it', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const rx = b.sockets.socket(AF_INET, SOCK_DGRAM, 0);
    b.sockets.bind(rx, { address: '0.0.0.0', port: 6000 });
    const self = a.sockets.socket(AF_INET, SOCK_DGRAM, 0);
    a.sockets.bind(self, SELF);
    const out = a.sockets.socket(AF_INET, SOCK_DGRAM, 0);
    // A frame (the ARP request for b first) on the segment: its delivery is due now.
    void a.sockets.sendto(out, enc('to b'), 0, { address: '10.0.0.2', port: 6000 });
    const sending = a.sockets.sendto(self, enc('to me'), 0, SELF);
    await rejectsErr(a.sockets.recv(self, 100, MSG_DONTWAIT), 'EAGAIN', 'recv');
    await sending;
    // Its tick comes at the same instant.
    const t0 = net.now();
    assert.equal(dec(await a.sockets.recv(self, 100)), 'to me');
    assert.equal(dec(await b.sockets.recv(rx, 100)), 'to b');
    assert.equal(net.now(), t0);
  });
});

test('should input throw on the way (a stack bug), the send call still succeeds and net.run rejects with the error', async () => {
  const { net, a } = pair();
  const ip = a.ip as unknown as { ipInput: (...args: unknown[]) => unknown };
  let sent = -1;
  await assert.rejects(
    net.run(async () => {
      const s = a.sockets;
      const fd = await settledSelfSocket(s);
      const real = ip.ipInput;
      ip.ipInput = () => {
        ip.ipInput = real;
        throw new Error('input bug');
      };
      // The datagram meets the bug: sendto still reports its bytes, and the error reaches
      // net.run from the next tick, as it would have from the timer.
      sent = await s.sendto(fd, enc('lost'), 0, SELF);
      await s.recv(fd, 100);
    }),
    /input bug/,
  );
  assert.equal(sent, 4);
});

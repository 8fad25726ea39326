import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network, SocketError, type UdpMessage } from '../../src/index.js';
import { dec, enc, pair, rejection } from './helpers.js';

test('bound mode: datagrams carry their peer both ways; an echo over two bound sockets', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const server = b.udpSocket({ localAddress: '0.0.0.0', localPort: 7 });
    assert.deepEqual(await server.opened, { localAddress: '0.0.0.0', localPort: 7 });
    const echoing = server.readable.pipeTo(server.writable); // every message goes back to its sender
    const client = a.udpSocket({ localPort: 5353 });
    assert.deepEqual(await client.opened, { localAddress: '0.0.0.0', localPort: 5353 });
    const w = client.writable.getWriter();
    const r = client.readable.getReader();
    for (const word of ['one', 'two', '', 'three']) {
      await w.write({ data: enc(word), remoteAddress: '10.0.0.2', remotePort: 7 });
      const { value } = await r.read();
      assert.deepEqual(value, { data: enc(word), remoteAddress: '10.0.0.2', remotePort: 7 });
    }
    await client.close();
    await server.close();
    assert.ok((await rejection(echoing)) instanceof Error, 'closing errors the piped writable');
    assert.equal(a.sockets.openSockets().length + b.sockets.openSockets().length, 0);
  });
});

test('connected mode: send and receive without addresses; a stranger is not heard', async () => {
  const { net, a, b } = pair();
  const c = net.host('c', '10.0.0.3/24');
  await net.run(async () => {
    const server = b.udpSocket({ localPort: 9000 });
    const sr = server.readable.getReader();
    const sw = server.writable.getWriter();
    const client = a.udpSocket({ remoteAddress: '10.0.0.2', remotePort: 9000 });
    const info = await client.opened;
    assert.equal(info.localAddress, '10.0.0.1');
    assert.equal(info.remoteAddress, '10.0.0.2');
    assert.equal(info.remotePort, 9000);
    const cw = client.writable.getWriter();
    const cr = client.readable.getReader();
    await cw.write({ data: enc('ping') });
    const got = (await sr.read()).value!;
    assert.equal(dec(got.data), 'ping');
    assert.deepEqual([got.remoteAddress, got.remotePort], ['10.0.0.1', info.localPort]);
    // A datagram from another host to the client's port is filtered by the connection.
    const stranger = c.udpSocket({ localPort: 9000 });
    await stranger.writable.getWriter().write({ data: enc('psst'), remoteAddress: '10.0.0.1', remotePort: info.localPort });
    await sw.write({ data: enc('pong'), remoteAddress: got.remoteAddress, remotePort: got.remotePort });
    const reply = (await cr.read()).value!;
    assert.deepEqual(reply, { data: enc('pong'), remoteAddress: '10.0.0.2', remotePort: 9000 });
    await Promise.all([client.close(), server.close(), stranger.close()]);
  });
});

test('messages must match the mode: a TypeError errors the writable', async () => {
  const { net, a } = pair();
  await net.run(async () => {
    const connected = a.udpSocket({ remoteAddress: '10.0.0.2', remotePort: 9 });
    await connected.opened;
    const e1 = await rejection(connected.writable.getWriter().write({ data: enc('x'), remoteAddress: '10.0.0.3', remotePort: 9 }));
    assert.ok(e1 instanceof TypeError);
    assert.equal(await rejection(connected.closed), e1);
    const bound = a.udpSocket();
    await bound.opened;
    const e2 = await rejection(bound.writable.getWriter().write({ data: enc('x') }));
    assert.ok(e2 instanceof TypeError);
    assert.equal(a.sockets.openSockets().length, 0);
    assert.throws(() => a.udpSocket({ remotePort: 9 }), TypeError);
    assert.throws(() => a.udpSocket({ localPort: -1 }), TypeError);
  });
});

test('a connected socket hears ECONNREFUSED from an ICMP port unreachable: both streams error', async () => {
  const { net, a } = pair();
  await net.run(async () => {
    const s = a.udpSocket({ remoteAddress: '10.0.0.2', remotePort: 4444 });
    await s.opened;
    const r = s.readable.getReader();
    await s.writable.getWriter().write({ data: enc('anyone?') });
    const e = (await rejection(r.read())) as SocketError;
    assert.ok(e instanceof SocketError);
    assert.equal(e.code, 'ECONNREFUSED');
    assert.equal(await rejection(s.closed), e);
    assert.equal(a.sockets.openSockets().length, 0);
  });
});

test('bind errors reject opened: EADDRINUSE, and EACCES for broadcast without SO_BROADCAST', async () => {
  const { net, a } = pair();
  await net.run(async () => {
    const first = a.udpSocket({ localPort: 53 });
    await first.opened;
    const second = a.udpSocket({ localPort: 53 });
    assert.equal(((await rejection(second.opened)) as SocketError).code, 'EADDRINUSE');
    const bcast = a.udpSocket();
    await bcast.opened;
    const e = (await rejection(bcast.writable.getWriter().write({ data: enc('all'), remoteAddress: '10.0.0.255', remotePort: 9 }))) as SocketError;
    assert.equal(e.code, 'EACCES');
    await first.close();
    assert.equal(a.sockets.openSockets().length, 0);
  });
});

test('a reader that does not read stops recvfrom: datagrams wait in the socket, the excess is dropped as UDP does', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const server = b.udpSocket({ localPort: 7 });
    await server.opened;
    const client = a.udpSocket({ remoteAddress: '10.0.0.2', remotePort: 7 });
    const w = client.writable.getWriter();
    const big = new Uint8Array(1000);
    for (let i = 0; i < 200; i++) {
      big[0] = i;
      await w.write({ data: big });
      // Paced, so the receiver's task runs between arrivals (and ARP is done before the rest).
      await net.sleep(1);
    }
    await net.sleep(100);
    const row = b.socketTable().find((x) => x.netid === 'udp' && x.local === '0.0.0.0:7')!;
    // The readable took 64 KiB (66 datagrams of 1000 bytes, the last one crossing the mark) and
    // stopped calling recvfrom. The socket queue then filled to SO_RCVBUF (212992 bytes charged at
    // 1000 + 768 each: 121 datagrams) and dropped the remaining 13, counted as receive-buffer errors.
    assert.equal(row.recvQ, 121 * 1000);
    assert.equal(b.counters.udp.rcvbufErrors, 13);
    const r = server.readable.getReader();
    const seen: number[] = [];
    for (let i = 0; i < 187; i++) seen.push(((await r.read()).value as UdpMessage).data[0]!);
    assert.deepEqual(seen, [...Array(187).keys()]);
    await Promise.all([client.close(), server.close()]);
  });
});

test('cancelling the readable and closing the writable end the socket; closed resolves', async () => {
  const { net, a } = pair();
  await net.run(async () => {
    const s = a.udpSocket({ localPort: 6000 });
    await s.opened;
    await s.readable.cancel();
    await s.writable.close();
    await s.closed;
    assert.equal(a.sockets.openSockets().length, 0);
  });
});

test('real clock: a UDP round trip', async () => {
  const net = new Network({ clock: 'real', seed: 4 });
  try {
    const a = net.host('a', '10.0.0.1/24');
    const b = net.host('b', '10.0.0.2/24');
    const server = b.udpSocket({ localPort: 7 });
    void server.readable.pipeTo(server.writable).catch(() => {});
    const client = a.udpSocket({ remoteAddress: '10.0.0.2', remotePort: 7 });
    await client.writable.getWriter().write({ data: enc('over the wall clock') });
    const { value } = await client.readable.getReader().read();
    assert.equal(dec(value!.data), 'over the wall clock');
    await Promise.all([client.close(), server.close()]);
  } finally {
    net.close();
  }
});

/**
 * Request/response segments (data that also acknowledges ours) take input.ts's header
 * prediction (`predicted`): these tests pin what it must still do, as the full path does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import { Network } from '../../src/sim/network.js';
import { TcpState } from '../../src/tcp/state.js';
import { connectPair, readN, tcpPair } from './helpers.js';
import { parseIPv4 } from '../../src/wire/address.js';
import { ACK, PSH, ScriptedPeer, enc, expectSeg, passiveOpen, seqAdd } from './harness.js';

test('exchange fast path: full-sized requests that acknowledge the replies still measure the receiver RTT (autotune)', async () => {
  // 5 ms each way: the server's receiver RTT (from TSecr, full-sized segments only) is 10 ms.
  const { net, a, b } = tcpPair(3, { latency: 5 });
  await net.run(async () => {
    const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7000);
    const srv = b.tcp.endpoints().find((e) => e.state === TcpState.ESTABLISHED)!;
    const req = new Uint8Array(srv.sndMss).fill(1);
    const reply = new Uint8Array(100).fill(2);
    for (let i = 0; i < 20; i++) {
      await a.sockets.send(c, req);
      await readN(b.sockets, s, req.length);
      await b.sockets.send(s, reply);
      await readN(a.sockets, c, reply.length);
    }
    assert.ok(srv.tune !== null, 'the server measured its receiver RTT');
    assert.ok(Math.abs(srv.tune!.rcvRtt - 10) < 1, `receiver RTT ${srv.tune!.rcvRtt} ms, expected 10`);
    await a.sockets.close(c);
    await b.sockets.close(s);
  });
});

test('exchange fast path: PAWS still drops a request with an old TSval that acknowledges our data (RFC 7323 §5.3)', async () => {
  const net = new Network({ seed: 1 });
  const peer = new ScriptedPeer(net);
  const host = peer.host;
  await net.run(async () => {
    const { api, accepting, irs, iss } = await passiveOpen(host, peer, { wscale: 7, ts: 5000 });
    peer.send({ seq: irs + 1, ack: seqAdd(iss, 1), flags: ACK, window: 1000, options: { timestamp: { value: 5010, echo: 0 } } });
    const [fd] = await accepting;
    api.setsockopt(fd, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
    await api.send(fd, enc('reply'));
    const reply = expectSeg(await peer.next(100), { flags: ACK | PSH, seq: seqAdd(iss, 1), payload: enc('reply') }, 'the reply');
    const echo = reply.options.timestamp!.value;
    // The next request acknowledges the reply, in order, but its TSval is older than TS.Recent.
    const request = (tsval: number) => ({
      seq: irs + 1, ack: seqAdd(iss, 6), flags: ACK | PSH, window: 1000, payload: enc('req'), options: { timestamp: { value: tsval, echo } },
    });
    peer.send(request(5005));
    const dup = expectSeg(await peer.next(10), { flags: ACK, ack: irs + 1 }, 'duplicate ACK for the PAWS drop');
    assert.equal(dup.options.timestamp?.echo, 5010, 'TS.Recent unchanged');
    await assert.rejects(api.recv(fd, 100, C.MSG_DONTWAIT), { code: 'EAGAIN' }, 'the request was not accepted');
    // With a current TSval it is: its data arrives and its ACK counts.
    peer.send(request(5020));
    assert.deepEqual(await api.recv(fd, 100), enc('req'));
    const ack = expectSeg(await peer.next(100), { flags: ACK, ack: irs + 4 }, 'ACK of the request');
    assert.equal(ack.options.timestamp?.echo, 5020);
  });
  peer.assertClean();
});

test('exchange fast path: an ACK owed at once is sent even when the application does not answer (delayed ACKs off)', async () => {
  const { net, a, b } = tcpPair(5, { latency: 1 });
  b.tcp.config.delayedAck = false; // FreeBSD net.inet.tcp.delayed_ack=0: every segment is acknowledged at once
  await net.run(async () => {
    const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7002);
    await a.sockets.send(c, enc('request 1'));
    await readN(b.sockets, s, 9);
    await b.sockets.send(s, enc('reply 1'));
    await readN(a.sockets, c, 7);
    // The second request acknowledges the reply: the server must acknowledge it at once, though
    // it has nothing to send and its application does not read yet.
    const out = b.counters.tcp.outSegs;
    await a.sockets.send(c, enc('request 2'));
    await net.sleep(1.5); // one way is 1 ms: the request has arrived, its ACK not yet back
    assert.equal(b.counters.tcp.outSegs, out + 1, 'a bare ACK went out at once');
    await readN(b.sockets, s, 9);
    await a.sockets.close(c);
    await b.sockets.close(s);
  });
});

for (const kind of ['a request that acknowledges the reply', 'one-way data'] as const) {
  test(`fast paths: the send MSS follows a path MTU learnt meanwhile, as output() makes it (${kind})`, async () => {
    // From the reviewer: output() resyncs the MSS with the path MTU even with nothing to send.
    const { net, a, b } = tcpPair(5, { latency: 1 });
    await net.run(async () => {
      const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7003);
      a.sockets.setsockopt(c, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
      b.sockets.setsockopt(s, C.IPPROTO_TCP, C.TCP_NODELAY, 1);
      if (kind !== 'one-way data') {
        await a.sockets.send(c, enc('request 1'));
        await readN(b.sockets, s, 9);
        await b.sockets.send(s, enc('reply 1'));
        await readN(a.sockets, c, 7); // the client's ACK of the reply is delayed: request 2 carries it
      }
      const before = b.sockets.getsockopt(s, C.IPPROTO_TCP, C.TCP_MAXSEG) as number;
      // Another connection learnt a smaller path MTU to the client (an ICMP "fragmentation needed").
      b.ip.learnPmtu(parseIPv4('10.0.0.1')!, 1000);
      await a.sockets.send(c, enc('request 2'));
      await readN(b.sockets, s, 9);
      const after = b.sockets.getsockopt(s, C.IPPROTO_TCP, C.TCP_MAXSEG) as number;
      assert.ok(after < before, `TCP_MAXSEG ${before} -> ${after}: the MSS follows the path MTU of 1000`);
      await a.sockets.close(c);
      await b.sockets.close(s);
    });
  });
}

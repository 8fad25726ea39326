/**
 * RFC 9293 §3.10.7.4: "If the RCV.WND is zero, no segments will be acceptable, but special
 * allowance should be made to accept valid ACKs, URGs, and RSTs" (MUST-66 for RST and URG).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import { ACK, PSH, SYN, URG, enc, expectSeg, scenario, seqAdd } from './harness.js';
import { connectPair, readN, tcpPair } from './helpers.js';

test('at a zero receive window the ACK and URG fields of a data segment still count; its text is dropped and re-ACKed', () =>
  scenario(async ({ host, peer }) => {
    const api = host.sockets;
    const lfd = api.socket(C.AF_INET, C.SOCK_STREAM, 0);
    api.setsockopt(lfd, C.SOL_SOCKET, C.SO_RCVBUF, 1152); // doubled: a 2304-byte buffer
    api.bind(lfd, { address: '0.0.0.0', port: 7 });
    api.listen(lfd, 4);
    peer.peerPort = 40000;
    peer.hostPort = 7;
    const irs = 1000;
    peer.send({ seq: irs, flags: SYN, window: 65535, options: { mss: 1460 } });
    const synack = expectSeg(await peer.next(1000), { flags: SYN | ACK, ack: irs + 1 });
    assert.equal(synack.window, 2304);
    const iss = synack.seq;
    peer.send({ seq: irs + 1, ack: seqAdd(iss, 1), flags: ACK, window: 65535 });
    const [fd] = await api.accept(lfd);
    // Fill the window: the application never reads.
    let seq = irs + 1;
    let win = 2304;
    while (win > 0) {
      const n = Math.min(win, 1000);
      peer.send({ seq, ack: seqAdd(iss, 1), flags: ACK | PSH, window: 65535, payload: new Uint8Array(n) });
      seq += n;
      for (let s = await peer.next(100); s; s = await peer.next(100)) win = s.window;
    }
    assert.equal(win, 0);
    await api.write(fd, enc('x'.repeat(100)));
    const d = expectSeg(await peer.next(1000), { flags: ACK | PSH, seq: seqAdd(iss, 1), len: 100 });
    assert.equal(d.window, 0);
    // The peer's next segment sits at RCV.NXT, acknowledges the 100 bytes and marks urgent data.
    peer.send({ seq, ack: seqAdd(iss, 101), flags: ACK | PSH | URG, urgentPointer: 1, window: 65535, payload: new Uint8Array(10) });
    const reply = expectSeg(await peer.next(1000), { flags: ACK, seq: seqAdd(iss, 101), ack: seq }, 'the text is not taken');
    assert.equal(reply.window, 0);
    const info = api.getsockopt(fd, C.IPPROTO_TCP, C.TCP_INFO) as { tcpi_unacked: number };
    assert.equal(info.tcpi_unacked, 0, 'the ACK field was processed');
    assert.equal(host.counters.tcp.extTCPZeroWindowDrop, 1);
    const got = await api.recv(fd, 4096);
    assert.equal(got.length, 2304, 'only the bytes that fitted were delivered');
    await api.close(fd);
    await api.close(lfd);
  }));

test('a receiver that stops reading: the window rounded up to its scale unit is honoured, then closes, and the sender probes it without timing out', async () => {
  // The server's 128 KiB buffer fills; the window it keeps is rounded up to whole 128-byte
  // units (window scale 7), so it offers a few bytes more than the buffer holds. Dropping
  // them left the window at 128 bytes for ever: the client retransmitted into it until R2
  // ended the connection (ETIMEDOUT after about 925 s). They are taken, the window closes,
  // and the client probes it (persist) for as long as the server answers.
  const { net, a, b } = tcpPair(161, { latency: 2 });
  await net.run(async () => {
    const { c, s } = await connectPair(a.sockets, b.sockets, '10.0.0.2', 7800);
    const data = new Uint8Array(400_000).fill(7);
    let sent = 0;
    const sending = (async () => {
      while (sent < data.length) sent += await a.sockets.send(c, data.subarray(sent));
    })();
    await net.sleep(2_000_000); // the server's application reads nothing for 2000 s
    const client = a.tcp.endpoints().find((e) => e.remotePort === 7800)!;
    assert.equal(client.sndWnd, 0, 'the server advertises a zero window');
    assert.ok(a.counters.tcp.extTCPWinProbe > 0, 'the client probes it');
    assert.equal(b.counters.tcp.extTCPRcvQDrop, 0, 'nothing in the window was dropped');
    assert.equal((await readN(b.sockets, s, data.length)).length, data.length);
    await sending;
    await a.sockets.close(c);
    await b.sockets.close(s);
  });
});

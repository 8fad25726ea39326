/**
 * RFC 9293 §3.10.7.4: "If the RCV.WND is zero, no segments will be acceptable, but special
 * allowance should be made to accept valid ACKs, URGs, and RSTs" (MUST-66 for RST and URG).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import { ACK, PSH, SYN, URG, enc, expectSeg, scenario, seqAdd } from './harness.js';

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

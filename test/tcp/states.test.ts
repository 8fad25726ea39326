/**
 * RFC 9293 §3.3.2 (figure 5): one scenario per transition of the TCP state diagram, driven
 * packet by packet against a scripted peer under virtual time. States are read from
 * host.tcp.endpoints() and the socket table, errors from the Berkeley calls, packets from the
 * peer. Sequence numbers are checked exactly, relative to the ISS / IRS learned in the handshake.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import {
  ACK, FIN, PSH, RST, SYN, PEER_IP, HOST_IP,
  scenario, seqAdd, expectSeg, stateOf, endpointStates, rejectsWith, enc,
  type Conn, type ScriptedPeer,
} from './harness.js';
import type { Host } from '../../src/sim/host.js';

const ERRNO_EPIPE = 32;
const ERRNO_ECONNRESET = 104;

/** ESTABLISHED through an active open, then FIN-WAIT-1 by shutdown(SHUT_WR); returns the FIN's seq. */
async function toFinWait1(host: Host, peer: ScriptedPeer, c: Conn, how: 'shutdown' | 'close' = 'shutdown'): Promise<number> {
  if (how === 'shutdown') host.sockets.shutdown(c.fd, C.SHUT_WR);
  else await host.sockets.close(c.fd);
  const fin = expectSeg(await peer.next(1000), { flags: FIN | ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'FIN');
  c.sndNxt = seqAdd(c.sndNxt, 1);
  assert.equal(stateOf(host, c.hostPort, c.peerPort), 'FIN-WAIT-1');
  return fin.seq;
}

/** The peer's FIN (seq c.rcvNxt, acking `ack`); checks sockstack's immediate-or-delayed ACK of it. */
async function peerFin(peer: ScriptedPeer, c: Conn, ack: number): Promise<void> {
  peer.send({ seq: c.rcvNxt, ack, flags: FIN | ACK });
  c.rcvNxt = seqAdd(c.rcvNxt, 1);
  expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'ACK of the peer FIN');
}

/** ESTABLISHED → CLOSE-WAIT: the peer's FIN arrives; read() sees EOF. */
async function toCloseWait(host: Host, peer: ScriptedPeer, c: Conn): Promise<void> {
  await peerFin(peer, c, c.sndNxt);
  assert.equal(stateOf(host, c.hostPort, c.peerPort), 'CLOSE-WAIT');
}

/** An ACK-bearing probe to a 4-tuple that must be closed: RST with seq = SEG.ACK (§3.10.7.1). */
async function expectClosedTuple(peer: ScriptedPeer, c: Conn): Promise<void> {
  peer.send({ seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 7), flags: ACK });
  expectSeg(await peer.next(1000), { flags: RST, seq: seqAdd(c.sndNxt, 7) }, 'RST from a closed 4-tuple');
}

function tcpRow(host: Host, local: string, peerAddr?: string) {
  return host.socketTable().filter((r) => r.netid === 'tcp' && r.local === local && (peerAddr === undefined || r.peer === peerAddr));
}

describe('RFC 9293 state diagram: opening', () => {
  test('CLOSED → LISTEN: listen() makes a passive endpoint and sends nothing', () =>
    scenario(async ({ host, peer }) => {
      const lfd = peer.listen(7);
      assert.equal(stateOf(host, 7, 0), 'LISTEN');
      assert.equal(host.sockets.getsockopt(lfd, C.SOL_SOCKET, C.SO_ACCEPTCONN), 1);
      const rows = tcpRow(host, '0.0.0.0:7');
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.state, 'LISTEN');
      await peer.expectNone(3000, 'a listener is silent');
    }));

  test('CLOSED → SYN-SENT: connect() sends one SYN carrying MSS 1460, timestamps and window scale 7 (as Linux)', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const fd = api.socket(C.AF_INET, C.SOCK_STREAM | C.SOCK_NONBLOCK, 0);
      await rejectsWith(api.connect(fd, { address: PEER_IP, port: 80 }), 'EINPROGRESS', 'non-blocking connect');
      const syn = expectSeg(await peer.next(1000), { flags: SYN, ack: 0, dstPort: 80, window: 65535 }, 'SYN');
      // RFC 7323 §2.2, §3.2: MSS = MTU - 40, TSecr 0, shift 7 for Linux's 6 MiB tcp_rmem[2].
      assert.deepEqual(syn.options, { mss: 1460, sackPermitted: true, timestamp: { value: syn.options.timestamp?.value, echo: 0 }, windowScale: 7 });
      assert.equal(syn.dataOffset, 40, 'mss(4) nop nop TS(12) nop wscale(4)');
      assert.equal(syn.ttl, 64);
      assert.ok(syn.srcPort >= 32768 && syn.srcPort <= 60999, `ephemeral port ${syn.srcPort}`);
      assert.equal(stateOf(host, syn.srcPort, 80), 'SYN-SENT');
      assert.equal(tcpRow(host, `${HOST_IP}:${syn.srcPort}`, `${PEER_IP}:80`)[0]?.state, 'SYN-SENT');
      assert.equal(host.counters.tcp.activeOpens, 1);
      assert.deepEqual(api.getsockname(fd), { address: HOST_IP, port: syn.srcPort });
    }));

  test('LISTEN → SYN-RECEIVED: a SYN is answered by SYN-ACK acking SEG.SEQ+1', () =>
    scenario(async ({ host, peer }) => {
      peer.listen(7);
      const irs = 0x01020304;
      peer.send({ srcPort: 40000, dstPort: 7, seq: irs, flags: SYN, window: 29200, options: { mss: 1460 } });
      const sa = expectSeg(await peer.next(1000), { flags: SYN | ACK, ack: irs + 1, srcPort: 7, dstPort: 40000, window: 65535 }, 'SYN-ACK');
      assert.deepEqual(sa.options, { mss: 1460 });
      assert.equal(stateOf(host, 7, 40000), 'SYN-RECEIVED');
      assert.equal(stateOf(host, 7, 0), 'LISTEN', 'the listener stays');
      assert.equal(tcpRow(host, `${HOST_IP}:7`, `${PEER_IP}:40000`)[0]?.state, 'SYN-RECV');
    }));

  test('LISTEN → SYN-SENT (a SEND on a listener) is unreachable through sockets: connect() on a listener is EISCONN', () =>
    scenario(async ({ host, peer }) => {
      // RFC 9293 allows SEND in LISTEN to turn the endpoint active; the Berkeley API has no such
      // call. Linux's __inet_stream_connect answers EISCONN for any socket not in TCP_CLOSE.
      const lfd = peer.listen(7);
      await rejectsWith(host.sockets.connect(lfd, { address: PEER_IP, port: 80 }), 'EISCONN', 'connect on a listener');
      assert.equal(stateOf(host, 7, 0), 'LISTEN');
      await peer.expectNone(2000, 'no SYN from a listener');
    }));

  test('SYN-SENT → ESTABLISHED: SYN-ACK in, ACK out, connect() resolves', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakeActive({ irs: 0xabcdef00 });
      assert.equal(stateOf(host, c.hostPort, 80), 'ESTABLISHED');
      assert.deepEqual(host.sockets.getpeername(c.fd), { address: PEER_IP, port: 80 });
      assert.equal(tcpRow(host, `${HOST_IP}:${c.hostPort}`)[0]?.state, 'ESTAB');
      assert.equal(host.counters.tcp.currEstab, 1);
      assert.equal(host.sockets.getsockopt(c.fd, C.SOL_SOCKET, C.SO_ERROR), 0);
      // Our ACK of the SYN-ACK was "lost": the retransmitted SYN-ACK (old, carrying SYN) gets an ACK
      // (RFC 9293 §3.10.7.4 first check; Linux answers the same numbers as a challenge ACK).
      peer.send({ seq: c.irs, ack: seqAdd(c.iss, 1), flags: SYN | ACK, options: { mss: 1460 } });
      expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'ACK for a retransmitted SYN-ACK');
      assert.equal(stateOf(host, c.hostPort, 80), 'ESTABLISHED');
      await peer.expectNone(700);
      await peer.assertAlive(c, 'active');
    }));

  test('SYN-RECEIVED → ESTABLISHED: the ACK of the SYN-ACK completes a passive open; accept() returns it', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakePassive({ irs: 0x7fffff00 });
      assert.equal(stateOf(host, 7, 40000), 'ESTABLISHED');
      assert.equal(stateOf(host, 7, 0), 'LISTEN');
      assert.deepEqual(host.sockets.getsockname(c.fd), { address: HOST_IP, port: 7 });
      assert.equal(host.counters.tcp.passiveOpens, 1);
      assert.equal(host.counters.tcp.currEstab, 1);
      await peer.expectNone(2000, 'no SYN-ACK retransmission after the ACK');
      await peer.assertAlive(c, 'passive');
    }));

  test('SYN-SENT → ESTABLISHED without an MSS option: 536 is assumed (RFC 9293 §3.7.1)', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const fd = api.socket(C.AF_INET, C.SOCK_STREAM, 0);
      const connecting = api.connect(fd, { address: PEER_IP, port: 80 });
      const syn = expectSeg(await peer.next(1000), { flags: SYN });
      peer.peerPort = 80;
      peer.hostPort = syn.srcPort;
      peer.send({ seq: 70, ack: seqAdd(syn.seq, 1), flags: SYN | ACK });
      await connecting;
      expectSeg(await peer.next(1000), { flags: ACK, seq: seqAdd(syn.seq, 1), ack: 71 });
      await api.write(fd, new Uint8Array(1000).fill(7));
      const first = await peer.next(1000);
      assert.ok(first !== null);
      assert.equal(first.payload.length, 536, 'segments are cut at the default MSS');
      assert.equal(first.seq, seqAdd(syn.seq, 1));
    }));

  test('a passive child reaches CLOSE-WAIT before accept(): accept() returns it with the data and EOF', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const lfd = peer.listen(7);
      peer.send({ srcPort: 40000, dstPort: 7, seq: 10, flags: SYN, options: { mss: 1460 } });
      const sa = expectSeg(await peer.next(1000), { flags: SYN | ACK, ack: 11 });
      peer.send({ srcPort: 40000, dstPort: 7, seq: 11, ack: seqAdd(sa.seq, 1), flags: ACK });
      peer.send({ srcPort: 40000, dstPort: 7, seq: 11, ack: seqAdd(sa.seq, 1), flags: ACK | PSH | FIN, payload: enc('quick') });
      expectSeg(await peer.next(1000), { flags: ACK, seq: seqAdd(sa.seq, 1), ack: 17 });
      assert.equal(stateOf(host, 7, 40000), 'CLOSE-WAIT');
      const [fd] = await api.accept(lfd);
      assert.deepEqual(await api.read(fd, 100), enc('quick'));
      assert.equal((await api.read(fd, 100)).length, 0);
    }));

  test('SYN-SENT → SYN-RECEIVED (simultaneous open): a bare SYN is answered by SYN-ACK with the same ISS', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const fd = api.socket(C.AF_INET, C.SOCK_STREAM, 0);
      const connecting = api.connect(fd, { address: PEER_IP, port: 80 });
      const syn = expectSeg(await peer.next(1000), { flags: SYN, ack: 0 }, 'SYN');
      const iss = syn.seq;
      const irs = 0x5000;
      peer.peerPort = 80;
      peer.hostPort = syn.srcPort;
      // RFC 9293 §3.10.7.3: SYN without ACK in SYN-SENT → SYN-RECEIVED, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
      peer.send({ seq: irs, flags: SYN, options: { mss: 1460 } });
      const sa = expectSeg(await peer.next(1000), { flags: SYN | ACK, seq: iss, ack: irs + 1 }, 'SYN-ACK of a simultaneous open');
      assert.equal(sa.options.mss, 1460);
      assert.equal(stateOf(host, syn.srcPort, 80), 'SYN-RECEIVED');
      // The peer's ACK of our SYN completes it (§3.10.7.4 SYN-RECEIVED: acceptable ACK → ESTABLISHED).
      peer.send({ seq: irs + 1, ack: seqAdd(iss, 1), flags: ACK });
      await connecting;
      assert.equal(stateOf(host, syn.srcPort, 80), 'ESTABLISHED');
      const c: Conn = { fd, lfd: -1, hostPort: syn.srcPort, peerPort: 80, iss, irs, sndNxt: seqAdd(iss, 1), rcvNxt: irs + 1, rightEdge: seqAdd(irs, 1 + sa.window) };
      await peer.expectNone(1500, 'nothing to answer a bare ACK');
      await peer.assertAlive(c, 'simultaneous open');
    }));

  test('SYN-SENT: an unacceptable ACK in a SYN-ACK draws <SEQ=SEG.ACK><CTL=RST> and the connect goes on', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const fd = api.socket(C.AF_INET, C.SOCK_STREAM, 0);
      const connecting = api.connect(fd, { address: PEER_IP, port: 80 });
      const syn = expectSeg(await peer.next(1000), { flags: SYN, ack: 0 });
      peer.peerPort = 80;
      peer.hostPort = syn.srcPort;
      const bad = seqAdd(syn.seq, 1000);
      peer.send({ seq: 900, ack: bad, flags: SYN | ACK, options: { mss: 1460 } });
      expectSeg(await peer.next(1000), { flags: RST, seq: bad }, 'RST for an unacceptable ACK (§3.10.7.3)');
      assert.equal(stateOf(host, syn.srcPort, 80), 'SYN-SENT');
      peer.send({ seq: 900, ack: syn.seq, flags: ACK });
      expectSeg(await peer.next(1000), { flags: RST, seq: syn.seq }, 'RST for a bare ACK of nothing (SEG.ACK =< ISS)');
      // An acceptable ACK without SYN or RST: "drop the segment and return" (§3.10.7.3 fifth).
      peer.send({ seq: 900, ack: seqAdd(syn.seq, 1), flags: ACK });
      await peer.expectNone(500, 'a bare acceptable ACK in SYN-SENT is dropped');
      assert.equal(stateOf(host, syn.srcPort, 80), 'SYN-SENT');
      peer.send({ seq: 900, ack: seqAdd(syn.seq, 1), flags: SYN | ACK, options: { mss: 1460 } });
      await connecting;
      expectSeg(await peer.next(1000), { flags: ACK, seq: seqAdd(syn.seq, 1), ack: 901 });
      assert.equal(stateOf(host, syn.srcPort, 80), 'ESTABLISHED');
    }));

  test('SYN-RECEIVED → LISTEN: an RST in SYN-RECEIVED removes the child, the listener stays', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const lfd = peer.listen(7);
      api.fcntl(lfd, C.F_SETFL, C.O_NONBLOCK);
      const irs = 777;
      peer.send({ srcPort: 40000, dstPort: 7, seq: irs, flags: SYN, options: { mss: 1460 } });
      expectSeg(await peer.next(1000), { flags: SYN | ACK, ack: irs + 1 });
      assert.equal(stateOf(host, 7, 40000), 'SYN-RECEIVED');
      const fails = host.counters.tcp.attemptFails;
      peer.send({ srcPort: 40000, dstPort: 7, seq: irs + 1, flags: RST });
      assert.equal(stateOf(host, 7, 40000), null, 'the embryonic connection is gone');
      assert.equal(stateOf(host, 7, 0), 'LISTEN');
      assert.equal(host.counters.tcp.attemptFails, fails + 1, 'RFC 4022 tcpAttemptFails: SYN-RCVD → LISTEN');
      await rejectsWith(api.accept(lfd), 'EAGAIN', 'accept on the listener');
      await peer.expectNone(5000, 'no SYN-ACK retransmission, no reply to the RST');
      // The listener still works.
      api.fcntl(lfd, C.F_SETFL, 0);
      await peer.handshakePassive({ lfd, peerPort: 40001, irs: 999 });
      assert.equal(stateOf(host, 7, 40001), 'ESTABLISHED');
    }));

  test('SYN-RECEIVED → FIN-WAIT-1: close() during a simultaneous open sends FIN (RFC 9293 CLOSE; Linux tcp_close_state)', () =>
    scenario(async ({ host, peer }) => {
      // Through sockets SYN-RECEIVED with a descriptor exists only in a simultaneous open: a
      // passive child is not reachable before accept(). RFC 9293 CLOSE in SYN-RECEIVED (no data
      // queued): send FIN, enter FIN-WAIT-1; Linux's tcp_close_state maps SYN_RECV → FIN_WAIT1 too.
      const api = host.sockets;
      const fd = api.socket(C.AF_INET, C.SOCK_STREAM | C.SOCK_NONBLOCK, 0);
      await rejectsWith(api.connect(fd, { address: PEER_IP, port: 80 }), 'EINPROGRESS');
      const syn = expectSeg(await peer.next(1000), { flags: SYN });
      peer.peerPort = 80;
      peer.hostPort = syn.srcPort;
      peer.send({ seq: 5000, flags: SYN, options: { mss: 1460 } });
      expectSeg(await peer.next(1000), { flags: SYN | ACK, seq: syn.seq, ack: 5001 });
      assert.equal(stateOf(host, syn.srcPort, 80), 'SYN-RECEIVED');
      await api.close(fd);
      expectSeg(await peer.next(1000), { flags: FIN | ACK, seq: seqAdd(syn.seq, 1), ack: 5001 }, 'FIN after close in SYN-RECEIVED');
      assert.equal(stateOf(host, syn.srcPort, 80), 'FIN-WAIT-1');
      // ACK of SYN and FIN → FIN-WAIT-2; the peer's FIN → TIME-WAIT.
      peer.send({ seq: 5001, ack: seqAdd(syn.seq, 2), flags: ACK });
      assert.equal(stateOf(host, syn.srcPort, 80), 'FIN-WAIT-2');
      peer.send({ seq: 5001, ack: seqAdd(syn.seq, 2), flags: FIN | ACK });
      expectSeg(await peer.next(1000), { flags: ACK, seq: seqAdd(syn.seq, 2), ack: 5002 });
      assert.equal(stateOf(host, syn.srcPort, 80), 'TIME-WAIT');
    }));

  test('passive SYN-RECEIVED and close() of the listener: Linux drops the request silently; the late ACK gets an RST', () =>
    scenario(async ({ host, peer }) => {
      // Linux keeps passive SYN-RECEIVED entries as request socks, not sockets: closing the
      // listener sends neither FIN nor RST for them (reqsk_timer_handler drops them when the
      // listener is gone), and the peer's late ACK finds no socket → RST <SEQ=SEG.ACK>.
      const api = host.sockets;
      const lfd = peer.listen(7);
      peer.send({ srcPort: 40000, dstPort: 7, seq: 100, flags: SYN, options: { mss: 1460 } });
      const sa = expectSeg(await peer.next(1000), { flags: SYN | ACK, ack: 101 });
      await api.close(lfd);
      for (const s of await peer.collect(3000)) assert.equal(s.flags, RST, `only an RST may follow the listener's close, got flags ${s.flags}`);
      assert.equal(stateOf(host, 7, 0), null, 'the listener is gone');
      assert.equal(stateOf(host, 7, 40000), null, 'so is its child');
      peer.send({ srcPort: 40000, dstPort: 7, seq: 101, ack: seqAdd(sa.seq, 1), flags: ACK });
      expectSeg(await peer.next(1000), { flags: RST, seq: seqAdd(sa.seq, 1) }, 'RST for the late ACK');
    }));
});

describe('SYN-RECEIVED details (passive and simultaneous opens)', () => {
  test('SYN-RECEIVED: the SYN-ACK is retransmitted at 1, 3, 7, 15, 31 s (synAckRetries 5), then the child is dropped', () =>
    scenario(async ({ net, host, peer }) => {
      assert.equal(host.tcp.config.synAckRetries, 5);
      peer.listen(7);
      const t0 = net.now();
      peer.send({ srcPort: 40000, dstPort: 7, seq: 500, flags: SYN, options: { mss: 1460 } });
      const sas = [];
      for (let i = 0; i < 6; i++) sas.push(expectSeg(await peer.next(40_000), { flags: SYN | ACK, ack: 501 }, `SYN-ACK #${i}`));
      assert.deepEqual(sas.map((s) => s.at - t0), [0, 1000, 3000, 7000, 15000, 31000]);
      for (const s of sas) assert.equal(s.seq, sas[0]!.seq, 'the same ISS every time');
      assert.equal(stateOf(host, 7, 40000), 'SYN-RECEIVED');
      await peer.expectNone(40_000, 'no seventh SYN-ACK');
      assert.equal(stateOf(host, 7, 40000), null, 'the half-open child expired');
      assert.equal(stateOf(host, 7, 0), 'LISTEN');
      peer.send({ srcPort: 40000, dstPort: 7, seq: 501, ack: seqAdd(sas[0]!.seq, 1), flags: ACK });
      expectSeg(await peer.next(1000), { flags: RST, seq: seqAdd(sas[0]!.seq, 1) }, 'a late ACK meets the listener: RST');
    }));

  test('SYN-RECEIVED: a retransmitted SYN draws the same SYN-ACK again (Linux tcp_check_req)', () =>
    scenario(async ({ host, peer }) => {
      peer.listen(7);
      peer.send({ srcPort: 40000, dstPort: 7, seq: 500, flags: SYN, options: { mss: 1460 } });
      const a = expectSeg(await peer.next(1000), { flags: SYN | ACK, ack: 501 });
      peer.send({ srcPort: 40000, dstPort: 7, seq: 500, flags: SYN, options: { mss: 1460 } });
      expectSeg(await peer.next(500), { flags: SYN | ACK, seq: a.seq, ack: 501 }, 'SYN-ACK again');
      assert.equal(stateOf(host, 7, 40000), 'SYN-RECEIVED');
      assert.equal(endpointStates(host).length, 2, 'one listener, one child');
    }));

  test('SYN-RECEIVED: an unacceptable ACK draws <SEQ=SEG.ACK><CTL=RST>; the right ACK still completes', () =>
    scenario(async ({ host, peer }) => {
      const lfd = peer.listen(7);
      peer.send({ srcPort: 40000, dstPort: 7, seq: 500, flags: SYN, options: { mss: 1460 } });
      const sa = expectSeg(await peer.next(1000), { flags: SYN | ACK, ack: 501 });
      const bad = seqAdd(sa.seq, 50);
      peer.send({ srcPort: 40000, dstPort: 7, seq: 501, ack: bad, flags: ACK });
      expectSeg(await peer.next(1000), { flags: RST, seq: bad }, 'RST for the unacceptable ACK (§3.10.7.4 SYN-RECEIVED)');
      assert.equal(stateOf(host, 7, 40000), 'SYN-RECEIVED');
      const accepting = host.sockets.accept(lfd);
      peer.send({ srcPort: 40000, dstPort: 7, seq: 501, ack: seqAdd(sa.seq, 1), flags: ACK });
      const [fd] = await accepting;
      assert.equal(stateOf(host, 7, 40000), 'ESTABLISHED');
      peer.peerPort = 40000;
      peer.hostPort = 7;
      await peer.assertAlive({ fd, lfd, hostPort: 7, peerPort: 40000, iss: sa.seq, irs: 500, sndNxt: seqAdd(sa.seq, 1), rcvNxt: 501, rightEdge: 501 + sa.window }, 'after the bad ACK');
    }));

  test('LISTEN: data on a SYN is not acknowledged (Linux keeps no data from a SYN without TCP Fast Open)', () =>
    scenario(async ({ host, peer }) => {
      const lfd = peer.listen(7);
      peer.send({ srcPort: 40000, dstPort: 7, seq: 500, flags: SYN, options: { mss: 1460 }, payload: enc('early') });
      const sa = expectSeg(await peer.next(1000), { flags: SYN | ACK, ack: 501 }, 'SYN-ACK acks the SYN only');
      const accepting = host.sockets.accept(lfd);
      peer.send({ srcPort: 40000, dstPort: 7, seq: 501, ack: seqAdd(sa.seq, 1), flags: ACK | PSH, payload: enc('early') });
      const [fd] = await accepting;
      assert.deepEqual(await host.sockets.read(fd, 100), enc('early'), 'the data counts once, when resent');
    }));

  test('SYN-RECEIVED (simultaneous open) → CLOSED on an exact RST: connect() fails with ECONNRESET (Linux tcp_reset)', () =>
    scenario(async ({ host, peer }) => {
      // RFC 9293 says an active open reset in SYN-RECEIVED is "connection refused"; Linux's
      // tcp_reset reports ECONNREFUSED only in SYN-SENT and ECONNRESET here. The contract asks
      // for Linux's errno.
      const api = host.sockets;
      const fd = api.socket(C.AF_INET, C.SOCK_STREAM, 0);
      const connecting = api.connect(fd, { address: PEER_IP, port: 80 });
      const syn = expectSeg(await peer.next(1000), { flags: SYN });
      peer.peerPort = 80;
      peer.hostPort = syn.srcPort;
      peer.send({ seq: 5000, flags: SYN, options: { mss: 1460 } });
      expectSeg(await peer.next(1000), { flags: SYN | ACK, seq: syn.seq, ack: 5001 });
      peer.send({ seq: 5001, flags: RST });
      await rejectsWith(connecting, 'ECONNRESET', 'connect');
      assert.equal(stateOf(host, syn.srcPort, 80), null);
      await peer.expectNone(3000, 'no SYN-ACK retransmission after the reset');
    }));
});

describe('aborts and orphans', () => {
  test('close() with unread data aborts: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK> (RFC 1122 §4.2.2.13, Linux)', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakeActive();
      peer.sendData(c, enc('never read'));
      expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt });
      await host.sockets.close(c.fd);
      expectSeg(await peer.next(1000), { flags: RST | ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'abort RST');
      assert.equal(stateOf(host, c.hostPort, 80), null);
      assert.equal(host.counters.tcp.extTCPAbortOnClose, 1);
      await peer.expectNone(3000, 'nothing after the abort');
    }));

  test('close() with SO_LINGER {1, 0} aborts with RST instead of FIN', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakePassive();
      host.sockets.setsockopt(c.fd, C.SOL_SOCKET, C.SO_LINGER, { l_onoff: 1, l_linger: 0 });
      await host.sockets.close(c.fd);
      expectSeg(await peer.next(1000), { flags: RST | ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'abort RST');
      assert.equal(stateOf(host, 7, 40000), null);
      assert.equal(stateOf(host, 7, 0), 'LISTEN');
    }));

  test('new data for an orphan in FIN-WAIT-2 draws an RST and kills it (RFC 1122 §4.2.2.13, Linux TCPAbortOnData)', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakeActive();
      await toFinWait1(host, peer, c, 'close');
      peer.sendAck(c);
      assert.equal(stateOf(host, c.hostPort, 80), 'FIN-WAIT-2');
      peer.sendData(c, enc('nobody reads this'));
      const r = await peer.next(1000);
      assert.ok(r !== null && (r.flags === RST || r.flags === (RST | ACK)), `an RST, got ${r && r.flags}`);
      assert.equal(r.seq, c.sndNxt, 'RST seq = SND.NXT (= SEG.ACK)');
      assert.equal(stateOf(host, c.hostPort, 80), null);
      assert.equal(host.counters.tcp.extTCPAbortOnData, 1);
    }));

  test('an orphan in FIN-WAIT-2 expires silently after finTimeoutMs (Linux tcp_fin_timeout)', () =>
    scenario(async ({ net, host, peer }) => {
      host.tcp.config.finTimeoutMs = 3000;
      const c = await peer.handshakeActive();
      await toFinWait1(host, peer, c, 'close');
      peer.sendAck(c);
      const t0 = net.now();
      assert.equal(stateOf(host, c.hostPort, 80), 'FIN-WAIT-2');
      await net.sleep(2999);
      assert.notEqual(stateOf(host, c.hostPort, 80), null, 'still there before the timeout');
      await peer.expectNone(t0 + 3001 - net.now(), 'the timeout sends nothing');
      assert.equal(stateOf(host, c.hostPort, 80), null);
    }));
});

describe('RFC 9293 state diagram: closing', () => {
  test('ESTABLISHED → FIN-WAIT-1 by shutdown(SHUT_WR): FIN sent, further writes fail with EPIPE', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakeActive();
      await peer.assertAlive(c, 'before shutdown');
      await toFinWait1(host, peer, c);
      assert.equal(tcpRow(host, `${HOST_IP}:${c.hostPort}`)[0]?.state, 'FIN-WAIT-1');
      await rejectsWith(host.sockets.send(c.fd, enc('late'), C.MSG_NOSIGNAL), 'EPIPE', 'send after SHUT_WR');
      host.sockets.shutdown(c.fd, C.SHUT_RDWR);
      peer.sendAck(c);
      assert.equal(stateOf(host, c.hostPort, 80), 'FIN-WAIT-2');
      await peer.expectNone(2000, 'a second shutdown sends no second FIN');
    }));

  test('ESTABLISHED → FIN-WAIT-1 by close(): FIN sent, the orphan stays in the table', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakePassive();
      await toFinWait1(host, peer, c, 'close');
      const row = tcpRow(host, `${HOST_IP}:7`, `${PEER_IP}:40000`)[0];
      assert.equal(row?.state, 'FIN-WAIT-1');
      assert.equal(row?.process, '', 'an orphan has no process');
    }));

  test('ESTABLISHED → CLOSE-WAIT: the peer FIN is ACKed and a blocked read() returns EOF', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const c = await peer.handshakeActive();
      const reading = api.read(c.fd, 100);
      await toCloseWait(host, peer, c);
      assert.equal((await reading).length, 0, 'EOF');
      assert.equal((await api.read(c.fd, 100)).length, 0, 'EOF again');
      assert.equal(tcpRow(host, `${HOST_IP}:${c.hostPort}`)[0]?.state, 'CLOSE-WAIT');
      // Half-close: sockstack may still send.
      await api.write(c.fd, enc('still here'));
      expectSeg(await peer.nextNonAck(c), { flags: ACK | PSH, seq: c.sndNxt, ack: c.rcvNxt, payload: enc('still here') });
    }));

  test('ESTABLISHED → CLOSE-WAIT: a FIN carrying data delivers the data, then EOF', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const c = await peer.handshakePassive();
      peer.sendData(c, enc('last words'), FIN);
      expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'ACK covers data and FIN');
      assert.equal(stateOf(host, 7, 40000), 'CLOSE-WAIT');
      assert.deepEqual(await api.read(c.fd, 100), enc('last words'));
      assert.equal((await api.read(c.fd, 100)).length, 0);
    }));

  test('a FIN beyond a hole is held until the hole fills (RFC 9293 §3.10.7.4 eighth: FIN at RCV.NXT only)', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const c = await peer.handshakeActive();
      peer.send({ seq: seqAdd(c.rcvNxt, 5), ack: c.sndNxt, flags: FIN | ACK | PSH, payload: enc('world') });
      const dup = expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'duplicate ACK for out-of-order data');
      assert.deepEqual(dup.options, {}, 'no SACK without SACK-permitted');
      assert.equal(stateOf(host, c.hostPort, 80), 'ESTABLISHED', 'the FIN is not processed yet');
      await rejectsWith(api.recv(c.fd, 100, C.MSG_DONTWAIT), 'EAGAIN');
      peer.send({ seq: c.rcvNxt, ack: c.sndNxt, flags: ACK | PSH, payload: enc('hello') });
      c.rcvNxt = seqAdd(c.rcvNxt, 11);
      expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'ACK of everything, FIN included');
      assert.equal(stateOf(host, c.hostPort, 80), 'CLOSE-WAIT');
      const got = [];
      for (;;) {
        const b = await api.read(c.fd, 100);
        if (b.length === 0) break;
        got.push(...b);
      }
      assert.deepEqual(Uint8Array.from(got), enc('helloworld'));
    }));

  test('FIN-WAIT-1 → FIN-WAIT-2: the ACK of our FIN; data still flows in', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const c = await peer.handshakeActive();
      await toFinWait1(host, peer, c);
      peer.sendAck(c);
      assert.equal(stateOf(host, c.hostPort, 80), 'FIN-WAIT-2');
      await peer.expectNone(3000, 'FIN-WAIT-2 is silent');
      peer.sendData(c, enc('half-closed'));
      assert.deepEqual(await api.read(c.fd, 100), enc('half-closed'));
      expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'ACK of data in FIN-WAIT-2');
    }));

  test('FIN-WAIT-1 stays until the FIN itself is acknowledged: an ACK of the data alone is not enough', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const c = await peer.handshakeActive();
      const data = enc('tail data');
      await api.write(c.fd, data);
      api.shutdown(c.fd, C.SHUT_WR);
      // The data and the FIN, in one segment or two.
      const got = await peer.collect(100);
      const bytes = got.flatMap((g) => [...g.payload]);
      assert.deepEqual(Uint8Array.from(bytes), data);
      const last = got[got.length - 1]!;
      assert.ok(last.flags & FIN, 'the last segment carries FIN');
      assert.equal(seqAdd(last.seq, last.payload.length), seqAdd(c.sndNxt, data.length), 'the FIN follows the data');
      for (const g of got) assert.equal(g.ack, c.rcvNxt);
      c.sndNxt = seqAdd(c.sndNxt, data.length);
      peer.sendAck(c); // acks the data, not the FIN
      assert.equal(stateOf(host, c.hostPort, 80), 'FIN-WAIT-1');
      c.sndNxt = seqAdd(c.sndNxt, 1);
      peer.sendAck(c);
      assert.equal(stateOf(host, c.hostPort, 80), 'FIN-WAIT-2');
    }));

  test('FIN-WAIT-1 → CLOSING: the peer FIN crosses ours (it does not ACK our FIN)', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakeActive();
      const fin = await toFinWait1(host, peer, c);
      await peerFin(peer, c, fin); // acks up to our FIN, not the FIN itself
      assert.equal(stateOf(host, c.hostPort, 80), 'CLOSING');
      assert.equal(tcpRow(host, `${HOST_IP}:${c.hostPort}`)[0]?.state, 'CLOSING');
    }));

  test('CLOSING → TIME-WAIT: the ACK of our FIN', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakeActive();
      const fin = await toFinWait1(host, peer, c);
      await peerFin(peer, c, fin);
      assert.equal(stateOf(host, c.hostPort, 80), 'CLOSING');
      peer.sendAck(c);
      assert.equal(stateOf(host, c.hostPort, 80), 'TIME-WAIT');
      await peer.expectNone(3000, 'TIME-WAIT does not retransmit');
    }));

  test('FIN-WAIT-1 → TIME-WAIT: FIN and the ACK of our FIN in one segment', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const c = await peer.handshakeActive();
      await toFinWait1(host, peer, c);
      await peerFin(peer, c, c.sndNxt);
      assert.equal(stateOf(host, c.hostPort, 80), 'TIME-WAIT');
      assert.equal((await api.read(c.fd, 100)).length, 0, 'EOF to the half-closed socket');
    }));

  test('FIN-WAIT-2 → TIME-WAIT: the peer FIN after its ACK; the orphan shows as TIME-WAIT', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakeActive();
      await toFinWait1(host, peer, c, 'close');
      peer.sendAck(c);
      assert.equal(stateOf(host, c.hostPort, 80), 'FIN-WAIT-2');
      await peerFin(peer, c, c.sndNxt);
      assert.equal(stateOf(host, c.hostPort, 80), 'TIME-WAIT');
      const row = tcpRow(host, `${HOST_IP}:${c.hostPort}`)[0];
      assert.equal(row?.state, 'TIME-WAIT');
      assert.equal(row?.process, '');
    }));

  test('CLOSE-WAIT → LAST-ACK: close() sends our FIN', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakePassive();
      await toCloseWait(host, peer, c);
      await host.sockets.close(c.fd);
      expectSeg(await peer.next(1000), { flags: FIN | ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'FIN from CLOSE-WAIT');
      assert.equal(stateOf(host, 7, 40000), 'LAST-ACK');
      assert.equal(tcpRow(host, `${HOST_IP}:7`, `${PEER_IP}:40000`)[0]?.state, 'LAST-ACK');
    }));

  test('CLOSE-WAIT → LAST-ACK with data queued: data then FIN; LAST-ACK holds until the FIN is ACKed', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const c = await peer.handshakePassive();
      await toCloseWait(host, peer, c);
      const data = enc('goodbye');
      await api.write(c.fd, data);
      await api.close(c.fd);
      const got = await peer.collect(100);
      assert.deepEqual(Uint8Array.from(got.flatMap((g) => [...g.payload])), data);
      const last = got[got.length - 1]!;
      assert.ok(last.flags & FIN);
      assert.equal(seqAdd(last.seq, last.payload.length), seqAdd(c.sndNxt, data.length));
      assert.equal(stateOf(host, 7, 40000), 'LAST-ACK');
      c.sndNxt = seqAdd(c.sndNxt, data.length);
      peer.sendAck(c);
      assert.equal(stateOf(host, 7, 40000), 'LAST-ACK', 'the data is acked, the FIN is not');
      c.sndNxt = seqAdd(c.sndNxt, 1);
      peer.sendAck(c);
      assert.equal(stateOf(host, 7, 40000), null);
    }));

  test('LAST-ACK → CLOSED: the ACK of our FIN deletes the connection', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakePassive();
      await toCloseWait(host, peer, c);
      await host.sockets.close(c.fd);
      expectSeg(await peer.next(1000), { flags: FIN | ACK, seq: c.sndNxt, ack: c.rcvNxt });
      c.sndNxt = seqAdd(c.sndNxt, 1);
      peer.sendAck(c);
      assert.equal(stateOf(host, 7, 40000), null);
      assert.deepEqual(endpointStates(host), ['LISTEN 7>0']);
      await peer.expectNone(3000);
      await expectClosedTuple(peer, c);
    }));

  test('LAST-ACK and CLOSING: a retransmitted peer FIN is ACKed with SND.NXT past our FIN', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakePassive();
      await toCloseWait(host, peer, c);
      await host.sockets.close(c.fd);
      expectSeg(await peer.next(1000), { flags: FIN | ACK, seq: c.sndNxt, ack: c.rcvNxt });
      c.sndNxt = seqAdd(c.sndNxt, 1);
      peer.send({ seq: seqAdd(c.rcvNxt, -1), ack: seqAdd(c.sndNxt, -1), flags: FIN | ACK });
      expectSeg(await peer.next(150), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'ACK of the old FIN in LAST-ACK');
      assert.equal(stateOf(host, 7, 40000), 'LAST-ACK');
      peer.sendAck(c);
      assert.equal(stateOf(host, 7, 40000), null);

      const d = await peer.handshakeActive();
      const fin = await toFinWait1(host, peer, d);
      await peerFin(peer, d, fin);
      assert.equal(stateOf(host, d.hostPort, 80), 'CLOSING');
      peer.send({ seq: seqAdd(d.rcvNxt, -1), ack: fin, flags: FIN | ACK });
      expectSeg(await peer.next(150), { flags: ACK, seq: d.sndNxt, ack: d.rcvNxt }, 'ACK of the old FIN in CLOSING');
      assert.equal(stateOf(host, d.hostPort, 80), 'CLOSING');
    }));

  test('LAST-ACK: the FIN is retransmitted until ACKed', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakeActive();
      await toCloseWait(host, peer, c);
      await host.sockets.close(c.fd);
      const f1 = expectSeg(await peer.next(1000), { flags: FIN | ACK, seq: c.sndNxt, ack: c.rcvNxt });
      const f2 = expectSeg(await peer.next(5000), { flags: FIN | ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'retransmitted FIN');
      assert.ok(f2.at - f1.at >= 200, `RTO >= 200 ms (RFC 6298 / Linux floor), got ${f2.at - f1.at}`);
      c.sndNxt = seqAdd(c.sndNxt, 1);
      peer.sendAck(c);
      assert.equal(stateOf(host, c.hostPort, 80), null);
    }));
});

describe('RFC 9293 state diagram: TIME-WAIT lifetime', () => {
  /** Active close to TIME-WAIT; returns the virtual time at which TIME-WAIT began. */
  async function toTimeWait(host: Host, peer: ScriptedPeer, c: Conn, net: { now(): number }): Promise<number> {
    await toFinWait1(host, peer, c, 'close');
    peer.sendAck(c);
    peer.send({ seq: c.rcvNxt, ack: c.sndNxt, flags: FIN | ACK });
    const t0 = net.now();
    c.rcvNxt = seqAdd(c.rcvNxt, 1);
    expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt });
    assert.equal(stateOf(host, c.hostPort, 80), 'TIME-WAIT');
    return t0;
  }

  test('TIME-WAIT → CLOSED after 2MSL (timeWaitMs = 5 s); a retransmitted FIN is ACKed again and restarts the timer', () =>
    scenario(async ({ net, host, peer }) => {
      host.tcp.config.timeWaitMs = 5000;
      const c = await peer.handshakeActive();
      const t0 = await toTimeWait(host, peer, c, net);
      await net.sleep(t0 + 3000 - net.now());
      // The peer lost our ACK and retransmits its FIN (seq RCV.NXT-1): ACK it again (§3.10.7.4).
      peer.send({ seq: seqAdd(c.rcvNxt, -1), ack: c.sndNxt, flags: FIN | ACK });
      const t1 = net.now();
      expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'ACK of the retransmitted FIN');
      await net.sleep(t0 + 5001 - net.now());
      assert.equal(stateOf(host, c.hostPort, 80), 'TIME-WAIT', 'the 2MSL timer restarted at the retransmitted FIN');
      await net.sleep(t1 + 4999 - net.now());
      assert.equal(stateOf(host, c.hostPort, 80), 'TIME-WAIT');
      await net.sleep(2);
      assert.equal(stateOf(host, c.hostPort, 80), null, 'gone 2MSL after the last FIN');
      assert.equal(host.counters.tcp.extTW, 1);
      await peer.expectNone(1000, 'closing TIME-WAIT sends nothing');
    }));

  test('TIME-WAIT: an old SYN (below RCV.NXT) is answered by an ACK and opens nothing', () =>
    scenario(async ({ net, host, peer }) => {
      const c = await peer.handshakeActive();
      await toTimeWait(host, peer, c, net);
      peer.send({ seq: seqAdd(c.rcvNxt, -100), flags: SYN, options: { mss: 1460 } });
      expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'ACK from TIME-WAIT');
      assert.equal(stateOf(host, c.hostPort, 80), 'TIME-WAIT');
      await peer.expectNone(1000);
    }));

  test('TIME-WAIT → CLOSED after exactly 5 s (shortened 2MSL)', () =>
    scenario(async ({ net, host, peer }) => {
      host.tcp.config.timeWaitMs = 5000;
      const c = await peer.handshakeActive();
      const t0 = await toTimeWait(host, peer, c, net);
      await net.sleep(t0 + 4999 - net.now());
      assert.equal(stateOf(host, c.hostPort, 80), 'TIME-WAIT');
      await net.sleep(2);
      assert.equal(stateOf(host, c.hostPort, 80), null);
      await expectClosedTuple(peer, c);
    }));

  test('TIME-WAIT → CLOSED after the default 60 s', () =>
    scenario(async ({ net, host, peer }) => {
      assert.equal(host.tcp.config.timeWaitMs, 60_000);
      const c = await peer.handshakeActive();
      const t0 = await toTimeWait(host, peer, c, net);
      await net.sleep(t0 + 59_999 - net.now());
      assert.equal(stateOf(host, c.hostPort, 80), 'TIME-WAIT');
      await net.sleep(2);
      assert.equal(stateOf(host, c.hostPort, 80), null);
      assert.equal(host.counters.tcp.extTW, 1);
    }));
});

describe('RFC 9293 state diagram: failed opens', () => {
  test('SYN-SENT → CLOSED: RST with an acceptable ACK refuses the connection (ECONNREFUSED); other RSTs are dropped', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const fd = api.socket(C.AF_INET, C.SOCK_STREAM, 0);
      const connecting = api.connect(fd, { address: PEER_IP, port: 80 });
      const syn = expectSeg(await peer.next(1000), { flags: SYN });
      peer.peerPort = 80;
      peer.hostPort = syn.srcPort;
      // §3.10.7.3: an RST without ACK is dropped; so is an RST whose ACK is not acceptable.
      peer.send({ seq: 0, flags: RST });
      peer.send({ seq: 0, ack: seqAdd(syn.seq, 2), flags: RST | ACK });
      peer.send({ seq: 0, ack: syn.seq, flags: RST | ACK });
      assert.equal(stateOf(host, syn.srcPort, 80), 'SYN-SENT');
      assert.equal(peer.queue.length, 0, 'no reply to an RST');
      peer.send({ seq: 0, ack: seqAdd(syn.seq, 1), flags: RST | ACK });
      await rejectsWith(connecting, 'ECONNREFUSED', 'connect');
      assert.equal(stateOf(host, syn.srcPort, 80), null);
      assert.equal(host.counters.tcp.attemptFails, 1);
      await peer.expectNone(5000, 'no SYN retransmission after the refusal');
    }));

  test('SYN-SENT → CLOSED after synRetries: SYNs at 0, 1, 3, 7, 15, 31, 63 s, ETIMEDOUT at 127 s', () =>
    scenario(async ({ net, host, peer }) => {
      const api = host.sockets;
      assert.equal(host.tcp.config.synRetries, 6);
      const fd = api.socket(C.AF_INET, C.SOCK_STREAM, 0);
      const t0 = net.now();
      let failedAt = -1;
      const connecting = api.connect(fd, { address: PEER_IP, port: 80 }).then(
        () => 'connected',
        (e: { code?: string }) => {
          failedAt = net.now();
          return e.code;
        },
      );
      const syns = [];
      for (let i = 0; i < 7; i++) syns.push(expectSeg(await peer.next(70_000), { flags: SYN, ack: 0 }, `SYN #${i}`));
      assert.deepEqual(syns.map((s) => s.at - t0), [0, 1000, 3000, 7000, 15000, 31000, 63000], 'RTO doubles from 1 s (RFC 6298 §5.5)');
      for (const s of syns) {
        assert.equal(s.seq, syns[0]!.seq, 'every retransmission reuses the ISS');
        assert.deepEqual(s.options, { mss: 1460, sackPermitted: true, timestamp: { value: s.options.timestamp?.value, echo: 0 }, windowScale: 7 });
        // TSval is a millisecond clock (RFC 7323 §5.4): it moves with the retransmission times.
        assert.equal((s.options.timestamp!.value - syns[0]!.options.timestamp!.value) >>> 0, s.at - t0);
      }
      assert.equal(await connecting, 'ETIMEDOUT');
      assert.equal(failedAt - t0, 127_000, 'gives up one doubled RTO after the last SYN');
      assert.equal(stateOf(host, syns[0]!.srcPort, 80), null);
      assert.equal(host.counters.tcp.attemptFails, 1);
      assert.equal(host.counters.tcp.retransSegs, 6);
      assert.equal(peer.queue.length, 0);
    }));

  test('SYN-SENT → CLOSED with synRetries = 2: SYNs at 0, 1, 3 s, ETIMEDOUT at 7 s', () =>
    scenario(async ({ net, host, peer }) => {
      const api = host.sockets;
      host.tcp.config.synRetries = 2;
      const fd = api.socket(C.AF_INET, C.SOCK_STREAM, 0);
      const t0 = net.now();
      let failedAt = -1;
      const connecting = api.connect(fd, { address: PEER_IP, port: 80 }).then(
        () => 'connected',
        (e: { code?: string }) => {
          failedAt = net.now();
          return e.code;
        },
      );
      const times = [];
      for (let i = 0; i < 3; i++) times.push(expectSeg(await peer.next(10_000), { flags: SYN }).at - t0);
      assert.deepEqual(times, [0, 1000, 3000]);
      await peer.expectNone(10_000, 'no fourth SYN');
      assert.equal(await connecting, 'ETIMEDOUT');
      assert.equal(failedAt - t0, 7000);
    }));
});

describe('RFC 9293 §3.10.7.4: an RST with the exact sequence number resets every synchronized state', () => {
  test('ESTABLISHED: a blocked reader gets ECONNRESET, later writes EPIPE', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const c = await peer.handshakeActive();
      await peer.assertAlive(c, 'before');
      const reading = api.read(c.fd, 100);
      peer.send({ seq: c.rcvNxt, flags: RST });
      await rejectsWith(reading, 'ECONNRESET', 'read');
      assert.equal(stateOf(host, c.hostPort, 80), null);
      assert.equal(host.counters.tcp.estabResets, 1);
      assert.equal(host.counters.tcp.currEstab, 0);
      await rejectsWith(api.send(c.fd, enc('x'), C.MSG_NOSIGNAL), 'EPIPE', 'send after reset');
      await peer.expectNone(3000, 'no reply to an RST');
    }));

  test('ESTABLISHED: RST+ACK with the exact sequence number resets too', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakePassive();
      const reading = host.sockets.recv(c.fd, 100, 0);
      peer.send({ seq: c.rcvNxt, ack: c.sndNxt, flags: RST | ACK });
      await rejectsWith(reading, 'ECONNRESET', 'recv');
      assert.equal(stateOf(host, 7, 40000), null);
      assert.equal(stateOf(host, 7, 0), 'LISTEN');
    }));

  test('FIN-WAIT-1: a blocked reader gets ECONNRESET', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakeActive();
      await toFinWait1(host, peer, c);
      const reading = host.sockets.read(c.fd, 100);
      peer.send({ seq: c.rcvNxt, flags: RST });
      await rejectsWith(reading, 'ECONNRESET', 'read');
      assert.equal(stateOf(host, c.hostPort, 80), null);
      await peer.expectNone(3000, 'no FIN retransmission after the reset');
    }));

  test('FIN-WAIT-2: a blocked reader gets ECONNRESET', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakeActive();
      await toFinWait1(host, peer, c);
      peer.sendAck(c);
      assert.equal(stateOf(host, c.hostPort, 80), 'FIN-WAIT-2');
      const reading = host.sockets.read(c.fd, 100);
      peer.send({ seq: c.rcvNxt, ack: c.sndNxt, flags: RST | ACK });
      await rejectsWith(reading, 'ECONNRESET', 'read');
      assert.equal(stateOf(host, c.hostPort, 80), null);
    }));

  test('CLOSE-WAIT: the connection is deleted; Linux reports EPIPE (tcp_reset), read() keeps EOF', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const c = await peer.handshakeActive();
      await toCloseWait(host, peer, c);
      assert.equal((await api.read(c.fd, 100)).length, 0);
      const resets = host.counters.tcp.estabResets;
      peer.send({ seq: c.rcvNxt, flags: RST });
      assert.equal(stateOf(host, c.hostPort, 80), null);
      assert.equal(host.counters.tcp.estabResets, resets + 1, 'RFC 4022: CLOSE-WAIT → CLOSED is an establishment reset');
      assert.equal(api.getsockopt(c.fd, C.SOL_SOCKET, C.SO_ERROR), ERRNO_EPIPE, 'Linux tcp_reset: EPIPE in CLOSE-WAIT');
      await rejectsWith(api.send(c.fd, enc('x'), C.MSG_NOSIGNAL), 'EPIPE', 'send');
      assert.equal((await api.read(c.fd, 100)).length, 0, 'the FIN was received: still EOF');
      await peer.expectNone(2000);
    }));

  test('CLOSING: the connection is deleted (Linux sets ECONNRESET as the pending error)', () =>
    scenario(async ({ host, peer }) => {
      const api = host.sockets;
      const c = await peer.handshakeActive();
      const fin = await toFinWait1(host, peer, c);
      await peerFin(peer, c, fin);
      assert.equal(stateOf(host, c.hostPort, 80), 'CLOSING');
      peer.send({ seq: c.rcvNxt, flags: RST });
      assert.equal(stateOf(host, c.hostPort, 80), null);
      assert.equal(api.getsockopt(c.fd, C.SOL_SOCKET, C.SO_ERROR), ERRNO_ECONNRESET);
      await peer.expectNone(3000, 'no FIN retransmission after the reset');
    }));

  test('LAST-ACK: the orphan is deleted at once, its FIN is no longer retransmitted', () =>
    scenario(async ({ host, peer }) => {
      const c = await peer.handshakePassive();
      await toCloseWait(host, peer, c);
      await host.sockets.close(c.fd);
      expectSeg(await peer.next(1000), { flags: FIN | ACK, seq: c.sndNxt, ack: c.rcvNxt });
      assert.equal(stateOf(host, 7, 40000), 'LAST-ACK');
      peer.send({ seq: c.rcvNxt, flags: RST });
      assert.equal(stateOf(host, 7, 40000), null);
      await peer.expectNone(5000, 'no FIN retransmission after the reset');
    }));

  test('TIME-WAIT: RFC 9293 and Linux (tcp_rfc1337 = 0) delete it on an exact RST; an inexact RST is ignored', () =>
    scenario(async ({ host, peer }) => {
      // RFC 1337 suggests ignoring RST in TIME-WAIT (against TIME-WAIT assassination); RFC 9293
      // §3.10.7.4 says "enter the CLOSED state, delete the TCB", and Linux does so by default
      // (net.ipv4.tcp_rfc1337 = 0) when SEG.SEQ = RCV.NXT exactly. We follow RFC 9293 / Linux.
      const c = await peer.handshakeActive();
      await toFinWait1(host, peer, c, 'close');
      peer.sendAck(c);
      await peerFin(peer, c, c.sndNxt);
      assert.equal(stateOf(host, c.hostPort, 80), 'TIME-WAIT');
      peer.send({ seq: seqAdd(c.rcvNxt, 1), flags: RST });
      assert.equal(stateOf(host, c.hostPort, 80), 'TIME-WAIT', 'an RST that is not exactly RCV.NXT leaves TIME-WAIT alone');
      await peer.expectNone(1000, 'and is not answered');
      peer.send({ seq: c.rcvNxt, flags: RST });
      assert.equal(stateOf(host, c.hostPort, 80), null);
      await peer.expectNone(1000, 'no reply to the RST');
    }));
});

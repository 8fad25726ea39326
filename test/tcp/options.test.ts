/**
 * RFC 7323 window scaling and timestamps against a scripted peer: negotiation (both SYNs must
 * carry an option), Linux's option layout, scaled windows both ways, TSopt on every segment
 * with TS.Recent echoed, PAWS, RTT measurement from TSecr, and the tunables that turn them off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import { initialWscale } from '../../src/tcp/options.js';
import { defaultTcpConfig } from '../../src/tcp/config.js';
import { TCPI_OPT_SACK, TCPI_OPT_TIMESTAMPS, TCPI_OPT_WSCALE } from '../../src/socket/tcp-options.js';
import { Network } from '../../src/sim/network.js';
import { ACK, PEER_IP, PSH, SYN, ScriptedPeer, type Seg, enc, expectSeg, passiveOpen as passive, scenario, seqAdd } from './harness.js';
import type { Host } from '../../src/sim/host.js';

type Info = Record<string, number>;
const info = (host: Host, fd: number): Info => host.sockets.getsockopt(fd, C.IPPROTO_TCP, C.TCP_INFO) as unknown as Info;

test('initialWscale: the smallest shift that fits the largest window in 16 bits, at most 14 (tcp_select_initial_window)', () => {
  const cfg = defaultTcpConfig();
  assert.equal(initialWscale(cfg, 131072), 7, 'tcp_rmem[2] = 6 MiB -> 7, as Linux');
  cfg.rcvBufMax = 0;
  assert.equal(initialWscale(cfg, 65535), 0);
  assert.equal(initialWscale(cfg, 65536), 1);
  assert.equal(initialWscale(cfg, 131072), 2);
  assert.equal(initialWscale(cfg, 0xffff * 2 ** 5), 5);
  assert.equal(initialWscale(cfg, 0xffff * 2 ** 5 + 1), 6);
  assert.equal(initialWscale(cfg, 2 ** 40), 14, 'RFC 7323 §2.3: at most 14');
});

test('a SYN offering WS and TS gets a SYN-ACK with both in Linux layout; windows are scaled both ways; TSopt on every segment', () =>
  scenario(async ({ host, peer }) => {
    const { api, accepting, irs, iss, synack } = await passive(host, peer, { wscale: 5, ts: 1000 });
    assert.deepEqual(synack.options, { mss: 1460, timestamp: { value: synack.options.timestamp?.value, echo: 1000 }, windowScale: 7 });
    assert.equal(synack.dataOffset, 40);
    // The ACK's window, 100, means 100 << 5 = 3200 bytes (RFC 7323 §2.3).
    peer.send({ seq: irs + 1, ack: seqAdd(iss, 1), flags: ACK, window: 100, options: { timestamp: { value: 1010, echo: synack.options.timestamp!.value } } });
    const [fd] = await accepting;
    const i = info(host, fd);
    assert.equal(i.tcpi_options, TCPI_OPT_TIMESTAMPS | TCPI_OPT_WSCALE);
    assert.equal(i.tcpi_snd_wscale, 5);
    assert.equal(i.tcpi_rcv_wscale, 7);
    assert.equal(i.tcpi_snd_mss, 1448, '1460 less the 12 bytes of TSopt');
    await api.write(fd, new Uint8Array(5000));
    const a = expectSeg(await peer.next(100), { flags: ACK, seq: seqAdd(iss, 1), ack: irs + 1, len: 1448 });
    const b = expectSeg(await peer.next(100), { flags: ACK, seq: seqAdd(iss, 1449), ack: irs + 1, len: 1448 });
    // 3200 - 2896 = 304 bytes left: not a full segment, not half the largest window (SWS).
    await peer.expectNone(100, 'the scaled window (3200 bytes) is full');
    for (const s of [a, b]) {
      // Our 131072-byte buffer, >> 7 (RFC 7323 §2.3); TSecr = TS.Recent, the peer's last TSval.
      assert.equal(s.window, 1024);
      assert.equal(s.options.timestamp?.echo, 1010);
      assert.equal(s.dataOffset, 32, 'nop nop TS');
    }
    // The peer acknowledges with a larger scaled window: the rest goes out.
    peer.send({ seq: irs + 1, ack: seqAdd(iss, 2897), flags: ACK, window: 1000, options: { timestamp: { value: 1020, echo: b.options.timestamp!.value } } });
    const c1 = expectSeg(await peer.next(100), { flags: ACK, seq: seqAdd(iss, 2897), len: 1448 });
    // Nagle holds the 656-byte tail until c1 is acknowledged.
    peer.send({ seq: irs + 1, ack: seqAdd(iss, 4345), flags: ACK, window: 1000, options: { timestamp: { value: 1020, echo: c1.options.timestamp!.value } } });
    const c2 = expectSeg(await peer.next(100), { flags: ACK | PSH, seq: seqAdd(iss, 4345), len: 5000 - 4344 });
    for (const s of [c1, c2]) assert.equal(s.options.timestamp?.echo, 1020);
    // Data from the peer: the window we offer shrinks in 128-byte units, its right edge never moves left.
    let edge = seqAdd(irs + 1, 1024 * 128);
    let seq = irs + 1;
    for (let k = 0; k < 5; k++) {
      peer.send({ seq, ack: seqAdd(iss, 5001), flags: ACK | PSH, window: 1000, payload: new Uint8Array(1000), options: { timestamp: { value: 1030 + k, echo: 0 } } });
      seq += 1000;
      for (let s = await peer.next(100); s; s = await peer.next(100)) {
        const right = seqAdd(s.ack, s.window * 128);
        assert.ok(((right - edge) | 0) >= 0, `right edge ${right} moved left of ${edge}`);
        edge = right;
        assert.ok(s.options.timestamp !== undefined, 'TSopt on every segment');
        assert.ok(((s.ack + s.window * 128 - seq) | 0) <= 131072 + 127, 'never more than the buffer, bar rounding');
      }
    }
    assert.equal((await api.read(fd, 10_000)).length, 5000);
  }));

test('WS offered by one side only is not used: windows stay unscaled both ways (RFC 7323 §2.2)', async () => {
  // The peer offers WS and TS; sockstack's window scaling is off: TS alone is agreed.
  await scenario(async ({ host, peer }) => {
    host.tcp.config.windowScaling = false;
    const { accepting, irs, iss, synack } = await passive(host, peer, { wscale: 5, ts: 1 });
    assert.equal(synack.options.windowScale, undefined);
    assert.equal(synack.options.timestamp?.echo, 1);
    peer.send({ seq: irs + 1, ack: seqAdd(iss, 1), flags: ACK, window: 3000, options: { timestamp: { value: 2, echo: 0 } } });
    const [fd] = await accepting;
    assert.equal(info(host, fd).tcpi_options, TCPI_OPT_TIMESTAMPS);
    await host.sockets.write(fd, new Uint8Array(4000));
    const segs: Seg[] = [];
    for (let s = await peer.next(100); s; s = await peer.next(100)) segs.push(s);
    assert.deepEqual(segs.map((s) => s.payload.length), [1448, 1448], 'the peer window is 3000 bytes, not 3000 << 5');
    assert.equal(segs[0]!.window, 65535, 'our window field is unscaled, capped at 65535');
  });
  // sockstack offers WS (active open); the SYN-ACK carries none: no scaling either way.
  await scenario(async ({ host, peer }) => {
    const c = await peer.handshakeActive({ window: 2000 });
    const i = info(host, c.fd);
    assert.equal(i.tcpi_options, 0);
    assert.equal(i.tcpi_rcv_wscale, 0);
    await host.sockets.write(c.fd, new Uint8Array(3000));
    const segs: Seg[] = [];
    for (let s = await peer.next(100); s; s = await peer.next(100)) segs.push(s);
    assert.deepEqual(segs.map((s) => s.payload.length), [1460], 'the peer window is 2000 bytes');
    assert.equal(segs[0]!.window, 65535);
    assert.deepEqual(segs[0]!.options, {}, 'no TSopt without agreement');
  });
});

test('active open: the SYN-ACK agrees both; the ACK of the SYN-ACK echoes its TSval and carries a scaled window', () =>
  scenario(async ({ host, peer }) => {
    const api = host.sockets;
    const fd = api.socket(C.AF_INET, C.SOCK_STREAM, 0);
    const connecting = api.connect(fd, { address: PEER_IP, port: 80 });
    const syn = expectSeg(await peer.next(1000), { flags: SYN, ack: 0, window: 65535 });
    assert.deepEqual(syn.options, { mss: 1460, sackPermitted: true, timestamp: { value: syn.options.timestamp?.value, echo: 0 }, windowScale: 7 });
    peer.peerPort = 80;
    peer.hostPort = syn.srcPort;
    peer.send({ seq: 9000, ack: seqAdd(syn.seq, 1), flags: SYN | ACK, window: 65535, options: { mss: 1460, windowScale: 2, timestamp: { value: 77, echo: syn.options.timestamp!.value } } });
    await connecting;
    const ack = expectSeg(await peer.next(100), { flags: ACK, seq: seqAdd(syn.seq, 1), ack: 9001, window: 1024 });
    assert.equal(ack.options.timestamp?.echo, 77);
    assert.ok(((ack.options.timestamp!.value - syn.options.timestamp!.value) | 0) >= 0, 'TSval never goes back');
    const i = info(host, fd);
    assert.equal(i.tcpi_snd_wscale, 2);
    assert.equal(i.tcpi_rcv_wscale, 7);
  }));

test('PAWS: a segment with a TSval older than TS.Recent is dropped and acknowledged; after 24 idle days it is accepted (RFC 7323 §5.3, §5.5)', async () => {
  const net = new Network({ seed: 1, runLimitMs: 30 * 24 * 3600 * 1000 });
  const peer = new ScriptedPeer(net);
  const host = peer.host;
  await net.run(async () => {
    const { api, accepting, irs, iss } = await passive(host, peer, { wscale: 7, ts: 5000 });
    peer.send({ seq: irs + 1, ack: seqAdd(iss, 1), flags: ACK, window: 1000, options: { timestamp: { value: 5010, echo: 0 } } });
    const [fd] = await accepting;
    peer.send({ seq: irs + 1, ack: seqAdd(iss, 1), flags: ACK | PSH, window: 1000, payload: enc('new'), options: { timestamp: { value: 6000, echo: 0 } } });
    const a1 = expectSeg(await peer.next(100), { flags: ACK, ack: irs + 4 });
    assert.equal(a1.options.timestamp?.echo, 6000, 'TS.Recent follows the peer');
    // An old duplicate from an earlier incarnation: its TSval lies before TS.Recent.
    peer.send({ seq: irs + 4, ack: seqAdd(iss, 1), flags: ACK | PSH, window: 1000, payload: enc('old'), options: { timestamp: { value: 5999, echo: 0 } } });
    const dup = expectSeg(await peer.next(10), { flags: ACK, ack: irs + 4 }, 'duplicate ACK for the PAWS drop');
    assert.equal(dup.options.timestamp?.echo, 6000, 'TS.Recent unchanged');
    assert.deepEqual(await api.recv(fd, 100, C.MSG_DONTWAIT), enc('new'), 'the old segment was not accepted');
    // An RST is never dropped by PAWS: it is judged on its sequence number (here: in window, not exact -> challenge ACK).
    peer.send({ seq: irs + 10, flags: 0x04, window: 0, options: { timestamp: { value: 1, echo: 0 } } });
    expectSeg(await peer.next(10), { flags: ACK, ack: irs + 4 }, 'challenge ACK');
    // 25 days of silence: TS.Recent is no longer valid; the old TSval is accepted and becomes TS.Recent.
    await net.sleep(25 * 24 * 3600 * 1000);
    peer.send({ seq: irs + 4, ack: seqAdd(iss, 1), flags: ACK | PSH, window: 1000, payload: enc('late'), options: { timestamp: { value: 5999, echo: 0 } } });
    const a2 = expectSeg(await peer.next(100), { flags: ACK, ack: irs + 8 });
    assert.equal(a2.options.timestamp?.echo, 5999);
    assert.deepEqual(await api.recv(fd, 100, C.MSG_DONTWAIT), enc('late'));
  });
  peer.assertClean();
});

test('RTTM: an ACK of a retransmitted segment gives an RTT sample from its TSecr (RFC 7323 §4.1; Karn does not apply)', async () => {
  for (const echoFirst of [false, true]) {
    await scenario(async ({ net, host, peer }) => {
      const { accepting, irs, iss, synack } = await passive(host, peer, { ts: 1 });
      // Handshake RTT 0 ms: SRTT 0, RTO at its 200 ms floor.
      peer.send({ seq: irs + 1, ack: seqAdd(iss, 1), flags: ACK, window: 65535, options: { timestamp: { value: 2, echo: synack.options.timestamp!.value } } });
      const [fd] = await accepting;
      assert.equal(info(host, fd).tcpi_rtt, 0);
      await host.sockets.write(fd, enc('ping'));
      const first = expectSeg(await peer.next(10), { flags: ACK | PSH, len: 4 });
      const again = expectSeg(await peer.next(1000), { flags: ACK | PSH, len: 4 }, 'retransmission');
      assert.equal(again.at - first.at, 200);
      assert.equal(info(host, fd).tcpi_backoff, 1);
      await net.sleep(30);
      const echo = echoFirst ? first.options.timestamp!.value : again.options.timestamp!.value;
      peer.send({ seq: irs + 1, ack: seqAdd(iss, 5), flags: ACK, window: 65535, options: { timestamp: { value: 3, echo } } });
      await net.sleep(1);
      const i = info(host, fd);
      // The sample is now - TSecr: 30 ms for the retransmission, 230 ms for the first send.
      // RFC 6298 §2.3 from SRTT 0, RTTVAR 0: SRTT = R / 8, RTTVAR = R / 4.
      const r = echoFirst ? 230 : 30;
      assert.equal(i.tcpi_rtt, (r / 8) * 1000);
      assert.equal(i.tcpi_rttvar, (r / 4) * 1000);
      assert.equal(i.tcpi_backoff, 0, 'a valid sample ends the backoff');
    });
  }
});

test('tcp_timestamps = 0, tcp_window_scaling = 0 and tcp_sack = 0: the SYN carries only MSS; a peer offering both gets only MSS back', () =>
  scenario(async ({ host, peer }) => {
    host.tcp.config.timestamps = false;
    host.tcp.config.windowScaling = false;
    host.tcp.config.sack = false;
    const api = host.sockets;
    const fd = api.socket(C.AF_INET, C.SOCK_STREAM | C.SOCK_NONBLOCK, 0);
    await assert.rejects(api.connect(fd, { address: PEER_IP, port: 80 }));
    const syn = expectSeg(await peer.next(1000), { flags: SYN, ack: 0 });
    assert.deepEqual(syn.options, { mss: 1460 });
    const { synack } = await passive(host, peer, { wscale: 7, ts: 100 });
    assert.deepEqual(synack.options, { mss: 1460 });
  }));

test('two sockstack hosts agree both; a 1 MiB buffer offers a window beyond 64 KiB', () => {
  const net = new Network({ seed: 3, link: { latency: 20 } });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  return net.run(async () => {
    const B = b.sockets;
    const l = B.socket(C.AF_INET, C.SOCK_STREAM, 0);
    B.setsockopt(l, C.SOL_SOCKET, C.SO_RCVBUF, 200_000);
    B.bind(l, { address: '0.0.0.0', port: 9 });
    B.listen(l, 1);
    const accepting = B.accept(l);
    const A = a.sockets;
    const c = A.socket(C.AF_INET, C.SOCK_STREAM, 0);
    await A.connect(c, { address: '10.0.0.2', port: 9 });
    const [s] = await accepting;
    for (const [h, fd] of [[a, c], [b, s]] as const) {
      const i = info(h, fd);
      assert.equal(i.tcpi_options, TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
      assert.equal(i.tcpi_rcv_wscale, 7);
      assert.equal(i.tcpi_snd_wscale, 7);
    }
    const ep = a.tcp.endpoints().find((e) => e.remotePort === 9)!;
    await A.write(c, new Uint8Array(10));
    await B.read(s, 10);
    await net.sleep(100);
    assert.ok(ep.sndWnd > 65535, `the peer's window ${ep.sndWnd} exceeds 64 KiB (SO_RCVBUF 200000, doubled)`);
    assert.ok(ep.rtt.srtt >= 40, `RTT at least the 40 ms path, got ${ep.rtt.srtt}`);
  });
});

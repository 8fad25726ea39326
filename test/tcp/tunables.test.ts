/**
 * The tunables a packetdrill script can set (src/packetdrill/sysctl.ts) change what the host
 * visibly does on the wire, measured under virtual time against a scripted peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACK, PEER_IP, SYN, enc, expectSeg, scenario, seqAdd, type Seg } from './harness.js';
import { applyProfile, applySysctl } from '../../src/packetdrill/sysctl.js';
import { RttEstimator } from '../../src/tcp/rtt.js';
import * as C from '../../src/socket/constants.js';

const MSS = 1460;

/** The time from the peer's one-byte segment to sockstack's (delayed) ACK of it. */
async function ackDelay(profile: 'linux' | 'freebsd' | null, line?: string): Promise<number> {
  let delay = -1;
  await scenario(async ({ net, host, peer }) => {
    if (profile) applyProfile(host, profile);
    if (line) assert.equal(applySysctl(host, line), 'ok');
    const c = await peer.handshakePassive();
    const t0 = net.now();
    peer.sendData(c, enc('x'));
    const ack = expectSeg(await peer.next(1000), { flags: ACK, seq: c.sndNxt, ack: c.rcvNxt }, 'ACK of one byte');
    delay = ack.at - t0;
  });
  return delay;
}

test('delayed ACK: 40 ms under the linux profile, 100 ms under freebsd, at once with delayed ACKs off', async () => {
  assert.equal(await ackDelay('linux'), 40);
  assert.equal(await ackDelay('freebsd'), 100);
  assert.equal(await ackDelay(null, 'sysctl -q sockstack.tcp_delack_ms=150'), 150);
  assert.equal(await ackDelay('freebsd', 'sysctl net.inet.tcp.delayed_ack=0'), 0);
});

test('initial receive window: the SYN-ACK offers sockstack.tcp_init_rcv_wnd, later ACKs the free buffer', () =>
  scenario(async ({ host, peer }) => {
    assert.equal(applySysctl(host, 'sysctl -q sockstack.tcp_init_rcv_wnd=14600'), 'ok');
    const lfd = peer.listen(7);
    const accepting = host.sockets.accept(lfd);
    peer.peerPort = 40000;
    peer.hostPort = 7;
    const irs = 5000;
    peer.send({ seq: irs, flags: SYN, options: { mss: MSS } });
    const synack = expectSeg(await peer.next(1000), { flags: SYN | ACK, ack: irs + 1, window: 14600 }, 'SYN-ACK');
    peer.send({ seq: irs + 1, ack: seqAdd(synack.seq, 1), flags: ACK });
    await accepting;
    peer.send({ seq: irs + 1, ack: seqAdd(synack.seq, 1), flags: ACK, payload: enc('hello') });
    const ack = expectSeg(await peer.next(1000), { flags: ACK, ack: irs + 6 }, 'ACK of data');
    assert.equal(ack.window, 65535, 'after the SYN the window is the free buffer space again (131067, capped)');
  }));

test('tcp_rmem / tcp_wmem: the middle values are the buffers of new sockets; the SYN window follows', () =>
  scenario(async ({ host, peer }) => {
    assert.equal(applySysctl(host, 'sysctl -q net.ipv4.tcp_rmem="4096 20000 6291456" net.ipv4.tcp_wmem="4096 30000 4194304"'), 'ok');
    const api = host.sockets;
    const fd = api.socket(C.AF_INET, C.SOCK_STREAM, 0);
    assert.equal(api.getsockopt(fd, C.SOL_SOCKET, C.SO_RCVBUF), 20000);
    assert.equal(api.getsockopt(fd, C.SOL_SOCKET, C.SO_SNDBUF), 30000);
    const connecting = api.connect(fd, { address: PEER_IP, port: 80 });
    connecting.catch(() => {});
    expectSeg(await peer.next(1000), { flags: SYN, window: 20000 }, 'SYN offers the receive buffer');
    api.close(fd).catch(() => {});
  }));

test('tcp_syn_retries=2: two SYN retransmissions (1 s, 2 s), then ETIMEDOUT at 7 s', () =>
  scenario(async ({ net, host, peer }) => {
    assert.equal(applySysctl(host, 'sysctl -q net.ipv4.tcp_syn_retries=2'), 'ok');
    const api = host.sockets;
    const fd = api.socket(C.AF_INET, C.SOCK_STREAM, 0);
    let failedAt = -1;
    const outcome = api.connect(fd, { address: PEER_IP, port: 80 }).then(
      () => 'connected',
      (e: { code?: string }) => {
        failedAt = net.now();
        return e.code;
      },
    );
    const segs: Seg[] = await peer.collect(20_000);
    assert.deepEqual(segs.map((s) => s.flags), [SYN, SYN, SYN]);
    assert.deepEqual(segs.map((s) => s.at - segs[0]!.at), [0, 1000, 3000]);
    assert.equal(await outcome, 'ETIMEDOUT');
    assert.equal(failedAt - segs[0]!.at, 7000);
  }));

/** The retransmission timeout of the first data segment after a zero-RTT handshake. */
async function firstRto(line: string): Promise<number> {
  let rto = -1;
  await scenario(async ({ host, peer }) => {
    assert.equal(applySysctl(host, line), 'ok');
    const c = await peer.handshakeActive();
    await host.sockets.write(c.fd, enc('data'));
    const first = expectSeg(await peer.nextNonAck(c, 1000), { flags: ACK | 0x08, seq: c.sndNxt, len: 4 }, 'data');
    const again = expectSeg(await peer.nextNonAck(c, 5000), { flags: ACK | 0x08, seq: c.sndNxt, len: 4 }, 'retransmission');
    rto = again.at - first.at;
  });
  return rto;
}

test('RTO floor and slop: rexmit_min 30 ms alone, and with FreeBSD rexmit_slop 200 ms', async () => {
  assert.equal(await firstRto('sysctl -q net.ipv4.tcp_syn_retries=6'), 200, 'Linux floor');
  assert.equal(await firstRto('sysctl net.inet.tcp.rexmit_min=30 net.inet.tcp.rexmit_slop=0'), 30);
  assert.equal(await firstRto('sysctl net.inet.tcp.rexmit_min=30 net.inet.tcp.rexmit_slop=200'), 201, 'SRTT 0 + G 1 ms + slop');
  const r = new RttEstimator({ minRtoMs: 30, slopMs: 200 });
  r.sample(100);
  assert.equal(r.rto, 100 + 4 * 50 + 200, 'RFC 6298 RTO plus the slop');
});

/** Grows cwnd to ~30 segments, idles 5 s, then counts the segments of the next burst. */
async function burstAfterIdle(line: string, startMs = 10): Promise<number> {
  let n = -1;
  await scenario(async ({ net, host, peer }) => {
    assert.equal(applySysctl(host, line), 'ok');
    if (startMs > 0) await net.sleep(startMs);
    const c = await peer.handshakeActive();
    const api = host.sockets;
    await api.write(c.fd, new Uint8Array(20 * MSS));
    let sent = 0;
    while (sent < 20 * MSS) {
      const s = await peer.nextNonAck(c, 1000);
      assert.ok(s && s.payload.length > 0, 'data segment');
      sent += s.payload.length;
      c.sndNxt = seqAdd(c.sndNxt, s.payload.length);
      peer.sendAck(c); // one ACK per segment: slow start grows cwnd by one MSS each
    }
    await net.sleep(5000);
    await api.write(c.fd, new Uint8Array(40 * MSS));
    const burst = await peer.collect(10);
    n = burst.filter((s) => s.payload.length > 0).length;
  });
  return n;
}

test('tcp_slow_start_after_idle: on, an idle connection restarts from the initial window; off, it keeps cwnd', async () => {
  const restarted = await burstAfterIdle('sysctl -q net.ipv4.tcp_slow_start_after_idle=1');
  const kept = await burstAfterIdle('sysctl -q net.ipv4.tcp_slow_start_after_idle=0');
  assert.equal(restarted, 10, 'RFC 5681 §4.1 restart window = IW = 10 segments');
  assert.ok(kept >= 25, `cwnd kept after idle (${kept} segments)`);
});

test('idle restart also after data sent at virtual time 0', async () => {
  assert.equal(await burstAfterIdle('sysctl -q net.ipv4.tcp_slow_start_after_idle=1', 0), 10);
});

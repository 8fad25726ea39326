/**
 * Buffer auto-tuning (src/tcp/autotune.ts): receive-side dynamic right-sizing, send-buffer
 * growth, SO_RCVBUF / SO_SNDBUF locks and the host-wide memory bound. Scenario tests run a
 * long, fat path under virtual time (figures in virtual time are deterministic); unit tests
 * drive the functions on a bare endpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Network, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_RCVBUF, SO_SNDBUF, type Host,
} from '../../src/index.js';
import { POLLOUT } from '../../src/stack/events.js';
import { newCounters } from '../../src/stack/counters.js';
import { defaultTcpConfig } from '../../src/tcp/config.js';
import { TcpEndpoint } from '../../src/tcp/tcp-endpoint.js';
import { RttBounds } from '../../src/tcp/rtt.js';
import type { TcpLayer } from '../../src/tcp/tcp-layer.js';
import type { TcpRepr } from '../../src/wire/tcp.js';
import type { CongestionControl } from '../../src/tcp/congestion/congestion-control.js';
import {
  RCVBUF_LOCK, SNDBUF_LOCK, autotuneLock, autotuneOnData, autotuneOnRead, autotuneOnWrite, autotuneUncharge,
} from '../../src/tcp/autotune.js';

const KIB = 1024;
const MIB = 1024 * KIB;
/** The path of the issue: 100 Mbit/s, 100 ms round trip, a bottleneck queue of one BDP. */
const RATE = 100e6;
const RTT_MS = 100;
const BDP = (RATE / 8) * (RTT_MS / 1000);

interface Transfer {
  /** Goodput from the first byte sent to the last byte read, bits per virtual second. */
  goodput: number;
  /** Largest SO_RCVBUF the receiver reported while reading, and at the end. */
  maxRcvBuf: number;
  finalRcvBuf: number;
  /** Largest window the receiver offered, as the sender saw it (scaled). */
  maxOfferedWindow: number;
  maxSndBuf: number;
  /** Host-wide auto-tuning charge during and after the transfer. */
  maxTuneMem: { a: number; b: number };
  afterClose: { a: number; b: number };
  counters: { a: Host['counters']['tcp']; b: Host['counters']['tcp'] };
}

interface TransferOptions {
  bytes: number;
  /** SO_RCVBUF on the receiver's listener (inherited by the accepted socket). */
  rcvbuf?: number;
  /** SO_SNDBUF on the sender. */
  sndbuf?: number;
  /** Tunables changed on both hosts before connecting. */
  config?: Partial<Host['tcp']['config']>;
}

/** A pattern that differs per MiB, so a misplaced block is caught. */
const block = (i: number): Uint8Array => Uint8Array.from({ length: MIB }, (_, k) => (k * 7 + i * 13 + (k >> 10)) & 0xff);

/** Host a sends `bytes` to host b over the long, fat path; b reads in 256 KiB reads and checks every byte. */
async function transfer(o: TransferOptions): Promise<Transfer> {
  const net = new Network({ seed: 5, link: { latency: RTT_MS / 2, rate: RATE, queueLimit: BDP } });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  Object.assign(a.tcp.config, o.config ?? {});
  Object.assign(b.tcp.config, o.config ?? {});
  const blocks = [block(0), block(1), block(2)];
  let result: Transfer | undefined;
  await net.run(async () => {
    const S = b.sockets;
    const C = a.sockets;
    const l = S.socket(AF_INET, SOCK_STREAM, 0);
    if (o.rcvbuf) S.setsockopt(l, SOL_SOCKET, SO_RCVBUF, o.rcvbuf);
    S.bind(l, { address: '0.0.0.0', port: 5001 });
    S.listen(l, 4);
    const accepting = S.accept(l);
    const c = C.socket(AF_INET, SOCK_STREAM, 0);
    if (o.sndbuf) C.setsockopt(c, SOL_SOCKET, SO_SNDBUF, o.sndbuf);
    await C.connect(c, { address: '10.0.0.2', port: 5001 });
    const [s] = await accepting;
    const sender = a.tcp.endpoints().find((e) => e.remotePort === 5001)!;
    const start = net.now();
    let maxSndBuf = 0;
    const maxTuneMem = { a: 0, b: 0 };
    const writer = (async () => {
      for (let sent = 0; sent < o.bytes; ) {
        const blk = blocks[Math.floor(sent / MIB) % 3]!;
        const off = sent % MIB;
        sent += await C.send(c, blk.subarray(off, Math.min(MIB, off + o.bytes - sent)));
        maxSndBuf = Math.max(maxSndBuf, C.getsockopt(c, SOL_SOCKET, SO_SNDBUF) as number);
      }
      await C.close(c);
    })();
    let got = 0;
    let maxRcvBuf = 0;
    for (;;) {
      const d = await S.recv(s, 256 * KIB);
      if (d.length === 0) break;
      for (let i = 0; i < d.length; ) {
        // Compare run by run within a block (a byte loop over 30 MiB is cheap enough, but this is clearer on failure).
        const blk = blocks[Math.floor((got + i) / MIB) % 3]!;
        const off = (got + i) % MIB;
        const n = Math.min(d.length - i, MIB - off);
        if (Buffer.compare(d.subarray(i, i + n), blk.subarray(off, off + n)) !== 0) assert.fail(`stream corrupted in [${got + i}, ${got + i + n})`);
        i += n;
      }
      got += d.length;
      maxRcvBuf = Math.max(maxRcvBuf, S.getsockopt(s, SOL_SOCKET, SO_RCVBUF) as number);
      maxTuneMem.a = Math.max(maxTuneMem.a, a.tcp.tuneMem);
      maxTuneMem.b = Math.max(maxTuneMem.b, b.tcp.tuneMem);
    }
    const end = net.now();
    await writer;
    assert.equal(got, o.bytes, 'every byte arrived');
    const finalRcvBuf = S.getsockopt(s, SOL_SOCKET, SO_RCVBUF) as number;
    const maxOfferedWindow = sender.maxSndWnd;
    await S.close(s);
    await S.close(l);
    // Let both ends finish closing; the active closer's TIME-WAIT (60 s) ends too.
    await new Promise<void>((r) => net.scheduler.after(120_000, r));
    result = {
      goodput: (o.bytes * 8) / ((end - start) / 1000),
      maxRcvBuf,
      finalRcvBuf,
      maxOfferedWindow,
      maxSndBuf,
      maxTuneMem,
      afterClose: { a: a.tcp.tuneMem, b: b.tcp.tuneMem },
      counters: { a: { ...a.counters.tcp }, b: { ...b.counters.tcp } },
    };
  });
  return result!;
}

test('a default socket fills a long, fat pipe: the receive window grows far past 128 KiB, goodput far above a fixed SO_RCVBUF', async () => {
  const cfg = defaultTcpConfig();
  const auto = await transfer({ bytes: 30 * MIB });
  // The same path with the receive buffer fixed by SO_RCVBUF (64 KiB, doubled to 128 KiB as Linux).
  const fixed = await transfer({ bytes: 4 * MIB, rcvbuf: 64 * KIB });
  const mbit = (x: number): string => `${(x / 1e6).toFixed(1)} Mbit/s`;
  assert.equal(fixed.maxRcvBuf, 128 * KIB, 'SO_RCVBUF locks the receive buffer');
  assert.ok(fixed.goodput < 12e6, `a 128 KiB window over 100 ms caps goodput near 10 Mbit/s (got ${mbit(fixed.goodput)})`);
  assert.ok(auto.maxRcvBuf > 2 * BDP, `the receive buffer grew to ${auto.maxRcvBuf}, over twice the BDP`);
  assert.ok(auto.maxRcvBuf <= cfg.rcvBufMax, `never beyond rcvBufMax (${auto.maxRcvBuf})`);
  assert.ok(auto.maxOfferedWindow > 1 * MIB, `the window offered on the wire opened to ${auto.maxOfferedWindow} bytes (window scaling)`);
  assert.ok(auto.maxSndBuf > 1 * MIB && auto.maxSndBuf <= cfg.sndBufMax, `the send buffer grew to ${auto.maxSndBuf}, within sndBufMax`);
  assert.ok(auto.goodput > 4 * fixed.goodput, `auto-tuned ${mbit(auto.goodput)} vs fixed ${mbit(fixed.goodput)}`);
  assert.ok(auto.maxTuneMem.b > 0 && auto.maxTuneMem.a > 0, 'growth is charged to each host');
  assert.deepEqual(auto.afterClose, { a: 0, b: 0 }, 'released endpoints give their growth back');
  assert.equal(auto.counters.b.extTCPMemoryPressures, 0);
});

test('rcvBufMax and sndBufMax bound the growth; without timestamps the buffers still grow', async () => {
  const r = await transfer({ bytes: 8 * MIB, config: { rcvBufMax: 1 * MIB, sndBufMax: 768 * KIB, timestamps: false } });
  assert.equal(r.finalRcvBuf, 1 * MIB, 'grew to rcvBufMax exactly');
  assert.ok(r.maxRcvBuf <= 1 * MIB);
  assert.ok(r.maxSndBuf > 64 * KIB && r.maxSndBuf <= 768 * KIB, `send buffer ${r.maxSndBuf}`);
});

test('tcp_moderate_rcvbuf off: the receive buffer keeps its size', async () => {
  const r = await transfer({ bytes: 2 * MIB, config: { moderateRcvBuf: false } });
  assert.equal(r.maxRcvBuf, 128 * KIB);
});

test('SO_SNDBUF locks the send buffer; SO_RCVBUF on a listener locks its accepted sockets', async () => {
  const r = await transfer({ bytes: 2 * MIB, rcvbuf: 100_000, sndbuf: 50_000 });
  assert.equal(r.maxSndBuf, 100_000, 'SO_SNDBUF 50000 reads back doubled and never grows');
  assert.equal(r.maxRcvBuf, 200_000, 'inherited from the listener, locked');
  assert.deepEqual(r.maxTuneMem, { a: 0, b: 0 }, 'locked buffers charge nothing');
});

test('the host limit stops growth without failing anything, and counts memory pressure', async () => {
  const limit = 512 * KIB;
  const r = await transfer({ bytes: 8 * MIB, config: { memLimit: limit } });
  assert.ok(r.maxTuneMem.b <= limit && r.maxTuneMem.a <= limit, `charges ${JSON.stringify(r.maxTuneMem)} within ${limit}`);
  assert.ok(r.maxRcvBuf <= 128 * KIB + limit, `receive buffer ${r.maxRcvBuf} within the default plus the host's budget`);
  assert.ok(r.maxRcvBuf > 128 * KIB, 'it grew up to the limit');
  assert.ok(r.counters.b.extTCPMemoryPressures >= 1, 'the receiver hit the limit');
  assert.ok(r.counters.a.extTCPMemoryPressures >= 1, 'the sender hit the limit');
  assert.deepEqual(r.afterClose, { a: 0, b: 0 });
});

test('a send() blocked on a full buffer completes when SO_SNDBUF grows it', async () => {
  const net = new Network({ seed: 3, link: { latency: 1 } });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  await net.run(async () => {
    const S = b.sockets;
    const C = a.sockets;
    const l = S.socket(AF_INET, SOCK_STREAM, 0);
    S.bind(l, { address: '0.0.0.0', port: 7 });
    S.listen(l, 1);
    const accepting = S.accept(l);
    const c = C.socket(AF_INET, SOCK_STREAM, 0);
    await C.connect(c, { address: '10.0.0.2', port: 7 });
    const [s] = await accepting;
    // The peer reads nothing: 128 KiB fill its buffer, ours takes what auto-tuning gave it
    // while the window was open (at most twice that window); the rest of the send waits.
    const total = 128 * KIB + 300_000;
    let done = false;
    const sending = C.send(c, new Uint8Array(total)).then((n) => {
      done = true;
      return n;
    });
    await new Promise<void>((r) => net.scheduler.after(2000, r));
    assert.equal(done, false, 'blocked on the full buffer');
    const tuned = C.getsockopt(c, SOL_SOCKET, SO_SNDBUF) as number;
    assert.ok(tuned <= 256 * KIB, `grown at most to twice the peer's window (${tuned})`);
    await new Promise<void>((r) => net.scheduler.after(2000, r));
    assert.equal(C.getsockopt(c, SOL_SOCKET, SO_SNDBUF), tuned, 'a closed window does not grow the buffer');
    assert.equal(done, false);
    C.setsockopt(c, SOL_SOCKET, SO_SNDBUF, 212_992); // doubled: 425984 bytes
    assert.equal(await sending, total, 'the waiting send() woke and queued the rest');
    assert.equal(C.getsockopt(c, SOL_SOCKET, SO_SNDBUF), 425_984);
    await S.close(s);
    await C.close(c);
    await S.close(l);
  });
});

// ---- unit tests on a bare endpoint --------------------------------------------------------

interface Fake {
  t: TcpLayer;
  ep: TcpEndpoint;
  clock: { now: number };
}

/** An endpoint with window scale 7 and a 1460-byte MSS, on a stand-in layer with a settable clock. */
function fake(): Fake {
  const config = defaultTcpConfig();
  const clock = { now: 0 };
  const t = { config, counters: newCounters().tcp, scheduler: { now: () => clock.now }, tuneMem: 0, tunePressure: false, ccOf: (e: TcpEndpoint) => e.cc } as unknown as TcpLayer;
  const noop = (): void => {};
  const ep = new TcpEndpoint({ config, rttBounds: () => new RttBounds(), rtxTimerFired: noop, delackTimerFired: noop, slowTimerFired: noop });
  ep.advMss = 1460;
  ep.sndMss = 1448;
  ep.rcvMss = 1448;
  ep.rcvWscale = 7;
  return { t, ep, clock };
}

const withTs = (echo: number): TcpRepr => ({ options: { timestamp: { value: 1, echo } } }) as unknown as TcpRepr;

test('receiver RTT from timestamps: one sample per TSecr, full-sized segments only, smoothed with gain 1/8', () => {
  const { t, ep, clock } = fake();
  ep.tsOk = true;
  ep.tsOffset = 0;
  clock.now = 1000;
  autotuneOnData(t, ep, withTs(900), 1448);
  assert.equal(ep.tune!.rcvRtt, 100);
  clock.now = 1050;
  autotuneOnData(t, ep, withTs(900), 1448); // the same echo again: no new sample
  assert.equal(ep.tune!.rcvRtt, 100);
  clock.now = 1180;
  autotuneOnData(t, ep, withTs(1000), 500); // short: may have waited on the sender's application
  assert.equal(ep.tune!.rcvRtt, 100);
  autotuneOnData(t, ep, withTs(1000), 1448); // its echo was taken by the short one
  assert.equal(ep.tune!.rcvRtt, 100);
  autotuneOnData(t, ep, withTs(1001), 1448);
  assert.equal(ep.tune!.rcvRtt, 100 + (179 - 100) / 8);
});

test('receiver RTT without timestamps: the time one advertised window takes to arrive, the minimum kept', () => {
  const { t, ep, clock } = fake();
  const none = { options: {} } as unknown as TcpRepr;
  ep.rcvNxt = 1000;
  ep.rcvAdv = 1000 + 50_000;
  autotuneOnData(t, ep, none, 1448); // starts a measurement: ends past 51000
  clock.now = 60;
  ep.rcvNxt = 51_000;
  autotuneOnData(t, ep, none, 1448);
  assert.equal(ep.tune!.rcvRtt, 0, 'the right edge itself may arrive within a round trip');
  clock.now = 120;
  ep.rcvNxt = 51_001;
  ep.rcvAdv = 200_000;
  autotuneOnData(t, ep, none, 1448);
  assert.equal(ep.tune!.rcvRtt, 120);
  clock.now = 400;
  ep.rcvNxt = 200_001;
  autotuneOnData(t, ep, none, 1448);
  assert.equal(ep.tune!.rcvRtt, 120, 'a longer window (the sender was slow) does not raise it');
  clock.now = 490;
  ep.rcvNxt = 300_000;
  ep.rcvAdv = 300_000;
  autotuneOnData(t, ep, none, 1448);
  assert.equal(ep.tune!.rcvRtt, 90);
});

test('DRS: once per RTT, growth follows what the application read (Linux tcp_rcv_space_adjust), within rcvBufMax', () => {
  const { t, ep, clock } = fake();
  ep.rtt.sample(100); // no receiver sample: the connection's SRTT stands in
  autotuneOnRead(t, ep, 10_000); // starts: space = min(131072, 10 * 1460)
  assert.equal(ep.tune!.space, 14_600);
  clock.now = 99;
  autotuneOnRead(t, ep, 10_000);
  assert.equal(ep.recvBuf.capacity, 131_072, 'less than an RTT: nothing yet');
  clock.now = 100;
  autotuneOnRead(t, ep, 0);
  autotuneOnRead(t, ep, 1);
  // copied 20001 > 14600: win = 2 * 20001 + 16 * 1460, plus 2 * win * (20001 - 14600) / 14600: below 128 KiB.
  assert.equal(ep.recvBuf.capacity, 131_072);
  assert.equal(ep.tune!.space, 20_001);
  clock.now = 200;
  autotuneOnRead(t, ep, 20_000); // not more than the best RTT so far: no growth, space kept
  assert.equal(ep.tune!.space, 20_001);
  assert.equal(ep.recvBuf.capacity, 131_072);
  clock.now = 300;
  autotuneOnRead(t, ep, 60_000);
  const w = 2 * 60_000 + 16 * 1460;
  const want = Math.floor(w + (2 * w * (60_000 - 20_001)) / 20_001);
  assert.equal(ep.recvBuf.capacity, want);
  assert.equal(t.tuneMem, want - 131_072, 'the growth is charged to the host');
  clock.now = 400;
  autotuneOnRead(t, ep, 5 * MIB);
  assert.equal(ep.recvBuf.capacity, t.config.rcvBufMax, 'at most tcp_rmem[2]');
  assert.equal(t.tuneMem, t.config.rcvBufMax - 131_072);
  ep.released = true;
  autotuneUncharge(t, ep);
  assert.equal(t.tuneMem, 0);
  assert.equal(ep.tune, null);
});

test('DRS uses the receiver RTT when it has one, and stays within the window the scale can say', () => {
  const { t, ep, clock } = fake();
  ep.rtt.sample(1000);
  ep.tsOk = true;
  clock.now = 50;
  autotuneOnData(t, ep, withTs(10), 1448); // receiver RTT 40 ms
  autotuneOnRead(t, ep, 1);
  clock.now = 90;
  autotuneOnRead(t, ep, 500_000);
  assert.ok(ep.recvBuf.capacity > 131_072, 'adjusted after 40 ms, not the 1 s SRTT');
  const { t: t2, ep: unscaled, clock: c2 } = fake();
  unscaled.rcvWscale = 0; // no window scaling: 65535 is the most a window can say
  unscaled.rtt.sample(100);
  autotuneOnRead(t2, unscaled, 1);
  c2.now = 100;
  autotuneOnRead(t2, unscaled, 1 * MIB);
  assert.equal(unscaled.recvBuf.capacity, 131_072);
});

test('SO_RCVBUF lock and tcp_moderate_rcvbuf = 0 stop receive growth; a lock gives the charge back', () => {
  const { t, ep, clock } = fake();
  ep.rtt.sample(100);
  autotuneOnRead(t, ep, 1);
  clock.now = 100;
  autotuneOnRead(t, ep, 1 * MIB);
  const grown = ep.recvBuf.capacity;
  assert.ok(grown > 131_072 && t.tuneMem === grown - 131_072);
  autotuneLock(t, ep, RCVBUF_LOCK);
  assert.equal(t.tuneMem, 0);
  clock.now = 200;
  autotuneOnRead(t, ep, 4 * MIB);
  assert.equal(ep.recvBuf.capacity, grown, 'locked');
  const { t: t2, ep: ep2, clock: c2 } = fake();
  t2.config.moderateRcvBuf = false;
  ep2.rtt.sample(100);
  autotuneOnRead(t2, ep2, 1);
  c2.now = 100;
  autotuneOnRead(t2, ep2, 1 * MIB);
  assert.equal(ep2.recvBuf.capacity, 131_072);
});

test('send buffer: grows to twice min(cwnd, SND.WND) when it limits sending, wakes writers, within sndBufMax', () => {
  const { t, ep } = fake();
  const cc = { cwnd: 200_000 };
  ep.cc = cc as unknown as CongestionControl;
  ep.sndWnd = 300_000;
  ep.sendBuf.write(new Uint8Array(65_536));
  let woken = 0;
  ep.wait.add({ mask: POLLOUT, wake: () => void woken++ });
  autotuneOnWrite(t, ep);
  assert.equal(ep.sendBuf.capacity, 400_000);
  assert.equal(ep.sendBuf.length, 65_536, 'queued data stays');
  assert.equal(woken, 1, 'a writer waiting for room is woken');
  assert.equal(t.tuneMem, 400_000 - 65_536);
  ep.sendBuf.write(new Uint8Array(400_000 - 65_536));
  ep.sndWnd = 100_000; // now the peer's window is the limit
  autotuneOnWrite(t, ep);
  assert.equal(ep.sendBuf.capacity, 400_000, 'no growth when the windows, not the buffer, limit sending');
  cc.cwnd = 50 * MIB;
  ep.sndWnd = 50 * MIB;
  autotuneOnWrite(t, ep);
  assert.equal(ep.sendBuf.capacity, t.config.sndBufMax, 'at most tcp_wmem[2]');
  autotuneUncharge(t, ep); // TIME-WAIT: the send side's charge goes back, the endpoint lives on
  assert.equal(t.tuneMem, 0);
  assert.notEqual(ep.tune, null);
});

test('send buffer: SO_SNDBUF locks it', () => {
  const { t, ep } = fake();
  ep.cc = { cwnd: 1 * MIB } as unknown as CongestionControl;
  ep.sndWnd = 1 * MIB;
  ep.sendBuf.write(new Uint8Array(65_536));
  autotuneLock(t, ep, SNDBUF_LOCK);
  autotuneOnWrite(t, ep);
  assert.equal(ep.sendBuf.capacity, 65_536);
});

test('host budget: growth stops at memLimit, pressure is counted once per episode, released growth makes room again', () => {
  const { t, ep, clock } = fake();
  t.config.memLimit = 1_000_000;
  ep.rtt.sample(100);
  autotuneOnRead(t, ep, 1);
  clock.now = 100;
  autotuneOnRead(t, ep, 2 * MIB);
  assert.equal(ep.recvBuf.capacity, 131_072 + 1_000_000, 'granted up to the limit');
  assert.equal(t.tuneMem, 1_000_000);
  assert.equal(t.counters.extTCPMemoryPressures, 1);
  const other = fake();
  const ep2 = other.ep;
  ep2.cc = { cwnd: 1 * MIB } as unknown as CongestionControl;
  ep2.sndWnd = 1 * MIB;
  ep2.sendBuf.write(new Uint8Array(65_536));
  autotuneOnWrite(t, ep2); // same host, no room left
  assert.equal(ep2.sendBuf.capacity, 65_536, 'nothing fails: the buffer just does not grow');
  assert.equal(t.counters.extTCPMemoryPressures, 1, 'still the same episode');
  ep.released = true;
  autotuneUncharge(t, ep);
  assert.equal(t.tuneMem, 0);
  autotuneOnWrite(t, ep2);
  assert.equal(ep2.sendBuf.capacity, 65_536 + 1_000_000, 'room again once the first endpoint is released');
  assert.equal(t.tunePressure, true, 'cut short again: still under pressure');
  t.config.memLimit = 10 * MIB;
  autotuneOnWrite(t, ep2);
  assert.equal(ep2.sendBuf.capacity, 2 * MIB, 'a raised limit lets it grow');
  assert.equal(t.tunePressure, false, 'a request granted in full ends the episode');
  assert.equal(t.counters.extTCPMemoryPressures, 1);
});

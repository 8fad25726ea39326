/**
 * Property (the must-show test): over 500 seeds, two hosts exchange random data in both
 * directions at once across a segment whose impairments come from the seed (loss, reorder,
 * duplication, latency, jitter, sometimes a rate limit, sometimes an MTU below 1500), with
 * random write and read sizes, random socket options and random TCP tunables per host (SACK,
 * D-SACK, timestamps, window scaling, RACK-TLP, buffer auto-tuning, Reno or CUBIC: every
 * combination on and off). Each side writes its data, shuts down
 * its write side and reads to EOF; then both close. The bytes must arrive identical, the stream
 * must end once (no early EOF, no data after it), close must succeed, and once TIME-WAIT is
 * over neither host may hold a TCP endpoint, a TCP row in its socket table or any timer.
 *
 * Replay one seed: TCP_PROPERTY_SEED=17 node --import tsx --test test/tcp/property.test.ts
 * (TCP_PROPERTY_SEEDS=2000 runs seeds 1..2000; TCP_PROPERTY_VERBOSE=1 prints each run).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Network, Rng, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_RCVBUF, SO_SNDBUF, IPPROTO_TCP, TCP_NODELAY, TCP_MAXSEG, TCP_INFO, SHUT_WR,
  MSG_DONTWAIT, type Impairments, type SocketApi, type Host,
} from '../../src/index.js';
import { TcpState } from '../../src/tcp/state.js';
import { concat, describeEndpoints, sameBytes, tcpRows } from './helpers.js';

const KIB = 1024;

interface SideParams {
  /** Bytes this side sends. */
  size: number;
  nodelay: boolean;
  /** SO_RCVBUF / SO_SNDBUF values passed to setsockopt (0 = left at the default). */
  rcvbuf: number;
  sndbuf: number;
}

/** The TCP tunables a host runs with (issue 5: no option may cost correctness). */
interface StackParams {
  sack: boolean;
  dsack: boolean;
  timestamps: boolean;
  windowScaling: boolean;
  rack: boolean;
  moderateRcvBuf: boolean;
  congestionControl: string;
}

interface Params {
  seed: number;
  imp: Partial<Impairments>;
  a: SideParams;
  b: SideParams;
  timeWaitMs: number;
  stackA: StackParams;
  stackB: StackParams;
}

/**
 * Every option combination gets its share: a quarter of the seeds run everything on at both
 * ends, a quarter everything off, the rest a random mix per host (so negotiation sees one side
 * offering what the other does not). Drawn from a fork of its own, so the other parameters of
 * a seed are the same as before these options existed.
 */
function drawStack(seed: number, r: Rng): StackParams {
  const mode = seed % 4;
  const on = (): boolean => (mode === 0 ? true : mode === 1 ? false : r.chance(0.5));
  return {
    sack: on(),
    dsack: on(),
    timestamps: on(),
    windowScaling: on(),
    rack: on(),
    moderateRcvBuf: on(),
    congestionControl: mode === 0 ? 'cubic' : mode === 1 ? 'reno' : r.chance(0.5) ? 'cubic' : 'reno',
  };
}

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

/** Everything random about a run, drawn from the seed's own Rng. */
function draw(seed: number): Params {
  const r = new Rng(seed).fork('tcp-property');
  const imp: Partial<Impairments> = {
    loss: round(r.next() * 0.2),
    reorder: round(r.next() * 0.2),
    duplicate: round(r.next() * 0.1),
    latency: round(r.next() * 50, 1),
    jitter: round(r.next() * 20, 1),
  };
  if (r.chance(0.3)) {
    imp.rate = r.int(1, 100) * 1_000_000;
    imp.queueLimit = r.int(8, 256) * KIB;
  }
  if (r.chance(0.3)) imp.mtu = r.int(576, 1500);
  const side = (): SideParams => {
    // Uniform sizes almost never hit 0 or tiny streams: give those their own share.
    const pick = r.int(0, 9);
    const size = pick === 0 ? 0 : pick === 1 ? r.int(1, 100) : r.int(0, 200 * KIB);
    const smallBufs = r.chance(0.25);
    return {
      size,
      nodelay: r.chance(0.4),
      rcvbuf: smallBufs ? r.int(1, 16) * KIB : 0,
      sndbuf: smallBufs ? r.int(1, 16) * KIB : 0,
    };
  };
  const a = side();
  const b = side();
  // The default 60 s TIME-WAIT in every tenth seed; shorter ones elsewhere for speed.
  const timeWaitMs = seed % 10 === 0 ? 60_000 : r.int(500, 5000);
  const rs = new Rng(seed).fork('tcp-property-stack');
  return { seed, imp, a, b, timeWaitMs, stackA: drawStack(seed, rs), stackB: drawStack(seed, rs) };
}

function describeParams(p: Params): string {
  return `seed ${p.seed}: impairments ${JSON.stringify(p.imp)}, a ${JSON.stringify(p.a)}, b ${JSON.stringify(p.b)}, timeWaitMs ${p.timeWaitMs}, stack a ${JSON.stringify(p.stackA)}, stack b ${JSON.stringify(p.stackB)}`;
}

function setBufs(s: SocketApi, fd: number, p: SideParams): void {
  if (p.rcvbuf) s.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, p.rcvbuf);
  if (p.sndbuf) s.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, p.sndbuf);
}

/**
 * One side of the exchange: writes `out` in random pieces then SHUT_WR, while reading to EOF
 * in random pieces. Returns what it read.
 */
async function exchange(s: SocketApi, fd: number, out: Uint8Array, r: Rng, who: string): Promise<Uint8Array> {
  const wr = r.fork('write');
  const rd = r.fork('read');
  const writer = (async () => {
    let off = 0;
    while (off < out.length) {
      const n = Math.min(wr.int(1, 64 * KIB), out.length - off);
      const k = await s.send(fd, out.subarray(off, off + n));
      assert.equal(k, n, `${who}: a blocking send queues everything it is given`);
      off += n;
    }
    s.shutdown(fd, SHUT_WR);
  })();
  const reader = (async () => {
    const chunks: Uint8Array[] = [];
    for (;;) {
      const want = rd.int(1, 64 * KIB);
      const d = await s.recv(fd, want);
      assert.ok(d.length <= want, `${who}: recv returned ${d.length} bytes for a ${want}-byte read`);
      if (d.length === 0) break; // EOF
      chunks.push(d);
    }
    // EOF is sticky: a later read sees EOF again, never data or an error.
    const again = await s.recv(fd, 1024, MSG_DONTWAIT);
    assert.equal(again.length, 0, `${who}: data after EOF`);
    return concat(chunks);
  })();
  const [, got] = await Promise.all([writer, reader]);
  return got;
}

interface Outcome {
  /** Virtual ms from close() to the moment the hosts held no endpoint. */
  drainMs: number;
  virtualMs: number;
  segments: number;
  retransmits: number;
  /** TIME-WAIT ended early by an RST. */
  assassinated: boolean;
}

async function runSeed(p: Params): Promise<Outcome> {
  const net = new Network({ seed: p.seed, runLimitMs: 4 * 3_600_000 });
  const seg = net.segment('lan', p.imp);
  // ARP gives up after 3 unanswered requests (then connect() fails with EHOSTUNREACH, as on
  // Linux); at 20% loss each way that happens about once in 600 runs, so ask more often here.
  const neighbor = { probes: 12 };
  const a = net.host('a', { interfaces: [{ segment: seg, address: '10.0.0.1/24' }], neighbor });
  const b = net.host('b', { interfaces: [{ segment: seg, address: '10.0.0.2/24' }], neighbor });
  const mtu = p.imp.mtu ?? 1500;
  assert.equal(a.ip.interfaces[0]!.mtu, mtu, 'the host interface takes the segment MTU');
  for (const [h, st] of [[a, p.stackA], [b, p.stackB]] as const) {
    Object.assign(h.tcp.config, st);
    h.tcp.config.timeWaitMs = p.timeWaitMs;
    // Connection setup is not what this property is about: with 20% loss each way, 7 SYN
    // attempts all fail about once in 1300 runs; more retries keep that out of the picture.
    h.tcp.config.synRetries = 12;
    h.tcp.config.synAckRetries = 12;
  }
  const r = new Rng(p.seed).fork('tcp-property-io');
  const dataA = r.fork('data-a').fill(new Uint8Array(p.a.size));
  const dataB = r.fork('data-b').fill(new Uint8Array(p.b.size));
  let drainMs = 0;
  let assassinated = false;
  await net.run(async () => {
    const A = a.sockets;
    const B = b.sockets;
    const l = B.socket(AF_INET, SOCK_STREAM, 0);
    setBufs(B, l, p.b);
    B.bind(l, { address: '0.0.0.0', port: 5001 });
    B.listen(l, 8);
    const c = A.socket(AF_INET, SOCK_STREAM, 0);
    setBufs(A, c, p.a);
    if (p.a.nodelay) A.setsockopt(c, IPPROTO_TCP, TCP_NODELAY, 1);
    const accepting = B.accept(l);
    await A.connect(c, { address: '10.0.0.2', port: 5001 });
    const [s, peer] = await accepting;
    assert.equal(peer.address, '10.0.0.1');
    assert.deepEqual(A.getsockname(c), peer);
    await B.close(l);
    // Timestamps, when both offer them (RFC 7323), take 12 bytes of every segment, as in Linux.
    const ts = p.stackA.timestamps && p.stackB.timestamps;
    assert.equal(A.getsockopt(c, IPPROTO_TCP, TCP_MAXSEG), mtu - 40 - (ts ? 12 : 0), 'MSS from the segment MTU, less TSopt');
    const opts = (A.getsockopt(c, IPPROTO_TCP, TCP_INFO) as { tcpi_options: number }).tcpi_options;
    assert.equal(opts, (ts ? 1 : 0) | (p.stackA.sack && p.stackB.sack ? 2 : 0) | (p.stackA.windowScaling && p.stackB.windowScaling ? 4 : 0), 'tcpi_options: what both offered');
    if (p.b.nodelay) B.setsockopt(s, IPPROTO_TCP, TCP_NODELAY, 1);
    // Both directions at once.
    const [gotAtA, gotAtB] = await Promise.all([
      exchange(A, c, dataA, r.fork('io-a'), 'a'),
      exchange(B, s, dataB, r.fork('io-b'), 'b'),
    ]);
    sameBytes(gotAtB, dataA, 'a -> b');
    sameBytes(gotAtA, dataB, 'b -> a');
    await Promise.all([A.close(c), B.close(s)]);
    // Wait out TIME-WAIT, then for any LAST-ACK / CLOSING side still retransmitting its FIN.
    const closedAt = net.now();
    const rsts = (): number => a.counters.tcp.outRsts + b.counters.tcp.outRsts;
    const rstsAtClose = rsts();
    await net.sleep(p.timeWaitMs / 2);
    // Someone holds TIME-WAIT for its whole length, unless an RST ended it early: a stray
    // (duplicated or retransmitted) ACK reaching the LAST-ACK side after it closed draws an
    // RST, and an in-window RST kills TIME-WAIT on Linux (tcp_timewait_state_process, rfc1337=0).
    const tw = [...a.tcp.endpoints(), ...b.tcp.endpoints()].filter((e) => e.state === TcpState.TIME_WAIT);
    if (tw.length === 0) {
      assert.ok(rsts() > rstsAtClose, `no endpoint in TIME-WAIT halfway through it and no RST sent: a ${describeEndpoints(a)}; b ${describeEndpoints(b)}`);
      assassinated = true;
    }
    await net.sleep(p.timeWaitMs / 2 + 1);
    while (a.tcp.endpoints().length + b.tcp.endpoints().length > 0 && net.now() - closedAt < 3_600_000) await net.sleep(100);
    drainMs = net.now() - closedAt;
    for (const h of [a, b] as Host[]) {
      assert.equal(h.tcp.endpoints().length, 0, `${h.name} still holds TCP endpoints ${drainMs} ms after close: ${describeEndpoints(h)}`);
      assert.deepEqual(tcpRows(h), [], `${h.name}: TCP rows left in the socket table`);
      assert.equal(h.counters.tcp.currEstab, 0, `${h.name}: CurrEstab`);
      assert.equal(h.counters.tcp.inCsumErrors + h.counters.tcp.inErrs, 0, `${h.name}: bad segments`);
    }
    assert.equal(net.scheduler.size, 0, `timers still armed after every endpoint is gone`);
  });
  const segments = a.counters.tcp.outSegs + b.counters.tcp.outSegs;
  const retransmits = a.counters.tcp.retransSegs + b.counters.tcp.retransSegs;
  return { drainMs, virtualMs: net.now(), segments, retransmits, assassinated };
}

function seedsToRun(): number[] {
  const one = process.env.TCP_PROPERTY_SEED;
  if (one) return [Number(one)];
  const n = Number(process.env.TCP_PROPERTY_SEEDS ?? 500);
  return Array.from({ length: n }, (_, i) => i + 1);
}

describe('property: bulk transfer both ways over an impaired segment', () => {
  const seeds = seedsToRun();
  const batches: number[][] = [];
  for (let i = 0; i < seeds.length; i += 50) batches.push(seeds.slice(i, i + 50));
  for (const batch of batches) {
    it(`seeds ${batch[0]}..${batch[batch.length - 1]}: identical bytes, one EOF each, clean close, nothing left`, { timeout: 300_000 }, async (t) => {
      const failures: string[] = [];
      let maxDrain = 0;
      let segments = 0;
      let retransmits = 0;
      let assassinated = 0;
      for (const seed of batch) {
        const p = draw(seed);
        try {
          const o = await runSeed(p);
          maxDrain = Math.max(maxDrain, o.drainMs - p.timeWaitMs);
          segments += o.segments;
          retransmits += o.retransmits;
          if (o.assassinated) assassinated++;
          if (process.env.TCP_PROPERTY_VERBOSE) t.diagnostic(`${describeParams(p)} -> ${JSON.stringify(o)}`);
        } catch (e) {
          failures.push(`${describeParams(p)}\n    ${e instanceof Error ? e.message.split('\n').join('\n    ') : String(e)}`);
        }
      }
      t.diagnostic(`${segments} segments sent, ${retransmits} retransmitted; TIME-WAIT ended by an RST in ${assassinated} runs; longest wait past TIME-WAIT for the last endpoint: ${Math.round(maxDrain)} ms`);
      assert.equal(failures.length, 0, `${failures.length} of ${batch.length} seeds failed:\n${failures.join('\n')}`);
    });
  }
});

/**
 * Request/response latency: 64-byte ping-pong on one connection with TCP_NODELAY on both
 * ends; the figure is wall-clock microseconds per round trip (mean over the repetition).
 * Two topologies: `tcp-rr-latency` between two hosts on a virtual Ethernet segment (ARP, the
 * learning switch, TCP checksums computed and verified), and `tcp-rr-loopback` on one host
 * over 127.0.0.1, the peer's own topology (no link layer; checksums offloaded on loopback, as
 * Linux does).
 */
import * as net from 'node:net';
import { ss } from './lib/stack.js';
import type { Benchmark, BenchOptions, SideResults } from './lib/types.js';
import { alternate } from './lib/stats.js';
import { pair, connectPair, SERVER } from './lib/sockstack.js';
import { listen, closeServer } from './lib/node-peer.js';

const MSG = 64;

export type RrTopology = 'two-hosts' | 'loopback';

export async function sockstackRtt(n: number, topology: RrTopology = 'two-hosts'): Promise<{ us: number; segs: number }> {
  const { net: vnet, a, b } = pair();
  // On loopback both ends are host a: b stays idle on the segment.
  const sh = topology === 'loopback' ? a : b;
  const msg = new Uint8Array(MSG).fill(0x42);
  let ms = 0;
  const inSegs0 = sh.counters.tcp.inSegs;
  await vnet.run(async () => {
    const { cfd, sfd } = await connectPair(a, sh, 5001, topology === 'loopback' ? '127.0.0.1' : SERVER);
    const c = a.sockets;
    const s = sh.sockets;
    c.setsockopt(cfd, ss.IPPROTO_TCP, ss.TCP_NODELAY, 1);
    s.setsockopt(sfd, ss.IPPROTO_TCP, ss.TCP_NODELAY, 1);
    // Each side reads a whole message with one recv(MSG_WAITALL) into its buffer, as a C
    // request/response loop does.
    const sbuf = new Uint8Array(MSG);
    const cbuf = new Uint8Array(MSG);
    const echo = (async () => {
      while ((await s.recv(sfd, sbuf, ss.MSG_WAITALL)).length === MSG) await s.send(sfd, msg);
      await s.close(sfd);
    })();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      await c.send(cfd, msg);
      if ((await c.recv(cfd, cbuf, ss.MSG_WAITALL)).length !== MSG) throw new Error('sockstack rr: short reply');
    }
    ms = performance.now() - t0;
    await c.close(cfd);
    await echo;
  });
  // Segments the server's host received in the round (on loopback, the client's too: one host).
  return { us: (ms * 1000) / n, segs: sh.counters.tcp.inSegs - inSegs0 };
}

async function nodeRtt(n: number): Promise<number> {
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    let pending = 0;
    sock.on('data', (d: Buffer) => {
      pending += d.length;
      while (pending >= MSG) {
        pending -= MSG;
        sock.write(Buffer.alloc(MSG, 0x42));
      }
    });
    sock.on('error', () => undefined);
  });
  const port = await listen(server);
  const c = net.connect(port, '127.0.0.1');
  c.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    c.once('connect', resolve);
    c.once('error', reject);
  });
  const msg = Buffer.alloc(MSG, 0x42);
  let i = 0;
  let got = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    c.on('data', (d: Buffer) => {
      got += d.length;
      while (got >= MSG) {
        got -= MSG;
        if (++i === n) return resolve();
        c.write(msg);
      }
    });
    c.write(msg);
  });
  const ms = performance.now() - t0;
  c.destroy();
  await closeServer(server);
  return (ms * 1000) / n;
}

function rrBenchmark(name: string, topology: RrTopology, title: string, workloadNote: string): Benchmark {
  return {
    name,
    title,
    unit: 'µs/RTT',
    better: 'lower',
    peerName: 'Node net, 127.0.0.1, TCP_NODELAY',
    target: { kind: 'ratio', op: '<=', value: 0.2, text: "<= 0.2x Node net's" },
    timeoutMs: (m) => (m === 'full' ? 600_000 : 90_000),
    async run(o: BenchOptions): Promise<SideResults> {
      const n = o.mode === 'full' ? 50_000 : o.mode === 'quick' ? 10_000 : 200;
      // The warm-up round (rep -1) is three rounds of 50,000 round trips on both sides, each on
      // a new network or connection as the measured rounds are: V8 is still optimizing
      // sockstack's code for the first ~100,000, and re-optimizes it once when a second network
      // is made (the first round on a new network after one warm-up ran at 20 µs, the next at
      // 7.5, then 4.5-5). The rounds measure the steady state of both sides.
      const warmRounds = o.mode === 'smoke' ? 1 : 3;
      const warmN = o.mode === 'smoke' ? n : 50_000;
      const withWarmUp = (side: (k: number) => Promise<number>) => async (rep: number): Promise<number> => {
        if (rep >= 0) return side(n);
        for (let i = 0; i < warmRounds; i++) await side(warmN);
        return 0;
      };
      let segs = 0;
      const r = await alternate(
        o.reps,
        withWarmUp(async (k) => {
          const x = await sockstackRtt(k, topology);
          segs = x.segs;
          return x.us;
        }),
        withWarmUp(nodeRtt),
        (rep, s, p) => o.progress(`rep ${rep + 1}/${o.reps}: sockstack ${s.toFixed(2)} µs, node ${p?.toFixed(2)} µs`),
      );
      return {
        ...r,
        workload: { roundTripsPerRep: n, messageBytes: MSG, nodelay: true, topology: workloadNote },
        extra: { serverSegmentsReceivedLastRep: segs },
      };
    },
  };
}

export const rrLatency = rrBenchmark(
  'tcp-rr-latency',
  'two-hosts',
  'TCP request/response round trip (64 B ping-pong, one connection, two hosts on a virtual Ethernet)',
  'two hosts on one virtual Ethernet segment, MTU 1500, TCP checksums computed and verified',
);

export const rrLoopback = rrBenchmark(
  'tcp-rr-loopback',
  'loopback',
  'TCP request/response round trip (64 B ping-pong, one connection, one host over 127.0.0.1)',
  "one host over 127.0.0.1 as the peer (sockstack's loopback: no link layer, TCP checksums offloaded as on Linux's lo)",
);

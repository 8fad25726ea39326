/**
 * Request/response latency: 64-byte ping-pong on one connection with TCP_NODELAY on both
 * ends; the figure is wall-clock microseconds per round trip (mean over the repetition).
 */
import * as net from 'node:net';
import { ss } from './lib/stack.js';
import type { Benchmark, BenchOptions, SideResults } from './lib/types.js';
import { alternate } from './lib/stats.js';
import { pair, connectPair } from './lib/sockstack.js';
import { listen, closeServer } from './lib/node-peer.js';

const MSG = 64;

export async function sockstackRtt(n: number): Promise<{ us: number; segs: number }> {
  const { net: vnet, a, b } = pair();
  const msg = new Uint8Array(MSG).fill(0x42);
  let ms = 0;
  await vnet.run(async () => {
    const { cfd, sfd } = await connectPair(a, b, 5001);
    const c = a.sockets;
    const s = b.sockets;
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
  return { us: (ms * 1000) / n, segs: b.counters.tcp.inSegs };
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

export const rrLatency: Benchmark = {
  name: 'tcp-rr-latency',
  title: 'TCP request/response round trip (64 B ping-pong, one connection)',
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
        const x = await sockstackRtt(k);
        segs = x.segs;
        return x.us;
      }),
      withWarmUp(nodeRtt),
      (rep, s, p) => o.progress(`rep ${rep + 1}/${o.reps}: sockstack ${s.toFixed(2)} µs, node ${p?.toFixed(2)} µs`),
    );
    return {
      ...r,
      workload: { roundTripsPerRep: n, messageBytes: MSG, nodelay: true },
      extra: { serverSegmentsReceivedLastRep: segs },
    };
  },
};

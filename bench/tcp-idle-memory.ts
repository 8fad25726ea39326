/**
 * Memory per idle established TCP connection end: heap (after full GCs) and RSS grown by
 * opening n connections between two hosts, divided by 2n. Measured fresh (handshake only)
 * and again after one 64-byte request/reply on every connection. The peer is Node's `net`
 * (JS heap and RSS of the socket objects; the kernel's own socket memory is not in RSS),
 * at as many connections as the open-file limit allows.
 */
import * as net from 'node:net';
import { ss } from './lib/stack.js';
import type { Benchmark, BenchOptions, Mode, SideResults } from './lib/types.js';
import { summarize } from './lib/stats.js';
import { settle, type MemSample } from './lib/memory.js';
import { openMany, bufferStorage, FDS_PER_PROCESS } from './lib/many.js';
import { recvExactly } from './lib/sockstack.js';
import { listen, closeServer, openFileLimit } from './lib/node-peer.js';

const MSG = 64;
const FULL_N = 100_000;

interface PerEnd {
  heap: number;
  rss: number;
  /** ArrayBuffer backing stores (typed arrays over 64 bytes live outside the V8 heap). */
  arrayBuffers: number;
  heapAfterExchange: number;
  rssAfterExchange: number;
  arrayBuffersAfterExchange: number;
  bufferBytesIdle: number;
  bufferBytesAfterExchange: number;
  openMs: number;
}

const perEnd = (x: MemSample, y: MemSample, ends: number): { heap: number; rss: number; ab: number } => ({
  heap: (y.heapUsed - x.heapUsed) / ends,
  rss: (y.rss - x.rss) / ends,
  ab: (y.arrayBuffers - x.arrayBuffers) / ends,
});

/**
 * The figures per connection end from three samples: before opening (m0), with the connections
 * idle (m1) and after one exchange on each (m2); `buffers` are bytes of send/receive storage.
 */
function figures(m0: MemSample, m1: MemSample, m2: MemSample, ends: number, buffers: { idle: number; afterExchange: number }, openMs: number): PerEnd {
  const fresh = perEnd(m0, m1, ends);
  const used = perEnd(m0, m2, ends);
  return {
    heap: fresh.heap,
    rss: fresh.rss,
    arrayBuffers: fresh.ab,
    heapAfterExchange: used.heap,
    rssAfterExchange: used.rss,
    arrayBuffersAfterExchange: used.ab,
    bufferBytesIdle: buffers.idle / ends,
    bufferBytesAfterExchange: buffers.afterExchange / ends,
    openMs,
  };
}

async function sockstackMemory(n: number): Promise<PerEnd> {
  const vnet = new ss.Network({ seed: 1 });
  const a = vnet.host('a', '10.0.0.1/16');
  const b = vnet.host('b', '10.0.0.2/16');
  const msg = new Uint8Array(MSG).fill(0x42);
  return await vnet.run(async () => {
    const m0 = settle();
    const r = await openMany(a, b, n);
    if (r.opened !== n) throw new Error(`opened ${r.opened} of ${n}: ${r.stopped}`);
    const m1 = settle();
    const idleBuf = bufferStorage(a).bytes + bufferStorage(b).bytes;
    // One request/reply per connection, then idle again.
    for (const g of r.groups) {
      const work: Promise<unknown>[] = [];
      for (const fd of g.serverFds) work.push(recvExactly(g.server, fd, MSG).then(() => g.server.send(fd, msg)));
      for (const fd of g.clientFds) work.push(g.client.send(fd, msg).then(() => recvExactly(g.client, fd, MSG)));
      await Promise.all(work);
    }
    // Let delayed ACKs go out so nothing is left in flight.
    await vnet.sleep(1000);
    const m2 = settle();
    const afterBuf = bufferStorage(a).bytes + bufferStorage(b).bytes;
    if (a.counters.tcp.currEstab !== n || b.counters.tcp.currEstab !== n) throw new Error('connections lost during the run');
    return figures(m0, m1, m2, 2 * n, { idle: idleBuf, afterExchange: afterBuf }, r.ms);
  });
}

async function nodeMemory(n: number): Promise<PerEnd> {
  const msg = Buffer.alloc(MSG, 0x42);
  const serverSide: net.Socket[] = [];
  const m0 = settle();
  const server = net.createServer((s) => {
    serverSide.push(s);
    let got = 0;
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got === MSG) s.write(msg);
    });
    s.on('error', () => undefined);
  });
  const port = await listen(server, 4096);
  const clients: net.Socket[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i += 256) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(n, i + 256); j++) {
      const c = net.connect(port, '127.0.0.1');
      clients.push(c);
      batch.push(new Promise<void>((resolve, reject) => {
        c.once('connect', resolve);
        c.once('error', reject);
      }));
    }
    await Promise.all(batch);
  }
  while (serverSide.length < n) await new Promise((r) => setImmediate(r));
  const openMs = performance.now() - t0;
  const m1 = settle();
  await Promise.all(
    clients.map(
      (c) =>
        new Promise<void>((resolve) => {
          let got = 0;
          c.on('data', (d: Buffer) => {
            got += d.length;
            if (got === MSG) resolve();
          });
          c.write(msg);
        }),
    ),
  );
  await new Promise((r) => setTimeout(r, 100));
  const m2 = settle();
  // Wait until every handle is really closed, so none of this is still alive when the next
  // measurement takes its baseline.
  const closed = [...clients, ...serverSide].map((x) => new Promise<void>((r) => (x.closed ? r() : x.once('close', () => r()))));
  for (const c of clients) c.destroy();
  for (const s of serverSide) s.destroy();
  await Promise.all(closed);
  await closeServer(server);
  await new Promise((r) => setTimeout(r, 20));
  // Node's sockets keep their buffers in the kernel: none to count here.
  return figures(m0, m1, m2, 2 * n, { idle: 0, afterExchange: 0 }, openMs);
}

function size(mode: Mode): number {
  return mode === 'full' ? FULL_N : mode === 'quick' ? 20_000 : 400;
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

export const idleMemory: Benchmark = {
  name: 'tcp-idle-memory',
  title: 'Memory per idle established TCP connection end (heap after GC)',
  unit: 'B/end',
  better: 'lower',
  peerName: 'Node net, 127.0.0.1 (JS heap only; kernel socket memory not counted)',
  target: { kind: 'absolute', op: '<=', value: 1024, text: '<= 1 KiB heap per connection end' },
  nodeFlags: () => ['--max-old-space-size=8192'],
  timeoutMs: (m) => (m === 'full' ? 900_000 : 90_000),
  async run(o: BenchOptions): Promise<SideResults> {
    const n = size(o.mode);
    // The peer holds two descriptors per connection within RLIMIT_NOFILE (and some spare).
    const limit = openFileLimit();
    const nPeer = Math.max(1, Math.min(n, Math.floor((limit - 200) / 2)));
    const s: PerEnd[] = [];
    const p: PerEnd[] = [];
    // No warm-up round: memory does not need one, and the first figure is as valid as the rest.
    for (let r = 0; r < o.reps; r++) {
      s.push(await sockstackMemory(n));
      p.push(await nodeMemory(nPeer));
      const l = s[s.length - 1]!;
      o.progress(`rep ${r + 1}/${o.reps}: sockstack ${l.heap.toFixed(0)} B heap/end at ${n}, node ${p[p.length - 1]!.heap.toFixed(0)} B at ${nPeer}`);
    }
    const notes: string[] = [];
    if (n < FULL_N) notes.push(`scaled down: ${n.toLocaleString('en-US')} connections (the full run uses ${FULL_N.toLocaleString('en-US')})`);
    if (nPeer < n) notes.push(`Node net measured at ${nPeer.toLocaleString('en-US')} connections: RLIMIT_NOFILE is ${limit} and each connection takes two descriptors in this process`);
    notes.push(`sockstack connections are held by worker processes of ${FDS_PER_PROCESS} descriptors (their tables and listeners are included in the figure)`);
    return {
      sockstack: summarize(s.map((x) => x.heap)),
      peer: summarize(p.map((x) => x.heap)),
      workload: { connections: n, peerConnections: nPeer, idle: 'established, no data', afterExchange: '64 B request + 64 B reply, then idle' },
      extra: {
        sockstackRssPerEnd: mean(s.map((x) => x.rss)),
        sockstackArrayBuffersPerEnd: mean(s.map((x) => x.arrayBuffers)),
        sockstackHeapPerEndAfterExchange: mean(s.map((x) => x.heapAfterExchange)),
        sockstackArrayBuffersPerEndAfterExchange: mean(s.map((x) => x.arrayBuffersAfterExchange)),
        sockstackRssPerEndAfterExchange: mean(s.map((x) => x.rssAfterExchange)),
        sockstackBufferStoragePerEndIdle: mean(s.map((x) => x.bufferBytesIdle)),
        sockstackBufferStoragePerEndAfterExchange: mean(s.map((x) => x.bufferBytesAfterExchange)),
        sockstackOpenMs: mean(s.map((x) => x.openMs)),
        nodeRssPerEnd: mean(p.map((x) => x.rss)),
        nodeArrayBuffersPerEnd: mean(p.map((x) => x.arrayBuffers)),
        nodeHeapPerEndAfterExchange: mean(p.map((x) => x.heapAfterExchange)),
        nodeArrayBuffersPerEndAfterExchange: mean(p.map((x) => x.arrayBuffersAfterExchange)),
        nodeRssPerEndAfterExchange: mean(p.map((x) => x.rssAfterExchange)),
        nodeOpenMs: mean(p.map((x) => x.openMs)),
      },
      notes,
    };
  },
};

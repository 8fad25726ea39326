/**
 * Bulk TCP throughput: one connection, the client writes `total` bytes in 64 KiB send()s and
 * the server reads them with 64 KiB recv()s into one buffer, as a C reader's recv(fd, buf, len)
 * does (the peer reads into one buffer too, through `onread`). sockstack runs two hosts on one segment under
 * virtual time (the wall clock measures the CPU work); the peer is Node's `net` over the
 * kernel loopback with 64 KiB writes, in the same process.
 */
import * as net from 'node:net';
import { ss } from './lib/stack.js';
import type { Benchmark, BenchOptions, Mode, SideResults } from './lib/types.js';
import { alternate, summarize } from './lib/stats.js';
import { pair, connectPair } from './lib/sockstack.js';
import { listen, closeServer } from './lib/node-peer.js';

const CHUNK = 65536;

function totalBytes(mode: Mode): number {
  return mode === 'full' ? 256 << 20 : mode === 'quick' ? 96 << 20 : 1 << 20;
}

interface SockstackBulk {
  gbps: number;
  virtualMs: number;
  segments: number;
  retrans: number;
  csumErrors: number;
}

export async function sockstackBulk(total: number, mtu: number, offload: boolean): Promise<SockstackBulk> {
  const { net: vnet, a, b } = pair({ mtu, checksumOffload: offload });
  const chunk = new Uint8Array(CHUNK).fill(0x5a);
  const rbuf = new Uint8Array(CHUNK);
  let got = 0;
  let ms = 0;
  await vnet.run(async () => {
    const { cfd, sfd } = await connectPair(a, b, 5001);
    const c = a.sockets;
    const s = b.sockets;
    const t0 = performance.now();
    const reader = (async () => {
      for (;;) {
        // C's recv(fd, buf, len): the bytes land in the reader's buffer.
        const d = await s.recv(sfd, rbuf);
        if (d.length === 0) return;
        got += d.length;
      }
    })();
    for (let sent = 0; sent < total; sent += CHUNK) await c.send(cfd, chunk);
    c.shutdown(cfd, ss.SHUT_WR);
    await reader;
    ms = performance.now() - t0;
    await c.close(cfd);
    await s.close(sfd);
  });
  if (got !== total) throw new Error(`sockstack bulk: received ${got} of ${total} bytes`);
  const tc = b.counters.tcp;
  return { gbps: (got * 8) / ms / 1e6, virtualMs: vnet.now(), segments: tc.inSegs, retrans: a.counters.tcp.retransSegs, csumErrors: tc.inCsumErrors };
}

/**
 * The peer: the same transfer over Node's net on the kernel loopback. The reader is the
 * connecting side so it can read as sockstack's reader does, into one 64 KiB buffer
 * (net.connect's `onread`; a server's accepted socket has no such option); with `reader: 'data'`
 * it takes a new Buffer per 'data' event instead, Node's default (reported as a secondary
 * figure). The writer writes 64 KiB chunks, honouring backpressure.
 */
async function nodeBulk(total: number, reader: 'onread' | 'data' = 'onread'): Promise<number> {
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  let t0 = 0;
  const server = net.createServer((sock) => {
    sock.on('error', () => undefined);
    t0 = performance.now();
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        sent += CHUNK;
        if (!sock.write(chunk)) {
          sock.once('drain', pump);
          return;
        }
      }
      sock.end();
    };
    pump();
  });
  const port = await listen(server);
  let got = 0;
  const c =
    reader === 'onread'
      ? net.connect({
          port,
          host: '127.0.0.1',
          onread: {
            buffer: Buffer.alloc(CHUNK),
            callback: (n: number) => {
              got += n;
              return true;
            },
          },
        })
      : net.connect(port, '127.0.0.1').on('data', (d: Buffer) => {
          got += d.length;
        });
  await new Promise<void>((resolve, reject) => {
    c.once('end', () => resolve());
    c.once('error', reject);
  });
  const ms = performance.now() - t0;
  c.destroy();
  await closeServer(server);
  if (got !== total) throw new Error(`node bulk: received ${got} of ${total} bytes`);
  return (got * 8) / ms / 1e6;
}

function bulk(name: string, mtu: number, offload: boolean, target: Benchmark['target']): Benchmark {
  return {
    name,
    title: `TCP bulk, MTU ${mtu}, ${offload ? 'checksum offload' : 'checksums computed and checked'}`,
    unit: 'Gbit/s',
    better: 'higher',
    peerName: 'Node net, 127.0.0.1 (kernel loopback, MTU 65536, offload), 64 KiB writes',
    target,
    timeoutMs: (m) => (m === 'full' ? 600_000 : 90_000),
    async run(o: BenchOptions): Promise<SideResults> {
      const total = totalBytes(o.mode);
      // The warm-up round (rep -1) of a quick run moves what a full run's does, for both sides.
      const warm = o.mode === 'quick' ? totalBytes('full') : total;
      const last: SockstackBulk[] = [];
      const dataEvents: number[] = [];
      const r = await alternate(
        o.reps,
        async (rep) => {
          const x = await sockstackBulk(rep < 0 ? warm : total, mtu, offload);
          last.push(x);
          return x.gbps;
        },
        async (rep) => {
          // Node's default reader too, once per measured round, for the secondary figure.
          if (rep >= 0) dataEvents.push(await nodeBulk(total, 'data'));
          return nodeBulk(rep < 0 ? warm : total);
        },
        (rep, s, p) => o.progress(`rep ${rep + 1}/${o.reps}: sockstack ${s.toFixed(3)} Gbit/s, node ${p?.toFixed(3)} Gbit/s`),
      );
      const x = last[last.length - 1]!;
      const notes: string[] = [];
      // Virtual time the transfer took: what the simulated network would deliver in real time.
      const simGbps = x.virtualMs > 0 ? (total * 8) / x.virtualMs / 1e6 : Infinity;
      if (x.virtualMs > 0) {
        notes.push(
          `the transfer took ${(x.virtualMs / 1000).toFixed(1)} s of virtual time although the link has no latency (simulated goodput ${simGbps.toFixed(4)} Gbit/s): the connection sat waiting on its own timers (see bench/README.md); wall-clock throughput does not include that wait`,
        );
      }
      return {
        ...r,
        workload: { bytes: total, writeSize: CHUNK, readSize: CHUNK, mtu, checksumOffload: offload, latencyMs: 0 },
        extra: {
          virtualMs: x.virtualMs,
          simulatedGbps: Number.isFinite(simGbps) ? simGbps : null,
          segmentsReceived: x.segments,
          meanSegmentPayloadBytes: total / Math.max(1, x.segments),
          retransmittedSegments: x.retrans,
          receiverChecksumErrors: x.csumErrors,
          // The peer reading through 'data' events (a new Buffer per read) instead of onread.
          nodeDataEventsGbps: dataEvents.length > 0 ? summarize(dataEvents).median : null,
        },
        notes,
      };
    },
  };
}

export const bulk1500 = bulk('tcp-bulk-1500', 1500, false, { kind: 'ratio', op: '>=', value: 0.3, text: '>= 0.3x Node net' });
export const bulk65535 = bulk('tcp-bulk-65535', 65535, true, { kind: 'ratio', op: '>=', value: 1.0, text: '>= 1.0x Node net' });

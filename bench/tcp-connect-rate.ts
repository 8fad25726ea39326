/**
 * Connection rate: each of 64 workers loops connect, a 64-byte request, a 64-byte reply,
 * close (the client closes first and keeps TIME-WAIT, as an HTTP/1.1 client with
 * `Connection: close` would); the server reads the request, replies, reads EOF and closes.
 * Figure: completed connections per second of wall time.
 */
import * as net from 'node:net';
import type { SocketApi } from '../src/index.js';
import { ss } from './lib/stack.js';
import type { Benchmark, BenchOptions, SideResults } from './lib/types.js';
import { alternate } from './lib/stats.js';
import { pair, listenTcp, recvExactly, SERVER } from './lib/sockstack.js';
import { listen, closeServer } from './lib/node-peer.js';

const IN_FLIGHT = 64;
const MSG = 64;
const PORT = 80;

interface Outcome {
  rate: number;
  errors: number;
  timeWait: number;
}

export async function sockstackRate(total: number): Promise<Outcome> {
  const { net: vnet, a, b } = pair();
  const msg = new Uint8Array(MSG).fill(0x42);
  let ms = 0;
  let done = 0;
  let errors = 0;
  await vnet.run(async () => {
    const s = b.sockets;
    const c = a.sockets;
    const lfd = listenTcp(s, PORT, 1024);
    const serve = async (fd: number): Promise<void> => {
      try {
        await recvExactly(s, fd, MSG);
        await s.send(fd, msg);
        await s.recv(fd, MSG); // EOF
      } catch {
        errors++;
      }
      await s.close(fd);
    };
    let stopping = false;
    const acceptor = (async () => {
      while (!stopping) {
        const [fd] = await s.accept(lfd);
        void serve(fd);
      }
    })().catch(() => undefined); // close(lfd) ends the blocked accept with an error
    let started = 0;
    const one = async (api: SocketApi): Promise<void> => {
      const fd = api.socket(ss.AF_INET, ss.SOCK_STREAM, 0);
      try {
        await api.connect(fd, { address: SERVER, port: PORT });
        await api.send(fd, msg);
        if ((await recvExactly(api, fd, MSG)) !== MSG) errors++;
      } catch {
        errors++;
      }
      await api.close(fd);
      done++;
    };
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (started < total) {
          started++;
          await one(c);
        }
      }),
    );
    ms = performance.now() - t0;
    stopping = true;
    await s.close(lfd);
    await acceptor;
  });
  const timeWait = a.tcp.endpoints().filter((e) => e.stateName === 'TIME-WAIT').length;
  return { rate: (done / ms) * 1000, errors, timeWait };
}

async function nodeRate(total: number): Promise<Outcome> {
  const msg = Buffer.alloc(MSG, 0x42);
  let errors = 0;
  const server = net.createServer((sock) => {
    let got = 0;
    sock.on('data', (d: Buffer) => {
      got += d.length;
      if (got === MSG) sock.write(msg);
    });
    sock.on('end', () => sock.end());
    sock.on('error', () => errors++);
  });
  const port = await listen(server, 1024);
  let started = 0;
  let done = 0;
  const one = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      let got = 0;
      c.on('connect', () => c.write(msg));
      c.on('data', (d: Buffer) => {
        got += d.length;
        if (got === MSG) c.end();
      });
      c.on('error', () => errors++);
      c.on('close', () => {
        if (got !== MSG) errors++;
        done++;
        resolve();
      });
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (started < total) {
        started++;
        await one();
      }
    }),
  );
  const ms = performance.now() - t0;
  await closeServer(server);
  return { rate: (done / ms) * 1000, errors, timeWait: -1 };
}

export const connectRate: Benchmark = {
  name: 'tcp-connect-rate',
  title: 'TCP connection rate (connect, 64 B request + reply, close; 64 in flight)',
  unit: 'conn/s',
  better: 'higher',
  peerName: 'Node net, 127.0.0.1',
  target: { kind: 'ratio', op: '>=', value: 3, text: '>= 3x Node net' },
  timeoutMs: (m) => (m === 'full' ? 600_000 : 90_000),
  async run(o: BenchOptions): Promise<SideResults> {
    // One client address has 28,232 ephemeral ports per destination and every closed
    // connection holds its port in TIME-WAIT for 60 s (virtual time hardly moves here), so
    // a repetition stays below that on a fresh network.
    const total = o.mode === 'full' ? 20_000 : o.mode === 'quick' ? 6_000 : 200;
    let sErr = 0;
    let pErr = 0;
    let tw = 0;
    const r = await alternate(
      o.reps,
      async () => {
        const x = await sockstackRate(total);
        sErr += x.errors;
        tw = x.timeWait;
        return x.rate;
      },
      async () => {
        const x = await nodeRate(total);
        pErr += x.errors;
        return x.rate;
      },
      (rep, s, p) => o.progress(`rep ${rep + 1}/${o.reps}: sockstack ${s.toFixed(0)} conn/s, node ${p?.toFixed(0)} conn/s`),
    );
    const notes: string[] = [];
    if (sErr || pErr) notes.push(`failed exchanges: sockstack ${sErr}, node ${pErr}`);
    return {
      ...r,
      workload: { connectionsPerRep: total, inFlight: IN_FLIGHT, requestBytes: MSG, replyBytes: MSG, closer: 'client first' },
      extra: { sockstackErrors: sErr, nodeErrors: pErr, clientTimeWaitAfterRep: tw },
      notes,
    };
  },
};

/**
 * UDP datagrams per second: one sender, one receiver, at most 64 datagrams outstanding
 * (sent and not yet received: the sender waits for the receiver, so neither side's receive
 * queue overflows and nothing is lost). The figure is datagrams received per second.
 */
import * as dgram from 'node:dgram';
import { ss } from './lib/stack.js';
import type { Benchmark, BenchOptions, Mode, SideResults } from './lib/types.js';
import { alternate } from './lib/stats.js';
import { pair, SERVER } from './lib/sockstack.js';

const WINDOW = 64;
const PORT = 9000;

/** Lets the sender wait until the receiver has made room in the window. */
class Window {
  sent = 0;
  received = 0;
  private waiter: (() => void) | null = null;
  full(): boolean {
    return this.sent - this.received >= WINDOW;
  }
  wait(): Promise<void> {
    return new Promise((r) => (this.waiter = r));
  }
  got(): void {
    this.received++;
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w();
    }
  }
}

export async function sockstackPps(n: number, size: number): Promise<number> {
  const { net: vnet, a, b } = pair();
  const payload = new Uint8Array(size).fill(0x33);
  let ms = 0;
  await vnet.run(async () => {
    const s = b.sockets;
    const c = a.sockets;
    const rfd = s.socket(ss.AF_INET, ss.SOCK_DGRAM, 0);
    s.bind(rfd, { address: '0.0.0.0', port: PORT });
    const sfd = c.socket(ss.AF_INET, ss.SOCK_DGRAM, 0);
    const dst = { address: SERVER, port: PORT };
    const w = new Window();
    const t0 = performance.now();
    const receiver = (async () => {
      while (w.received < n) {
        const [d] = await s.recvfrom(rfd, 2048);
        if (d.length !== size) throw new Error(`sockstack udp: got ${d.length} bytes`);
        w.got();
      }
    })();
    while (w.sent < n) {
      if (w.full()) await w.wait();
      w.sent++;
      await c.sendto(sfd, payload, 0, dst);
    }
    await receiver;
    ms = performance.now() - t0;
    await c.close(sfd);
    await s.close(rfd);
  });
  return (n / ms) * 1000;
}

async function nodePps(n: number, size: number): Promise<number> {
  const rx = dgram.createSocket('udp4');
  const tx = dgram.createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  const port = rx.address().port;
  const payload = Buffer.alloc(size, 0x33);
  const w = new Window();
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (w.sent < n && !w.full()) {
        w.sent++;
        tx.send(payload, port, '127.0.0.1');
      }
    };
    rx.on('message', (m: Buffer) => {
      if (m.length !== size) reject(new Error(`node udp: got ${m.length} bytes`));
      w.got();
      if (w.received === n) resolve();
      else pump();
    });
    tx.on('error', reject);
    pump();
  });
  const ms = performance.now() - t0;
  await Promise.all([new Promise<void>((r) => rx.close(() => r())), new Promise<void>((r) => tx.close(() => r()))]);
  return (n / ms) * 1000;
}

function count(mode: Mode): number {
  return mode === 'full' ? 200_000 : mode === 'quick' ? 40_000 : 500;
}

function udp(size: number): Benchmark {
  return {
    name: `udp-pps-${size}`,
    title: `UDP datagrams per second, ${size} B payload (64 outstanding)`,
    unit: 'dgram/s',
    better: 'higher',
    peerName: 'Node dgram, 127.0.0.1',
    target: null,
    timeoutMs: (m) => (m === 'full' ? 600_000 : 60_000),
    async run(o: BenchOptions): Promise<SideResults> {
      const n = count(o.mode);
      const r = await alternate(
        o.reps,
        () => sockstackPps(n, size),
        () => nodePps(n, size),
        (rep, s, p) => o.progress(`rep ${rep + 1}/${o.reps}: sockstack ${s.toFixed(0)}/s, node ${p?.toFixed(0)}/s`),
      );
      return { ...r, workload: { datagramsPerRep: n, payloadBytes: size, window: WINDOW, mtu: 1500, checksums: 'computed and checked' } };
    },
  };
}

export const udp64 = udp(64);
export const udp1400 = udp(1400);

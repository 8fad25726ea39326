/**
 * Scale: 1,000,000 concurrent established TCP connections in one process (two hosts, one
 * Network), reporting the time to open them and the memory they hold. Full run only at
 * 10^6; quick and smoke runs open fewer and say so. Opening stops early, and the report says
 * where and why, if the heap nears its limit or the time budget runs out.
 */
import * as v8 from 'node:v8';
import * as os from 'node:os';
import { ss } from './lib/stack.js';
import type { Benchmark, BenchOptions, Mode, SideResults } from './lib/types.js';
import { summarize } from './lib/stats.js';
import { settle } from './lib/memory.js';
import { openMany, FDS_PER_PROCESS } from './lib/many.js';
import { openFileLimit } from './lib/node-peer.js';

const GOAL = 1_000_000;

function size(mode: Mode): number {
  return mode === 'full' ? GOAL : mode === 'quick' ? 100_000 : 2_000;
}

/** Heap for the child: most of the machine's memory (the stack needs ~2 KB per end; V8 needs room to collect). */
function heapMb(): number {
  return Math.max(2048, Math.floor((os.totalmem() / 2 ** 20) * 0.8));
}

export const scale: Benchmark = {
  name: 'tcp-scale',
  title: 'Concurrent established TCP connections in one process',
  unit: 'connections',
  better: 'higher',
  peerName: 'none (Node net is bounded by RLIMIT_NOFILE)',
  target: { kind: 'absolute', op: '>=', value: GOAL, text: '1,000,000 concurrent connections open' },
  nodeFlags: (m) => (m === 'smoke' ? [] : [`--max-old-space-size=${heapMb()}`]),
  timeoutMs: (m) => (m === 'full' ? 1_800_000 : 120_000),
  async run(o: BenchOptions): Promise<SideResults> {
    const n = size(o.mode);
    const budgetMs = o.mode === 'full' ? 1_200_000 : 60_000;
    const limit = v8.getHeapStatistics().heap_size_limit;
    const vnet = new ss.Network({ seed: 1 });
    const a = vnet.host('a', '10.0.0.1/16');
    const b = vnet.host('b', '10.0.0.2/16');
    const m0 = settle();
    const milestones: Array<{ connections: number; seconds: number; heapBytes: number }> = [];
    let nextMilestone = n / 10;
    const r = await vnet.run(() =>
      openMany(a, b, n, {
        onGroup(opened, ms) {
          if (opened >= nextMilestone || opened === n) {
            const heapBytes = process.memoryUsage().heapUsed;
            milestones.push({ connections: opened, seconds: ms / 1000, heapBytes });
            o.progress(`${opened.toLocaleString('en-US')} open after ${(ms / 1000).toFixed(1)} s, heap ${(heapBytes / 2 ** 30).toFixed(2)} GiB`, { opened });
            nextMilestone += n / 10;
          }
        },
        shouldStop(opened, ms) {
          const used = process.memoryUsage().heapUsed;
          if (used > limit * 0.85) return `heap at ${(used / 2 ** 30).toFixed(2)} GiB of its ${(limit / 2 ** 30).toFixed(2)} GiB limit after ${opened} connections`;
          if (ms > budgetMs) return `time budget of ${budgetMs / 1000} s spent after ${opened} connections`;
          return null;
        },
      }),
    );
    const m1 = settle();
    const estab = Math.min(a.counters.tcp.currEstab, b.counters.tcp.currEstab);
    const ends = 2 * r.opened;
    const notes: string[] = [];
    if (n < GOAL) notes.push(`scaled down: ${n.toLocaleString('en-US')} connections (the full run opens ${GOAL.toLocaleString('en-US')})`);
    if (r.stopped) notes.push(`stopped early: ${r.stopped}`);
    notes.push(
      `${r.processes} worker processes of up to ${FDS_PER_PROCESS} descriptors (sockstack's default RLIMIT_NOFILE is 1024; one process with 10^6 descriptors would pay a linear lowest-free-descriptor scan per socket)`,
    );
    notes.push(`no peer: this process may hold ${openFileLimit()} kernel descriptors (two per loopback connection)`);
    return {
      sockstack: summarize([estab]),
      peer: null,
      reached: estab >= GOAL,
      ...(n < GOAL ? { unjudged: `scaled down to ${n.toLocaleString('en-US')} connections` } : {}),
      workload: { connections: n, clientAddresses: 1, serverPorts: r.processes / 2, fdsPerProcess: FDS_PER_PROCESS, heapLimitBytes: limit },
      extra: {
        established: estab,
        openSeconds: r.ms / 1000,
        openPerSecond: (r.opened / r.ms) * 1000,
        heapBytes: m1.heapUsed - m0.heapUsed,
        rssBytes: m1.rss - m0.rss,
        heapPerEnd: (m1.heapUsed - m0.heapUsed) / ends,
        rssPerEnd: (m1.rss - m0.rss) / ends,
        processRssBytes: m1.rss,
        milestones,
      },
      notes,
    };
  },
};

/**
 * CPU profile of sockstack's side of a benchmark (no peer), summarized as the top functions
 * by self time and the top files:
 *   node --import tsx bench/profile.ts tcp-bulk-1500 [--top 20] [--keep FILE.cpuprofile] [--tsx]
 * Workloads: tcp-bulk-1500, tcp-bulk-65535, tcp-connect-rate, tcp-rr-latency, tcp-rr-loopback, udp-pps-64,
 * udp-pps-1400, tcp-open-1proc (N connections held by ONE process: the descriptor table),
 * tcp-idle-heap (a heap census per idle connection end, not a CPU profile). PROFILE_N sets N.
 * It profiles only the workload (not startup) through the in-process inspector; --keep
 * writes the .cpuprofile for Chrome DevTools / speedscope.
 */
import * as inspector from 'node:inspector/promises';
import { rmSync, writeFileSync } from 'node:fs';
import { buildStack } from './lib/build.js';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const WORKLOADS: Record<string, () => Promise<void>> = {
  'tcp-bulk-1500': async () => void (await (await import('./tcp-bulk.js')).sockstackBulk(256 << 20, 1500, false)),
  'tcp-bulk-65535': async () => void (await (await import('./tcp-bulk.js')).sockstackBulk(1024 << 20, 65535, true)),
  'tcp-connect-rate': async () => void (await (await import('./tcp-connect-rate.js')).sockstackRate(20_000)),
  'tcp-rr-latency': async () => void (await (await import('./tcp-rr-latency.js')).sockstackRtt(200_000)),
  'tcp-rr-loopback': async () => void (await (await import('./tcp-rr-latency.js')).sockstackRtt(200_000, 'loopback')),
  'udp-pps-64': async () => void (await (await import('./udp-pps.js')).sockstackPps(500_000, 64)),
  'udp-pps-1400': async () => void (await (await import('./udp-pps.js')).sockstackPps(500_000, 1400)),
  'tcp-idle-heap': async () => {
    // Not a CPU profile: a heap census of what one idle connection end holds.
    const { census, growth } = await import('./lib/heap-census.js');
    const { openMany } = await import('./lib/many.js');
    const { ss } = await import('./lib/stack.js');
    const n = Number(process.env.PROFILE_N ?? 5_000);
    const net = new ss.Network({ seed: 1 });
    const a = net.host('a', '10.0.0.1/16');
    const b = net.host('b', '10.0.0.2/16');
    const before = await census();
    await net.run(() => openMany(a, b, n));
    const after = await census();
    process.stderr.write(growth(before, after, 2 * n, 25).join('\n') + '\n');
  },
  'tcp-open-1proc': async () => {
    const { openOneProcess } = await import('./lib/one-process.js');
    const r = await openOneProcess(Number(process.env.PROFILE_N ?? 50_000));
    process.stderr.write(`opened ${r.opened} connections in one process in ${(r.ms / 1000).toFixed(1)} s\n`);
  },
};

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
}

function summarize(p: CpuProfile, top: number): string {
  const total = p.samples.length;
  const us = (p.endTime - p.startTime) / Math.max(1, total);
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const url = n.callFrame.url
      .replace(/^file:\/\//, '')
      .replace(resolve(here, '..') + '/', '')
      .replace(/^.*\/sockstack-bench-[^/]+\//, 'build/');
    // Lines are those of the compiled JavaScript (tsx's transform reports line 1 for everything).
    const line = n.callFrame.lineNumber > 0 ? `:${n.callFrame.lineNumber + 1}` : '';
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${url}${line}`.trim();
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
    const f = url || n.callFrame.functionName;
    byFile.set(f, (byFile.get(f) ?? 0) + hits);
  }
  const pct = (h: number): string => `${((100 * h) / total).toFixed(1).padStart(5)}%`;
  const lines = [`${total} samples, ${((total * us) / 1e6).toFixed(2)} s; self time by function:`];
  for (const [k, h] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(h)}  ${k}`);
  lines.push('self time by file:');
  for (const [k, h] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, Math.min(top, 12))) lines.push(`  ${pct(h)}  ${k}`);
  return lines.join('\n');
}

const argv = process.argv.slice(2);
const name = argv.find((a) => !a.startsWith('-') && !/^\d+$/.test(a)) ?? '';
const topArg = argv.indexOf('--top');
const top = topArg >= 0 ? Number(argv[topArg + 1]) : 20;
const keepArg = argv.indexOf('--keep');
const workload = WORKLOADS[name];
if (!workload) {
  process.stderr.write(`usage: node --import tsx bench/profile.ts WORKLOAD [--top N] [--keep FILE.cpuprofile] [--tsx]\nworkloads: ${Object.keys(WORKLOADS).join(', ')}\n`);
  process.exit(2);
}
// Measure the tsc build of src/, as the runner does (--tsx: the sources through tsx).
const build = argv.includes('--tsx') ? null : buildStack((m) => void process.stderr.write(m));
if (build?.url) process.env.SOCKSTACK_BENCH_BUILD = build.url;
// The temporary build goes even when the workload throws.
process.on('exit', () => {
  if (build?.dir) rmSync(build.dir, { recursive: true, force: true });
});
if (name === 'tcp-idle-heap') {
  await workload();
  process.exit(0);
}
// Profile only the workload (not module loading) with the in-process inspector.
const session = new inspector.Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
const t0 = performance.now();
await workload();
const ms = performance.now() - t0;
const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
session.disconnect();
if (keepArg >= 0) writeFileSync(resolve(argv[keepArg + 1]!), JSON.stringify(profile));
process.stdout.write(`profile of ${name} (${(ms / 1000).toFixed(2)} s, ${build?.url ? 'tsc build' : 'tsx'}):\n${summarize(profile, top)}\n`);

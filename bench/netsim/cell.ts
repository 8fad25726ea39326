/**
 * One cell of the table: a bulk transfer between two hosts over one simulated path, with
 * default sockets, measured at the receiving application over a steady-state interval of
 * virtual time.
 *
 * Path model: hosts a (sender, 10.0.0.1) and b (receiver, 10.0.0.2) on one segment (a
 * switch). Each port serializes at the path's rate with a FIFO of one bandwidth-delay product
 * (at least 64 KiB) and tail drop: a's port is the bottleneck of the data direction, b's of the
 * ACKs. Latency RTT/2 each way, MTU 1500. Loss and reordering are a's port's own impairments
 * (SegmentPort.setImpairments), so they hit data segments only; ACKs are never lost or
 * reordered. Transport checksums are offloaded (the segment's checksumOffload): they cost CPU
 * and change nothing the table measures.
 */
import { ss, availableCongestionControls } from './stack.js';
import { boundOf, boundsFor, windowLimits } from './bounds.js';
import { planCell, type Budget } from './plan.js';
import { BUFFER_LIMITED, EXCESS_RETRANS } from './constants.js';
import type { CellResult, CellSpec, CellStats } from './types.js';

const PORT = 5001;
/** The sender's send() size and the receiver's recv() size. */
const WRITE = 256 * 1024;
const READ = 1 << 20;
/** The measurement checks its byte cap at most this many times. */
const MAX_STEPS = 1000;
/** tcpi_options bit for SACK (Linux include/uapi/linux/tcp.h TCPI_OPT_SACK). */
const TCPI_OPT_SACK = 2;
/** tcpi_ca_state: TCP_CA_Open 0, TCP_CA_Disorder 1 (dupACKs seen, no recovery), then CWR, Recovery, Loss. */
const TCP_CA_DISORDER = 1;

type Net = InstanceType<typeof ss.Network>;
type HostT = ReturnType<Net['host']>;

/** The Network of a cell: two hosts on one impaired segment, TCP configured for the cell. */
export function buildPath(spec: CellSpec, queueLimit: number, runLimitMs: number): { net: Net; a: HostT; b: HostT } {
  const p = spec.path;
  const net = new ss.Network({ seed: spec.seed, link: { rate: p.rateBps, latency: p.rttMs / 2, queueLimit, mtu: 1500 }, runLimitMs });
  const seg = net.segment();
  seg.checksumOffload = true;
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  for (const h of [a, b]) {
    h.tcp.config.congestionControl = spec.cc;
    // SACK is negotiated only when both SYNs offer it (RFC 2018 §2): set both ends alike.
    h.tcp.config.sack = spec.sack;
  }
  const port = seg.port('a:eth0');
  if (!port) throw new Error('netsim: the sender has no port on the segment');
  port.setImpairments({ loss: p.loss, reorder: p.reorder });
  return { net, a, b };
}

function decodeName(v: unknown): string | null {
  if (typeof v === 'string') return v.replace(/\0.*$/s, '');
  if (v instanceof Uint8Array) return new TextDecoder().decode(v).replace(/\0.*$/s, '');
  return null;
}

/** Figures read from the sockets and the path at the end of the measurement. */
function collect(a: HostT, b: HostT, net: Net, cfd: number, sfd: number, spec: CellSpec): CellStats {
  const c = a.sockets;
  const info = c.getsockopt(cfd, ss.IPPROTO_TCP, ss.TCP_INFO) as unknown as Record<string, number>;
  let ccInUse: string | null = null;
  try {
    ccInUse = decodeName(c.getsockopt(cfd, ss.IPPROTO_TCP, ss.TCP_CONGESTION));
  } catch {
    ccInUse = null; // the stack has no TCP_CONGESTION yet
  }
  const opts = info.tcpi_options ?? 0;
  const seg = net.segment().counters;
  return {
    segmentsOut: a.counters.tcp.outSegs,
    retransSegs: a.counters.tcp.retransSegs,
    lostFrames: seg.dropLoss,
    queueDrops: seg.dropQueue,
    reorderedFrames: seg.reordered,
    cwnd: info.tcpi_snd_cwnd ?? 0,
    ssthresh: info.tcpi_snd_ssthresh ?? 0,
    srttUs: info.tcpi_rtt ?? 0,
    sndBuf: c.getsockopt(cfd, ss.SOL_SOCKET, ss.SO_SNDBUF) as number,
    rcvBuf: b.sockets.getsockopt(sfd, ss.SOL_SOCKET, ss.SO_RCVBUF) as number,
    ccInUse,
    // Without the bit the stack may simply not report SACK yet: unknown, unless it was off.
    sackNegotiated: opts & TCPI_OPT_SACK ? true : spec.sack ? null : false,
  };
}

let defaults: object | null = null;

/** The TCP tunables every host starts with (read once from a throwaway host). */
export function defaultConfig(): object {
  defaults ??= { ...new ss.Network({ seed: 1 }).host('probe', '10.9.9.9/24').tcp.config };
  return defaults;
}

/**
 * Runs one cell. A congestion control the stack has not registered gives an 'n/a' cell (the
 * stack would silently fall back to its default); any failure gives an 'error' cell.
 */
export async function runCell(spec: CellSpec, budget: Budget): Promise<CellResult> {
  const t0 = performance.now();
  const bounds = boundsFor(spec.path, windowLimits(defaultConfig()));
  const plan = planCell(spec.path, bounds, budget);
  const base: CellResult = {
    id: spec.id,
    pathId: spec.pathId,
    path: spec.path,
    cc: spec.cc,
    sack: spec.sack,
    seed: spec.seed,
    status: 'ok',
    goodputBps: null,
    ofBound: null,
    bufferLimited: false,
    excessRetrans: false,
    bounds,
    plan,
    measured: null,
    stats: null,
    wallMs: 0,
    virtualMs: 0,
  };
  if (!availableCongestionControls().includes(spec.cc)) {
    return { ...base, status: 'n/a', note: `congestion control '${spec.cc}' is not registered (available: ${availableCongestionControls().join(', ')})`, wallMs: performance.now() - t0 };
  }
  // Handshake and ARP (with retries if the path loses them) get a minute of virtual time on top.
  const runLimitMs = plan.maxWarmupMs + plan.measureMs + 60_000;
  const { net, a, b } = buildPath(spec, plan.queueBytes, runLimitMs);
  try {
    const r = await net.run(async () => {
      const s = b.sockets;
      const lfd = s.socket(ss.AF_INET, ss.SOCK_STREAM, 0);
      s.setsockopt(lfd, ss.SOL_SOCKET, ss.SO_REUSEADDR, 1);
      s.bind(lfd, { address: '0.0.0.0', port: PORT });
      s.listen(lfd, 4);
      const accepting = s.accept(lfd);
      const c = a.sockets;
      const cfd = c.socket(ss.AF_INET, ss.SOCK_STREAM, 0);
      await c.connect(cfd, { address: '10.0.0.2', port: PORT });
      const [sfd] = await accepting;
      const established = net.now();
      // The writer and the reader run until the cell ends; they are dropped with the Network.
      const chunk = new Uint8Array(WRITE).fill(0x5a);
      let got = 0;
      void (async () => {
        for (;;) await c.send(cfd, chunk);
      })().catch(() => undefined);
      void (async () => {
        for (;;) {
          const d = await s.recv(sfd, READ);
          if (d.length === 0) return;
          got += d.length;
        }
      })().catch(() => undefined);
      // Warm-up: at least warmupMs, then until the sender is out of loss recovery (or maxWarmupMs).
      const rtt = spec.path.rttMs;
      let lastRetrans = -1;
      let quietSince = established;
      let lastGot = 0;
      let settled = false;
      for (;;) {
        const now = net.now();
        const info = c.getsockopt(cfd, ss.IPPROTO_TCP, ss.TCP_INFO) as unknown as Record<string, number>;
        const rx = info.tcpi_total_retrans ?? 0;
        if (rx !== lastRetrans) {
          lastRetrans = rx;
          quietSince = now;
        }
        // Data moved in the last half RTT and no retransmission timer is backed off: a sender
        // waiting out an RTO is quiet too, but not settled.
        const flowing = got > lastGot && (info.tcpi_backoff ?? 0) === 0;
        lastGot = got;
        if (now - established >= plan.warmupMs) {
          const ca = info.tcpi_ca_state;
          settled = flowing && (typeof ca === 'number' ? ca <= TCP_CA_DISORDER && now - quietSince >= rtt : now - quietSince >= 2 * rtt);
          // The CPU budget also bounds the warm-up (a sender retransmitting without end).
          if (settled || now - established >= plan.maxWarmupMs || a.counters.tcp.outSegs >= plan.capSegmentsOut) break;
        }
        await net.sleep(rtt / 2);
      }
      const from = got;
      const segsFrom = a.counters.tcp.outSegs;
      const startMs = net.now();
      // Whole steps of whole RTTs (a window-limited sender delivers in bursts once per RTT):
      // until measureMs, or the step at which the byte cap is passed.
      const steps = Math.max(1, Math.min(MAX_STEPS, Math.round(plan.measureMs / rtt)));
      const step = Math.max(1, Math.round(plan.measureMs / rtt / steps)) * rtt;
      let hitCap = false;
      while (net.now() - startMs < plan.measureMs - step / 2) {
        await net.sleep(step);
        if (got - from >= plan.capBytes || a.counters.tcp.outSegs - segsFrom >= plan.capSegmentsOut) {
          hitCap = true;
          break;
        }
      }
      const endMs = net.now();
      const bytes = got - from;
      return { established, startMs, endMs, bytes, capped: hitCap, settled, stats: collect(a, b, net, cfd, sfd, spec) };
    });
    const goodputBps = (r.bytes * 8) / ((r.endMs - r.startMs) / 1000);
    const reached = Math.min(r.stats.sndBuf, r.stats.rcvBuf);
    return {
      ...base,
      goodputBps,
      ofBound: goodputBps / boundOf(bounds, spec.cc).bps,
      bufferLimited: reached < bounds.windowBytes && goodputBps >= (BUFFER_LIMITED * reached * 8) / (spec.path.rttMs / 1000),
      excessRetrans: r.stats.retransSegs > EXCESS_RETRANS * (r.stats.lostFrames + r.stats.queueDrops) + 20,
      measured: { startMs: r.startMs, endMs: r.endMs, bytes: r.bytes, capped: r.capped, settled: r.settled },
      stats: r.stats,
      wallMs: performance.now() - t0,
      virtualMs: net.now(),
    };
  } catch (e) {
    return { ...base, status: 'error', note: e instanceof Error ? e.message : String(e), wallMs: performance.now() - t0, virtualMs: net.now() };
  }
}

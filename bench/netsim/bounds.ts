/**
 * What a cell could reach at best: the link rate, the window the buffers allow, and the
 * steady-state models of loss-based congestion control under random loss.
 */
import type { Bounds, Limit, PathSpec } from './types.js';

/** Ethernet (14) + IPv4 (20) + TCP (20) header bytes in front of every segment's payload. */
export const HEADER_BYTES = 14 + 20 + 20;
/** The timestamp option (RFC 7323 §3, 10 bytes padded to 12) rides on every segment once agreed. */
export const TS_OPTION_BYTES = 12;

/** sqrt(3/2): the constant of the Mathis formula for periodic loss and an ACK per segment. */
const MATHIS_C = Math.sqrt(1.5);
/** RFC 9438 §4.5, §4.6: C = 0.4, beta_cubic = 0.7. */
const CUBIC_C = 0.4;
const CUBIC_BETA = 0.7;
/** RFC 9438 §5.1 (RFC 8312 §5.1 Eq. 5): (C * (3 + beta) / (4 * (1 - beta)))^(1/4), 1.054 for C = 0.4. */
const CUBIC_K = ((CUBIC_C * (3 + CUBIC_BETA)) / (4 * (1 - CUBIC_BETA))) ** 0.25;

/** The buffer sizes that bound the window, from the TCP tunables. */
export interface WindowLimits {
  /** Payload bytes per full segment (MTU - 40, less 12 with timestamps). */
  mss: number;
  /** Frame bytes of a full segment on the wire (what the link rate counts). */
  frameBytes: number;
  /** The largest receive and send buffers a socket gets without setsockopt. */
  rcvBytes: number;
  sndBytes: number;
  /** Whether the stack grows buffers by itself (auto-tuning): then the maxima bound the window. */
  autotune: boolean;
}

/**
 * The window limits of default sockets under `cfg` (a host's TcpConfig). With auto-tuning
 * (config.sndBufMax and config.moderateRcvBuf present) the buffers may grow to rcvBufMax and
 * sndBufMax (Linux tcp_rmem[2], tcp_wmem[2]); without it they stay at rcvBuf and sndBuf.
 */
export function windowLimits(cfg: object, mtu = 1500): WindowLimits {
  const c = cfg as Record<string, unknown>;
  const num = (k: string, d: number): number => (typeof c[k] === 'number' ? (c[k] as number) : d);
  const ts = c.timestamps !== false;
  const mss = mtu - 40 - (ts ? TS_OPTION_BYTES : 0);
  const autotune = typeof c.sndBufMax === 'number' && c.moderateRcvBuf !== false;
  const rcvBuf = num('rcvBuf', 131_072);
  const sndBuf = num('sndBuf', 65_536);
  return {
    mss,
    frameBytes: mss + HEADER_BYTES + (ts ? TS_OPTION_BYTES : 0),
    rcvBytes: autotune ? Math.max(rcvBuf, num('rcvBufMax', rcvBuf)) : rcvBuf,
    sndBytes: autotune ? Math.max(sndBuf, num('sndBufMax', sndBuf)) : sndBuf,
    autotune,
  };
}

/** Mathis et al. 1997 (RFC 3649 §5's response function): MSS/RTT * sqrt(3/2) / sqrt(p), bits/s. */
export function mathisBps(mss: number, rttMs: number, p: number): number {
  return ((mss * 8) / (rttMs / 1000)) * (MATHIS_C / Math.sqrt(p));
}

/** RFC 9438 §5.1 Eq. (AVG_W_cubic = 1.054 * RTT^0.75 / p^0.75, RTT in seconds), in segments. */
export function cubicAvgWindow(rttMs: number, p: number): number {
  return (CUBIC_K * (rttMs / 1000) ** 0.75) / p ** 0.75;
}

/**
 * CUBIC's response function as goodput: its average window, but never below Reno's (the
 * Reno-friendly region, RFC 9438 §4.3, keeps it at least there), times MSS over the RTT.
 */
export function cubicBps(mss: number, rttMs: number, p: number): number {
  const w = Math.max(cubicAvgWindow(rttMs, p), MATHIS_C / Math.sqrt(p));
  return (w * mss * 8) / (rttMs / 1000);
}

/** The loss rate at which CUBIC's response function reaches `bps` on this RTT (the inverse of cubicBps). */
export function cubicLossFor(bps: number, mss: number, rttMs: number): number {
  const w = (bps * (rttMs / 1000)) / (mss * 8);
  const pCubic = ((CUBIC_K * (rttMs / 1000) ** 0.75) / w) ** (4 / 3);
  const pReno = (MATHIS_C / w) ** 2;
  return Math.max(pCubic, pReno);
}

function smallest(terms: ReadonlyArray<[number | null, Limit]>): { bps: number; by: Limit } {
  let best: { bps: number; by: Limit } = { bps: Infinity, by: 'link' };
  for (const [v, by] of terms) if (v !== null && v < best.bps) best = { bps: v, by };
  return best;
}

/** Every bound of `path` for default sockets with these limits. */
export function boundsFor(path: PathSpec, w: WindowLimits): Bounds {
  const linkBps = (path.rateBps * w.mss) / w.frameBytes;
  const windowBytes = Math.min(w.rcvBytes, w.sndBytes);
  const windowBps = (windowBytes * 8) / (path.rttMs / 1000);
  const m = path.loss > 0 ? mathisBps(w.mss, path.rttMs, path.loss) : null;
  const c = path.loss > 0 ? cubicBps(w.mss, path.rttMs, path.loss) : null;
  return {
    mss: w.mss,
    linkBps,
    windowBytes,
    windowBps,
    mathisBps: m,
    cubicBps: c,
    bound: smallest([
      [linkBps, 'link'],
      [windowBps, 'window'],
      [m, 'Mathis'],
    ]),
    cubicBound: smallest([
      [linkBps, 'link'],
      [windowBps, 'window'],
      [c, 'CUBIC'],
    ]),
  };
}

/** The bound a cell of congestion control `cc` is judged against. */
export function boundOf(b: Bounds, cc: string): { bps: number; by: Limit } {
  return cc === 'cubic' ? b.cubicBound : b.bound;
}

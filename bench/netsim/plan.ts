/**
 * How long each cell runs in virtual time, and how much work it may cost. The CPU budget is
 * counted in data segments: the simulator's cost is per frame, so a 10 Gbit/s path gets a
 * shorter virtual interval than a 10 Mbit/s one.
 */
import type { Bounds, CellPlan, GridMode, PathSpec } from './types.js';

export interface Budget {
  /** The measurement lasts at least this many RTTs (virtual time). */
  minRtts: number;
  /** On a lossy path, long enough for about this many losses at the expected rate (capped below). */
  lossEvents: number;
  /** At most this many data segments expected in the measurement. */
  capSegments: number;
  /** And at most this much virtual time. */
  maxMeasureMs: number;
  /**
   * At least this much virtual time, lossy path or not (a tail-drop queue loses too):
   * retransmission timeouts (200 ms at least, doubling) dominate at short RTTs, and a short
   * interval would catch one or none.
   */
  lossMinMs: number;
  /** The warm-up lasts at least this many RTTs, more when slow start needs more rounds to fill the path. */
  warmupRtts: number;
}

export const BUDGETS: Readonly<Record<GridMode, Budget>> = {
  full: { minRtts: 40, lossEvents: 40, capSegments: 150_000, maxMeasureMs: 60_000, lossMinMs: 5_000, warmupRtts: 10 },
  quick: { minRtts: 20, lossEvents: 10, capSegments: 15_000, maxMeasureMs: 10_000, lossMinMs: 2_000, warmupRtts: 8 },
  tiny: { minRtts: 250, lossEvents: 10, capSegments: 4_000, maxMeasureMs: 2_000, lossMinMs: 1_000, warmupRtts: 10 },
};

/**
 * After the warm-up, the measurement waits until the sender is out of loss recovery (slow
 * start's overshoot can take a sender without SACK hundreds of RTTs to repair), for at most
 * this many more RTTs or this much virtual time.
 */
export const SETTLE_RTTS = 200;
export const SETTLE_MIN_MS = 2_000;
export const SETTLE_MAX_MS = 30_000;
/** The shortest warm-up, ms: five minimum RTOs. */
export const MIN_WARMUP_MS = 1_000;

/** Smallest bottleneck queue: 64 KiB (the segment's default queue). */
export const MIN_QUEUE = 65_536;

/** One bandwidth-delay product of the path in bytes, at least 64 KiB. */
export function queueBytes(p: PathSpec): number {
  return Math.max(MIN_QUEUE, Math.round(((p.rateBps / 8) * p.rttMs) / 1000));
}

/**
 * The plan of a cell. The expected rate is the best bound of the row (CUBIC's, which is at
 * least Reno's), so the four columns of a row run for the same virtual time.
 */
export function planCell(p: PathSpec, b: Bounds, budget: Budget): CellPlan {
  const expected = Math.max(b.bound.bps, b.cubicBound.bps);
  const segPerMs = expected / (8 * b.mss) / 1000;
  const windowSegs = (segPerMs * p.rttMs) | 0;
  // Slow start doubles per RTT from 10 segments (RFC 6928): rounds to fill the path, plus a margin.
  const rounds = Math.ceil(Math.log2(Math.max(windowSegs / 10, 1))) + 5;
  // And at least a few minimum RTOs, so that slow start's first overshoot has been repaired.
  const warmupMs = Math.max(Math.max(budget.warmupRtts, rounds) * p.rttMs, MIN_WARMUP_MS);
  let measureMs = Math.max(budget.minRtts * p.rttMs, budget.lossMinMs);
  if (p.loss > 0) measureMs = Math.max(measureMs, budget.lossEvents / (p.loss * segPerMs));
  measureMs = Math.min(measureMs, budget.maxMeasureMs, budget.capSegments / segPerMs);
  // Never shorter than a few RTTs, whatever the budget says.
  measureMs = Math.max(measureMs, 5 * p.rttMs);
  const estSegments = Math.round(measureMs * segPerMs);
  return {
    warmupMs,
    maxWarmupMs: warmupMs + Math.min(Math.max(SETTLE_RTTS * p.rttMs, SETTLE_MIN_MS), SETTLE_MAX_MS),
    measureMs,
    // The hard stop: a cell doing better than its bound predicts still costs at most this.
    capBytes: Math.ceil(Math.max(1.5 * estSegments, budget.capSegments) * b.mss),
    capSegmentsOut: Math.ceil(Math.max(1.5 * estSegments, budget.capSegments)),
    queueBytes: queueBytes(p),
    estSegments,
  };
}

/** Rough cost of a cell in data segments (warm-up included), to schedule the longest cells first. */
export function estimatedCost(plan: CellPlan, b: Bounds, rttMs: number): number {
  const expected = Math.max(b.bound.bps, b.cubicBound.bps);
  return plan.estSegments + (expected / (8 * b.mss) / 1000) * Math.max(0, plan.warmupMs - 2 * rttMs);
}

/**
 * The grids of paths the table covers, cell ids, seeds and --filter. A cell is one path
 * (rate, RTT, loss, reordering) with one congestion control and SACK off or on.
 */
import type { CellSpec, GridMode, PathSpec } from './types.js';

export interface Grid {
  rates: number[];
  rttsMs: number[];
  losses: number[];
  reorders: number[];
  ccs: string[];
  sacks: boolean[];
}

const CCS = ['reno', 'cubic'];
const SACKS = [false, true];

/** The published table: 10 Mbit/s to 10 Gbit/s, 1 to 200 ms, 0 to 5% loss, with and without reordering. */
export const FULL_GRID: Grid = {
  rates: [10e6, 100e6, 1e9, 10e9],
  rttsMs: [1, 10, 100, 200],
  losses: [0, 1e-4, 1e-3, 1e-2, 5e-2],
  reorders: [0, 0.01],
  ccs: CCS,
  sacks: SACKS,
};

/** For CI (--quick): the corners that say the most, the issue's 1 Gbit/s 100 ms 0.1% path among them. */
export const QUICK_GRID: Grid = {
  rates: [100e6, 1e9],
  rttsMs: [10, 100],
  losses: [0, 1e-3, 1e-2],
  reorders: [0],
  ccs: CCS,
  sacks: SACKS,
};

/** For the test: one small path, lossless and lossy, SACK off and on, in a few seconds. */
export const TINY_GRID: Grid = {
  rates: [20e6],
  rttsMs: [10],
  losses: [0, 0.05],
  reorders: [0],
  ccs: ['reno'],
  sacks: SACKS,
};

export function gridFor(mode: GridMode): Grid {
  return mode === 'full' ? FULL_GRID : mode === 'quick' ? QUICK_GRID : TINY_GRID;
}

/** 10M, 100M, 1G, 10G, 2.5G. */
export function rateLabel(bps: number): string {
  if (bps >= 1e9) return `${+(bps / 1e9).toPrecision(3)}G`;
  if (bps >= 1e6) return `${+(bps / 1e6).toPrecision(3)}M`;
  return `${+(bps / 1e3).toPrecision(3)}k`;
}

/** 0%, 0.01%, 0.1%, 1%, 5%. */
export function percentLabel(p: number): string {
  return `${+(p * 100).toPrecision(3)}%`;
}

/** `1G/100ms/0.1%/noreord` or `…/reord1%`. */
export function pathId(p: PathSpec): string {
  return `${rateLabel(p.rateBps)}/${p.rttMs}ms/${percentLabel(p.loss)}/${p.reorder > 0 ? `reord${percentLabel(p.reorder)}` : 'noreord'}`;
}

/** FNV-1a of the path id: a seed that depends only on the path, so filtering never changes a cell. */
export function seedOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h || 1;
}

/** Every cell of `g`, rows in grid order (rate, RTT, loss, reordering), columns cc x SACK. */
export function cellsOf(g: Grid): CellSpec[] {
  const out: CellSpec[] = [];
  for (const rateBps of g.rates) {
    for (const rttMs of g.rttsMs) {
      for (const loss of g.losses) {
        for (const reorder of g.reorders) {
          const path: PathSpec = { rateBps, rttMs, loss, reorder };
          const pid = pathId(path);
          for (const cc of g.ccs) {
            for (const sack of g.sacks) {
              out.push({ id: `${pid}/${cc}/${sack ? 'sack' : 'nosack'}`, pathId: pid, path, cc, sack, seed: seedOf(pid) });
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * --filter: each value is a list of alternatives separated by commas (a cell matches one of
 * them if its id contains it); a cell is kept when it matches every --filter given.
 * `--filter 1G/100ms --filter cubic/sack,reno/sack`.
 */
export function applyFilter(cells: readonly CellSpec[], filters: readonly string[]): CellSpec[] {
  const groups = filters.map((f) => f.split(',').map((s) => s.trim()).filter((s) => s.length > 0)).filter((g) => g.length > 0);
  return cells.filter((c) => groups.every((alts) => alts.some((s) => c.id.includes(s))));
}

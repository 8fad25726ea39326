import type { Stats } from './types.js';

export function summarize(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error('no samples');
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, samples: [...samples] };
}

/** Runs `sockstack` and `peer` alternately (after one warm-up round each) and summarizes both. */
export async function alternate(
  reps: number,
  sockstack: (rep: number) => Promise<number>,
  peer: ((rep: number) => Promise<number>) | null,
  onRep?: (rep: number, s: number, p: number | null) => void,
): Promise<{ sockstack: Stats; peer: Stats | null }> {
  await sockstack(-1);
  if (peer) await peer(-1);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < reps; r++) {
    const s = await sockstack(r);
    a.push(s);
    let p: number | null = null;
    if (peer) {
      p = await peer(r);
      b.push(p);
    }
    onRep?.(r, s, p);
  }
  return { sockstack: summarize(a), peer: peer ? summarize(b) : null };
}

/** A number in 3-4 significant digits with thousands separators where it is large. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1000) return String(x);
  const ax = Math.abs(x);
  if (ax >= 1000) return Math.round(x).toLocaleString('en-US');
  if (ax >= 100) return x.toFixed(1);
  if (ax >= 10) return x.toFixed(2);
  if (ax >= 1) return x.toFixed(3);
  return x.toPrecision(3);
}

import * as v8 from 'node:v8';

/** Self size and count of heap objects by type and constructor name (from a V8 heap snapshot). */
export type Census = Map<string, { count: number; bytes: number }>;

export async function census(): Promise<Census> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const chunks: string[] = [];
  for await (const c of v8.getHeapSnapshot()) chunks.push(typeof c === 'string' ? c : (c as Buffer).toString('utf8'));
  const snap = JSON.parse(chunks.join('')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const f = snap.snapshot.meta.node_fields;
  const stride = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const out: Census = new Map();
  const n = snap.nodes;
  for (let i = 0; i < n.length; i += stride) {
    const type = types[n[i + iType]!]!;
    const name = type === 'object' || type === 'closure' ? snap.strings[n[i + iName]!]! : `(${type})`;
    const key = type === 'closure' ? `closure ${name}` : name;
    const e = out.get(key);
    const size = n[i + iSize]!;
    if (e) {
      e.count++;
      e.bytes += size;
    } else out.set(key, { count: 1, bytes: size });
  }
  return out;
}

/** What grew between two censuses, per unit (e.g. per connection end), largest first. */
export function growth(before: Census, after: Census, units: number, top: number): string[] {
  const rows: Array<[string, number, number]> = [];
  let total = 0;
  for (const [k, v] of after) {
    const b = before.get(k) ?? { count: 0, bytes: 0 };
    const db = v.bytes - b.bytes;
    total += db;
    if (db > 0) rows.push([k, db / units, (v.count - b.count) / units]);
  }
  rows.sort((x, y) => y[1] - x[1]);
  return [
    `heap growth ${(total / units).toFixed(0)} B per unit, by constructor (bytes, objects per unit):`,
    ...rows.slice(0, top).map(([k, b, c]) => `  ${b.toFixed(0).padStart(6)} B  ${c.toFixed(2).padStart(5)}  ${k}`),
  ];
}

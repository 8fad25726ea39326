/** The JSON report of a run (bench/results/netsim.json) and a check of its shape. */
import { windowLimits } from './bounds.js';
import type { CellResult, NetsimReport } from './types.js';

/** What a run knows about itself: the report's fields but the model, the cells and the config it derives. */
export type RunInfo = Pick<NetsimReport, 'command' | 'mode' | 'filter' | 'machine' | 'loadedFrom' | 'source' | 'available' | 'seconds' | 'load' | 'jobs'> & {
  /** The hosts' default TCP tunables (the bounds' window comes from them). */
  config: object;
};

export const MODEL: Readonly<Record<string, string>> = {
  path: 'hosts a (sender) and b (receiver) on one segment; each port sends at the link rate through a FIFO of one BDP (at least 64 KiB) with tail drop; latency RTT/2 each way; MTU 1500; checksums offloaded',
  loss: "probability per frame sent by a (data direction only; ACKs are never lost), a's port impairment",
  reorder: "probability that a data frame is held back until a's next frame is delivered (data direction only)",
  goodput: 'payload bytes read by the receiving application between measured.startMs and measured.endMs (whole RTTs), per second of virtual time',
  warmup: 'the measurement starts after plan.warmupMs once the sender is out of loss recovery (measured.settled), at the latest at plan.maxWarmupMs',
  bounds:
    'link = rate * MSS / frame bytes; window = min(send buffer max, receive buffer max) / RTT; Mathis = MSS/RTT * sqrt(3/2)/sqrt(p); CUBIC = max(1.054 * RTT^0.75 / p^0.75, 1.22/sqrt(p)) * MSS / RTT (RFC 9438 §5.1); bound = min(link, window, Mathis); cubicBound = min(link, window, CUBIC)',
  ofBound: 'goodput / bound for reno cells, goodput / cubicBound for cubic cells',
};

export function makeReport(info: RunInfo, cells: CellResult[]): NetsimReport {
  const c = info.config as Record<string, unknown>;
  const w = windowLimits(info.config);
  return {
    schema: 'sockstack-netsim/1',
    command: info.command,
    mode: info.mode,
    filter: info.filter,
    machine: info.machine,
    loadedFrom: info.loadedFrom,
    source: info.source,
    available: info.available,
    model: { ...MODEL },
    config: {
      rcvBuf: c.rcvBuf as number,
      sndBuf: c.sndBuf as number,
      rcvBufMax: c.rcvBufMax as number,
      sndBufMax: typeof c.sndBufMax === 'number' ? c.sndBufMax : null,
      autotune: w.autotune,
      mss: w.mss,
    },
    seconds: info.seconds,
    load: info.load,
    jobs: info.jobs,
    cells,
  };
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Problems with the shape of a report read back from JSON (empty: it has the schema's shape). */
export function checkReport(x: unknown): string[] {
  const bad: string[] = [];
  if (!isObj(x)) return ['not an object'];
  if (x.schema !== 'sockstack-netsim/1') bad.push(`schema is ${String(x.schema)}`);
  for (const k of ['command', 'mode', 'loadedFrom']) if (typeof x[k] !== 'string') bad.push(`${k} is not a string`);
  if (!isObj(x.machine) || typeof x.machine.date !== 'string' || typeof x.machine.cpu !== 'string') bad.push('machine lacks cpu or date');
  if (!Array.isArray(x.available)) bad.push('available is not an array');
  if (!isNum(x.seconds) || !isNum(x.jobs)) bad.push('seconds or jobs is not a number');
  if (!isObj(x.config) || !isNum(x.config.rcvBufMax) || !isNum(x.config.mss)) bad.push('config lacks rcvBufMax or mss');
  if (!Array.isArray(x.cells)) return [...bad, 'cells is not an array'];
  const ids = new Set<string>();
  x.cells.forEach((c: unknown, i: number) => {
    const at = `cells[${i}]`;
    if (!isObj(c)) return void bad.push(`${at} is not an object`);
    if (typeof c.id !== 'string' || ids.has(c.id)) bad.push(`${at}.id missing or repeated`);
    else ids.add(c.id);
    if (!isObj(c.path) || !isNum(c.path.rateBps) || !isNum(c.path.rttMs) || !isNum(c.path.loss) || !isNum(c.path.reorder)) bad.push(`${at}.path incomplete`);
    if (c.cc !== 'reno' && c.cc !== 'cubic') bad.push(`${at}.cc is ${String(c.cc)}`);
    if (typeof c.sack !== 'boolean') bad.push(`${at}.sack is not a boolean`);
    if (!isNum(c.wallMs)) bad.push(`${at}.wallMs is not a number`);
    if (typeof c.bufferLimited !== 'boolean' || typeof c.excessRetrans !== 'boolean') bad.push(`${at}: bufferLimited or excessRetrans is not a boolean`);
    const b = c.bounds;
    if (!isObj(b) || !isNum(b.linkBps) || !isNum(b.windowBps) || !isObj(b.bound) || !isNum(b.bound.bps) || !isObj(b.cubicBound)) bad.push(`${at}.bounds incomplete`);
    if (!isObj(c.plan) || !isNum(c.plan.warmupMs) || !isNum(c.plan.measureMs) || !isNum(c.plan.capBytes)) bad.push(`${at}.plan incomplete`);
    if (c.status === 'ok') {
      if (!isNum(c.goodputBps) || !isNum(c.ofBound)) bad.push(`${at}: an ok cell without goodput or ofBound`);
      const m = c.measured;
      if (!isObj(m) || !isNum(m.startMs) || !isNum(m.endMs) || !isNum(m.bytes) || !(m.endMs > m.startMs)) bad.push(`${at}.measured incomplete`);
      if (!isObj(c.stats) || !isNum(c.stats.retransSegs) || !isNum(c.stats.lostFrames)) bad.push(`${at}.stats incomplete`);
    } else if (c.status === 'n/a' || c.status === 'error') {
      if (typeof c.note !== 'string') bad.push(`${at}: a ${c.status} cell without a note`);
    } else bad.push(`${at}.status is ${String(c.status)}`);
  });
  return bad;
}

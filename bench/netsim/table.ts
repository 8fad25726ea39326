/**
 * The table: one markdown table per link rate, rows = path (RTT, loss, reordering), columns =
 * the bounds and reno/cubic x SACK off/on, each cell goodput in Mbit/s and % of its bound.
 * docs/netsim.md is this table with the headline and the explanations around it.
 */
import { cubicLossFor } from './bounds.js';
import { percentLabel, rateLabel } from './grid.js';
import { BUDGETS, SETTLE_MAX_MS, SETTLE_RTTS, SETTLE_MIN_MS, MIN_WARMUP_MS } from './plan.js';
import { EXCESS_RETRANS } from './constants.js';
import type { Bounds, CellResult, NetsimReport } from './types.js';

/** The issue's path and target: 1 Gbit/s, 100 ms, 0.1% loss, CUBIC with SACK at >= half the link rate. */
export const HEADLINE = { rateBps: 1e9, rttMs: 100, loss: 1e-3, target: 0.5 } as const;

const COLUMNS: ReadonlyArray<{ cc: string; sack: boolean; title: string }> = [
  { cc: 'reno', sack: false, title: 'reno' },
  { cc: 'reno', sack: true, title: 'reno+SACK' },
  { cc: 'cubic', sack: false, title: 'cubic' },
  { cc: 'cubic', sack: true, title: 'cubic+SACK' },
];

/** Mbit/s with three significant digits (0.317, 4.49, 503, 9560). */
export function mbps(bps: number): string {
  const m = bps / 1e6;
  if (m === 0) return '0';
  if (m >= 1000) return Math.round(m).toString();
  return (+m.toPrecision(3)).toString();
}

function pct(x: number): string {
  return `${x >= 0.1 ? Math.round(x * 100) : +(x * 100).toPrecision(1)}%`;
}

/** One algorithm cell: `4.41 (98%)`, with † when buffers that did not grow limited it. */
export function cellText(r: CellResult | undefined): string {
  if (!r) return '';
  if (r.status === 'n/a') return 'n/a';
  if (r.status === 'error') return 'error';
  const g = r.goodputBps ?? 0;
  return `${mbps(g)} (${pct(r.ofBound ?? 0)})${r.bufferLimited ? ' †' : ''}${r.excessRetrans ? ' ‡' : ''}`;
}

function boundText(b: { bps: number; by: string }): string {
  return `${mbps(b.bps)} ${b.by}`;
}

function cubicText(b: Bounds): string {
  return b.cubicBps === null ? '—' : boundText(b.cubicBound);
}

interface Row {
  pathId: string;
  cells: Map<string, CellResult>;
  first: CellResult;
}

/** Rows in the order the cells came (grid order), grouped by link rate. */
function rowsByRate(cells: readonly CellResult[]): Map<number, Row[]> {
  const byPath = new Map<string, Row>();
  for (const c of cells) {
    let row = byPath.get(c.pathId);
    if (!row) {
      row = { pathId: c.pathId, cells: new Map(), first: c };
      byPath.set(c.pathId, row);
    }
    row.cells.set(`${c.cc}/${c.sack}`, c);
  }
  const out = new Map<number, Row[]>();
  for (const row of byPath.values()) {
    const rate = row.first.path.rateBps;
    const list = out.get(rate) ?? [];
    list.push(row);
    out.set(rate, list);
  }
  return out;
}

/** The tables, one per link rate, in markdown. */
export function formatTables(cells: readonly CellResult[]): string {
  const lines: string[] = [];
  for (const [rate, rows] of rowsByRate(cells)) {
    lines.push(`### ${rateLabel(rate)}bit/s`, '');
    lines.push(`| RTT | loss | reorder | bound | CUBIC RF | ${COLUMNS.map((c) => c.title).join(' | ')} |`);
    lines.push(`|---:|---:|---:|---|---|${COLUMNS.map(() => '---:').join('|')}|`);
    for (const row of rows) {
      const p = row.first.path;
      const b = row.first.bounds;
      const cols = COLUMNS.map((c) => cellText(row.cells.get(`${c.cc}/${c.sack}`)));
      lines.push(`| ${p.rttMs} ms | ${percentLabel(p.loss)} | ${p.reorder > 0 ? percentLabel(p.reorder) : '—'} | ${boundText(b.bound)} | ${cubicText(b)} | ${cols.join(' | ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The cells of the issue's path (any reordering), or none when the grid did not cover it. */
export function headlineCells(cells: readonly CellResult[]): CellResult[] {
  return cells.filter((c) => c.path.rateBps === HEADLINE.rateBps && c.path.rttMs === HEADLINE.rttMs && c.path.loss === HEADLINE.loss);
}

/** What the table says about the issue's figure, in a few lines of markdown. */
export function formatHeadline(cells: readonly CellResult[]): string {
  const hs = headlineCells(cells);
  if (hs.length === 0) return 'The grid did not include the 1 Gbit/s, 100 ms, 0.1% loss path.\n';
  const b = hs[0]!.bounds;
  const half = (HEADLINE.rateBps * HEADLINE.target) / 1e6;
  const lines: string[] = [];
  lines.push(`The issue asks that CUBIC with SACK reach at least half the link rate (${half} Mbit/s) on a 1 Gbit/s, 100 ms, 0.1% loss path.`, '');
  lines.push('| cell | goodput | of the link rate | of its bound | retransmitted segments | lost frames |');
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const c of hs) {
    const g = c.goodputBps;
    const s = c.stats;
    lines.push(
      `| ${c.id} | ${g === null ? c.status : `${mbps(g)} Mbit/s${c.bufferLimited ? ' †' : ''}${c.excessRetrans ? ' ‡' : ''}`} | ${g === null ? '' : pct(g / HEADLINE.rateBps)} | ${c.ofBound === null ? '' : pct(c.ofBound)} | ${s?.retransSegs ?? ''} | ${s?.lostFrames ?? ''} |`,
    );
  }
  lines.push('');
  const cs = hs.find((c) => c.cc === 'cubic' && c.sack && c.path.reorder === 0);
  if (cs && cs.goodputBps !== null) {
    const met = cs.goodputBps >= HEADLINE.rateBps * HEADLINE.target;
    lines.push(
      `**Measured: CUBIC with SACK ${mbps(cs.goodputBps)} Mbit/s, ${pct(cs.goodputBps / HEADLINE.rateBps)} of the link rate: the issue's figure is ${met ? 'met' : 'not met'}; ` +
        `${pct(cs.ofBound ?? 0)} of what CUBIC's response function predicts at this loss rate.**`,
      '',
    );
  }
  const pNeeded = cubicLossFor(HEADLINE.rateBps * HEADLINE.target, b.mss, HEADLINE.rttMs);
  const winNeeded = (HEADLINE.rateBps * HEADLINE.target * (HEADLINE.rttMs / 1000)) / 8;
  lines.push(
    `Bounds on this path: link ${mbps(b.linkBps)} Mbit/s of goodput; window ${mbps(b.windowBps)} Mbit/s (${(b.windowBytes / 2 ** 20).toFixed(1)} MiB in flight at most over 100 ms); ` +
      `Mathis ${mbps(b.mathisBps ?? 0)} Mbit/s (Reno's average window of 1.22/sqrt(p) = ${(Math.sqrt(1.5 / HEADLINE.loss)).toFixed(1)} segments per RTT); ` +
      `CUBIC's response function ${mbps(b.cubicBps ?? 0)} Mbit/s (RFC 9438 §5.1: at p = 10^-3 and RTT = 0.1 s CUBIC's average window is Reno's, 38 segments, Table 1 of RFC 8312).`,
    '',
    `So the figure cannot be reached on this path by CUBIC as RFC 9438 specifies it (nor by Reno) under random loss: ${half} Mbit/s over 100 ms is a window of ${(winNeeded / 1e6).toFixed(2)} MB ` +
      `(${Math.round(winNeeded / b.mss)} segments), which CUBIC's response function sustains only at a loss rate of about ${pNeeded.toExponential(1)} ` +
      `(RFC 8312 Table 3: 1 Gbit/s at 100 ms needs 6.3e-7), some ${Math.round(HEADLINE.loss / pNeeded)} times less loss than 0.1%; ` +
      `and even without loss the default buffer maxima allow ${mbps(b.windowBps)} Mbit/s over 100 ms.`,
  );
  return lines.join('\n') + '\n';
}

/** A list of cell ids with their figures, at most `max` of them. */
function cellList(cs: readonly CellResult[], max = 24): string {
  const shown = cs.slice(0, max).map((c) => `${c.id} ${mbps(c.goodputBps ?? 0)} (${pct(c.ofBound ?? 0)})`);
  return shown.join('; ') + (cs.length > max ? `; and ${cs.length - max} more` : '');
}

/** Where the table departs from its bounds, counted and named (the JSON has every figure). */
export function formatFindings(cells: readonly CellResult[]): string {
  const ok = cells.filter((c) => c.status === 'ok' && c.ofBound !== null);
  const byShare = (x: CellResult, y: CellResult): number => x.ofBound! - y.ofBound!;
  const within = ok.filter((c) => c.ofBound! >= 0.5 && c.ofBound! <= 1.5).length;
  const low = ok.filter((c) => c.ofBound! < 0.25).sort(byShare);
  const high = ok.filter((c) => c.ofBound! > 2).sort((x, y) => byShare(y, x));
  const excess = ok.filter((c) => c.excessRetrans);
  const buffers = ok.filter((c) => c.bufferLimited);
  const lines = [
    `- ${within} of ${ok.length} cells are within 50-150% of their bound.`,
    `- Below 25% of their bound (${low.length}): ${low.length ? cellList(low) : 'none'}.`,
    `- Above 200% of their bound (${high.length}; the bound is then the model, not the link or the window): ${high.length ? cellList(high) : 'none'}.`,
    `- ‡ spurious retransmissions (${excess.length}): ${excess.length ? cellList(excess) : 'none'}.`,
    `- † buffers that did not grow (${buffers.length}): ${buffers.length ? cellList(buffers) : 'none'}.`,
  ];
  return lines.join('\n') + '\n';
}

function fmtDate(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** docs/netsim.md. */
export function formatDoc(r: NetsimReport): string {
  const m = r.machine;
  const ok = r.cells.filter((c) => c.status === 'ok');
  const na = r.cells.filter((c) => c.status === 'n/a');
  const err = r.cells.filter((c) => c.status === 'error');
  const capped = ok.filter((c) => c.measured?.capped).length;
  const settled = ok.filter((c) => c.measured?.settled).length;
  const wall = r.cells.reduce((s, c) => s + c.wallMs, 0) / 1000;
  const cfg = r.config;
  const lines: string[] = [
    '# Goodput simulation table',
    '',
    `Regenerated by \`${r.command}\` on ${fmtDate(m.date)}, on ${m.cpu} (${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB), Node ${m.node}, ${m.platform} ${m.release}; ` +
      `${r.cells.length} cells (${ok.length} run, ${na.length} n/a, ${err.length} errors) in ${r.seconds.toFixed(0)} s of wall time (${wall.toFixed(0)} s of cell time over ${r.jobs} worker processes${r.load ? `; load average ${r.load.start.toFixed(1)} at the start, ${r.load.end.toFixed(1)} at the end` : ''}); stack ${r.loadedFrom}. ` +
      `Source: ${r.source ? `commit ${r.source.commit}${r.source.dirty ? ' with uncommitted changes in src/' : ''}` : 'unknown'}. ` +
      `Congestion controls registered: ${r.available.join(', ')}. The JSON (per-cell plan, counters, wall time) is bench/results/netsim.json.`,
    '',
    'In the spirit of smoltcp\'s netsim: every cell is a bulk transfer with the socket API between two hosts on a simulated path, ' +
      'under virtual time, seeded; same code, same table. Goodput is what the receiving application read, per second of virtual time, ' +
      'over a steady-state interval after slow start.',
    '',
    '## The issue\'s figure: 1 Gbit/s, 100 ms, 0.1% loss',
    '',
    formatHeadline(r.cells),
    '## How the table is made',
    '',
    `- Path: hosts a (sender) and b (receiver) on one segment; each port sends at the link rate R through a FIFO of one bandwidth-delay product (at least 64 KiB) with tail drop, ` +
      'so a\'s port is the bottleneck of the data and b\'s of the ACKs; one-way latency RTT/2; MTU 1500. Loss and reordering are impairments of a\'s port only ' +
      '(data segments): ACKs are never lost or reordered. Reordering holds a frame back until the next frame of the port has been delivered (a displacement of one). ' +
      'Transport checksums are offloaded (they cost CPU and change nothing here).',
    `- Sockets: default sockets (no SO_SNDBUF/SO_RCVBUF), TCP_CONGESTION by the hosts' \`tcp.config.congestionControl\`, SACK by \`tcp.config.sack\` on both hosts; ` +
      'the sender writes 256 KiB send()s, the receiver reads with 1 MiB recv()s.',
    `- Measurement: after a warm-up of max(${BUDGETS.full.warmupRtts}, log2(window/10) + 5) RTTs and at least ${MIN_WARMUP_MS / 1000} s from the established connection, and once the sender is out of loss recovery ` +
      `(TCP_INFO tcpi_ca_state, or no retransmission for two RTTs; data flowing, no backed-off RTO; at most max(${SETTLE_RTTS} RTTs, ${SETTLE_MIN_MS / 1000} s) and ${SETTLE_MAX_MS / 1000} s more: ` +
      `${ok.length - settled} of ${ok.length} cells hit that limit), the bytes read over whole RTTs of virtual time: at least ${BUDGETS.full.minRtts} RTTs and ${BUDGETS.full.lossMinMs / 1000} s ` +
      `(timeouts of 200 ms and more must fit in it, lossy path or not), on a lossy path long enough for about ${BUDGETS.full.lossEvents} losses, at most ${BUDGETS.full.maxMeasureMs / 1000} s; ` +
      `and at most ~${BUDGETS.full.capSegments.toLocaleString('en-US')} data segments expected (the CPU budget). A cell stops early, at a whole step of RTTs, once it has read ` +
      `or sent max(1.5 x its estimate, ${BUDGETS.full.capSegments.toLocaleString('en-US')}) segments (a cell far above its bound, or retransmitting without end): ${capped} of ${ok.length} cells did. ` +
      'Each cell\'s plan, counters and wall time are in the JSON.',
    `- Bounds, as goodput: link = R * MSS / 1514 (headers); window = min(largest send buffer, largest receive buffer) / RTT = ` +
      (cfg.autotune
        ? `${(Math.min(cfg.rcvBufMax, cfg.sndBufMax ?? cfg.rcvBufMax) / 2 ** 20).toFixed(1)} MiB / RTT (buffers auto-tuned up to rcvBufMax ${cfg.rcvBufMax} and sndBufMax ${cfg.sndBufMax} bytes); `
        : `${(Math.min(cfg.rcvBuf, cfg.sndBuf) / 1024).toFixed(0)} KiB / RTT (no buffer auto-tuning: rcvBuf ${cfg.rcvBuf}, sndBuf ${cfg.sndBuf} bytes); `) +
      `Mathis = MSS / RTT * sqrt(3/2) / sqrt(p) (Mathis, Semke, Mahdavi, Ott 1997; RFC 3649 §5), MSS = ${cfg.mss}. **bound** = min(link, window, Mathis), named by its smallest term. ` +
      '**CUBIC RF** = min(link, window, CUBIC\'s response function): its average window 1.054 * RTT^0.75 / p^0.75 segments (RFC 9438 §5.1, C = 0.4, beta = 0.7), ' +
      'never below Reno\'s 1.22 / sqrt(p) (the Reno-friendly region), over the RTT.',
    '- Each algorithm cell: goodput in Mbit/s and, in brackets, its share of its bound (reno: bound; cubic: CUBIC RF). The models describe congestion avoidance ' +
      'with one loss event per window and no timeouts: a cell can exceed 100% (SACK repairs several losses in one event, ' +
      'losses are random, not periodic), and at high loss and short RTTs retransmission timeouts (at least 200 ms) hold a cell far below them.',
    '- † marks a cell limited by buffers that did not grow: the sockets ended with min(SO_SNDBUF, SO_RCVBUF) below the maxima and the goodput is at least 80% of that window over the RTT ' +
      '(the stack without buffer auto-tuning: 64 KiB send buffer, 128 KiB receive buffer).',
    `- ‡ marks a cell whose sender retransmitted more than ${EXCESS_RETRANS} times the frames the path dropped (loss and queue), plus 20: most retransmissions were spurious, ` +
      'so its goodput is not a congestion control\'s steady state (and a figure above the bound there is no achievement).',
    '- n/a: the stack has not registered that congestion control (availableCongestionControls()); the stack would otherwise fall back to its default.',
    '',
    '## Where the table departs from its bounds',
    '',
    formatFindings(r.cells),
    '## The table (Mbit/s)',
    '',
    formatTables(r.cells),
  ];
  if (err.length) {
    lines.push('## Errors', '');
    for (const c of err) lines.push(`- ${c.id}: ${c.note ?? ''}`);
    lines.push('');
  }
  return lines.join('\n');
}

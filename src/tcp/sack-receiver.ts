/**
 * The receiving half of SACK: the blocks our ACKs carry (RFC 2018 §4) and D-SACK reports of
 * duplicate segments (RFC 2883 §4). The blocks come from the out-of-order ranges the
 * Assembler keeps beside the receive buffer; nothing here allocates per ACK.
 */
import type { TcpOptions } from '../wire/tcp.js';
import type { Assembler } from '../storage/assembler.js';
import type { TcpEndpoint } from './tcp-endpoint.js';
import type { TcpLayer } from './tcp-layer.js';

/** Most blocks an ACK can carry (without timestamps; the wire drops the 4th beside TSopt). */
const MAX_BLOCKS = 4;

const tuples: Array<[number, number]> = [
  [0, 0],
  [0, 0],
  [0, 0],
  [0, 0],
];
/** lists[k] is an array of the first k tuples, so a k-block option needs no new array. */
const lists: Array<Array<[number, number]>> = [0, 1, 2, 3, 4].map((k) => tuples.slice(0, k));
const chosen = new Int32Array(MAX_BLOCKS);

/** True when the ACK we send now should carry SACK blocks. */
export function wantsSack(ep: TcpEndpoint): boolean {
  return ep.sackOk && (ep.dsack !== null || (ep.ooo !== null && !ep.ooo.isEmpty));
}

/**
 * Bytes the SACK option of the next ACK takes beyond the options every segment carries: data
 * segments shrink by as much, so the packet still fits the MSS (Linux tcp_current_mss).
 */
export function sackOptionBytes(ep: TcpEndpoint): number {
  if (!wantsSack(ep)) return 0;
  const have = (ep.dsack !== null ? 1 : 0) + (ep.ooo === null ? 0 : ep.ooo.count);
  // 40 option bytes: NOP NOP SACK len + 8 per block, beside 12 for timestamps.
  const fit = ep.tsOk ? 3 : MAX_BLOCKS;
  return 4 + 8 * Math.min(have, fit);
}

/**
 * Fills `o.sack` with the blocks for an ACK at RCV.NXT: a pending D-SACK first, then the
 * out-of-order range holding it (RFC 2883 §4 (3)), then the others most recent first (RFC 2018
 * §4). Clears the D-SACK: it is reported once.
 */
export function fillSackBlocks(ep: TcpEndpoint, o: TcpOptions): void {
  let k = 0;
  const asm = ep.ooo;
  const base = ep.rcvNxt;
  let skip = -1;
  const dsack = ep.dsack;
  if (dsack !== null) {
    tuples[0]![0] = dsack.start;
    tuples[0]![1] = dsack.end;
    k = 1;
    ep.dsack = null;
    if (asm) {
      const off = (dsack.start - base) | 0;
      for (let i = 0; i < asm.count; i++) {
        if (asm.rangeStart(i) <= off && asm.rangeEnd(i) >= off + ((dsack.end - dsack.start) | 0)) {
          skip = i;
          tuples[1]![0] = (base + asm.rangeStart(i)) >>> 0;
          tuples[1]![1] = (base + asm.rangeEnd(i)) >>> 0;
          k = 2;
          break;
        }
      }
    }
  }
  if (asm) k = mostRecent(ep, asm, base, k, skip);
  o.sack = lists[k]!;
}

/** Appends up to MAX_BLOCKS - k ranges, most recently grown first, skipping index `skip`. */
function mostRecent(ep: TcpEndpoint, asm: Assembler, base: number, k: number, skip: number): number {
  let picked = 0;
  while (k < MAX_BLOCKS) {
    let best = -1;
    for (let i = 0; i < asm.count; i++) {
      if (i === skip || isChosen(i, picked)) continue;
      if (best < 0 || asm.rangeStamp(i) > asm.rangeStamp(best)) best = i;
    }
    if (best < 0) break;
    chosen[picked++] = best;
    tuples[k]![0] = (base + asm.rangeStart(best)) >>> 0;
    const end = (base + asm.rangeEnd(best)) >>> 0;
    // A FIN waiting beyond a hole takes a sequence number the block covers (Linux: the FIN is in
    // the out-of-order segment's end_seq).
    tuples[k]![1] = end === ep.finPendingSeq ? (end + 1) >>> 0 : end;
    k++;
  }
  return k;
}

function isChosen(i: number, picked: number): boolean {
  for (let j = 0; j < picked; j++) if (chosen[j] === i) return true;
  return false;
}

/**
 * A segment brought bytes [start, end) we already hold: report them in the next ACK's first
 * block (RFC 2883 §4 (1)), and make that ACK go out now. `old`: below RCV.NXT (Linux counts
 * TCPDSACKOldSent) rather than inside the out-of-order queue (TCPDSACKOfoSent).
 */
export function noteDuplicate(t: TcpLayer, ep: TcpEndpoint, start: number, end: number, old: boolean): void {
  if (!ep.sackOk || !t.config.dsack || ((end - start) | 0) <= 0) return;
  ep.dsack = { start: start >>> 0, end: end >>> 0 };
  ep.ackNow = true;
  if (old) t.counters.extTCPDSACKOldSent++;
  else t.counters.extTCPDSACKOfoSent++;
}

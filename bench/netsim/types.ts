/** The shapes the goodput simulation table passes around and writes to bench/results/netsim.json. */
import type { Machine } from '../lib/machine.js';

/** One path of the grid: two hosts, one bottleneck each way. */
export interface PathSpec {
  /** Link rate each way, bits per second (frame bytes * 8, as the segment counts them). */
  rateBps: number;
  /** Round-trip propagation delay, ms (each direction has rttMs / 2 of latency). */
  rttMs: number;
  /** Probability that a data-direction frame is lost (ACKs are never lost). */
  loss: number;
  /** Probability that a data-direction frame is held back behind the next one (ACKs never are). */
  reorder: number;
}

/** One transfer: a path, a congestion control and SACK on or off. */
export interface CellSpec {
  /** Stable id: `<path id>/<cc>/<sack|nosack>`, e.g. `1G/100ms/0.1%/noreord/cubic/sack`. */
  id: string;
  pathId: string;
  path: PathSpec;
  cc: string;
  sack: boolean;
  /** Seed of the cell's Network (the path's: every column of a row starts from the same seed). */
  seed: number;
}

/** Which term of a bound is the smallest. */
export type Limit = 'link' | 'window' | 'Mathis' | 'CUBIC';

/** The figures a cell is compared with, bits per second of goodput (payload). */
export interface Bounds {
  /** Payload bytes per segment assumed by the formulas (the MSS, less the timestamp option). */
  mss: number;
  /** The link rate as goodput: rate * MSS / frame bytes (Ethernet, IPv4 and TCP headers cost the rest). */
  linkBps: number;
  /** Bytes a connection may have in flight at most: min(largest send buffer, largest receive buffer). */
  windowBytes: number;
  /** windowBytes * 8 / RTT. */
  windowBps: number;
  /** Mathis et al. 1997: MSS / RTT * sqrt(3/2) / sqrt(p); null when p = 0. */
  mathisBps: number | null;
  /** RFC 9438 §5.1 (RFC 8312 §5.1): CUBIC's average window, at least Reno's, over the RTT; null when p = 0. */
  cubicBps: number | null;
  /** min(link, window, Mathis): the bound of the table. */
  bound: { bps: number; by: Limit };
  /** min(link, window, CUBIC response function): the bound a CUBIC cell is judged against. */
  cubicBound: { bps: number; by: Limit };
}

/** How long a cell runs and when it measures, in virtual time. */
export interface CellPlan {
  /** Virtual ms from the established connection before the measurement may start (slow start). */
  warmupMs: number;
  /**
   * The measurement starts once warmupMs has passed and the sender is out of loss recovery
   * (TCP_INFO tcpi_ca_state Open or Disorder; without that field, no retransmission for two
   * RTTs), and at the latest this many virtual ms after the connection was established.
   */
  maxWarmupMs: number;
  /** Virtual ms the measurement lasts unless the byte cap ends it first. */
  measureMs: number;
  /** The measurement ends early once this many bytes were delivered in it (the CPU budget). */
  capBytes: number;
  /**
   * And once the sender sent this many segments in it (retransmissions cost CPU too); the
   * warm-up ends at this many segments since the start.
   */
  capSegmentsOut: number;
  /** Bytes the bottleneck queue holds: one bandwidth-delay product, at least 64 KiB. */
  queueBytes: number;
  /** Expected data segments in the measurement (for the schedule and the estimate). */
  estSegments: number;
}

export type CellStatus = 'ok' | 'n/a' | 'error';

export interface CellResult {
  id: string;
  pathId: string;
  path: PathSpec;
  cc: string;
  sack: boolean;
  seed: number;
  status: CellStatus;
  /** Why a cell is n/a or failed. */
  note?: string;
  /** Payload bytes the receiving application read per second of virtual time, in the measurement. */
  goodputBps: number | null;
  /** goodput / the bound this cell is judged against (bounds.bound for Reno, bounds.cubicBound for CUBIC). */
  ofBound: number | null;
  /**
   * The buffers the sockets ended with (SO_SNDBUF, SO_RCVBUF) were below the tunables' maxima
   * and the goodput is at least 80% of min(those buffers) / RTT: a window limit the bound
   * column does not show (buffers that did not grow).
   */
  bufferLimited: boolean;
  /**
   * The sender retransmitted more than 3x the frames the path dropped (loss and queue), plus
   * 20: most of its retransmissions were spurious, and the goodput is not a congestion
   * control's steady state.
   */
  excessRetrans: boolean;
  bounds: Bounds;
  plan: CellPlan;
  measured: {
    /** Virtual ms since the Network started. */
    startMs: number;
    endMs: number;
    bytes: number;
    /** The byte cap ended the measurement before measureMs. */
    capped: boolean;
    /** The sender was out of recovery when the measurement started (false: maxWarmupMs ended the wait). */
    settled: boolean;
  } | null;
  /** What the connection and the path did over the whole cell. */
  stats: CellStats | null;
  /** Wall-clock ms the cell took (building, connecting, running). */
  wallMs: number;
  /** Virtual ms the cell's Network ran. */
  virtualMs: number;
}

export interface CellStats {
  /** Segments the sender transmitted over the whole cell: data, first and retransmitted (its few bare ACKs too). */
  segmentsOut: number;
  retransSegs: number;
  /** Frames the path lost (the loss impairment), dropped at the full queue, held back (reordering). */
  lostFrames: number;
  queueDrops: number;
  reorderedFrames: number;
  /** The sender's TCP_INFO at the end: cwnd and ssthresh in segments, smoothed RTT in µs. */
  cwnd: number;
  ssthresh: number;
  srttUs: number;
  /** getsockopt(SO_SNDBUF) of the sender and SO_RCVBUF of the receiver at the end (auto-tuning grows them). */
  sndBuf: number;
  rcvBuf: number;
  /** The congestion control the socket reports (TCP_CONGESTION), when the stack has that option. */
  ccInUse: string | null;
  /** Whether TCP_INFO says SACK was negotiated (null: the stack does not report it). */
  sackNegotiated: boolean | null;
}

export type GridMode = 'full' | 'quick' | 'tiny';

export interface NetsimReport {
  schema: 'sockstack-netsim/1';
  /** The command that produced the report. */
  command: string;
  mode: GridMode;
  filter: string[];
  machine: Machine;
  /** How the stack was loaded (the tsc build of src/, or the sources through tsx). */
  loadedFrom: string;
  /** The source measured: git HEAD and whether src/ had uncommitted changes (null outside a checkout). */
  source: { commit: string; dirty: boolean } | null;
  /** Congestion controls the stack had registered (availableCongestionControls()). */
  available: string[];
  /** Path model and measurement rules, in words, for the reader of the JSON. */
  model: Record<string, string>;
  /** The TCP tunables the bounds used. */
  config: { rcvBuf: number; sndBuf: number; rcvBufMax: number; sndBufMax: number | null; autotune: boolean; mss: number };
  /** Wall-clock seconds of the whole run and the number of worker processes. */
  seconds: number;
  /** The machine's 1-minute load average when the run started and ended (others' work slows the wall clock). */
  load: { start: number; end: number } | null;
  jobs: number;
  cells: CellResult[];
}

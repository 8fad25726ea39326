/**
 * TCP and the path MTU:
 * - RFC 1191 discovery: an ICMP "fragmentation needed" quoting a segment in flight lowers the
 *   path MTU, the MSS follows, and what is outstanding goes again at the new size at once,
 *   which is no congestion signal (Linux tcp_v4_mtu_reduced, tcp_sync_mss, tcp_simple_retransmit);
 * - black-hole detection (RFC 2923 §2.1, RFC 4821 §1): when such ICMPs never come, repeated
 *   timeouts of the same segment drop the MSS to tcp_base_mss, then halve it (Linux
 *   tcp_mtu_probing, from tcp_write_timeout);
 * - packetization-layer probing upward (RFC 4821 §7, RFC 8899 §5 ideas, Linux tcp_mtu_probe):
 *   a binary search between searchLow (an MTU known to work) and searchHigh (the largest not
 *   known to fail), one bigger segment at a time; its acknowledgement raises searchLow, its
 *   loss lowers searchHigh; after tcp_probe_interval the search starts again.
 *
 * Sizes: an MTU is the size of an IP datagram, an MSS the data one segment carries. With
 * timestamps every segment carries 12 bytes of options: MSS = MTU - 40 - 12 (Linux
 * tcp_mtu_to_mss). The MSS never goes above the one the handshake settled (the peer's option,
 * our route, TCP_MAXSEG), Linux's mss_clamp.
 *
 * Hooks: tcp-layer icmpError() calls onFragNeeded(); timers.ts calls onRetransmitTimeout()
 * before each timeout retransmission; output() calls mtuProbe() (which also resyncs the MSS
 * with the route's path MTU, Linux tcp_current_mss); input calls onProbeAcked() when SND.UNA
 * advances and onProbeLost() before a duplicate ACK reaches the congestion control.
 */
import { LOOPBACK_MTU, type RouteResult } from '../stack/ip-host.js';
import { TCP_ACK } from '../wire/tcp.js';
import { DUP_THRESH } from './congestion/congestion-control.js';
import { output, transmit, armRto } from './output.js';
import { seqGt, seqLt } from './seq.js';
import { TcpState } from './state.js';
import { RTX_PERSIST, type TcpEndpoint } from './tcp-endpoint.js';
import type { TcpLayer } from './tcp-layer.js';

/** IPv4 and TCP headers without options (RFC 9293 §3.7.1: MSS = MTU - 40). */
const IP_TCP_HEADERS = 40;
/** NOP, NOP, TSopt: what timestamps add to every segment (RFC 7323 §3.2). */
const TS_OPTION_LEN = 12;
/** Linux tcp_min_snd_mss: no MSS below this, whatever a path says. */
const MIN_SND_MSS = 48;
/** Linux TCP_RTO_MIN and TCP_RTO_MAX: tcp_model_timeout counts from these, not from the connection's RTO. */
const TCP_RTO_MIN_MS = 200;
const TCP_RTO_MAX_MS = 120_000;
/** Linux tp->reordering (tcp_reordering, 3): a probe needs this many segments + 1 behind it to be declared lost by duplicate ACKs. */
const REORDERING = 3;
/** Linux tcp_mtu_probe: no probe while cwnd is below 11 segments. */
const PROBE_MIN_CWND = 11;

/** A connection's MSS ceiling and RFC 4821 search (Linux's mss_clamp and icsk_mtup). */
export class MtuProbeState {
  /** The path MTU the send MSS follows (RFC 1191), bytes (TcpEndpoint.pmtu). */
  pmtu = 0;
  /** The largest MSS without options the connection may use (Linux rx_opt.mss_clamp). */
  mssClamp = 0;
  /** Probing upward is on (Linux icsk_mtup.enabled): tcp_mtu_probing 2, or 1 after a black hole. */
  enabled = false;
  /** RFC 4821 §7.2: the largest MTU known to work, and the largest not known to fail. */
  searchLow = 0;
  searchHigh = 0;
  /** The MTU of the probe in flight (0: none), and the sequence range it carries. */
  probeSize = 0;
  probeStart = 0;
  probeEnd = 0;
  /** When the current search began (ms): a new one starts probeIntervalMs later. */
  probeStamp = 0;
  /** The lost probe's bytes are being resent: duplicate ACKs at this SND.UNA are not congestion (-1: none). */
  holeSeq = -1;
}

function optionsLen(ep: TcpEndpoint): number {
  return ep.tsOk ? TS_OPTION_LEN : 0;
}

/** The datagram size of a segment with `mss` bytes of data (Linux tcp_mss_to_mtu). */
export function mssToMtu(ep: TcpEndpoint, mss: number): number {
  return mss + IP_TCP_HEADERS + optionsLen(ep);
}

/** The data a segment may carry on a path of `mtu`, within the connection's ceiling (Linux tcp_mtu_to_mss). */
export function mtuToMss(ep: TcpEndpoint, mtu: number, mssClamp: number): number {
  return Math.max(MIN_SND_MSS, Math.min(mtu - IP_TCP_HEADERS, mssClamp) - optionsLen(ep));
}

/** The MTU of the link a route leaves by (loopback's for local delivery). */
function linkMtu(route: RouteResult): number {
  return route.iface ? route.iface.mtu : LOOPBACK_MTU;
}

/** The path MTU the connection's MSS follows now. */
function currentPmtu(ep: TcpEndpoint): number {
  return ep.pmtu || (ep.route ? linkMtu(ep.route) : 0);
}

/**
 * The connection's state, made at its first path MTU event. The MSS in force then is the
 * handshake's (only this module lowers it later), so it gives the ceiling (Linux tcp_mtup_init).
 */
export function pmtuState(t: TcpLayer, ep: TcpEndpoint): MtuProbeState {
  let m = ep.mtup;
  if (m) return m;
  m = new MtuProbeState();
  m.mssClamp = ep.sndMss + optionsLen(ep);
  m.enabled = t.config.mtuProbing > 1;
  m.searchHigh = m.mssClamp + IP_TCP_HEADERS;
  m.searchLow = mssToMtu(ep, t.config.baseMss);
  m.probeStamp = t.scheduler.now();
  ep.mtup = m;
  return m;
}

/**
 * The MSS for a path MTU of `pmtu` (Linux tcp_sync_mss): within the ceiling, and while probing
 * no bigger than searchLow allows. Remembers `pmtu` as the one the MSS follows. Returns the MSS.
 */
export function syncMss(t: TcpLayer, ep: TcpEndpoint, pmtu: number): number {
  const m = pmtuState(t, ep);
  if (m.searchHigh > pmtu) m.searchHigh = pmtu;
  let mss = mtuToMss(ep, pmtu, m.mssClamp);
  if (m.enabled) mss = Math.min(mss, mtuToMss(ep, m.searchLow, m.mssClamp));
  m.pmtu = pmtu;
  ep.sndMss = mss;
  // cwnd stays in bytes; growth and the loss window follow the new segment size.
  ep.cc?.setMss(mss);
  return mss;
}

/**
 * Follows the route's path MTU if it changed since the MSS was set (Linux tcp_current_mss): a
 * smaller one another connection learnt, or the link's again once the learnt one aged out
 * (RFC 1191 §6.3). Cheap when nothing changed (no allocation). Returns the MSS.
 */
export function syncPathMtu(t: TcpLayer, ep: TcpEndpoint): number {
  const route = ep.route;
  if (!route) return ep.sndMss;
  const mtu = t.ip.pathMtu(ep.remoteAddr, route);
  if (mtu > 0 && mtu !== currentPmtu(ep)) syncMss(t, ep, mtu);
  return ep.sndMss;
}

/**
 * ICMP "fragmentation needed" with next-hop `mtu`, its quoted sequence number already found in
 * flight (RFC 1191 §3, RFC 5927 §4.1; Linux tcp_v4_err + tcp_v4_mtu_reduced). The host learns
 * the path MTU; a connection whose MSS followed a bigger one shrinks it and resends what is
 * outstanding at once. Reports not below the current path MTU change nothing (pmtuIgnored).
 */
export function onFragNeeded(t: TcpLayer, ep: TcpEndpoint, mtu: number): void {
  const st = ep.state;
  if (st === TcpState.LISTEN || st === TcpState.CLOSED || st === TcpState.TIME_WAIT) return;
  t.ip.learnPmtu(ep.remoteAddr, mtu);
  // Handshake segments are small; the MSS settles from the route once established.
  if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECEIVED || !ep.route) return;
  const pmtu = t.ip.pathMtu(ep.remoteAddr, ep.route);
  if (pmtu <= 0 || pmtu >= currentPmtu(ep)) return;
  const old = ep.sndMss;
  syncMss(t, ep, pmtu);
  if (ep.sndMss < old) simpleRetransmit(t, ep);
}

/**
 * Linux tcp_simple_retransmit: segments in flight bigger than the new MSS were dropped on the
 * way; resend everything outstanding at the new size now. Not a congestion signal: cwnd and
 * ssthresh stay (the data in the network did not grow, only its units shrank). SND.NXT goes
 * back to SND.UNA and output() sends again as the windows allow; ACKs for what did arrive
 * move SND.NXT forward past it.
 */
export function simpleRetransmit(t: TcpLayer, ep: TcpEndpoint): void {
  if (ep.sndMax === ep.sndUna || ep.sndUna === ep.iss || ep.rtxMode === RTX_PERSIST) return;
  cancelProbe(ep);
  ep.sndNxt = ep.sndUna;
  ep.rttSeq = -1; // Karn (RFC 6298 §3): what follows are retransmissions
  output(t, ep);
}

/** Linux tcp_model_timeout: how long `boundary` backed-off retransmissions take from TCP_RTO_MIN. */
function modelTimeout(boundary: number): number {
  const thresh = Math.floor(Math.log2(TCP_RTO_MAX_MS / TCP_RTO_MIN_MS));
  if (boundary <= thresh) return ((2 << boundary) - 1) * TCP_RTO_MIN_MS;
  return ((2 << thresh) - 1) * TCP_RTO_MIN_MS + (boundary - thresh) * TCP_RTO_MAX_MS;
}

/**
 * The retransmission timer fired for data, before its retransmission. A probe in flight is
 * inconclusive now (Linux __tcp_retransmit_skb). When the head has been retransmitted for
 * longer than tcp_retries1 backed-off timeouts take (Linux retransmits_timed_out from
 * tcp_write_timeout: 3 s), a PMTU black hole is suspected (RFC 2923 §2.1): with mtuProbing on,
 * the first time the MSS drops to at most tcp_base_mss and probing starts; every later time
 * it halves, down to tcp_mtu_probe_floor (Linux tcp_mtu_probing).
 */
export function onRetransmitTimeout(t: TcpLayer, ep: TcpEndpoint): void {
  const m = ep.mtup;
  if (m) {
    cancelProbe(ep);
    m.holeSeq = -1;
  }
  const cfg = t.config;
  if (cfg.mtuProbing === 0 || ep.retransmits === 0 || !ep.route) return;
  const now = t.scheduler.now();
  if (now - ep.headSentAt < modelTimeout(cfg.retries1)) return;
  blackHole(t, ep, now);
}

/** Linux tcp_mtu_probing: the black-hole response. */
function blackHole(t: TcpLayer, ep: TcpEndpoint, now: number): void {
  const cfg = t.config;
  const m = pmtuState(t, ep);
  if (!m.enabled) {
    m.enabled = true;
    m.probeStamp = now;
  } else {
    let mss = mtuToMss(ep, m.searchLow, m.mssClamp) >> 1;
    mss = Math.min(cfg.baseMss, mss);
    mss = Math.max(mss, cfg.mtuProbeFloor, MIN_SND_MSS);
    m.searchLow = mssToMtu(ep, mss);
  }
  syncMss(t, ep, t.ip.pathMtu(ep.remoteAddr, ep.route) || currentPmtu(ep));
}

/** Linux tcp_mtu_check_reprobe: tcp_probe_interval after the last search began, search again from the current size. */
function checkReprobe(t: TcpLayer, ep: TcpEndpoint, m: MtuProbeState): void {
  const now = t.scheduler.now();
  if (now - m.probeStamp < t.config.probeIntervalMs) return;
  m.probeSize = 0;
  m.searchHigh = Math.min(m.mssClamp + IP_TCP_HEADERS, currentPmtu(ep));
  m.searchLow = mssToMtu(ep, ep.sndMss);
  m.probeStamp = now;
}

/**
 * For output(), before its send loop (Linux tcp_write_xmit calling tcp_mtu_probe): resyncs
 * the MSS with the route's path MTU, then, when probing is on and Linux's conditions hold,
 * sends one probe: a segment of the next search size (the middle of searchLow..searchHigh)
 * from new data at SND.NXT. The conditions: no probe already in flight, nothing being
 * recovered (no duplicate ACKs, no rewound SND.NXT, no fast recovery), no SACK blocks to send,
 * cwnd of at least 11 segments with room for the probe and one more, and data and peer window
 * for the probe and REORDERING + 1 segments after it, so that losing it is seen from
 * duplicate ACKs rather than a timeout. A search narrower than probeThreshold ends, and starts
 * again probeIntervalMs after it began. Returns true when a probe went out (output carries on
 * after it as usual).
 */
export function mtuProbe(t: TcpLayer, ep: TcpEndpoint): boolean {
  const cfg = t.config;
  let m = ep.mtup;
  if (m === null) {
    if (cfg.mtuProbing < 2) {
      syncPathMtu(t, ep);
      return false;
    }
    m = pmtuState(t, ep);
    syncMss(t, ep, t.ip.pathMtu(ep.remoteAddr, ep.route) || currentPmtu(ep));
  } else {
    syncPathMtu(t, ep);
  }
  if (!m.enabled || m.probeSize !== 0 || cfg.mtuProbing === 0) return false;
  const st = ep.state;
  if (st !== TcpState.ESTABLISHED && st !== TcpState.CLOSE_WAIT) return false;
  const cc = ep.cc;
  if (!cc || cc.inRecovery || ep.dupAcks > 0 || ep.sndNxt !== ep.sndMax || m.holeSeq !== -1) return false;
  if (ep.ooo !== null && !ep.ooo.isEmpty) return false;
  const mss = ep.sndMss;
  if (cc.cwnd < PROBE_MIN_CWND * mss) return false;
  const probeLen = mtuToMss(ep, (m.searchHigh + m.searchLow) >> 1, m.mssClamp);
  if (probeLen > mtuToMss(ep, m.searchHigh, m.mssClamp) || m.searchHigh - m.searchLow < cfg.probeThreshold || probeLen <= mss) {
    checkReprobe(t, ep, m);
    return false;
  }
  const needed = probeLen + (REORDERING + 1) * mss;
  const inFlight = (ep.sndNxt - ep.sndUna) | 0;
  if (ep.unsent < needed || ep.sndWnd < needed || inFlight + needed > ep.sndWnd) return false;
  if (inFlight + probeLen + mss > cc.cwnd) return false;
  const seq = ep.sndNxt;
  const now = t.scheduler.now();
  if (ep.sndNxt === ep.sndUna) ep.headSentAt = now;
  transmit(t, ep, seq, TCP_ACK, (seq - ep.sndBufSeq) | 0, probeLen);
  ep.sndNxt = ep.sndMax = (seq + probeLen) >>> 0;
  ep.lastSendAt = now;
  if (!ep.rtxRunning || ep.rtxMode === RTX_PERSIST) armRto(t, ep);
  m.probeSize = mssToMtu(ep, probeLen);
  m.probeStart = seq;
  m.probeEnd = ep.sndNxt;
  return true;
}

/**
 * For input, after an ACK advanced SND.UNA (Linux tcp_clean_rtx_queue → tcp_mtup_probe_success):
 * the probe acknowledged whole raises searchLow to its size and the MSS with it. Acknowledged
 * only in part, it was resent in smaller pieces: the probe itself never arrived (a failure).
 */
export function onProbeAcked(t: TcpLayer, ep: TcpEndpoint): void {
  const m = ep.mtup;
  if (m === null) return;
  if (m.holeSeq !== -1 && ep.sndUna !== m.holeSeq) m.holeSeq = -1;
  if (m.probeSize === 0) return;
  if (!seqLt(ep.sndUna, m.probeEnd)) {
    m.searchLow = m.probeSize;
    m.probeSize = 0;
    t.counters.extTCPMTUPSuccess++;
    syncMss(t, ep, currentPmtu(ep));
  } else if (seqGt(ep.sndUna, m.probeStart)) {
    probeFailed(t, m);
  }
}

/**
 * For input, on each duplicate ACK before the congestion control sees it (Linux
 * tcp_fastretrans_alert: "MTU probe failure: don't reduce cwnd"). When the probe is the
 * segment duplicate ACKs (DUP_THRESH of them) report missing and no recovery is under way, the
 * probe was too big: searchHigh drops below it, its bytes go again at the current MSS, and
 * true says so: no fast retransmit, no cwnd reduction. Further duplicate ACKs for that hole
 * also return true until SND.UNA moves. False: an ordinary duplicate ACK.
 */
export function onProbeLost(t: TcpLayer, ep: TcpEndpoint): boolean {
  const m = ep.mtup;
  if (m === null) return false;
  if (m.holeSeq !== -1) {
    if (ep.sndUna === m.holeSeq) return true;
    m.holeSeq = -1;
  }
  if (m.probeSize === 0 || ep.sndUna !== m.probeStart || ep.dupAcks < DUP_THRESH || ep.cc?.inRecovery) return false;
  const start = m.probeStart;
  const end = m.probeEnd;
  probeFailed(t, m);
  m.holeSeq = start;
  resend(t, ep, start, end);
  return true;
}

/** Linux tcp_mtup_probe_failed: the probe's size does not fit; the search goes on below it. */
function probeFailed(t: TcpLayer, m: MtuProbeState): void {
  m.searchHigh = m.probeSize - 1;
  m.probeSize = 0;
  t.counters.extTCPMTUPFail++;
}

/** A retransmission makes the probe in flight inconclusive (Linux __tcp_retransmit_skb). */
function cancelProbe(ep: TcpEndpoint): void {
  if (ep.mtup) ep.mtup.probeSize = 0;
}

/** Resends [start, end) at the current MSS (the lost probe), leaving SND.NXT and the windows alone. */
function resend(t: TcpLayer, ep: TcpEndpoint, start: number, end: number): void {
  let seq = start;
  while (seqLt(seq, end)) {
    const off = (seq - ep.sndBufSeq) | 0;
    const len = Math.min(ep.sndMss, (end - seq) | 0, ep.sendBuf.length - off);
    if (off < 0 || len <= 0) break;
    transmit(t, ep, seq, TCP_ACK, off, len);
    t.counters.retransSegs++;
    ep.totalRetrans++;
    seq = (seq + len) >>> 0;
  }
  ep.rttSeq = -1; // Karn (RFC 6298 §3)
  armRto(t, ep);
}

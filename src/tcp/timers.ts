import { TCP_ACK, TCP_PSH } from '../wire/tcp.js';
import { isSynchronized, TcpState } from './state.js';
import { RTX_NONE, RTX_PERSIST, RTX_RACK, RTX_TLP, SLOW_FIN_WAIT_2, SLOW_KEEPALIVE, SLOW_NONE, SLOW_TIME_WAIT, type TcpEndpoint } from './tcp-endpoint.js';
import { armPersist, armRto, dataMss, output, retransmitHead, sendAbortRst, sendAck, sendSyn, transmit } from './output.js';
import { rackTimerFired, sackOnTimeout, tlpTimerFired } from './sack-sender.js';
import { UNDO_TIMEOUT, beginEpisode } from './undo.js';
import type { TcpLayer } from './tcp-layer.js';
import { onRetransmitTimeout as onPmtuTimeout } from './pmtu.js';

/** Linux tcp_orphan_retries = 0 means 8: how long an orphan's FIN is retransmitted. */
const ORPHAN_RETRIES = 8;

/** Fails the connection after a timeout: the remembered ICMP error, else ETIMEDOUT (Linux tcp_write_err). */
function timeout(t: TcpLayer, ep: TcpEndpoint): void {
  t.counters.extTCPAbortOnTimeout++;
  t.done(ep, ep.softError ?? 'ETIMEDOUT');
}

/** TCP_USER_TIMEOUT (RFC 5482, Linux): data unacknowledged for that long fails the connection. */
function userTimeoutExpired(t: TcpLayer, ep: TcpEndpoint): boolean {
  return ep.userTimeoutMs > 0 && t.scheduler.now() - ep.headSentAt >= ep.userTimeoutMs;
}

/**
 * Linux tcp_clamp_rto_to_user_timeout: after a retransmission, the timer fires no later than
 * TCP_USER_TIMEOUT after the head was first sent, so the connection fails on time rather than
 * at the next backed-off retransmission.
 */
function clampToUserTimeout(t: TcpLayer, ep: TcpEndpoint): void {
  const rtx = ep.rtxTimer;
  if (ep.userTimeoutMs <= 0 || rtx === null || !ep.rtxRunning) return;
  const deadline = ep.headSentAt + ep.userTimeoutMs;
  if (rtx.at > deadline) t.scheduler.arm(rtx, Math.max(deadline, t.scheduler.now()));
}

/**
 * The retransmission timer: SYN and SYN-ACK retries, RFC 6298 §5.4-5.6 retransmission with
 * exponential backoff, R2 (RFC 9293 §3.8.3, RFC 1122 §4.2.3.5) and TCP_USER_TIMEOUT, or the
 * persist timer's zero-window probes (§3.8.6.1).
 */
export function onRetransmitTimer(t: TcpLayer, ep: TcpEndpoint): void {
  if (ep.rtxMode === RTX_NONE) return; // stopped since it was armed (rtx-timer.ts)
  // RACK-TLP's modes of this timer (RFC 8985 §6.3, §7.3).
  if (ep.rtxMode === RTX_RACK) return rackTimerFired(t, ep);
  if (ep.rtxMode === RTX_TLP) return tlpTimerFired(t, ep);
  if (ep.rtxMode === RTX_PERSIST) {
    persistProbe(t, ep);
    return;
  }
  const cfg = t.config;
  const st = ep.state;
  if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECEIVED) {
    const limit = st === TcpState.SYN_SENT || !ep.passive ? cfg.synRetries : cfg.synAckRetries;
    if (ep.retransmits >= limit || userTimeoutExpired(t, ep)) {
      if (ep.passive) t.dropChild(ep);
      else timeout(t, ep);
      return;
    }
    ep.retransmits++;
    ep.totalRetrans++;
    t.counters.retransSegs++;
    if (st === TcpState.SYN_SENT) t.counters.extTCPSynRetrans++;
    ep.rtt.backoff();
    sendSyn(t, ep);
    armRto(t, ep);
    clampToUserTimeout(t, ep);
    return;
  }
  if (!isSynchronized(st) || st === TcpState.TIME_WAIT) return;
  if (ep.sndMax === ep.sndUna) {
    ep.rtxMode = RTX_NONE;
    output(t, ep);
    return;
  }
  const limit = ep.orphan ? ORPHAN_RETRIES : cfg.retries2;
  if (ep.retransmits >= limit || userTimeoutExpired(t, ep)) {
    timeout(t, ep);
    return;
  }
  t.counters.extTCPTimeouts++;
  // A probe in flight is inconclusive now; a long run of timeouts suggests a PMTU black hole
  // and shrinks the MSS before the retransmission (RFC 2923 §2.1, Linux tcp_write_timeout).
  onPmtuTimeout(t, ep);
  // The first timeout of this segment outside recovery starts an episode that may be undone.
  if (ep.retransmits === 0 && !ep.cc?.inRecovery) beginEpisode(ep, UNDO_TIMEOUT);
  ep.cc?.onRetransmitTimeout(t.ccSample(ep));
  ep.retransmits++;
  ep.dupAcks = 0;
  if (ep.sackOk) sackOnTimeout(t, ep);
  // R1 (RFC 1122 §4.2.3.5): after retries1 the route may be stale; look it up again.
  if (ep.retransmits === cfg.retries1) ep.route = t.routeFor(ep.remoteAddr) ?? ep.route;
  ep.rtt.backoff();
  retransmitHead(t, ep, true);
  clampToUserTimeout(t, ep);
}

/**
 * Zero-window probing (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17). With room in the window,
 * whatever fits goes out (the sender SWS override); at zero window Linux's probe: an ACK
 * with SEG.SEQ = SND.UNA - 1, which the peer must answer with its window. Probing goes on
 * as long as the peer answers; unanswered probes count towards R2.
 */
function persistProbe(t: TcpLayer, ep: TcpEndpoint): void {
  ep.rtxMode = RTX_NONE;
  const st = ep.state;
  if (!(st === TcpState.ESTABLISHED || st === TcpState.CLOSE_WAIT || st === TcpState.FIN_WAIT_1 || st === TcpState.CLOSING || st === TcpState.LAST_ACK)) return;
  if (ep.unsent <= 0 && !ep.finQueued) return;
  const limit = ep.orphan ? ORPHAN_RETRIES : t.config.retries2;
  if (ep.probesOut >= limit || userTimeoutExpired(t, ep)) {
    timeout(t, ep);
    return;
  }
  const room = ep.sndWnd - ((ep.sndNxt - ep.sndUna) | 0);
  if (room > 0 && ep.unsent > 0) {
    // Send what fits, Nagle and SWS notwithstanding: the override timeout of §3.8.6.2.1, with
    // PSH as Linux's tcp_write_wakeup sets it.
    const off = (ep.sndNxt - ep.sndBufSeq) | 0;
    // dataMss: SACK blocks riding on the probe take room from its data (DF: no fragmenting).
    const len = Math.min(room, ep.unsent, dataMss(ep));
    const seq = ep.sndNxt;
    ep.headSentAt = t.scheduler.now();
    transmit(t, ep, seq, TCP_ACK | TCP_PSH, off, len);
    ep.sndNxt = (seq + len) >>> 0;
    if (((ep.sndNxt - ep.sndMax) | 0) > 0) ep.sndMax = ep.sndNxt;
    armRto(t, ep);
    return;
  }
  ep.probesOut++;
  t.counters.extTCPWinProbe++;
  transmit(t, ep, (ep.sndUna - 1) >>> 0, TCP_ACK, 0, 0);
  armPersist(t, ep);
}

/**
 * The delayed ACK is due (RFC 9293 §3.8.6.3), or the ACK of two or more full-sized segments
 * at the end of their arrival batch (input.ts ackFullSegments), which Linux would not count
 * as delayed.
 */
export function onDelayedAck(t: TcpLayer, ep: TcpEndpoint): void {
  if (!ep.delackOwed) return; // an ACK went out since the timer was armed
  if (!isSynchronized(ep.state) && ep.state !== TcpState.SYN_RECEIVED) return;
  if (ep.unackedBytes < 2 * ep.rcvMss) t.counters.extDelayedACKs++;
  sendAck(t, ep);
}

/** Keepalive (RFC 1122 §4.2.3.6), the orphaned FIN-WAIT-2 timeout, and the end of TIME-WAIT. */
export function onSlowTimer(t: TcpLayer, ep: TcpEndpoint): void {
  const mode = ep.slowMode;
  ep.slowMode = SLOW_NONE;
  if (mode === SLOW_TIME_WAIT || mode === SLOW_FIN_WAIT_2) {
    t.done(ep);
    return;
  }
  if (mode !== SLOW_KEEPALIVE || !ep.keepalive) return;
  const st = ep.state;
  if (!(st === TcpState.ESTABLISHED || st === TcpState.CLOSE_WAIT || st === TcpState.FIN_WAIT_1 || st === TcpState.FIN_WAIT_2)) return;
  const now = t.scheduler.now();
  ep.slowMode = SLOW_KEEPALIVE;
  // Data in flight or waiting: the retransmission and persist timers watch the peer instead.
  if (ep.sndMax !== ep.sndUna || ep.unsent > 0) {
    ep.probesOut = 0;
    t.scheduler.armIn(ep.slow, ep.keepIdleS * 1000);
    return;
  }
  const idle = now - ep.lastRecvAt;
  const idleMs = ep.keepIdleS * 1000;
  if (idle < idleMs && ep.probesOut === 0) {
    t.scheduler.armIn(ep.slow, idleMs - idle);
    return;
  }
  if (ep.probesOut > 0 && idle < ep.keepIntvlS * 1000 * ep.probesOut) {
    // The peer answered a probe (lastRecvAt moved): start a fresh idle period.
    ep.probesOut = 0;
    t.scheduler.armIn(ep.slow, idleMs - Math.min(idle, idleMs));
    return;
  }
  if (ep.probesOut >= ep.keepCnt || (ep.userTimeoutMs > 0 && idle >= ep.userTimeoutMs)) {
    // Linux tcp_keepalive_timer: tell the peer, if it is there after all, with an RST.
    sendAbortRst(t, ep);
    timeout(t, ep);
    return;
  }
  // The probe: SEG.SEQ = SND.NXT - 1 with no data, which any live peer answers with an ACK.
  ep.probesOut++;
  t.counters.extTCPKeepAlive++;
  transmit(t, ep, (ep.sndNxt - 1) >>> 0, TCP_ACK, 0, 0);
  t.scheduler.armIn(ep.slow, ep.keepIntvlS * 1000);
}

import { SocketError } from '../stack/errno.js';
import { ERRNO } from '../stack/errno.js';
import type { OpenSocket } from './open-socket.js';
import type { Transports } from './socket-api.js';
import * as C from './constants.js';
import { getTcpOption, setTcpOption } from './tcp-options.js';
import { TcpState } from '../tcp/state.js';
import { RCVBUF_LOCK, SNDBUF_LOCK, autotuneLock } from '../tcp/autotune.js';
import { POLLOUT } from '../stack/events.js';

/**
 * Int options are numbers; struct options are plain objects keyed by their C field names; name
 * options (TCP_CONGESTION, a char buffer in C) are strings, or bytes when set.
 */
export type OptionValue = number | boolean | string | Uint8Array | { l_onoff: number; l_linger: number } | { tv_sec: number; tv_usec: number } | TcpInfo;

/** TCP_INFO: a subset of Linux's struct tcp_info (times in microseconds, as Linux reports them). */
export interface TcpInfo {
  tcpi_state: number;
  tcpi_retransmits: number;
  tcpi_probes: number;
  tcpi_backoff: number;
  tcpi_rto: number;
  tcpi_snd_mss: number;
  tcpi_rcv_mss: number;
  tcpi_unacked: number;
  tcpi_rtt: number;
  tcpi_rttvar: number;
  tcpi_snd_ssthresh: number;
  tcpi_snd_cwnd: number;
  tcpi_total_retrans: number;
  /** TCPI_OPT_* bits: what the handshake agreed (timestamps 1, SACK 2, window scale 4). */
  tcpi_options: number;
  /** The peer's window shift and ours (0 without window scaling). */
  tcpi_snd_wscale: number;
  tcpi_rcv_wscale: number;
  /** Linux's congestion-avoidance state: Open 0, Disorder 1, CWR 2, Recovery 3, Loss 4. */
  tcpi_ca_state: number;
  /** The path MTU the connection sends by (bytes). */
  tcpi_pmtu: number;
  /** The most window the receive side would offer now (Linux rcv_ssthresh), bytes. */
  tcpi_rcv_ssthresh: number;
  /** What the application read in one RTT, the measure receive auto-tuning works from (Linux rcvq_space). */
  tcpi_rcv_space: number;
  /** Duplicate ACKs (or SACKed segments) that signal a loss (Linux tp->reordering). */
  tcpi_reordering: number;
  /** Segments the peer has SACKed beyond SND.UNA (Linux sacked_out). */
  tcpi_sacked: number;
  /** Segments deemed lost and not yet retransmitted (RACK; Linux lost_out). */
  tcpi_lost: number;
  /** The receiver's RTT estimate for buffer auto-tuning, µs (0: none yet). */
  tcpi_rcv_rtt: number;
}

/** Linux net.core.rmem_max / wmem_max and the minimums of sock_setsockopt. */
const RMEM_MAX = 212_992;
const WMEM_MAX = 212_992;
const SOCK_MIN_RCVBUF = 2_304;
const SOCK_MIN_SNDBUF = 4_608;

export function intValue(v: OptionValue, sys: string): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new SocketError('EINVAL', sys, 'this option takes an integer');
  return v;
}

function timeval(v: OptionValue, sys: string): number {
  if (typeof v !== 'object' || v === null || !('tv_sec' in v)) throw new SocketError('EINVAL', sys, 'expects { tv_sec, tv_usec }');
  const { tv_sec, tv_usec } = v;
  if (!Number.isInteger(tv_sec) || !Number.isInteger(tv_usec)) throw new SocketError('EINVAL', sys);
  if (tv_usec < 0 || tv_usec >= 1_000_000) throw new SocketError('EDOM', sys); // sock_set_timeout
  if (tv_sec < 0) return -1; // Linux stores 0: the call fails at once with EAGAIN
  return tv_sec * 1000 + tv_usec / 1000;
}

function toTimeval(ms: number): { tv_sec: number; tv_usec: number } {
  if (ms < 0) return { tv_sec: 0, tv_usec: 0 };
  return { tv_sec: Math.floor(ms / 1000), tv_usec: Math.round((ms % 1000) * 1000) };
}

/** setsockopt(2) for datagram and raw sockets; errnos as Linux's sock_setsockopt / ip_setsockopt. */
export function setOption(s: OpenSocket, level: number, name: number, value: OptionValue, t: Transports): void {
  const sys = 'setsockopt';
  const e = s.endpoint;
  if (level === C.SOL_SOCKET) {
    switch (name) {
      case C.SO_REUSEADDR:
        if (e.kind !== 'raw') e.ep.reuseAddr = intValue(value, sys) !== 0;
        else intValue(value, sys);
        return;
      case C.SO_REUSEPORT:
        if (e.kind !== 'raw') e.ep.reusePort = intValue(value, sys) !== 0;
        else intValue(value, sys);
        return;
      case C.SO_BROADCAST:
        if (e.kind !== 'tcp') e.ep.broadcast = intValue(value, sys) !== 0;
        else intValue(value, sys);
        return;
      case C.SO_KEEPALIVE:
        s.keepalive = intValue(value, sys) !== 0;
        if (e.kind === 'tcp' && e.ep.keepalive !== s.keepalive) {
          e.ep.keepalive = s.keepalive;
          // Linux tcp_set_keepalive: the timer starts at once on a connection.
          if (s.keepalive && (e.ep.state === TcpState.ESTABLISHED || e.ep.state === TcpState.CLOSE_WAIT)) t.tcp.armKeepalive(e.ep);
        }
        return;
      case C.SO_OOBINLINE:
        if (e.kind === 'tcp') e.ep.oobInline = intValue(value, sys) !== 0;
        else intValue(value, sys);
        return;
      case C.SO_RCVBUF: {
        // Linux doubles the value to allow for bookkeeping overhead, within rmem_max.
        const raw = intValue(value, sys);
        const v = raw < 0 ? RMEM_MAX : raw; // min_t(u32, val, rmem_max): negative is huge
        const cap = Math.max(Math.min(v, RMEM_MAX) * 2, SOCK_MIN_RCVBUF);
        if (e.kind === 'tcp') {
          e.ep.recvBuf.resize(cap);
          autotuneLock(t.tcp, e.ep, RCVBUF_LOCK); // Linux SOCK_RCVBUF_LOCK: no auto-tuning from now on
        } else {
          e.ep.queue.capacity = cap;
        }
        return;
      }
      case C.SO_SNDBUF: {
        const raw = intValue(value, sys);
        const v = raw < 0 ? WMEM_MAX : raw;
        const cap = Math.max(Math.min(v, WMEM_MAX) * 2, SOCK_MIN_SNDBUF);
        if (e.kind === 'tcp') {
          e.ep.sendBuf.resize(cap);
          autotuneLock(t.tcp, e.ep, SNDBUF_LOCK); // Linux SOCK_SNDBUF_LOCK
          // Writers blocked on a full buffer see new room (Linux sock_setsockopt: sk_write_space).
          if (e.ep.writable()) e.ep.wait.notify(POLLOUT);
        } else {
          e.ep.sndbuf = cap;
        }
        return;
      }
      case C.SO_LINGER: {
        if (typeof value !== 'object' || value === null || !('l_onoff' in value)) throw new SocketError('EINVAL', sys, 'SO_LINGER expects { l_onoff, l_linger }');
        if (!Number.isInteger(value.l_onoff) || !Number.isInteger(value.l_linger)) throw new SocketError('EINVAL', sys);
        s.linger = { l_onoff: value.l_onoff ? 1 : 0, l_linger: Math.max(0, value.l_linger) };
        return;
      }
      case C.SO_RCVTIMEO:
        s.rcvTimeoMs = timeval(value, sys);
        return;
      case C.SO_SNDTIMEO:
        s.sndTimeoMs = timeval(value, sys);
        return;
      default:
        throw new SocketError('ENOPROTOOPT', sys, `SOL_SOCKET option ${name}`);
    }
  }
  if (level === C.IPPROTO_TCP && e.kind === 'tcp') {
    setTcpOption(e.ep, name, value, t.tcp);
    return;
  }
  if (level === C.IPPROTO_IP) {
    switch (name) {
      case C.IP_TTL: {
        const v = intValue(value, sys);
        if (v !== -1 && (v < 1 || v > 255)) throw new SocketError('EINVAL', sys, 'IP_TTL must be 1-255, or -1 for the default');
        e.ep.ttl = v;
        return;
      }
      case C.IP_TOS: {
        const v = intValue(value, sys);
        e.ep.tos = v & 0xff;
        return;
      }
      case C.IP_HDRINCL:
        if (s.endpoint.kind !== 'raw') throw new SocketError('ENOPROTOOPT', sys, 'IP_HDRINCL is for raw sockets');
        s.endpoint.ep.hdrincl = intValue(value, sys) !== 0;
        return;
      default:
        throw new SocketError('ENOPROTOOPT', sys, `IPPROTO_IP option ${name}`);
    }
  }
  throw new SocketError('ENOPROTOOPT', sys, `level ${level} on a ${s.endpoint.kind} socket`);
}

export function getOption(s: OpenSocket, level: number, name: number, t: Transports): OptionValue {
  const sys = 'getsockopt';
  const e = s.endpoint;
  const ep = e.ep;
  if (level === C.SOL_SOCKET) {
    switch (name) {
      case C.SO_TYPE:
        return s.type;
      case C.SO_PROTOCOL:
        return s.protocol;
      case C.SO_DOMAIN:
        return s.domain;
      case C.SO_ACCEPTCONN:
        return e.kind === 'tcp' && e.ep.state === TcpState.LISTEN ? 1 : 0;
      case C.SO_ERROR: {
        // Reading SO_ERROR clears it (sock_getsockopt: sock_error()).
        const e = ep.pendingError;
        ep.pendingError = null;
        return e ? ERRNO[e] : 0;
      }
      case C.SO_REUSEADDR:
        return e.kind !== 'raw' && e.ep.reuseAddr ? 1 : 0;
      case C.SO_REUSEPORT:
        return e.kind !== 'raw' && e.ep.reusePort ? 1 : 0;
      case C.SO_BROADCAST:
        return e.kind !== 'tcp' && e.ep.broadcast ? 1 : 0;
      case C.SO_KEEPALIVE:
        return s.keepalive ? 1 : 0;
      case C.SO_OOBINLINE:
        return e.kind === 'tcp' && e.ep.oobInline ? 1 : 0;
      // TCP: the current sizes, grown by auto-tuning unless SO_RCVBUF / SO_SNDBUF locked them (as Linux).
      case C.SO_RCVBUF:
        return e.kind === 'tcp' ? e.ep.recvBuf.capacity : e.ep.queue.capacity;
      case C.SO_SNDBUF:
        return e.kind === 'tcp' ? e.ep.sendBuf.capacity : e.ep.sndbuf;
      case C.SO_LINGER:
        return { ...s.linger };
      case C.SO_RCVTIMEO:
        return toTimeval(s.rcvTimeoMs);
      case C.SO_SNDTIMEO:
        return toTimeval(s.sndTimeoMs);
      default:
        throw new SocketError('ENOPROTOOPT', sys, `SOL_SOCKET option ${name}`);
    }
  }
  if (level === C.IPPROTO_TCP && e.kind === 'tcp') return getTcpOption(e.ep, name);
  if (level === C.IPPROTO_IP) {
    switch (name) {
      case C.IP_TTL:
        return ep.ttl >= 0 ? ep.ttl : t.ip.defaultTtl; // uc_ttl -1: the sysctl ip_default_ttl
      case C.IP_TOS:
        return ep.tos;
      case C.IP_HDRINCL:
        if (s.endpoint.kind !== 'raw') throw new SocketError('ENOPROTOOPT', sys);
        return s.endpoint.ep.hdrincl ? 1 : 0;
      default:
        throw new SocketError('ENOPROTOOPT', sys, `IPPROTO_IP option ${name}`);
    }
  }
  throw new SocketError('ENOPROTOOPT', sys, `level ${level} on a ${s.endpoint.kind} socket`);
}

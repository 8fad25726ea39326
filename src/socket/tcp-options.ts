import { SocketError } from '../stack/errno.js';
import type { TcpEndpoint } from '../tcp/tcp-endpoint.js';
import type { TcpLayer } from '../tcp/tcp-layer.js';
import { maxWindow, output } from '../tcp/output.js';
import { TcpState } from '../tcp/state.js';
import * as C from './constants.js';
import { DUP_THRESH, TCP_CA_OPEN, TCP_INFINITE_SSTHRESH as INFINITE_SSTHRESH, TCP_INIT_CWND } from '../tcp/congestion/congestion-control.js';
import { TCP_CA_NAME_MAX, congestionControlFactory, switchCongestionControl } from '../tcp/congestion/registry.js';
import { intValue, type OptionValue, type TcpInfo } from './options.js';

/** Linux's bounds for TCP_MAXSEG (TCP_MIN_MSS, MAX_TCP_WINDOW), TCP_KEEPIDLE/INTVL and TCP_KEEPCNT. */
const TCP_MIN_MSS = 88;
const MAX_TCP_WINDOW = 32767;
const MAX_TCP_KEEPIDLE = 32767;
const MAX_TCP_KEEPCNT = 127;
/** tcpi_options bits (Linux include/uapi/linux/tcp.h). */
export const TCPI_OPT_TIMESTAMPS = 1;
export const TCPI_OPT_SACK = 2;
export const TCPI_OPT_WSCALE = 4;
/** TCP_MAXSEG of an unconnected socket (Linux TCP_MSS_DEFAULT). */
const TCP_MSS_DEFAULT = 536;
/** The MTU of local delivery (sockstack's loopback), for tcpi_pmtu. */
const LOCAL_MTU = 65535;

/**
 * TCP_CONGESTION's value as Linux reads the char buffer (do_tcp_setsockopt): at most
 * TCP_CA_NAME_MAX - 1 bytes, up to the first NUL; an empty buffer is EINVAL.
 */
function congestionName(v: OptionValue, sys: string): string {
  let name: string;
  if (typeof v === 'string') name = v;
  else if (v instanceof Uint8Array) name = String.fromCharCode(...v.subarray(0, TCP_CA_NAME_MAX));
  else throw new SocketError('EINVAL', sys, 'TCP_CONGESTION takes a name (a string or bytes)');
  if (name.length === 0) throw new SocketError('EINVAL', sys, 'TCP_CONGESTION: empty name');
  const nul = name.indexOf('\0');
  return (nul >= 0 ? name.slice(0, nul) : name).slice(0, TCP_CA_NAME_MAX - 1);
}

function connected(ep: TcpEndpoint): boolean {
  return ep.state !== TcpState.CLOSED && ep.state !== TcpState.LISTEN && ep.state !== TcpState.SYN_SENT;
}

/** setsockopt(IPPROTO_TCP, …): errnos as Linux do_tcp_setsockopt. */
export function setTcpOption(ep: TcpEndpoint, name: number, value: OptionValue, tcp: TcpLayer): void {
  const sys = 'setsockopt';
  switch (name) {
    case C.TCP_NODELAY:
      ep.nodelay = intValue(value, sys) !== 0;
      // Setting TCP_NODELAY pushes what Nagle was holding (tcp_push_pending_frames).
      if (ep.nodelay && connected(ep)) output(tcp, ep);
      return;
    case C.TCP_CORK:
      ep.cork = intValue(value, sys) !== 0;
      if (!ep.cork && connected(ep)) output(tcp, ep);
      return;
    case C.TCP_MAXSEG: {
      const v = intValue(value, sys);
      if (v !== 0 && (v < TCP_MIN_MSS || v > MAX_TCP_WINDOW)) throw new SocketError('EINVAL', sys, `TCP_MAXSEG must be ${TCP_MIN_MSS}-${MAX_TCP_WINDOW}`);
      ep.userMss = v;
      return;
    }
    case C.TCP_KEEPIDLE: {
      const v = intValue(value, sys);
      if (v < 1 || v > MAX_TCP_KEEPIDLE) throw new SocketError('EINVAL', sys, `TCP_KEEPIDLE must be 1-${MAX_TCP_KEEPIDLE}`);
      ep.keepIdleS = v;
      if (ep.keepalive && (ep.state === TcpState.ESTABLISHED || ep.state === TcpState.CLOSE_WAIT)) tcp.armKeepalive(ep);
      return;
    }
    case C.TCP_KEEPINTVL: {
      const v = intValue(value, sys);
      if (v < 1 || v > MAX_TCP_KEEPIDLE) throw new SocketError('EINVAL', sys, `TCP_KEEPINTVL must be 1-${MAX_TCP_KEEPIDLE}`);
      ep.keepIntvlS = v;
      return;
    }
    case C.TCP_KEEPCNT: {
      const v = intValue(value, sys);
      if (v < 1 || v > MAX_TCP_KEEPCNT) throw new SocketError('EINVAL', sys, `TCP_KEEPCNT must be 1-${MAX_TCP_KEEPCNT}`);
      ep.keepCnt = v;
      return;
    }
    case C.TCP_USER_TIMEOUT: {
      const v = intValue(value, sys);
      if (v < 0) throw new SocketError('EINVAL', sys, 'TCP_USER_TIMEOUT must not be negative');
      ep.userTimeoutMs = v;
      return;
    }
    case C.TCP_CONGESTION: {
      const name = congestionName(value, sys);
      if (!congestionControlFactory(name)) throw new SocketError('ENOENT', sys, `no congestion control '${name}'`);
      ep.ccName = name;
      // A connection switches on the fly, keeping cwnd, ssthresh and its recovery state (Linux
      // tcp_reinit_congestion_control); before that, the name is what it will start with.
      if (ep.cc && ep.cc.name !== name) ep.cc = switchCongestionControl(ep.cc, name)!;
      return;
    }
    case C.TCP_INFO:
      throw new SocketError('ENOPROTOOPT', sys, 'TCP_INFO is read-only');
    default:
      throw new SocketError('ENOPROTOOPT', sys, `IPPROTO_TCP option ${name}`);
  }
}

/** getsockopt(IPPROTO_TCP, …). */
export function getTcpOption(ep: TcpEndpoint, name: number): OptionValue {
  switch (name) {
    case C.TCP_NODELAY:
      return ep.nodelay ? 1 : 0;
    case C.TCP_CORK:
      return ep.cork ? 1 : 0;
    case C.TCP_MAXSEG:
      return connected(ep) ? ep.sndMss : ep.userMss || TCP_MSS_DEFAULT;
    case C.TCP_KEEPIDLE:
      return ep.keepIdleS;
    case C.TCP_KEEPINTVL:
      return ep.keepIntvlS;
    case C.TCP_KEEPCNT:
      return ep.keepCnt;
    case C.TCP_USER_TIMEOUT:
      return ep.userTimeoutMs;
    case C.TCP_CONGESTION:
      return ep.cc ? ep.cc.name : ep.ccName;
    case C.TCP_INFO:
      return tcpInfo(ep);
    default:
      throw new SocketError('ENOPROTOOPT', 'getsockopt', `IPPROTO_TCP option ${name}`);
  }
}

function tcpInfo(ep: TcpEndpoint): TcpInfo {
  const cc = ep.cc;
  const mss = ep.sndMss;
  return {
    tcpi_state: ep.state,
    tcpi_retransmits: ep.retransmits,
    tcpi_probes: ep.probesOut,
    tcpi_backoff: ep.rtt.backoffs,
    tcpi_rto: Math.round(ep.rtt.rto * 1000),
    tcpi_snd_mss: mss,
    tcpi_rcv_mss: ep.rcvMss,
    tcpi_unacked: Math.ceil(((ep.sndMax - ep.sndUna) >>> 0) / mss),
    tcpi_rtt: Math.round(ep.rtt.srtt * 1000),
    tcpi_rttvar: Math.round(ep.rtt.rttvar * 1000),
    // Linux reports cwnd and ssthresh in segments.
    tcpi_snd_ssthresh: cc && cc.ssthresh < INFINITE_SSTHRESH ? Math.floor(cc.ssthresh / mss) : INFINITE_SSTHRESH,
    tcpi_snd_cwnd: cc ? Math.floor(cc.cwnd / mss) : 10,
    tcpi_total_retrans: ep.totalRetrans,
    tcpi_options: (ep.tsOk ? TCPI_OPT_TIMESTAMPS : 0) | (ep.sackOk ? TCPI_OPT_SACK : 0) | (ep.wsOk ? TCPI_OPT_WSCALE : 0),
    tcpi_snd_wscale: ep.sndWscale,
    tcpi_rcv_wscale: ep.rcvWscale,
    tcpi_ca_state: cc ? cc.caState : TCP_CA_OPEN,
    tcpi_pmtu: ep.pmtu || (ep.route ? (ep.route.iface ? ep.route.iface.mtu : LOCAL_MTU) : 0),
    tcpi_rcv_ssthresh: Math.min(ep.recvBuf.capacity, maxWindow(ep)),
    // Linux starts rcvq_space at min(window, TCP_INIT_CWND * advmss) (tcp_init_buffer_space).
    tcpi_rcv_space: ep.tune ? ep.tune.space : Math.min(ep.recvBuf.capacity, TCP_INIT_CWND * ep.advMss),
    tcpi_reordering: DUP_THRESH,
    tcpi_sacked: ep.scoreboard ? Math.ceil(ep.scoreboard.sacked / mss) : 0,
    tcpi_lost: ep.rack ? Math.ceil(ep.rack.log.lostBytes / mss) : 0,
    tcpi_rcv_rtt: ep.tune ? Math.round(ep.tune.rcvRtt * 1000) : 0,
  };
}

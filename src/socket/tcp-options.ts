import { SocketError } from '../stack/errno.js';
import type { TcpEndpoint } from '../tcp/tcp-endpoint.js';
import type { TcpLayer } from '../tcp/tcp-layer.js';
import { output } from '../tcp/output.js';
import { TcpState } from '../tcp/state.js';
import * as C from './constants.js';
import { TCP_INFINITE_SSTHRESH as INFINITE_SSTHRESH } from '../tcp/congestion/congestion-control.js';
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
    tcpi_options: (ep.tsOk ? TCPI_OPT_TIMESTAMPS : 0) | (ep.wsOk ? TCPI_OPT_WSCALE : 0),
    tcpi_snd_wscale: ep.sndWscale,
    tcpi_rcv_wscale: ep.rcvWscale,
  };
}

/**
 * Per-host TCP tunables, in the spirit of Linux's net.ipv4.tcp_* sysctls, with Linux's
 * defaults. `host.tcp.config` is mutable: changes apply to connections created afterwards
 * (and to timers armed afterwards).
 */
export interface TcpConfig {
  /** TIME-WAIT length, 2*MSL (Linux TCP_TIMEWAIT_LEN: 60 s). */
  timeWaitMs: number;
  /** SYN retransmissions before connect() fails with ETIMEDOUT (tcp_syn_retries). */
  synRetries: number;
  /** SYN-ACK retransmissions before a half-open connection is dropped (tcp_synack_retries). */
  synAckRetries: number;
  /** R1 (RFC 9293 §3.8.3): retransmissions after which the stack suspects the route (tcp_retries1). */
  retries1: number;
  /** R2: retransmissions after which an established connection fails with ETIMEDOUT (tcp_retries2). */
  retries2: number;
  /** How long an orphaned FIN-WAIT-2 connection lives (tcp_fin_timeout). */
  finTimeoutMs: number;
  /** Delayed-ACK timeout (RFC 9293 §3.8.6.3: under 0.5 s; Linux's minimum is 40 ms, its maximum 200 ms). */
  delayedAckMs: number;
  /**
   * Delay ACKs at all (RFC 1122 §4.2.3.2 SHOULD; FreeBSD net.inet.tcp.delayed_ack). Off: every
   * in-order segment is acknowledged at once.
   */
  delayedAck: boolean;
  /** RFC 5961 challenge ACKs for in-window RST and SYN (on in Linux). */
  rfc5961: boolean;
  /** Challenge ACKs per second per host (tcp_challenge_ack_limit; RFC 5961 §7). */
  challengeAckLimit: number;
  /** Keepalive defaults: idle time, probe interval, probe count (tcp_keepalive_*). */
  keepIdleS: number;
  keepIntvlS: number;
  keepCnt: number;
  /** MSS assumed when the peer sends no MSS option (RFC 9293 §3.7.1, RFC 1122: 536). */
  defaultMss: number;
  /** Default send and receive buffer sizes (SO_SNDBUF / SO_RCVBUF as getsockopt reports them). */
  sndBuf: number;
  rcvBuf: number;
  /**
   * The window offered in a SYN or SYN-ACK, in bytes (Linux: initrwnd / tcp_rmem-derived; BSD:
   * the receive buffer). 0 = the receive buffer's size, at most 65535. Later segments offer the
   * free buffer space as usual, so this bounds only the first window.
   */
  initRcvWnd: number;
  /** Largest listen() backlog (net.core.somaxconn). */
  somaxconn: number;
  /** RFC 6298 initial RTO, and Linux's floor and ceiling (TCP_RTO_MIN, TCP_RTO_MAX). */
  rtoInitialMs: number;
  rtoMinMs: number;
  rtoMaxMs: number;
  /**
   * Added to every computed RTO before the bounds (FreeBSD net.inet.tcp.rexmit_slop, 200 ms,
   * which keeps its 30 ms floor from firing early on a LAN; Linux: 0).
   */
  rtoSlopMs: number;
  /**
   * RFC 5681 §4.1: restart from the restart window after an idle period longer than the RTO
   * (Linux tcp_slow_start_after_idle, on by default).
   */
  slowStartAfterIdle: boolean;
  /** RFC 7323 §2: offer window scaling in SYNs and accept it in SYN-ACKs (tcp_window_scaling, on in Linux). */
  windowScaling: boolean;
  /** RFC 7323 §3: offer timestamps (tcp_timestamps, on in Linux). */
  timestamps: boolean;
  /**
   * The largest receive buffer a socket may grow to (Linux tcp_rmem[2], 6 MiB): our window
   * scale is chosen so that this window fits the 16-bit field (tcp_select_initial_window).
   */
  rcvBufMax: number;
  /** RFC 2018: offer and accept selective acknowledgements (tcp_sack, on in Linux). */
  sack: boolean;
  /** RFC 2883: report duplicate segments in the first SACK block (tcp_dsack, on in Linux). */
  dsack: boolean;
  /** The congestion control of new sockets, a registry name (tcp_congestion_control; Linux: cubic). */
  congestionControl: string;
}

export function defaultTcpConfig(): TcpConfig {
  return {
    timeWaitMs: 60_000,
    synRetries: 6,
    synAckRetries: 5,
    retries1: 3,
    retries2: 15,
    finTimeoutMs: 60_000,
    delayedAckMs: 40,
    delayedAck: true,
    rfc5961: true,
    challengeAckLimit: 1000,
    keepIdleS: 7200,
    keepIntvlS: 75,
    keepCnt: 9,
    defaultMss: 536,
    // Linux starts at tcp_wmem[1] = 16 KiB and grows it with the window; without that
    // auto-tuning (a later issue) a fixed 64 KiB keeps one window of data in flight.
    sndBuf: 65_536,
    rcvBuf: 131_072,
    initRcvWnd: 0,
    somaxconn: 4096,
    rtoInitialMs: 1000,
    rtoMinMs: 200,
    rtoMaxMs: 120_000,
    rtoSlopMs: 0,
    slowStartAfterIdle: true,
    windowScaling: true,
    timestamps: true,
    rcvBufMax: 6_291_456,
    sack: true,
    dsack: true,
    congestionControl: 'reno',
  };
}

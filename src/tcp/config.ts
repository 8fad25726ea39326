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
  /**
   * ACK batching, as Linux's GRO with its ACK at the end of a NAPI poll: in-order data that
   * arrives in one batch (frames delivered at the same instant, before the application or the
   * clock moves) is acknowledged once, at the end of the batch, instead of every second
   * full-sized segment as it arrives (RFC 5681 §4.2's SHOULD; RFC 2525 §2.13 calls the result
   * a stretch ACK). The stretch is bounded: an ACK goes at once when this many bytes are
   * unacknowledged (Linux's GRO merges at most 64 KiB). 0: off, every second full-sized
   * segment is acknowledged as it arrives. Out-of-order data, a filled hole, a FIN and every
   * other immediate ACK go at once either way; a lone segment still waits for the
   * delayed-ACK timer.
   */
  ackBatchBytes: number;
  /**
   * RFC 3465 appropriate byte counting as the RFC writes it: slow start grows cwnd by at most
   * L = this many SMSS per ACK (§2.2; 1 SMSS in the slow start after a timeout, §2.3), and
   * congestion avoidance by at most one SMSS per ACK (§2.1). The RFC's SHOULD is L = 2; with
   * it set, HyStart++ uses its own L = 8 (RFC 9406 §4.3, a sender without pacing).
   * 0 or Infinity (0 is the default): Linux's rule, which departs from that SHOULD because
   * stretch ACKs are the norm (GRO, ACK batching, ACK thinning): a capped ACK that covers
   * forty segments grows cwnd by two and turns slow start linear. Every acknowledged byte
   * counts, in slow start up to ssthresh with the rest carried into congestion avoidance
   * (tcp_slow_start), and congestion avoidance adds one SMSS per cwnd of bytes acknowledged,
   * several for an ACK larger than cwnd (tcp_cong_avoid_ai; Neal Cardwell's 2015 series
   * "tcp: stretch ACK fixes"). In the slow start after a timeout only a connection without
   * SACK keeps §2.3's L = 1 SMSS (Linux has none; why: congestion/loss-based.ts, slowStart).
   */
  abcLimitSegments: number;
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
  /**
   * RACK-TLP loss detection (RFC 8985) on SACK connections (Linux tcp_recovery bit 1, on by
   * default); off: RFC 6675's DupThresh rule.
   */
  rack: boolean;
  /** Tail loss probes (RFC 8985 §7) on SACK connections with RACK (Linux tcp_early_retrans 3). */
  tlp: boolean;
  /** The congestion control of new sockets, a registry name (tcp_congestion_control; Linux: cubic). */
  congestionControl: string;
  // ---- buffer auto-tuning (helper "autotune") ----
  /**
   * Receive-buffer auto-tuning, dynamic right-sizing (tcp_moderate_rcvbuf, on in Linux): a
   * socket without SO_RCVBUF grows its buffer, and so its window, toward twice what the
   * application reads per round trip, up to rcvBufMax.
   */
  moderateRcvBuf: boolean;
  /** The largest send buffer auto-tuning grows a socket to (Linux tcp_wmem[2], 4 MiB). */
  sndBufMax: number;
  /**
   * Host-wide bound, in bytes, on the buffer capacity auto-tuning adds above the sizes sockets
   * start with, over all TCP sockets of the host (in the spirit of Linux tcp_mem, which bounds
   * the memory TCP buffers hold). Beyond it buffers stop growing (nothing fails) and
   * extTCPMemoryPressures counts it. 256 MiB: some forty connections at the full 6 MiB.
   */
  memLimit: number;
  // ---- path MTU (helper "pmtu") ----
  /**
   * Packetization-layer path MTU discovery (RFC 4821 / RFC 8899 ideas, Linux tcp_mtu_probing):
   * 0 off; 1 only once repeated timeouts suggest an ICMP black hole (RFC 2923 §2.1), which
   * also starts probing upward; 2 probe from the start. Default 0, as Linux: repeated timeouts
   * under heavy random loss look like a black hole and would shrink the MSS for nothing.
   */
  mtuProbing: number;
  /** The MSS a detected black hole drops the connection to, at most (tcp_base_mss, 1024). */
  baseMss: number;
  /** The smallest MSS further black-hole detections go down to (tcp_mtu_probe_floor, 48). */
  mtuProbeFloor: number;
  /** How long after a search ends probing starts again from the current size (tcp_probe_interval, 600 s). */
  probeIntervalMs: number;
  /** The search ends when the range left is smaller than this, bytes (tcp_probe_threshold, 8). */
  probeThreshold: number;
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
    ackBatchBytes: 65_536,
    abcLimitSegments: 0,
    rfc5961: true,
    challengeAckLimit: 1000,
    keepIdleS: 7200,
    keepIntvlS: 75,
    keepCnt: 9,
    defaultMss: 536,
    // Linux starts at tcp_wmem[1] = 16 KiB; we start at 64 KiB (one unscaled window) and
    // auto-tuning grows it with the congestion window up to sndBufMax (src/tcp/autotune.ts).
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
    rack: true,
    tlp: true,
    congestionControl: 'cubic',
    // ---- buffer auto-tuning (helper "autotune") ----
    moderateRcvBuf: true,
    sndBufMax: 4_194_304,
    memLimit: 268_435_456,
    // ---- path MTU (helper "pmtu") ----
    mtuProbing: 0,
    baseMss: 1024,
    mtuProbeFloor: 48,
    probeIntervalMs: 600_000,
    probeThreshold: 8,
  };
}

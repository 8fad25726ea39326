/**
 * Backtick shell lines of packetdrill scripts that set sysctls, mapped onto a host's TCP
 * tunables (host.tcp.config), and the Linux and FreeBSD default profiles.
 *
 * Honesty rule: a line runs only when every command in it is a sysctl setting sockstack can
 * honour exactly. A key it does not know, a value it cannot honour (tcp_ecn=1 while ECN is not
 * implemented), any other program, variable or redirection gives `{ unsupported: reason }`, and
 * then nothing at all is applied. A key is accepted without effect only when its value cannot
 * change what a script sees from sockstack (each such decision is written in its description).
 */
import { defaultTcpConfig, type TcpConfig } from '../tcp/config.js';
import { availableCongestionControls } from '../tcp/congestion/registry.js';

/** Anything with a TCP layer: a sim Host, or a test double. */
export interface TunableHost {
  readonly tcp: { readonly config: TcpConfig };
}

export type SysctlResult = 'ok' | { unsupported: string };

export interface SysctlEntry {
  /** The TcpConfig field the key sets; null when the key is accepted without effect. */
  readonly field: keyof TcpConfig | null;
  /** Further fields the key sets (tcp_rmem: the default and the maximum). */
  readonly alsoSets?: ReadonlyArray<keyof TcpConfig>;
  /** What the key means here (for generated docs). */
  readonly description: string;
  /** The values accepted, in words (for generated docs). */
  readonly accepts: string;
  /** The config change for `value`, or why it cannot be honoured. */
  readonly parse: (value: string) => Partial<TcpConfig> | string;
}

const INT_MAX = 0x7fffffff;

/** An integer as the kernel's proc_dointvec / FreeBSD sysctl(8) read it: decimal, or hex with 0x. */
function parseIntValue(text: string): number | null {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) return Number(t);
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  return null;
}

/** Unit conversions from a sysctl's value to the config field's. */
const SAME = (n: number): number => n;
const SEC_TO_MS = (n: number): number => n * 1000;
const US_TO_MS = (n: number): number => n / 1000;
const MS_TO_SEC = (n: number): number => n / 1000;
const TWICE = (n: number): number => n * 2;

/** An integer key in [min, max], stored in `field` after `convert`. */
function int(field: keyof TcpConfig, min: number, max: number, description: string, unit = '', convert = SAME): SysctlEntry {
  return {
    field,
    description,
    accepts: `integer ${min}..${max}${unit}`,
    parse(v) {
      const n = parseIntValue(v);
      if (n === null || n < min || n > max) return `invalid value '${v.trim()}' (expected an integer ${min}..${max}${unit})`;
      return { [field]: convert(n) } as Partial<TcpConfig>;
    },
  };
}

/** A 0/1 key stored as a boolean. */
function flag(field: keyof TcpConfig, description: string): SysctlEntry {
  return {
    field,
    description,
    accepts: '0 or 1',
    parse(v) {
      const n = parseIntValue(v);
      if (n !== 0 && n !== 1) return `invalid value '${v}' (expected 0 or 1)`;
      return { [field]: n === 1 } as Partial<TcpConfig>;
    },
  };
}

/**
 * `min default max` (tcp_rmem / tcp_wmem): the middle value is the default buffer size, the
 * last the most auto-tuning grows a buffer to (`maxField`).
 */
function triple(field: keyof TcpConfig, maxField: keyof TcpConfig, description: string): SysctlEntry {
  return {
    field,
    alsoSets: [maxField],
    description,
    accepts: "three integers 'min default max' (default and max are used)",
    parse(v) {
      const parts = v.trim().split(/\s+/).map(parseIntValue);
      if (parts.length !== 3 || parts.some((p) => p === null || p < 1)) return `invalid value '${v}' (expected 'min default max')`;
      if (parts[2]! < parts[1]!) return `invalid value '${v}' (max below default)`;
      return { [field]: parts[1]!, [maxField]: parts[2]! } as Partial<TcpConfig>;
    },
  };
}

/** An integer key mapped onto a config value by `map` (bit masks, modes, page counts). */
function mapped(field: keyof TcpConfig, min: number, max: number, description: string, map: (n: number) => Partial<TcpConfig>): SysctlEntry {
  return {
    field,
    description,
    accepts: `${min}..${max}`,
    parse(v) {
      const n = parseIntValue(v);
      if (n === null || n < min || n > max) return `invalid value '${v}' (expected ${min}..${max})`;
      return map(n);
    },
  };
}

/** A key accepted only with the values that describe what sockstack does anyway. */
function only(values: readonly number[], description: string, why: string): SysctlEntry {
  return {
    field: null,
    description: `${description} Only ${values.join(' or ')}: ${why}.`,
    accepts: values.join(' or '),
    parse(v) {
      const n = parseIntValue(v);
      if (n === null || !values.includes(n)) return `value ${v.trim()} cannot be honoured: ${why} (accepted: ${values.join(', ')})`;
      return {};
    },
  };
}

/** A key whose value cannot change what sockstack does; accepted (any integer) without effect. */
function noEffect(description: string, why: string): SysctlEntry {
  return {
    field: null,
    description: `${description} Accepted without effect: ${why}.`,
    accepts: 'any integer (no effect)',
    parse: (v) => (parseIntValue(v) === null ? `invalid value '${v}' (expected an integer)` : {}),
  };
}

/**
 * A key taking a congestion control name: any registered one (availableCongestionControls()),
 * or the system's own spelling of one (`aliases`, e.g. FreeBSD's 'newreno').
 */
function congestionControl(description: string, aliases: Readonly<Record<string, string>> = {}): SysctlEntry {
  const names = (): string[] => [...Object.keys(aliases), ...availableCongestionControls().filter((n) => !Object.values(aliases).includes(n))];
  return {
    field: 'congestionControl',
    description,
    accepts: names().map((n) => `'${n}'`).join(', '),
    parse(v) {
      const name = v.trim();
      if (!names().includes(name)) return `no congestion control '${name}' (available: ${names().join(' ')})`;
      return { congestionControl: Object.hasOwn(aliases, name) ? aliases[name]! : name };
    },
  };
}

/** A key that can only be read (a value computed by the system). */
function readOnly(description: string): SysctlEntry {
  return {
    field: null,
    description: `${description} Read-only: it can be read, not set.`,
    accepts: '(read-only)',
    parse: () => 'read-only key (Linux refuses writes with EPERM)',
  };
}

/**
 * Every sysctl sockstack maps: Linux names (net.ipv4.*, net.core.*), FreeBSD names
 * (net.inet.tcp.*, kern.ipc.*) and sockstack's own (sockstack.*) for tunables neither has.
 */
export const SYSCTL_MAP: Readonly<Record<string, SysctlEntry>> = {
  // ---- Linux ----
  'net.ipv4.tcp_syn_retries': int('synRetries', 1, 127, 'SYN retransmissions before connect() fails with ETIMEDOUT.'),
  'net.ipv4.tcp_synack_retries': int('synAckRetries', 0, 255, 'SYN-ACK retransmissions before a half-open connection is dropped.'),
  'net.ipv4.tcp_retries1': int('retries1', 0, 255, 'R1 (RFC 9293 §3.8.3): retransmissions after which the route is looked up again.'),
  'net.ipv4.tcp_retries2': int('retries2', 0, 255, 'R2: retransmissions after which an established connection fails with ETIMEDOUT.'),
  'net.ipv4.tcp_fin_timeout': int('finTimeoutMs', 0, INT_MAX / 1000, 'Lifetime of an orphaned FIN-WAIT-2 connection.', ' s', SEC_TO_MS),
  'net.ipv4.tcp_challenge_ack_limit': int('challengeAckLimit', 0, INT_MAX, 'RFC 5961 challenge ACKs per second (per host).'),
  'net.ipv4.tcp_keepalive_time': int('keepIdleS', 1, 32767, 'Idle time before the first keepalive probe (default for new sockets).', ' s'),
  'net.ipv4.tcp_keepalive_intvl': int('keepIntvlS', 1, 32767, 'Interval between keepalive probes (default for new sockets).', ' s'),
  'net.ipv4.tcp_keepalive_probes': int('keepCnt', 1, 127, 'Unanswered keepalive probes before the connection fails (default for new sockets).'),
  'net.ipv4.tcp_rmem': triple('rcvBuf', 'rcvBufMax', 'Receive buffer sizes: the default (middle value) is SO_RCVBUF of new sockets, the maximum what auto-tuning grows one to (and what the window scale is chosen for). sockstack uses the whole buffer for data (Linux about half).'),
  'net.ipv4.tcp_wmem': triple('sndBuf', 'sndBufMax', 'Send buffer sizes: the default (middle value) is SO_SNDBUF of new sockets, the maximum what auto-tuning grows one to.'),
  'net.ipv4.tcp_rto_min_us': int('rtoMinMs', 1, INT_MAX, 'Lower bound of the RTO (Linux 6.11+).', ' us', US_TO_MS),
  'net.ipv4.tcp_rto_max_ms': int('rtoMaxMs', 1000, 120_000, 'Upper bound of the RTO (Linux 6.15+).', ' ms'),
  'net.ipv4.tcp_slow_start_after_idle': flag('slowStartAfterIdle', 'RFC 5681 §4.1: restart from the restart window after an idle period longer than the RTO.'),
  'net.core.somaxconn': int('somaxconn', 0, INT_MAX, 'Largest listen() backlog.'),
  'net.ipv4.tcp_sack': flag('sack', 'Selective acknowledgements (RFC 2018): offered in SYNs and used when the peer agrees, with RFC 6675 loss recovery.'),
  'net.ipv4.tcp_dsack': flag('dsack', 'Duplicate SACKs (RFC 2883): report segments received twice in the first SACK block.'),
  'net.ipv4.tcp_fack': only([0], 'Forward acknowledgement.', 'FACK is not implemented (Linux removed it in 4.15)'),
  'net.ipv4.tcp_timestamps': flag('timestamps', 'TCP timestamps (RFC 7323 §3): offered in SYNs and used when the peer agrees (RTT measurement, PAWS).'),
  'net.ipv4.tcp_window_scaling': flag('windowScaling', 'Window scaling (RFC 7323 §2): offered in SYNs and used when the peer agrees.'),
  'net.ipv4.tcp_ecn': only([0], 'Explicit congestion notification (RFC 3168).', 'ECN is not implemented (2, answering ECN-setup SYNs, would change the SYN-ACK)'),
  'net.ipv4.tcp_mtu_probing': int('mtuProbing', 0, 2, 'Packetization-layer path MTU discovery (RFC 4821): 0 off, 1 after an ICMP black hole is detected, 2 always.'),
  'net.ipv4.tcp_base_mss': int('baseMss', 48, 65535, 'The MSS MTU probing falls back to and searches from.'),
  'net.ipv4.tcp_mtu_probe_floor': int('mtuProbeFloor', 48, 65535, 'The smallest MSS black-hole detection may fall to.'),
  'net.ipv4.tcp_probe_interval': int('probeIntervalMs', 1, INT_MAX / 1000, 'How often MTU probing searches upwards again.', ' s', SEC_TO_MS),
  'net.ipv4.tcp_syncookies': only([0], 'SYN cookies.', 'SYN cookies are not implemented: a full SYN queue drops SYNs (Linux 1 would send cookies then)'),
  'net.ipv4.tcp_tw_reuse': only([0, 2], 'Reusing TIME-WAIT ports for new outgoing connections.', 'TIME-WAIT reuse is not implemented (2 reuses only for loopback traffic, which a packetdrill peer never is)'),
  'net.ipv4.tcp_tw_recycle': only([0], 'Fast TIME-WAIT recycling (removed in Linux 4.12).', 'not implemented'),
  'net.ipv4.tcp_fastopen': only([0], 'TCP Fast Open (RFC 7413).', 'Fast Open is not implemented'),
  'net.ipv4.tcp_moderate_rcvbuf': flag('moderateRcvBuf', 'Receive buffer auto-tuning (dynamic right-sizing) for sockets without SO_RCVBUF.'),
  'net.ipv4.tcp_mem': {
    field: 'memLimit',
    description: "Pages of buffer growth auto-tuning may add over all TCP sockets of the host (the middle, 'pressure', value; sockstack bounds the growth, not all TCP memory).",
    accepts: "three integers 'low pressure high' in 4 KiB pages",
    parse(v) {
      const parts = v.trim().split(/\s+/).map(parseIntValue);
      if (parts.length !== 3 || parts.some((p) => p === null || p < 0)) return `invalid value '${v}' (expected 'low pressure high')`;
      return { memLimit: parts[1]! * 4096 };
    },
  },
  'net.ipv4.tcp_frto': only([0], 'F-RTO (RFC 5682).', 'F-RTO is not implemented'),
  'net.ipv4.tcp_recovery': mapped('rack', 0, 7, 'Loss detection: bit 1 turns on RACK (RFC 8985) for SACK connections (off: RFC 6675 DupThresh); the other bits have no effect.', (n) => ({ rack: (n & 1) !== 0 })),
  'net.ipv4.tcp_early_retrans': mapped('tlp', 0, 4, 'Tail loss probes (RFC 8985 §7): on with 3 (the default) or 4, off with 0-2.', (n) => ({ tlp: n >= 3 })),
  'net.ipv4.tcp_reordering': only([3], 'Initial duplicate-ACK threshold.', 'the fast-retransmit threshold is fixed at 3 (RFC 5681 §3.2)'),
  'net.ipv4.tcp_abort_on_overflow': only([0], 'RST instead of drop when the accept queue is full.', 'sockstack drops the ACK and retransmits the SYN-ACK, as Linux with 0'),
  'net.ipv4.tcp_rfc1337': only([0], 'RFC 1337 TIME-WAIT assassination hazard protection.', 'an RST ends TIME-WAIT, as Linux with 0'),
  'net.ipv4.tcp_autocorking': only([0], 'Automatic corking of small writes.', 'small writes are not held back'),
  'net.ipv4.tcp_no_metrics_save': only([1], 'Caching RTT and ssthresh per destination.', 'sockstack keeps no per-destination metrics'),
  'net.ipv4.tcp_invalid_ratelimit': only([0], 'Rate limit of duplicate ACKs for invalid segments.', 'such ACKs are not rate-limited'),
  'net.ipv4.tcp_thin_linear_timeouts': only([0], 'Linear timeouts for thin streams.', 'thin streams are not detected'),
  'net.ipv4.tcp_syn_linear_timeouts': only([0], 'Linear backoff of the first SYN retransmissions.', 'SYN retransmissions always back off exponentially'),
  'net.ipv4.tcp_workaround_signed_windows': only([0], 'Initial window capped at 32767.', 'not implemented'),
  'net.ipv4.tcp_shrink_window': only([0], 'Allowing the offered window to shrink.', 'the right edge never moves left (RFC 9293 §3.8.6.2.2)'),
  'net.ipv4.tcp_notsent_lowat': only([4294967295, -1], 'Unsent-data threshold for writability.', 'writability does not depend on unsent data'),
  'net.ipv4.tcp_min_tso_segs': noEffect('Minimum TSO segments per burst.', 'sockstack does no TSO/GSO: every segment is at most one MSS'),
  'net.ipv4.tcp_tso_win_divisor': noEffect('TSO deferral.', 'sockstack does no TSO/GSO and never defers sending to build large segments'),
  'net.ipv4.tcp_tso_rtt_log': noEffect('TSO burst sizing by RTT.', 'sockstack does no TSO/GSO'),
  'net.ipv4.tcp_pacing_ss_ratio': noEffect('Pacing rate in slow start.', 'sockstack does not pace (nor does Linux without fq or BBR)'),
  'net.ipv4.tcp_pacing_ca_ratio': noEffect('Pacing rate in congestion avoidance.', 'sockstack does not pace (nor does Linux without fq or BBR)'),
  'net.ipv4.tcp_congestion_control': congestionControl('Congestion control of new sockets (TCP_CONGESTION chooses per socket): cubic (RFC 9438 with HyStart++, the default as on Linux) or reno (NewReno, RFC 5681 / RFC 6582).'),
  'net.ipv4.tcp_available_congestion_control': readOnly('The congestion controls TCP_CONGESTION and tcp_congestion_control choose from.'),
  // ---- FreeBSD (times in milliseconds, as its sysctl(8) shows them) ----
  'net.inet.tcp.delayed_ack': flag('delayedAck', 'Delay ACKs (off: every segment is ACKed at once).'),
  'net.inet.tcp.delacktime': int('delayedAckMs', 1, 500, 'Delayed-ACK timeout.', ' ms'),
  'net.inet.tcp.msl': int('timeWaitMs', 1, INT_MAX / 2, 'Maximum segment lifetime; TIME-WAIT lasts twice this.', ' ms', TWICE),
  'net.inet.tcp.rexmit_min': int('rtoMinMs', 1, 120_000, 'Lower bound of the RTO.', ' ms'),
  'net.inet.tcp.rexmit_initial': int('rtoInitialMs', 1, 120_000, 'Initial RTO.', ' ms'),
  'net.inet.tcp.rexmit_slop': int('rtoSlopMs', 0, 120_000, 'Added to every computed RTO.', ' ms'),
  'net.inet.tcp.keepidle': int('keepIdleS', 1, INT_MAX, 'Idle time before the first keepalive probe.', ' ms', MS_TO_SEC),
  'net.inet.tcp.keepintvl': int('keepIntvlS', 1, INT_MAX, 'Interval between keepalive probes.', ' ms', MS_TO_SEC),
  'net.inet.tcp.keepcnt': int('keepCnt', 1, 127, 'Unanswered keepalive probes before the connection fails.'),
  'net.inet.tcp.finwait2_timeout': int('finTimeoutMs', 0, INT_MAX, 'Lifetime of an orphaned FIN-WAIT-2 connection.', ' ms'),
  'net.inet.tcp.mssdflt': int('defaultMss', 48, 65535, 'MSS assumed when the peer sends no MSS option.'),
  'net.inet.tcp.recvspace': int('rcvBuf', 1, INT_MAX, 'Default receive buffer (SO_RCVBUF).'),
  'net.inet.tcp.sendspace': int('sndBuf', 1, INT_MAX, 'Default send buffer (SO_SNDBUF).'),
  'net.inet.tcp.recvbuf_auto': flag('moderateRcvBuf', 'Receive buffer auto-tuning.'),
  'net.inet.tcp.recvbuf_max': int('rcvBufMax', 1, INT_MAX, 'The most receive-buffer auto-tuning grows a socket to.'),
  'net.inet.tcp.sendbuf_max': int('sndBufMax', 1, INT_MAX, 'The most send-buffer auto-tuning grows a socket to.'),
  'net.inet.tcp.rfc1323': only([1], 'Window scaling and timestamps (RFC 7323).', 'both are on (turn them off one by one with net.ipv4.tcp_window_scaling and net.ipv4.tcp_timestamps)'),
  'net.inet.tcp.sack.enable': flag('sack', 'Selective acknowledgements (RFC 2018).'),
  'net.inet.tcp.ecn.enable': only([0], 'Explicit congestion notification.', 'ECN is not implemented'),
  'net.inet.tcp.syncookies': only([0], 'SYN cookies.', 'SYN cookies are not implemented'),
  'net.inet.tcp.cc.algorithm': congestionControl('Congestion control of new sockets (FreeBSD calls NewReno newreno).', { newreno: 'reno' }),
  'kern.ipc.soacceptqueue': int('somaxconn', 0, 65535, 'Largest listen() backlog.'),
  'kern.ipc.somaxconn': int('somaxconn', 0, 65535, 'Largest listen() backlog (old name of kern.ipc.soacceptqueue).'),
  // ---- sockstack's own (neither system has a sysctl for these) ----
  'sockstack.tcp_delack_ms': int('delayedAckMs', 1, 500, 'Delayed-ACK timeout (Linux: 40 ms minimum, a constant there).', ' ms'),
  'sockstack.tcp_delayed_ack': flag('delayedAck', 'Delay ACKs at all (RFC 1122 §4.2.3.2).'),
  'sockstack.tcp_rfc5961': flag('rfc5961', 'RFC 5961 challenge ACKs for in-window RSTs, SYNs and unacceptable ACKs (always on in Linux).'),
  'sockstack.tcp_timewait_ms': int('timeWaitMs', 0, INT_MAX, 'TIME-WAIT length, 2*MSL (Linux: the constant TCP_TIMEWAIT_LEN, 60 s).', ' ms'),
  'sockstack.tcp_init_rcv_wnd': int('initRcvWnd', 0, 65535, 'Window offered in SYN and SYN-ACK; 0 = the receive buffer, at most 65535.', ' bytes'),
  'sockstack.tcp_rto_initial_ms': int('rtoInitialMs', 1, 120_000, 'Initial RTO (RFC 6298 §2.1; Linux: the constant TCP_TIMEOUT_INIT, 1 s).', ' ms'),
  'sockstack.tcp_rto_slop_ms': int('rtoSlopMs', 0, 120_000, 'Added to every computed RTO (FreeBSD rexmit_slop).', ' ms'),
  'sockstack.tcp_default_mss': int('defaultMss', 48, 65535, 'MSS assumed when the peer sends no MSS option (RFC 9293 §3.7.1: 536).'),
  'sockstack.tcp_ack_batch_bytes': int('ackBatchBytes', 0, INT_MAX, 'ACK batching: two or more full-sized segments arriving together are acknowledged once, at the end of their arrival batch, or at once when this many bytes are unacknowledged (Linux: GRO and the end of a NAPI poll); 0 acknowledges every second full-sized segment as it arrives.', ' bytes'),
  'sockstack.tcp_abc_limit_segments': int('abcLimitSegments', 0, 65535, "RFC 3465 L: slow start grows cwnd by at most this many SMSS per ACK (and congestion avoidance by at most one); 0 counts every acknowledged byte, as Linux's tcp_slow_start does."),
};

// ---- profiles ---------------------------------------------------------------------------------

/** The tunables of a stack whose scripts should run unchanged. */
export function profileConfig(profile: 'linux' | 'freebsd'): TcpConfig {
  const c = defaultTcpConfig(); // sockstack's defaults are Linux's
  if (profile === 'freebsd') {
    // FreeBSD's tcp(4) defaults (sys/netinet/tcp_timer.h, tcp_subr.c, syncache).
    c.timeWaitMs = 60_000; // 2 * net.inet.tcp.msl (30 s)
    c.synAckRetries = 3; // net.inet.tcp.syncache.rexmtlimit
    c.retries2 = 12; // TCP_MAXRXTSHIFT
    c.finTimeoutMs = 60_000; // net.inet.tcp.finwait2_timeout
    c.delayedAckMs = 100; // net.inet.tcp.delacktime (TCPTV_DELACK = hz/10)
    c.delayedAck = true; // net.inet.tcp.delayed_ack
    c.challengeAckLimit = 5; // net.inet.tcp.ack_war_cnt per ack_war_timewindow (1 s); per connection there
    c.keepIdleS = 7200; // net.inet.tcp.keepidle
    c.keepIntvlS = 75; // net.inet.tcp.keepintvl
    c.keepCnt = 8; // net.inet.tcp.keepcnt (TCPTV_KEEPCNT)
    c.defaultMss = 536; // net.inet.tcp.mssdflt
    c.sndBuf = 32_768; // net.inet.tcp.sendspace
    c.rcvBuf = 65_536; // net.inet.tcp.recvspace: the SYN offers 65535
    c.somaxconn = 128; // kern.ipc.soacceptqueue
    c.rcvBufMax = 2_097_152; // kern.ipc.maxsockbuf (sb_max): window scale 6
    c.rtoInitialMs = 1000; // net.inet.tcp.rexmit_initial
    c.rtoMinMs = 30; // net.inet.tcp.rexmit_min (TCPTV_MIN = hz/33)
    c.rtoMaxMs = 64_000; // TCPTV_REXMTMAX
    c.rtoSlopMs = 200; // net.inet.tcp.rexmit_slop (TCPTV_CPU_VAR)
  }
  return c;
}

/** Sets every tunable of `host` to the defaults of `profile` (new connections use them). */
export function applyProfile(host: TunableHost, profile: 'linux' | 'freebsd'): void {
  Object.assign(host.tcp.config, profileConfig(profile));
}

// ---- the shell line ---------------------------------------------------------------------------

type Token = { kind: 'word'; text: string } | { kind: 'redir'; fd: string; op: string; target: string } | { kind: 'sep' };

/** `$((15*1024*1024))`: integer + - * / and parentheses, as the shell evaluates them. */
function arith(expr: string): number | null {
  const toks = expr.match(/\d+|[-+*/()]|\S/g) ?? [];
  let i = 0;
  const primary = (): number | null => {
    const t = toks[i++];
    if (t === undefined) return null;
    if (t === '(') {
      const v = sum();
      return toks[i++] === ')' ? v : null;
    }
    if (t === '-') {
      const v = primary();
      return v === null ? null : -v;
    }
    return /^\d+$/.test(t) ? Number(t) : null;
  };
  const product = (): number | null => {
    let v = primary();
    while (v !== null && (toks[i] === '*' || toks[i] === '/')) {
      const op = toks[i++];
      const r = primary();
      if (r === null || (op === '/' && r === 0)) return null;
      v = op === '*' ? v * r : Math.trunc(v / r);
    }
    return v;
  };
  const sum = (): number | null => {
    let v = product();
    while (v !== null && (toks[i] === '+' || toks[i] === '-')) {
      const op = toks[i++];
      const r = product();
      if (r === null) return null;
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  return v !== null && i === toks.length ? v : null;
}

/**
 * Splits a shell line into words, redirections and command separators (`;`, `&&`, newline).
 * Single and double quotes, backslash escapes and `$((arithmetic))` are understood; anything
 * whose meaning depends on a real shell (variables, command substitution, pipes, `||`, `&`,
 * input redirection, globs) is an error: the line is not run.
 */
function tokenize(line: string): Token[] | string {
  const out: Token[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const n = line.length;
  const flush = (): void => {
    if (inWord) out.push({ kind: 'word', text: word });
    word = '';
    inWord = false;
  };
  const dollar = (): string | null => {
    // At line[i] === '$': only $((...)) is understood.
    if (!line.startsWith('$((', i)) return null;
    const end = line.indexOf('))', i + 3);
    if (end < 0) return null;
    const v = arith(line.slice(i + 3, end));
    if (v === null) return null;
    i = end + 2;
    return String(v);
  };
  while (i < n) {
    const ch = line[i]!;
    if (ch === ' ' || ch === '\t') {
      flush();
      i++;
    } else if (ch === '\n' || ch === ';') {
      flush();
      out.push({ kind: 'sep' });
      i++;
    } else if (ch === '&' && line[i + 1] === '&') {
      flush();
      out.push({ kind: 'sep' });
      i += 2;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return 'unterminated quote';
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= n) return 'unterminated quote';
        const c = line[i]!;
        if (c === '"') break;
        if (c === '\\' && i + 1 < n && '"\\$`'.includes(line[i + 1]!)) {
          word += line[i + 1];
          i += 2;
        } else if (c === '$') {
          const v = dollar();
          if (v === null) return 'shell variables and substitutions are not supported';
          word += v;
        } else if (c === '`') {
          return 'command substitution is not supported';
        } else {
          word += c;
          i++;
        }
      }
      i++;
    } else if (ch === '\\') {
      if (i + 1 < n) word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (ch === '$') {
      const v = dollar();
      if (v === null) return 'shell variables and substitutions are not supported';
      word += v;
      inWord = true;
    } else if (ch === '>' || (ch === '&' && line[i + 1] === '>')) {
      // A redirection: an optional fd number just before it (`2>`), or `&>`.
      let fd = '1';
      if (ch === '&') {
        fd = '&';
        i++;
      } else if (inWord && /^\d$/.test(word)) {
        fd = word;
        word = '';
        inWord = false;
      }
      flush();
      let op = '>';
      i++;
      if (line[i] === '>') {
        op = '>>';
        i++;
      }
      if (line[i] === '&') {
        const m = /^&(\d)/.exec(line.slice(i));
        if (!m) return 'unsupported redirection';
        out.push({ kind: 'redir', fd, op: op + '&', target: m[1]! });
        i += 2;
        continue;
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      const m = /^[^\s;&|<>'"`$\\]+/.exec(line.slice(i));
      if (!m) return 'unsupported redirection target';
      out.push({ kind: 'redir', fd, op, target: m[0] });
      i += m[0].length;
    } else if (ch === '`') {
      return 'command substitution is not supported';
    } else if ('|<(){}*?[]#!'.includes(ch) || ch === '&') {
      return `shell syntax '${ch}' is not supported`;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  flush();
  return out;
}

/** One key=value (or a read of a key) found on the line. */
interface Setting {
  key: string;
  value: string | null;
}

const SYSCTL_PROGRAMS = new Set(['sysctl', '/sbin/sysctl', '/usr/sbin/sysctl', '/bin/sysctl', '/usr/bin/sysctl']);

/** The settings of one simple command, or why it cannot run. */
function commandSettings(words: string[], redirs: Array<{ fd: string; op: string; target: string }>): Setting[] | string {
  const prog = words[0]!;
  // `echo 0 > /proc/sys/net/ipv4/tcp_sack`: a write through procfs.
  const procWrites = redirs.filter((r) => r.target.startsWith('/proc/sys/'));
  const harmless = (r: { fd: string; op: string; target: string }): boolean =>
    r.target === '/dev/null' || r.op === '>&' || r.op === '>>&';
  if (prog === 'echo' && procWrites.length === 1 && procWrites[0]!.fd === '1' && procWrites[0]!.op === '>') {
    if (redirs.some((r) => r !== procWrites[0] && (r.fd === '1' || r.fd === '&' || !harmless(r)))) return 'unsupported redirection';
    let args = words.slice(1);
    if (args[0] === '-n') args = args.slice(1);
    return [{ key: procWrites[0]!.target.slice('/proc/sys/'.length).replace(/\//g, '.'), value: args.join(' ') }];
  }
  for (const r of redirs) if (!harmless(r)) return `redirection to ${r.target} is not supported`;
  if (!SYSCTL_PROGRAMS.has(prog)) return `'${prog}' is not a sysctl command (only sysctl settings that map onto sockstack tunables are run)`;
  let write = false;
  const out: Setting[] = [];
  for (const w of words.slice(1)) {
    if (w.startsWith('-') && out.length === 0) {
      // -q quiet, -w write, -e ignore unknown keys (still reported here), -n value only.
      const letters = w === '--quiet' ? 'q' : w === '--write' ? 'w' : w === '--ignore' ? 'e' : w.startsWith('--') ? '?' : w.slice(1);
      for (const l of letters) {
        if (l === 'w') write = true;
        else if (!'qen'.includes(l)) return `sysctl option ${w} is not supported`;
      }
      continue;
    }
    const eq = w.indexOf('=');
    if (eq < 0) {
      if (write) return `sysctl -w ${w}: malformed setting (no '=')`;
      out.push({ key: w, value: null });
    } else {
      out.push({ key: w.slice(0, eq), value: w.slice(eq + 1) });
    }
  }
  if (out.length === 0) return 'sysctl without a setting';
  return out;
}

/**
 * Runs a packetdrill backtick line when it consists only of sysctl settings sockstack can
 * honour: `sysctl -q net.ipv4.tcp_syn_retries=2`, `sysctl -w a=1 b=2`, several commands joined
 * by `;` or `&&`, quoted values (`net.ipv4.tcp_rmem="4096 87380 6291456"`), `$((…))`
 * arithmetic, output sent to /dev/null, and `echo V > /proc/sys/…`. Reading a known key is
 * allowed (it changes nothing). Otherwise nothing is applied and the reason names the key or
 * the construct. Never throws.
 */
export function applySysctl(host: TunableHost, command: string): SysctlResult {
  const toks = tokenize(command);
  if (typeof toks === 'string') return { unsupported: toks };
  const changes: Array<Partial<TcpConfig>> = [];
  let words: string[] = [];
  let redirs: Array<{ fd: string; op: string; target: string }> = [];
  let commands = 0;
  const finish = (): string | null => {
    if (words.length === 0) return redirs.length > 0 ? 'a redirection without a command' : null;
    commands++;
    const settings = commandSettings(words, redirs);
    words = [];
    redirs = [];
    if (typeof settings === 'string') return settings;
    for (const s of settings) {
      const key = s.key.replace(/\//g, '.');
      const entry = Object.hasOwn(SYSCTL_MAP, key) ? SYSCTL_MAP[key]! : undefined;
      if (!entry) return `sysctl ${key} has no sockstack equivalent`;
      if (s.value === null) continue;
      const r = entry.parse(s.value);
      if (typeof r === 'string') return `${key}: ${r}`;
      changes.push(r);
    }
    return null;
  };
  for (const t of toks) {
    if (t.kind === 'sep') {
      const err = finish();
      if (err) return { unsupported: err };
    } else if (t.kind === 'word') {
      words.push(t.text);
    } else {
      redirs.push(t);
    }
  }
  const err = finish();
  if (err) return { unsupported: err };
  if (commands === 0) return { unsupported: 'empty command' };
  const cfg = host.tcp.config;
  for (const c of changes) Object.assign(cfg, c);
  return 'ok';
}

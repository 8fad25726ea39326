/**
 * Round-trip time estimation and the retransmission timeout (RFC 6298), with Linux's bounds.
 *
 * All values are milliseconds (floats; virtual time has sub-millisecond precision). The
 * caller owns Karn's algorithm (RFC 6298 §3): it calls sample() only with an RTT measured on
 * a segment that was not retransmitted, or one whose timestamp echo (RFC 7323 §4) proves
 * which transmission was acknowledged.
 *
 * Linux differs in one detail we do not copy: it applies its 200 ms minimum to the variance
 * term (RTO ~ SRTT + max(4 * RTTVAR, 200 ms)), where RFC 6298 §2.4 bounds the whole RTO.
 */

/** Initial RTO before any sample (RFC 6298 §2.1; Linux TCP_TIMEOUT_INIT). */
export const RTO_INITIAL_MS = 1000;
/** Lower bound (Linux TCP_RTO_MIN; RFC 6298 §2.4 would say 1 s). */
export const RTO_MIN_MS = 200;
/** Upper bound (Linux TCP_RTO_MAX; RFC 6298 §2.5 allows any maximum of at least 60 s). */
export const RTO_MAX_MS = 120_000;
/** Clock granularity G (RFC 6298 §2): our timers are millisecond-based. */
export const CLOCK_GRANULARITY_MS = 1;
/** The RTO after a SYN was retransmitted and no RTT sample exists (RFC 6298 §5.7; Linux TCP_TIMEOUT_FALLBACK). */
export const RTO_FALLBACK_MS = 3000;

export interface RttConfig {
  initialRtoMs?: number;
  minRtoMs?: number;
  maxRtoMs?: number;
  granularityMs?: number;
  /** Added to every computed RTO before the bounds (FreeBSD rexmit_slop; default 0). */
  slopMs?: number;
}

// RFC 6298 §2.3 gains: alpha = 1/8, beta = 1/4, K = 4.
const ALPHA = 1 / 8;
const BETA = 1 / 4;
const K = 4;

/**
 * The fixed parameters of RTT estimation (RttConfig with its defaults applied). Immutable, so
 * every estimator built from the same settings may share one (TcpLayer does: one per host).
 */
export class RttBounds {
  readonly initialRto: number;
  readonly minRto: number;
  readonly maxRto: number;
  readonly granularity: number;
  readonly slop: number;

  constructor(config: RttConfig = {}) {
    this.minRto = config.minRtoMs ?? RTO_MIN_MS;
    this.maxRto = Math.max(config.maxRtoMs ?? RTO_MAX_MS, this.minRto);
    this.initialRto = this.clamp(config.initialRtoMs ?? RTO_INITIAL_MS);
    this.granularity = config.granularityMs ?? CLOCK_GRANULARITY_MS;
    this.slop = config.slopMs ?? 0;
  }

  /** `ms` within [minRto, maxRto] (RFC 6298 §2.4, §2.5). */
  clamp(ms: number): number {
    return Math.min(Math.max(ms, this.minRto), this.maxRto);
  }
}

export class RttEstimator {
  /** The parameters, possibly shared with other estimators. */
  readonly bounds: RttBounds;
  private _srtt = 0;
  /**
   * The smallest sample seen, or -1 before the first (read as Infinity; a stored Infinity would
   * be a heap-allocated double). Linux tcp_min_rtt keeps a 5-minute windowed minimum; ours is lifelong.
   */
  private _minRtt = -1;
  private _rttvar = 0;
  private _rto: number;
  private _backoffs = 0;
  private _hasSample = false;

  constructor(config: RttConfig | RttBounds = {}) {
    this.bounds = config instanceof RttBounds ? config : new RttBounds(config);
    this._rto = this.bounds.initialRto;
  }

  get initialRto(): number {
    return this.bounds.initialRto;
  }
  get minRto(): number {
    return this.bounds.minRto;
  }
  get maxRto(): number {
    return this.bounds.maxRto;
  }
  get granularity(): number {
    return this.bounds.granularity;
  }
  get slop(): number {
    return this.bounds.slop;
  }

  /** Smallest RTT sample so far, ms (Infinity before the first). */
  get minRtt(): number {
    return this._minRtt < 0 ? Infinity : this._minRtt;
  }

  /** Smoothed RTT; 0 until the first sample (as Linux reports it in tcp_info). */
  get srtt(): number {
    return this._srtt;
  }
  /** RTT variation; 0 until the first sample. */
  get rttvar(): number {
    return this._rttvar;
  }
  /** The timeout to arm the retransmission timer with now, backoff included. */
  get rto(): number {
    return this._rto;
  }
  /** Timeouts since the last valid sample (Linux icsk_backoff); the caller's retry limit counts these. */
  get backoffs(): number {
    return this._backoffs;
  }
  /** True once a sample has been taken. */
  get hasSample(): boolean {
    return this._hasSample;
  }

  /**
   * Feeds one RTT measurement R. Returns false (and changes nothing) for a value that is
   * not a finite non-negative number. A valid sample also ends any backoff: the RTO is
   * computed afresh from SRTT and RTTVAR, "collapsing" the backoff (RFC 6298 §5, note after rule 5.7).
   */
  sample(rttMs: number): boolean {
    if (!(rttMs >= 0) || rttMs === Infinity) return false;
    if (this._minRtt < 0 || rttMs < this._minRtt) this._minRtt = rttMs;
    if (!this._hasSample) {
      // RFC 6298 §2.2: the first measurement.
      this._srtt = rttMs;
      this._rttvar = rttMs / 2;
      this._hasSample = true;
    } else {
      // RFC 6298 §2.3: RTTVAR first, with the old SRTT.
      this._rttvar = (1 - BETA) * this._rttvar + BETA * Math.abs(this._srtt - rttMs);
      this._srtt = (1 - ALPHA) * this._srtt + ALPHA * rttMs;
    }
    this._backoffs = 0;
    // RFC 6298 §2.2/§2.3: RTO = SRTT + max(G, K*RTTVAR), then §2.4/§2.5 bounds.
    // FreeBSD adds its rexmit_slop here (TCPT_RANGESET); 0 otherwise.
    const b = this.bounds;
    this._rto = b.clamp(this._srtt + Math.max(b.granularity, K * this._rttvar) + b.slop);
    return true;
  }

  /** The retransmission timer expired: RTO = RTO * 2, at most the maximum (RFC 6298 §5.5). */
  backoff(): number {
    this._backoffs++;
    this._rto = Math.min(this._rto * 2, this.bounds.maxRto);
    return this._rto;
  }

  /**
   * Forgets all samples (a new connection, or a route change that invalidates them) and sets
   * the RTO to `rtoMs`, by default the initial one. Pass RTO_FALLBACK_MS when a SYN had to be
   * retransmitted and no sample was taken (RFC 6298 §5.7).
   */
  reset(rtoMs: number = this.bounds.initialRto): void {
    this._srtt = 0;
    this._rttvar = 0;
    this._hasSample = false;
    this._backoffs = 0;
    this._rto = this.bounds.clamp(rtoMs);
  }
}

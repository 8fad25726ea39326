/**
 * The parts of a TCP endpoint that most connections never need, each made at its first use
 * (TcpEndpoint holds null until then): urgent data, options set away from their defaults, a
 * listener's queues.
 */
import type { TcpEndpoint } from './tcp-endpoint.js';

/** Urgent-data state of the receiver (Linux's urg_data). */
export const URG_NONE = 0;
/** An urgent pointer announced a byte that has not arrived yet. */
export const URG_PENDING = 1;
/** The urgent byte arrived and waits for recv(MSG_OOB). */
export const URG_VALID = 2;
/** The urgent byte was read (or skipped). */
export const URG_READ = 3;

/**
 * Urgent data (RFC 9293 §3.8.5, with Linux's BSD interpretation: the pointer is one past the
 * byte), which few connections ever see: kept apart from the endpoint until they do.
 */
export class UrgentData {
  /** Send urgent pointer: one past the last urgent byte; valid while the endpoint's urgSend. */
  sndUp = 0;
  /** The receiver's state: URG_NONE, URG_PENDING, URG_VALID or URG_READ. */
  state = URG_NONE;
  /** Sequence number of the urgent byte received. */
  seq = 0;
  /** The urgent byte, once it arrived (URG_VALID). */
  byte = 0;
}

/**
 * The valued options a user set on a connection (setsockopt), kept apart from the endpoint
 * until the first is set: most connections run on the defaults. An accepted connection gets a
 * copy of its listener's.
 */
export class UserOptions {
  /** TCP_KEEPIDLE, TCP_KEEPINTVL (s) and TCP_KEEPCNT; 0 = not set (the host's config applies). */
  keepIdleS = 0;
  keepIntvlS = 0;
  keepCnt = 0;
  /** TCP_USER_TIMEOUT in ms (0 = the retries2 rule). */
  userTimeoutMs = 0;
  /** TCP_MAXSEG set before connecting (0 = from the route). */
  userMss = 0;
  /** IP_TTL (-1 = the host's default) and IP_TOS. */
  ttl = -1;
  tos = 0;
  /** SO_RCVBUF / SO_SNDBUF set by the user (Linux sk_userlocks bits): that direction is not auto-tuned. */
  bufLocks = 0;

  copy(): UserOptions {
    return Object.assign(new UserOptions(), this);
  }
}

/** What listen() gives an endpoint: the backlog and the two queues of children. */
export class ListenQueues {
  /** Children in SYN-RECEIVED (the SYN queue). */
  readonly synQueue: TcpEndpoint[] = [];
  /** Established children waiting for accept(). */
  readonly acceptQueue: TcpEndpoint[] = [];
  constructor(public backlog: number) {}
}

import { RingBuffer } from '../storage/ring-buffer.js';
import { Assembler } from '../storage/assembler.js';
import { Timer } from '../time/scheduler.js';
import { WaitQueue, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI, POLLRDHUP } from '../stack/events.js';
import type { ErrnoCode } from '../stack/errno.js';
import type { RouteResult } from '../stack/ip-host.js';
import { RttEstimator, type RttBounds } from './rtt.js';
import type { CongestionControl } from './congestion/congestion-control.js';
import type { BufTuneState } from './autotune.js';
import { TcpState, stateName } from './state.js';
import type { SackScoreboard } from './sack-scoreboard.js';
import type { RackState } from './rack.js';
import type { MtuProbeState } from './pmtu.js';
import type { UndoEpisode } from './undo.js';
import type { TcpConfig } from './config.js';
import { ListenQueues, UrgentData, URG_NONE, URG_READ, URG_VALID, UserOptions } from './endpoint-parts.js';

export { URG_NONE, URG_PENDING, URG_VALID, URG_READ } from './endpoint-parts.js';

/** What the retransmission timer is timing (Linux's icsk_pending). */
export const RTX_NONE = 0;
export const RTX_RTO = 1;
export const RTX_PERSIST = 2;
/** RACK's reordering timer (RFC 8985 §6.3; Linux ICSK_TIME_REO_TIMEOUT). */
export const RTX_RACK = 3;
/** The tail loss probe timeout (RFC 8985 §7.2; Linux ICSK_TIME_LOSS_PROBE). */
export const RTX_TLP = 4;

/** What the slow timer is timing (Linux's sk_timer: keepalive, FIN-WAIT-2, TIME-WAIT). */
export const SLOW_NONE = 0;
export const SLOW_KEEPALIVE = 1;
export const SLOW_FIN_WAIT_2 = 2;
export const SLOW_TIME_WAIT = 3;

/** What an endpoint needs from the TCP that owns it (the host's TcpLayer). */
export interface EndpointOwner {
  readonly config: TcpConfig;
  /** The RTT estimator's parameters from the config (one object shared by the endpoints). */
  rttBounds(): RttBounds;
  /**
   * The callbacks of the retransmission, delayed-ACK and slow timers, each shared by every
   * endpoint's timer of that kind (the timer's context is its endpoint).
   */
  readonly rtxTimerFired: (timer: Timer) => void;
  readonly delackTimerFired: (timer: Timer) => void;
  readonly slowTimerFired: (timer: Timer) => void;
}

/** Bits of TcpEndpoint.flags, one per boolean (the accessors are named as the booleans). */
const F_BOUND_ADDR = 1 << 0;
const F_BOUND_PORT = 1 << 1;
const F_IN_BIND_TABLE = 1 << 2;
const F_IN_CONN_TABLE = 1 << 3;
const F_URG_SEND = 1 << 4;
const F_FIN_QUEUED = 1 << 5;
const F_OOB_INLINE = 1 << 6;
const F_SHUT_READ = 1 << 7;
const F_SHUT_WRITE = 1 << 8;
const F_FIN_RECEIVED = 1 << 9;
const F_WAS_CONNECTED = 1 << 10;
const F_ORPHAN = 1 << 11;
const F_RELEASED = 1 << 12;
const F_PASSIVE = 1 << 13;
const F_REUSE_ADDR = 1 << 14;
const F_REUSE_PORT = 1 << 15;
const F_NODELAY = 1 << 16;
const F_CORK = 1 << 17;
const F_KEEPALIVE = 1 << 18;
const F_TS_OFFERED = 1 << 19;
const F_WS_OK = 1 << 20;
const F_TS_OK = 1 << 21;
const F_SACK_OFFERED = 1 << 22;
const F_SACK_OK = 1 << 23;
const F_ACK_NOW = 1 << 24;
const F_DELACK_OWED = 1 << 25;
const F_PARTIAL_ACKED = 1 << 26;

/** TcpEndpoint.wscales: our shift in bits 0-4, the peer's in 5-9, the offered one + 1 in 10-14 (0: none offered). */
const WS_BITS = 0x1f;
const WS_SND_SHIFT = 5;
const WS_OFFERED_SHIFT = 10;

/**
 * A recv(fd, buf) asleep on an empty receive queue. In-order bytes that arrive while it waits
 * go straight into its buffer instead of through recvBuf, one copy fewer, as Linux's
 * "ucopy" (tcp_data_queue copying to a waiting reader's iovec) did; the call completes from the
 * segment's processing, without a retry. It takes what fits and returns how many it took.
 */
export interface DirectReader {
  /** Offered `len` bytes of `src` from `off`. */
  take(src: Uint8Array, off: number, len: number): number;
}

/**
 * One TCP connection's control block (RFC 9293 §3.3.1): addresses, the send and receive
 * sequence spaces, buffers, timers and options. Protocol logic lives in the modules around
 * it (input, output, timers, user calls); the endpoint holds state and answers poll().
 */
export class TcpEndpoint {
  state: number = TcpState.CLOSED;
  localAddr = 0;
  localPort = 0;
  remoteAddr = 0;
  remotePort = 0;
  /**
   * The booleans (boundAddr, shutRead, tsOk, ackNow…) are bits of this one word, behind
   * accessors after the constructor: one field instead of 26.
   */
  private flags = 0;
  /** In the connection table (inConnTable): the next endpoint in its bucket (conn-table.ts). */
  hashNext: TcpEndpoint | null = null;
  route: RouteResult | null = null;

  // ---- send sequence space (RFC 9293 §3.3.1) ----
  // Sequence numbers are uint32 to every reader (accessors below) but stored as int32, the
  // same 32 bits: a small integer in V8, where a uint32 of 2^31 or more is a heap-allocated
  // double, and once one endpoint holds one, that field is a boxed double in every endpoint.
  private _iss = 0;
  private _sndUna = 0;
  private _sndNxt = 0;
  private _sndMax = 0;
  sndWnd = 0;
  private _sndWl1 = 0;
  private _sndWl2 = 0;
  /** Largest window the peer has offered (RFC 9293 §3.8.6.2.1, RFC 5961 §5 MAX.SND.WND). */
  maxSndWnd = 0;
  private _sndBufSeq = 0;
  /** Send MSS (RFC 9293 §3.7.1): the peer's MSS option, or 536, within our route's MTU. */
  sndMss = 536;
  /** The MSS we advertise (route MTU - 40). */
  advMss = 536;

  // ---- receive sequence space (int32 inside, as the send side's) ----
  private _irs = 0;
  private _rcvNxt = 0;
  private _rcvAdv = 0;
  /** A FIN arrived ahead of a hole: its sequence number, processed when RCV.NXT reaches it. */
  finPendingSeq = -1;
  /** Urgent data sent or received (sndUp, urgState, urgSeq, urgByte below); created at the first. */
  urgent: UrgentData | null = null;

  // ---- buffers ----
  sendBuf: RingBuffer;
  recvBuf: RingBuffer;
  /** Out-of-order ranges beyond RCV.NXT (the bytes sit in recvBuf past its readable end). */
  ooo: Assembler | null = null;
  /** A recv blocked on an empty recvBuf that takes arriving in-order bytes itself (see DirectReader). */
  reader: DirectReader | null = null;

  // ---- errors (sk_shutdown and the rest of the lifecycle are flags) ----
  /** sk_err: reported once by the next call or SO_ERROR. */
  pendingError: ErrnoCode | null = null;
  /** sk_err_soft: an ICMP error remembered for a later timeout (Linux reports it instead of ETIMEDOUT). */
  softError: ErrnoCode | null = null;

  // ---- listening ----
  /** A listener's backlog and queues, created by listen() (a connection has none). */
  listenQueues: ListenQueues | null = null;
  /** The listener a passive child belongs to until accept() takes it. */
  parent: TcpEndpoint | null = null;

  // ---- options (the on/off ones are flags) ----
  /** Valued options the user set (keepIdleS, ttl, bufLocks… below); null while all are the defaults. */
  userOpts: UserOptions | null = null;

  // ---- timers and their counters ----
  /**
   * The three timers, each created when first armed (through rtx, delack, slow below) and null
   * until then: an idle connection holds none. Read these to disarm without creating. The
   * retransmission and delayed-ACK timers are stopped lazily and may be armed for nothing: what
   * they time is rtxRunning (rtxMode) and delackOwed.
   */
  rtxTimer: Timer | null = null;
  delackTimer: Timer | null = null;
  slowTimer: Timer | null = null;
  /** What the retransmission timer is timing (RTX_*), and the slow timer (SLOW_*). */
  rtxMode = RTX_NONE;
  slowMode = SLOW_NONE;
  /** Consecutive retransmissions of the current head (Linux icsk_retransmits), also SYN / SYN-ACK retries. */
  retransmits = 0;
  totalRetrans = 0;
  /** Unanswered zero-window or keepalive probes. */
  probesOut = 0;
  /** When the oldest unacknowledged segment was first sent (Linux retrans_stamp, for R2 and TCP_USER_TIMEOUT). */
  headSentAt = 0;
  /** When the last segment arrived (keepalive idle time). */
  lastRecvAt = 0;
  /** When data last went out (ms; RFC 5681 §4.1 idle restart), or -1 before the first segment. */
  lastSendAt = -1;

  // ---- RTT and congestion ----
  readonly rtt: RttEstimator;
  cc: CongestionControl | null = null;
  /** The congestion control this socket uses once connected (TCP_CONGESTION; a registry name). */
  ccName: string;
  /** Sequence number being timed for an RTT sample (Karn: cleared by a retransmission), or -1. */
  rttSeq = -1;
  rttStart = 0;
  /** Duplicate ACKs seen at SND.UNA (for RFC 5681 §2 classification). */
  dupAcks = 0;

  // ---- window scaling and timestamps (RFC 7323) ----
  /**
   * The window scale shifts (RFC 7323 §2, at most 14): ours, the peer's and the one our SYN
   * offered, five bits each of one word (WS_*) behind rcvWscale, sndWscale and wsOffered.
   */
  private wscales = 0;
  /** TS.Recent (accessor below; int32 inside) and when it was last set (ms; for the 24-day PAWS rule, §5.5). */
  private _tsRecent = 0;
  tsRecentStamp = 0;
  private _tsOffset = 0;
  private _lastAckSent = 0;

  // ---- selective acknowledgements (RFC 2018, RFC 2883, RFC 6675) ----
  /** What the peer has SACKed beyond SND.UNA (created at the first SACK block). */
  scoreboard: SackScoreboard | null = null;
  /** RFC 6675 HighRxt: one past the highest byte retransmitted in this recovery (or after a timeout). */
  highRxt = 0;
  /** A duplicate segment to report in the first block of the next ACK (RFC 2883 §4), or null. */
  dsack: { start: number; end: number } | null = null;
  /** RACK-TLP state (RFC 8985), created when a SACK connection first sends data with RACK on. */
  rack: RackState | null = null;
  /** The last reduction, which may turn out spurious and be undone (undo.ts); created at the first. */
  undo: UndoEpisode | null = null;

  // ---- delayed ACK ----
  /** Bytes received since the last ACK we sent. */
  unackedBytes = 0;
  /** Largest segment the peer has sent us (Linux rcv_mss), for "full-sized". */
  rcvMss = 536;

  // ---- path MTU (helper "pmtu" owns this block) ----
  /** The path MTU, MSS ceiling and RFC 4821 search state (logic in pmtu.ts), allocated at the first path MTU event. */
  mtup: MtuProbeState | null = null;

  /** The path MTU the send MSS follows (RFC 1191), bytes; 0 = not yet known (the route's MTU). */
  get pmtu(): number {
    return this.mtup === null ? 0 : this.mtup.pmtu;
  }

  // ---- buffer auto-tuning (helper "autotune" owns this block; logic in autotune.ts; bufLocks is a user option) ----
  /** Receiver RTT, DRS and memory-charge state, allocated when data first flows (idle costs nothing). */
  tune: BufTuneState | null = null;

  /** Who waits on the endpoint (blocked calls, poll, epoll): made when the first one waits. */
  private waitQueue: WaitQueue | null = null;

  constructor(readonly owner: EndpointOwner) {
    const cfg = owner.config;
    this.sendBuf = new RingBuffer(cfg.sndBuf);
    this.recvBuf = new RingBuffer(cfg.rcvBuf);
    this.ccName = cfg.congestionControl;
    this.rtt = new RttEstimator(owner.rttBounds());
  }

  /** The retransmission timer (RTO, persist, RACK, TLP; what rtxMode says), created on first use. */
  get rtx(): Timer {
    return (this.rtxTimer ??= new Timer(this.owner.rtxTimerFired, true, this));
  }

  /** The retransmission timer is timing something (it may also be armed for nothing: rtx-timer.ts). */
  get rtxRunning(): boolean {
    return this.rtxMode !== RTX_NONE && this.rtxTimer !== null && this.rtxTimer.armed;
  }

  /** The delayed-ACK timer, created on first use. */
  get delack(): Timer {
    return (this.delackTimer ??= new Timer(this.owner.delackTimerFired, true, this));
  }

  /** The keepalive / FIN-WAIT-2 / TIME-WAIT timer (what slowMode says), created on first use. */
  get slow(): Timer {
    return (this.slowTimer ??= new Timer(this.owner.slowTimerFired, true, this));
  }

  // ---- 32-bit sequence numbers and timestamps: uint32 out, int32 in (see the send sequence space) ----

  /** Initial send sequence number. */
  get iss(): number {
    return this._iss >>> 0;
  }
  set iss(v: number) {
    this._iss = v | 0;
  }

  /** SND.UNA: oldest unacknowledged sequence number. */
  get sndUna(): number {
    return this._sndUna >>> 0;
  }
  set sndUna(v: number) {
    this._sndUna = v | 0;
  }

  /** SND.NXT: next sequence number to send. */
  get sndNxt(): number {
    return this._sndNxt >>> 0;
  }
  set sndNxt(v: number) {
    this._sndNxt = v | 0;
  }

  /** One past the highest sequence number sent (BSD snd_max): sndNxt falls back to sndUna on a timeout. */
  get sndMax(): number {
    return this._sndMax >>> 0;
  }
  set sndMax(v: number) {
    this._sndMax = v | 0;
  }

  /** SND.WL1: segment sequence number of the last window update. */
  get sndWl1(): number {
    return this._sndWl1 >>> 0;
  }
  set sndWl1(v: number) {
    this._sndWl1 = v | 0;
  }

  /** SND.WL2: segment acknowledgment number of the last window update. */
  get sndWl2(): number {
    return this._sndWl2 >>> 0;
  }
  set sndWl2(v: number) {
    this._sndWl2 = v | 0;
  }

  /** Sequence number of sendBuf's first byte (the SYN takes iss, data starts at iss + 1). */
  get sndBufSeq(): number {
    return this._sndBufSeq >>> 0;
  }
  set sndBufSeq(v: number) {
    this._sndBufSeq = v | 0;
  }

  /** Initial receive sequence number. */
  get irs(): number {
    return this._irs >>> 0;
  }
  set irs(v: number) {
    this._irs = v | 0;
  }

  /** RCV.NXT: next sequence number expected. */
  get rcvNxt(): number {
    return this._rcvNxt >>> 0;
  }
  set rcvNxt(v: number) {
    this._rcvNxt = v | 0;
  }

  /** Right edge of the window last advertised (RCV.NXT + RCV.WND then): never moves left (§3.8.6.2.2). */
  get rcvAdv(): number {
    return this._rcvAdv >>> 0;
  }
  set rcvAdv(v: number) {
    this._rcvAdv = v | 0;
  }

  /** TS.Recent (RFC 7323 §4.3): the TSval to echo. */
  get tsRecent(): number {
    return this._tsRecent >>> 0;
  }
  set tsRecent(v: number) {
    this._tsRecent = v | 0;
  }

  /** Random per-connection offset added to our millisecond clock for TSval (as Linux tsoffset). */
  get tsOffset(): number {
    return this._tsOffset >>> 0;
  }
  set tsOffset(v: number) {
    this._tsOffset = v | 0;
  }

  /** Last.ACK.sent (RFC 7323 §4.3): RCV.NXT in the last ACK we sent. */
  get lastAckSent(): number {
    return this._lastAckSent >>> 0;
  }
  set lastAckSent(v: number) {
    this._lastAckSent = v | 0;
  }

  // ---- valued options (in `userOpts`, made by the first set) ----

  private opts(): UserOptions {
    return (this.userOpts ??= new UserOptions());
  }

  /** TCP_KEEPIDLE in seconds; unset, the host's config now (as Linux reads its sysctl, keepalive_time_when). */
  get keepIdleS(): number {
    const o = this.userOpts;
    return o !== null && o.keepIdleS > 0 ? o.keepIdleS : this.owner.config.keepIdleS;
  }
  set keepIdleS(v: number) {
    this.opts().keepIdleS = v;
  }

  /** TCP_KEEPINTVL in seconds; unset, the host's config now. */
  get keepIntvlS(): number {
    const o = this.userOpts;
    return o !== null && o.keepIntvlS > 0 ? o.keepIntvlS : this.owner.config.keepIntvlS;
  }
  set keepIntvlS(v: number) {
    this.opts().keepIntvlS = v;
  }

  /** TCP_KEEPCNT; unset, the host's config now. */
  get keepCnt(): number {
    const o = this.userOpts;
    return o !== null && o.keepCnt > 0 ? o.keepCnt : this.owner.config.keepCnt;
  }
  set keepCnt(v: number) {
    this.opts().keepCnt = v;
  }

  /** TCP_USER_TIMEOUT in ms (0 = the retries2 rule). */
  get userTimeoutMs(): number {
    return this.userOpts === null ? 0 : this.userOpts.userTimeoutMs;
  }
  set userTimeoutMs(v: number) {
    this.opts().userTimeoutMs = v;
  }

  /** TCP_MAXSEG set by the user before connecting (0 = from the route). */
  get userMss(): number {
    return this.userOpts === null ? 0 : this.userOpts.userMss;
  }
  set userMss(v: number) {
    this.opts().userMss = v;
  }

  /** IP_TTL (-1 = the host's default). */
  get ttl(): number {
    return this.userOpts === null ? -1 : this.userOpts.ttl;
  }
  set ttl(v: number) {
    this.opts().ttl = v;
  }

  /** IP_TOS. */
  get tos(): number {
    return this.userOpts === null ? 0 : this.userOpts.tos;
  }
  set tos(v: number) {
    this.opts().tos = v;
  }

  /** SO_RCVBUF / SO_SNDBUF set by the user (Linux sk_userlocks): that direction is not auto-tuned. */
  get bufLocks(): number {
    return this.userOpts === null ? 0 : this.userOpts.bufLocks;
  }
  set bufLocks(v: number) {
    this.opts().bufLocks = v;
  }

  // ---- urgent data (in `urgent`, made by the first write) ----

  /** Send urgent pointer: one past the last urgent byte (BSD semantics, as Linux); valid while urgSend. */
  get sndUp(): number {
    return this.urgent === null ? 0 : this.urgent.sndUp;
  }
  set sndUp(v: number) {
    (this.urgent ??= new UrgentData()).sndUp = v;
  }

  /** The receiver's urgent-data state (URG_NONE, URG_PENDING, URG_VALID, URG_READ). */
  get urgState(): number {
    return this.urgent === null ? URG_NONE : this.urgent.state;
  }
  set urgState(v: number) {
    (this.urgent ??= new UrgentData()).state = v;
  }

  /** Sequence number of the urgent byte announced. */
  get urgSeq(): number {
    return this.urgent === null ? 0 : this.urgent.seq;
  }
  set urgSeq(v: number) {
    (this.urgent ??= new UrgentData()).seq = v;
  }

  /** The urgent byte received. */
  get urgByte(): number {
    return this.urgent === null ? 0 : this.urgent.byte;
  }
  set urgByte(v: number) {
    (this.urgent ??= new UrgentData()).byte = v;
  }

  // ---- window scale shifts (in `wscales`) ----

  /** Our shift (Rcv.Wind.Shift): the window field we send is the window >> rcvWscale. */
  get rcvWscale(): number {
    return this.wscales & WS_BITS;
  }
  set rcvWscale(v: number) {
    this.wscales = (this.wscales & ~WS_BITS) | (v & WS_BITS);
  }

  /** The peer's shift (Snd.Wind.Shift): every window it sends after its SYN is << sndWscale. */
  get sndWscale(): number {
    return (this.wscales >> WS_SND_SHIFT) & WS_BITS;
  }
  set sndWscale(v: number) {
    this.wscales = (this.wscales & ~(WS_BITS << WS_SND_SHIFT)) | ((v & WS_BITS) << WS_SND_SHIFT);
  }

  /** The shift our SYN offered (-1: no window scale option). */
  get wsOffered(): number {
    return ((this.wscales >> WS_OFFERED_SHIFT) & WS_BITS) - 1;
  }
  set wsOffered(v: number) {
    this.wscales = (this.wscales & ~(WS_BITS << WS_OFFERED_SHIFT)) | (((v + 1) & WS_BITS) << WS_OFFERED_SHIFT);
  }

  // ---- booleans: one bit each of `flags` (F_*) ----

  /** bind() chose the address (it survives the connection; Linux SOCK_BINDADDR_LOCK). */
  get boundAddr(): boolean {
    return (this.flags & F_BOUND_ADDR) !== 0;
  }
  set boundAddr(v: boolean) {
    this.flags = v ? this.flags | F_BOUND_ADDR : this.flags & ~F_BOUND_ADDR;
  }

  /** bind() chose the port (it survives the connection; Linux SOCK_BINDPORT_LOCK). */
  get boundPort(): boolean {
    return (this.flags & F_BOUND_PORT) !== 0;
  }
  set boundPort(v: boolean) {
    this.flags = v ? this.flags | F_BOUND_PORT : this.flags & ~F_BOUND_PORT;
  }

  /** In the layer's port table (bhash). */
  get inBindTable(): boolean {
    return (this.flags & F_IN_BIND_TABLE) !== 0;
  }
  set inBindTable(v: boolean) {
    this.flags = v ? this.flags | F_IN_BIND_TABLE : this.flags & ~F_IN_BIND_TABLE;
  }

  /** In the layer's connection table (ehash), under hashKey. */
  get inConnTable(): boolean {
    return (this.flags & F_IN_CONN_TABLE) !== 0;
  }
  set inConnTable(v: boolean) {
    this.flags = v ? this.flags | F_IN_CONN_TABLE : this.flags & ~F_IN_CONN_TABLE;
  }

  /** Urgent data is being sent: sndUp is valid (RFC 9293 §3.8.5). */
  get urgSend(): boolean {
    return (this.flags & F_URG_SEND) !== 0;
  }
  set urgSend(v: boolean) {
    this.flags = v ? this.flags | F_URG_SEND : this.flags & ~F_URG_SEND;
  }

  /** The user will send no more (shutdown SHUT_WR or close): a FIN follows the queued data. */
  get finQueued(): boolean {
    return (this.flags & F_FIN_QUEUED) !== 0;
  }
  set finQueued(v: boolean) {
    this.flags = v ? this.flags | F_FIN_QUEUED : this.flags & ~F_FIN_QUEUED;
  }

  /** SO_OOBINLINE: the urgent byte stays in the stream. */
  get oobInline(): boolean {
    return (this.flags & F_OOB_INLINE) !== 0;
  }
  set oobInline(v: boolean) {
    this.flags = v ? this.flags | F_OOB_INLINE : this.flags & ~F_OOB_INLINE;
  }

  /** RCV_SHUTDOWN: a FIN arrived, shutdown(SHUT_RD), or the connection is gone. */
  get shutRead(): boolean {
    return (this.flags & F_SHUT_READ) !== 0;
  }
  set shutRead(v: boolean) {
    this.flags = v ? this.flags | F_SHUT_READ : this.flags & ~F_SHUT_READ;
  }

  /** SEND_SHUTDOWN: shutdown(SHUT_WR), close, or the connection is gone. */
  get shutWrite(): boolean {
    return (this.flags & F_SHUT_WRITE) !== 0;
  }
  set shutWrite(v: boolean) {
    this.flags = v ? this.flags | F_SHUT_WRITE : this.flags & ~F_SHUT_WRITE;
  }

  /** The peer's FIN arrived (Linux SOCK_DONE): recv() returns EOF before any error. */
  get finReceived(): boolean {
    return (this.flags & F_FIN_RECEIVED) !== 0;
  }
  set finReceived(v: boolean) {
    this.flags = v ? this.flags | F_FIN_RECEIVED : this.flags & ~F_FIN_RECEIVED;
  }

  /** The connection was synchronized once (recv() then returns EOF rather than ENOTCONN). */
  get wasConnected(): boolean {
    return (this.flags & F_WAS_CONNECTED) !== 0;
  }
  set wasConnected(v: boolean) {
    this.flags = v ? this.flags | F_WAS_CONNECTED : this.flags & ~F_WAS_CONNECTED;
  }

  /** The user closed the socket: nobody reads; the layer frees the endpoint when it reaches CLOSED. */
  get orphan(): boolean {
    return (this.flags & F_ORPHAN) !== 0;
  }
  set orphan(v: boolean) {
    this.flags = v ? this.flags | F_ORPHAN : this.flags & ~F_ORPHAN;
  }

  /** The endpoint reached CLOSED and left the tables for good. */
  get released(): boolean {
    return (this.flags & F_RELEASED) !== 0;
  }
  set released(v: boolean) {
    this.flags = v ? this.flags | F_RELEASED : this.flags & ~F_RELEASED;
  }

  /** Passive open: an RST in SYN-RECEIVED returns to LISTEN (RFC 9293 §3.10.7.4). */
  get passive(): boolean {
    return (this.flags & F_PASSIVE) !== 0;
  }
  set passive(v: boolean) {
    this.flags = v ? this.flags | F_PASSIVE : this.flags & ~F_PASSIVE;
  }

  /** SO_REUSEADDR. */
  get reuseAddr(): boolean {
    return (this.flags & F_REUSE_ADDR) !== 0;
  }
  set reuseAddr(v: boolean) {
    this.flags = v ? this.flags | F_REUSE_ADDR : this.flags & ~F_REUSE_ADDR;
  }

  /** SO_REUSEPORT. */
  get reusePort(): boolean {
    return (this.flags & F_REUSE_PORT) !== 0;
  }
  set reusePort(v: boolean) {
    this.flags = v ? this.flags | F_REUSE_PORT : this.flags & ~F_REUSE_PORT;
  }

  /** TCP_NODELAY: no Nagle. */
  get nodelay(): boolean {
    return (this.flags & F_NODELAY) !== 0;
  }
  set nodelay(v: boolean) {
    this.flags = v ? this.flags | F_NODELAY : this.flags & ~F_NODELAY;
  }

  /** TCP_CORK: only full segments until uncorked. */
  get cork(): boolean {
    return (this.flags & F_CORK) !== 0;
  }
  set cork(v: boolean) {
    this.flags = v ? this.flags | F_CORK : this.flags & ~F_CORK;
  }

  /** SO_KEEPALIVE. */
  get keepalive(): boolean {
    return (this.flags & F_KEEPALIVE) !== 0;
  }
  set keepalive(v: boolean) {
    this.flags = v ? this.flags | F_KEEPALIVE : this.flags & ~F_KEEPALIVE;
  }

  /** Our SYN offered timestamps. */
  get tsOffered(): boolean {
    return (this.flags & F_TS_OFFERED) !== 0;
  }
  set tsOffered(v: boolean) {
    this.flags = v ? this.flags | F_TS_OFFERED : this.flags & ~F_TS_OFFERED;
  }

  /** Both SYNs carried a window scale option (RFC 7323 §2.2): rcvWscale and sndWscale apply. */
  get wsOk(): boolean {
    return (this.flags & F_WS_OK) !== 0;
  }
  set wsOk(v: boolean) {
    this.flags = v ? this.flags | F_WS_OK : this.flags & ~F_WS_OK;
  }

  /** Both SYNs carried timestamps (RFC 7323 §3.2): every segment carries TSopt. */
  get tsOk(): boolean {
    return (this.flags & F_TS_OK) !== 0;
  }
  set tsOk(v: boolean) {
    this.flags = v ? this.flags | F_TS_OK : this.flags & ~F_TS_OK;
  }

  /** Our SYN offered SACK-permitted. */
  get sackOffered(): boolean {
    return (this.flags & F_SACK_OFFERED) !== 0;
  }
  set sackOffered(v: boolean) {
    this.flags = v ? this.flags | F_SACK_OFFERED : this.flags & ~F_SACK_OFFERED;
  }

  /** Both SYNs carried SACK-permitted (RFC 2018 §2): ACKs carry blocks, the sender keeps a scoreboard. */
  get sackOk(): boolean {
    return (this.flags & F_SACK_OK) !== 0;
  }
  set sackOk(v: boolean) {
    this.flags = v ? this.flags | F_SACK_OK : this.flags & ~F_SACK_OK;
  }


  /** An ACK must go out with the next transmission, now. */
  get ackNow(): boolean {
    return (this.flags & F_ACK_NOW) !== 0;
  }
  set ackNow(v: boolean) {
    this.flags = v ? this.flags | F_ACK_NOW : this.flags & ~F_ACK_NOW;
  }

  /**
   * The delayed-ACK timer stands for an ACK still owed. Any ACK sent clears this and leaves the
   * timer be (Linux inet_csk_clear_xmit_timer: the handler checks icsk_ack.pending), so a
   * request/response exchange does not take the timer out of the scheduler and put it back
   * per message; a timer firing for nothing owed does nothing.
   */
  get delackOwed(): boolean {
    return (this.flags & F_DELACK_OWED) !== 0;
  }
  set delackOwed(v: boolean) {
    this.flags = v ? this.flags | F_DELACK_OWED : this.flags & ~F_DELACK_OWED;
  }

  /**
   * NewReno fast recovery (no SACK): a partial ACK has already restarted the retransmission
   * timer in this recovery, so later ones leave it running (RFC 6582 §3.2 step 3; input.ts).
   */
  get partialAcked(): boolean {
    return (this.flags & F_PARTIAL_ACKED) !== 0;
  }
  set partialAcked(v: boolean) {
    this.flags = v ? this.flags | F_PARTIAL_ACKED : this.flags & ~F_PARTIAL_ACKED;
  }

  /** The endpoint's wait queue, made on first use. */
  get wait(): WaitQueue {
    return (this.waitQueue ??= new WaitQueue());
  }

  /** Wakes the waiters whose mask meets `events` (WaitQueue.notify); with no queue, nobody waits. */
  notify(events: number): void {
    if (this.waitQueue !== null) this.waitQueue.notify(events);
  }

  get stateName(): string {
    return stateName(this.state);
  }

  /** Sequence number of recvBuf's first unread byte. */
  get readSeq(): number {
    // A received FIN took a sequence number after the data (RFC 9293 §3.4): it is not a byte to read.
    return (this.rcvNxt - this.recvBuf.length - (this.finReceived ? 1 : 0)) >>> 0;
  }

  /** Bytes queued and not yet sent (beyond SND.NXT). */
  get unsent(): number {
    return this.sendBuf.length - ((this.sndNxt - this.sndBufSeq) | 0);
  }

  /** Sequence number a FIN takes once every queued byte is sent (meaningful while finQueued). */
  get finSeq(): number {
    return (this.sndBufSeq + this.sendBuf.length) >>> 0;
  }

  /** Our FIN has been sent and acknowledged. */
  get finAcked(): boolean {
    return this.finQueued && this.sndUna === ((this.finSeq + 1) >>> 0);
  }

  /** Bytes readable now: in-order data minus an urgent byte pulled out of the stream. */
  get readable(): number {
    let n = this.recvBuf.length;
    if ((this.urgState === URG_VALID || this.urgState === URG_READ) && !this.oobInline && this.urgInBuffer()) n--;
    return n;
  }

  /** The urgent byte is still in recvBuf (not yet read past). */
  urgInBuffer(): boolean {
    const off = (this.urgSeq - this.readSeq) | 0;
    return off >= 0 && off < this.recvBuf.length;
  }

  /**
   * poll(2) bits as Linux tcp_poll: POLLHUP when closed or shut both ways, POLLIN|POLLRDHUP
   * after the peer's FIN, POLLIN with data, POLLOUT with send space once connected, POLLPRI
   * with urgent data, POLLERR with a pending error. A listener is readable with a connection to accept.
   */
  readiness(): number {
    if (this.state === TcpState.LISTEN) {
      let ev = this.listenQueues!.acceptQueue.length > 0 ? POLLIN : 0;
      if (this.pendingError) ev |= POLLERR;
      return ev;
    }
    let ev = 0;
    if ((this.shutRead && this.shutWrite) || this.state === TcpState.CLOSED) ev |= POLLHUP;
    if (this.shutRead) ev |= POLLIN | POLLRDHUP;
    if (this.state !== TcpState.SYN_SENT && this.state !== TcpState.SYN_RECEIVED) {
      if (this.readable > 0) ev |= POLLIN;
      if (this.shutWrite || this.writable()) ev |= POLLOUT;
      if (this.urgState === URG_VALID && !this.oobInline) ev |= POLLPRI;
    }
    if (this.pendingError) ev |= POLLERR;
    return ev;
  }

  /** sk_stream_is_writeable: free space at least half of what is queued (and some at all). */
  writable(): boolean {
    const free = this.sendBuf.free;
    return free > 0 && free >= this.sendBuf.length >>> 1;
  }

  takeError(): ErrnoCode | null {
    const e = this.pendingError;
    this.pendingError = null;
    return e;
  }
}

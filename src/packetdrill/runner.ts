/**
 * Runs one packetdrill script against a fresh sockstack host under virtual time (packetdrill's
 * run.c, run_packet.c and run_system_call.c, in local mode).
 *
 * Time: script time 0 is the start of the run. An absolute time is from the start; a relative
 * one (`+0.1`) from when the previous event finished, except that consecutive inbound packets
 * anchor on the previous packet's script time (packetdrill's is_event_start_time_anchored).
 * Inbound packets, commands and syscalls wait (virtual time) until their time; `>` lines do not
 * wait: the next segment sockstack sends must come within the tolerance of the line's time —
 * max(--tolerance_usecs, --tolerance_percent of the script time since the previous event) —
 * and match it. Sockstack's segments are taken in order, so an extra one before the expected
 * one fails that line; segments of other connections (another 4-tuple) are ignored, as
 * packetdrill ignores packets not of its socket under test.
 *
 * Syscalls without `...` must return without virtual time passing. A blocking call
 * (`+0...0.2 accept(...)`) starts at its time; the script goes on (its inbound packets may be
 * what wakes the call) and the next syscall line, or the end of the script, waits for it; it
 * must return at its end time within the tolerance.
 */
import type { PacketEvent, Script, ScriptEvent, SyscallEvent, TcpPacketSpec, TimeSpec } from './ast.js';
import { Network } from '../sim/network.js';
import type { Host } from '../sim/host.js';
import { Timer } from '../time/scheduler.js';
import { formatIPv4, networkOf, parseCidr, parseIPv4, prefixMask } from '../wire/address.js';
import { TCP_ACK, TCP_SYN } from '../wire/tcp.js';
import { RemoteDevice, type LiveSegment } from './remote-device.js';
import { compareTcp, encodeOptions, ecnValues, flagsFromLetters, liveToSpec, localToLive, remoteToLive, type SeqMap } from './match.js';
import { Unsupported, checkOutcome, startSyscall, type Outcome, type SyscallContext } from './syscalls.js';
import { deviceMtu, resolveOptions, type RunOptions } from './options.js';
import { secs, type ScriptResult } from './report.js';
import { formatPacket } from './print.js';
import { applyProfile, applySysctl } from './sysctl.js';

/** How long a `*` outbound line waits for its packet (virtual ms). */
const ANY_TIME_WAIT_MS = 600_000;
/** After a `>` line's deadline, how much longer the runner looks, to tell a late packet from a missing one. */
const LATE_LOOK_MS = 10_000;
/** Float slack when comparing virtual times (ms). */
const EPS = 1e-6;

/** A mismatch at a line: the script fails there. */
class Failed extends Error {
  constructor(
    readonly line: number | undefined,
    message: string,
    readonly expected?: string,
    readonly actual?: string,
  ) {
    super(message);
  }
}

/** A line the runner cannot honour. */
class NotSupported extends Error {
  constructor(
    readonly line: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** When an event may happen, in virtual ms: [lo, hi], or any time. */
type Window = { any: true } | { any: false; lo: number; hi: number };

/** The connection the script is talking about (packetdrill's socket under test). */
interface Conn {
  localPort: number | null;
  remotePort: number;
  map: SeqMap;
  isnKnown: boolean;
}

interface Pending {
  ev: SyscallEvent;
  startMs: number;
  end: Window;
  done: Promise<void>;
  settled: { outcome: Outcome; at: number } | { unsupported: string } | null;
}

const TIMEOUT = Symbol('timeout');

/** Options of a script's own `--name=value` lines the runner honours (they override the caller's). */
function scriptOptions(script: Script, o: Partial<RunOptions>): Partial<RunOptions> {
  const out: Partial<RunOptions> = { ...o };
  for (const opt of script.options ?? []) {
    const v = opt.value ?? '';
    const n = Number(v);
    switch (opt.name) {
      case 'tolerance_usecs': out.toleranceUsecs = n; break;
      case 'tolerance_percent': out.tolerancePercent = n; break;
      case 'local_ip': out.localIp = v; break;
      case 'remote_ip': out.remoteIp = v; break;
      case 'mss': out.mss = n; break;
      case 'mtu': out.mtu = n; break;
      case 'bind_port': out.bindPort = n; break;
      case 'connect_port': out.connectPort = n; break;
      case 'ip_version': out.ipVersion = v as RunOptions['ipVersion']; break;
      default: throw new NotSupported(opt.line, `script option --${opt.name} is not supported`);
    }
  }
  return out;
}

/** Runs `script`; never throws (a runner bug becomes a failed result naming it). */
export async function runScript(script: Script, options: Partial<RunOptions> = {}): Promise<ScriptResult> {
  const base: ScriptResult = { name: script.name, status: 'pass', reason: '', events: 0, seconds: 0, log: [] };
  let opts: RunOptions;
  try {
    const r = resolveOptions(scriptOptions(script, options));
    if ('error' in r) return { ...base, status: 'fail', reason: `bad option: ${r.error}` };
    opts = r;
  } catch (e) {
    if (e instanceof NotSupported) return { ...base, status: 'unsupported', line: e.line, reason: e.message };
    throw e;
  }
  if (opts.ipVersion !== 'ipv4') {
    return { ...base, status: 'unsupported', reason: `--ip_version=${opts.ipVersion} is not supported yet (sockstack's TCP runs over IPv4 only)` };
  }
  const run = new Run(script, opts);
  try {
    await run.net.run(() => run.execute());
    return { ...base, ...run.finish(), log: run.log };
  } catch (e) {
    const common = { ...base, events: run.events, seconds: run.net.now() / 1000, log: run.log };
    if (e instanceof Failed) return { ...common, status: 'fail', line: e.line, reason: e.message, expected: e.expected, actual: e.actual };
    if (e instanceof NotSupported) return { ...common, status: 'unsupported', line: e.line, reason: e.message };
    return { ...common, status: 'fail', line: run.currentLine, reason: `runner error: ${e instanceof Error ? e.message : String(e)}` };
  }
}

class Run {
  readonly net: Network;
  readonly host: Host;
  readonly dev: RemoteDevice;
  readonly log: string[] = [];
  events = 0;
  currentLine: number | undefined;
  private readonly startMs: number;
  private prev: ScriptEvent | null = null;
  /** Script time (ms) of the previous event: the base of --tolerance_percent and of anchored packets. */
  private lastScriptMs = 0;
  private conn: Conn | null = null;
  /** Set by listen(): the next inbound SYN opens a new connection to this port. */
  private listenPort: number | null = null;
  private readonly remoteIsn: number;
  private nextRemotePort: number;
  private pending: Pending | null = null;
  /** The first `%{ }%` block: run on, then report unsupported if nothing failed. */
  private codeLine: number | null = null;

  constructor(
    private readonly script: Script,
    private readonly opts: RunOptions,
  ) {
    this.net = new Network({ seed: opts.seed });
    const rng = this.net.rng.fork('packetdrill');
    this.remoteIsn = opts.remoteIsn ?? rng.u32();
    this.nextRemotePort = rng.int(40000, 59999);
    const cidr = parseCidr(opts.localIp)!;
    const remote = parseIPv4(opts.remoteIp)!;
    this.host = this.net.host('sockstack');
    this.dev = new RemoteDevice(this.net, deviceMtu(opts), cidr.address, remote);
    this.net.attachDevice(this.host, this.dev, opts.localIp);
    // The remote sits behind a gateway on the host's subnet (the device answers ARP for it).
    const mask = prefixMask(cidr.prefix);
    if (((remote & mask) >>> 0) !== networkOf(cidr.address, cidr.prefix) && cidr.prefix < 31) {
      const net = networkOf(cidr.address, cidr.prefix);
      const gw = (net + 1) >>> 0 === cidr.address ? (net + 2) >>> 0 : (net + 1) >>> 0;
      this.host.setGateway(formatIPv4(gw));
    }
    if (opts.profile) applyProfile(this.host, opts.profile);
    this.startMs = this.net.now();
  }

  private note(s: string): void {
    if (this.opts.verbose) this.log.push(s);
  }

  private rel(ms: number): string {
    return secs(ms - this.startMs);
  }

  async execute(): Promise<void> {
    for (const ev of this.script.events) {
      this.currentLine = ev.line;
      this.checkPendingSettled();
      switch (ev.type) {
        case 'packet':
          if (ev.direction === 'inbound') await this.inbound(ev);
          else await this.outbound(ev);
          break;
        case 'syscall':
          await this.syscall(ev);
          break;
        case 'command': {
          const w = await this.arrive(ev);
          const r = applySysctl(this.host, ev.command);
          this.note(`${this.rel(this.net.now())} \`${ev.command}\` -> ${r === 'ok' ? 'ok' : r.unsupported}`);
          if (r !== 'ok') throw new NotSupported(ev.line, `shell command: ${r.unsupported}`);
          this.done(ev, w);
          break;
        }
        case 'code': {
          // Python blocks only read state (packetdrill runs them after the script): go on.
          const w = await this.arrive(ev);
          this.codeLine ??= ev.line;
          this.done(ev, w);
          break;
        }
      }
      this.events++;
    }
    this.currentLine = undefined;
    if (this.pending) await this.awaitPending();
    this.checkProblems(undefined);
  }

  finish(): Pick<ScriptResult, 'status' | 'reason' | 'line' | 'events' | 'seconds'> {
    const seconds = (this.net.now() - this.startMs) / 1000;
    if (this.codeLine !== null) {
      return { status: 'unsupported', line: this.codeLine, reason: 'a %{ }% Python block cannot be run (the rest of the script passed)', events: this.events, seconds };
    }
    return { status: 'pass', reason: '', events: this.events, seconds };
  }

  // ---- time ------------------------------------------------------------------------------

  /** The base of relative times for `ev`: the previous packet's script time for consecutive inbound packets, else now. */
  private base(ev: ScriptEvent): number {
    const inbound = (e: ScriptEvent | null): boolean => e !== null && e.type === 'packet' && e.direction === 'inbound';
    return inbound(this.prev) && inbound(ev) ? this.lastScriptMs : this.net.now();
  }

  private resolve(t: TimeSpec, base: number): Window {
    switch (t.kind) {
      case 'absolute': return { any: false, lo: this.startMs + t.t * 1000, hi: this.startMs + t.t * 1000 };
      case 'relative': return { any: false, lo: base + t.t * 1000, hi: base + t.t * 1000 };
      case 'any': return { any: true };
      case 'range': {
        const a = this.resolve(t.start, base);
        const b = this.resolve(t.end, base);
        if (a.any || b.any) return { any: true };
        return { any: false, lo: a.lo, hi: b.hi };
      }
    }
  }

  /** Slack (ms) for an event expected at `scriptMs` after an event at `sinceMs`. */
  private tolerance(scriptMs: number, sinceMs: number): number {
    const fixed = this.opts.toleranceUsecs / 1000;
    const dynamic = (this.opts.tolerancePercent / 100) * Math.max(0, scriptMs - sinceMs);
    return Math.max(fixed, dynamic);
  }

  private inTime(w: Window, at: number, sinceMs: number): boolean {
    if (w.any) return true;
    const tol = this.tolerance(w.lo, sinceMs);
    return at >= w.lo - tol - EPS && at <= w.hi + tol + EPS;
  }

  private windowText(w: Window): string {
    if (w.any) return '*';
    return w.lo === w.hi ? this.rel(w.lo) : `${this.rel(w.lo)}~${this.rel(w.hi)}`;
  }

  private timingError(what: string, w: Window, at: number, sinceMs = this.lastScriptMs): string {
    const tol = w.any ? 0 : this.tolerance(w.lo, sinceMs);
    return `timing error: expected ${what} at ${this.windowText(w)} s but it happened at ${this.rel(at)} s (tolerance ${secs(tol)} s)`;
  }

  /** Sleeps until the event's time, then checks that we are not already past it. */
  private async arrive(ev: ScriptEvent, what = ev.type === 'syscall' ? 'system call start' : ev.type === 'command' ? 'command' : 'event'): Promise<Window> {
    const w = this.resolve(ev.time, this.base(ev));
    if (!w.any && w.lo > this.net.now()) await this.net.sleep(w.lo - this.net.now());
    if (!this.inTime(w, this.net.now(), this.lastScriptMs)) throw new Failed(ev.line, this.timingError(what, w, this.net.now()));
    return w;
  }

  /** Bookkeeping after an event: its script time anchors the next. */
  private done(ev: ScriptEvent, w: Window): void {
    this.lastScriptMs = w.any ? this.net.now() : w.lo;
    this.prev = ev;
  }

  /** Resolves with `p`'s value, or TIMEOUT once virtual time reaches `deadline`. */
  private raceUntil<T>(p: Promise<T>, deadline: number): Promise<T | typeof TIMEOUT> {
    return new Promise((resolve, reject) => {
      const sched = this.net.scheduler;
      const timer = new Timer(() => resolve(TIMEOUT));
      sched.arm(timer, Math.max(deadline, this.net.now()));
      p.then(
        (v) => {
          sched.disarm(timer);
          resolve(v);
        },
        (e: unknown) => {
          sched.disarm(timer);
          reject(e);
        },
      );
    });
  }

  // ---- packets -----------------------------------------------------------------------------

  private newConn(localPort: number | null, remotePort: number): Conn {
    const c: Conn = { localPort, remotePort, map: { remoteIsn: this.remoteIsn, scriptLocalIsn: 0, liveLocalIsn: 0 }, isnKnown: false };
    this.conn = c;
    return c;
  }

  private tcpSpec(ev: PacketEvent): TcpPacketSpec {
    const p = ev.packet;
    if (p.proto !== 'tcp') throw new NotSupported(ev.line, `${p.proto.toUpperCase()} packet lines are not supported yet`);
    return p;
  }

  private async inbound(ev: PacketEvent): Promise<void> {
    const p = this.tcpSpec(ev);
    const flags = flagsFromLetters(p.flags);
    if (flags === null) throw new NotSupported(ev.line, `TCP flags '${p.flags}' (only F S R P . U E W)`);
    if (p.win === undefined) throw new Failed(ev.line, 'script error: an inbound packet must give its window (win N), as packetdrill requires');
    if (p.options === null) throw new Failed(ev.line, "script error: '<...>' cannot be injected");
    let tos = 0;
    if (p.ecn !== undefined) {
      const v = ecnValues(p.ecn);
      if (!v || v.length !== 1) throw new NotSupported(ev.line, `ECN marking [${p.ecn}] on an inbound packet`);
      tos = v[0]!;
    }
    const w = await this.arrive(ev, 'inbound packet');
    // A SYN opens a new connection when nothing is under test or a socket has just started
    // listening; anything else goes to the current connection (packetdrill's socket under test).
    let c = this.conn;
    const syn = (flags & TCP_SYN) !== 0 && (flags & TCP_ACK) === 0;
    if (c === null || (syn && this.listenPort !== null)) {
      c = this.newConn(this.listenPort ?? this.opts.bindPort, this.nextRemotePort++);
      this.listenPort = null;
    }
    if (c.localPort === null) throw new Failed(ev.line, 'inbound packet before sockstack sent its SYN: the connection has no local port yet');
    const optionBytes = encodeOptions(p.options ?? [], c.map);
    if (typeof optionBytes === 'string') throw new NotSupported(ev.line, optionBytes);
    this.note(`${this.rel(this.net.now())} < ${formatPacket(p)}`);
    this.dev.injectTcp({
      srcPort: c.remotePort,
      dstPort: c.localPort,
      seq: remoteToLive(c.map, p.seqStart),
      ack: p.ack !== undefined ? localToLive(c.map, p.ack) : 0,
      flags,
      window: p.win,
      urgentPointer: p.urg ?? 0,
      optionBytes,
      payloadLength: p.payloadLen,
      tos,
    });
    this.done(ev, w);
  }

  /** Does `s` belong to the connection under test? Learns the local port of an active open from its SYN. */
  private ours(s: LiveSegment): boolean {
    const c = this.conn;
    if (c === null) {
      // Nothing under test yet: the first segment sockstack sends defines the connection.
      this.newConn(s.srcPort, s.dstPort);
      return true;
    }
    if (s.dstPort !== c.remotePort) return false;
    if (c.localPort === null) {
      if ((s.flags & TCP_SYN) === 0) return false;
      c.localPort = s.srcPort;
      return true;
    }
    return s.srcPort === c.localPort;
  }

  private async outbound(ev: PacketEvent): Promise<void> {
    const p = this.tcpSpec(ev);
    const flags = flagsFromLetters(p.flags);
    if (flags === null) throw new NotSupported(ev.line, `TCP flags '${p.flags}' (only F S R P . U E W)`);
    if (p.options) for (const o of p.options) if (o.kind === 'other') throw new NotSupported(ev.line, `TCP option '${o.text}' cannot be checked yet`);
    if (p.ecn !== undefined && ecnValues(p.ecn) === null) throw new NotSupported(ev.line, `ECN word [${p.ecn}]`);
    const w = this.resolve(ev.time, this.base(ev));
    const expText = `${this.windowText(w)} > ${formatPacket(p)}`;
    const deadline = w.any ? this.net.now() + ANY_TIME_WAIT_MS : w.hi + this.tolerance(w.lo, this.lastScriptMs);
    let seg: LiveSegment | null;
    for (;;) {
      seg = await this.dev.next(deadline);
      this.checkProblems(ev.line);
      if (seg === null || this.ours(seg)) break;
      this.note(`${this.rel(seg.at)} ignored a segment of another connection: ${seg.srcPort} > ${seg.dstPort}`);
    }
    if (seg === null) {
      // Late or never? Look a little further so a late packet is reported as a timing error.
      const lookUntil = this.net.now() + LATE_LOOK_MS;
      let late: LiveSegment | null;
      do late = await this.dev.next(lookUntil);
      while (late !== null && !this.ours(late));
      if (late === null) throw new Failed(ev.line, `expected packet was not sent by ${this.rel(deadline)} s (nor within ${LATE_LOOK_MS / 1000} s after)`, expText, undefined);
      seg = late;
    }
    const c = this.conn!;
    // The first SYN or SYN-ACK sockstack sends fixes the local ISN (script seq <-> live seq).
    if (!c.isnKnown && (flags & TCP_SYN) !== 0 && (seg.flags & TCP_SYN) !== 0) {
      c.map.scriptLocalIsn = p.seqStart >>> 0;
      c.map.liveLocalIsn = seg.seq;
      c.isnKnown = true;
    }
    const actual = liveToSpec(seg, c.map);
    const actText = `${this.rel(seg.at)} > ${formatPacket(actual)}`;
    this.note(`${this.rel(seg.at)} > ${formatPacket(actual)}`);
    const bad = compareTcp(p, flags, seg, actual);
    if (bad.length) throw new Failed(ev.line, bad.join('; '), expText, actText);
    if (!this.inTime(w, seg.at, this.lastScriptMs)) throw new Failed(ev.line, this.timingError('outbound packet', w, seg.at), expText, actText);
    this.done(ev, w);
  }

  private checkProblems(line: number | undefined): void {
    if (this.dev.problems.length) throw new Failed(line, `malformed frame from sockstack: ${this.dev.problems[0]}`);
  }

  // ---- syscalls ------------------------------------------------------------------------------

  private context(): SyscallContext {
    return {
      api: this.host.sockets,
      localAddress: formatIPv4(parseCidr(this.opts.localIp)!.address),
      remoteAddress: this.opts.remoteIp,
      bindPort: this.opts.bindPort,
      connectPort: this.opts.connectPort,
      onListen: (port) => {
        this.listenPort = port;
      },
      onConnect: (_address, port) => {
        this.listenPort = null;
        this.newConn(null, port);
      },
    };
  }

  private start(ev: SyscallEvent): Promise<Outcome> {
    try {
      return startSyscall(ev, this.context());
    } catch (e) {
      if (e instanceof Unsupported) throw new NotSupported(ev.line, e.message);
      throw e;
    }
  }

  /** A settled outcome against the line; fails there on a mismatch. */
  private verify(ev: SyscallEvent, o: Outcome): void {
    const bad = checkOutcome(ev, o);
    this.note(`${this.rel(this.net.now())} ${ev.name}() -> ${'ret' in o ? o.ret : 'errno' in o ? `-1 ${o.errno}` : o.thrown}`);
    if (bad) throw new Failed(ev.line, bad);
  }

  private async syscall(ev: SyscallEvent): Promise<void> {
    // packetdrill's await_idle_thread: a syscall line waits for the blocking call before it.
    if (this.pending) await this.awaitPending();
    const base = this.base(ev);
    const w = await this.arrive(ev);
    const startMs = this.net.now();
    const outcome = this.start(ev);
    if (ev.end === undefined) {
      const r = await this.raceUntil(outcome.catch(this.unsupportedAt(ev)), this.net.now());
      if (r === TIMEOUT) {
        throw new Failed(ev.line, `${ev.name}() blocked, but the line has no end time: write START...END for a blocking call`);
      }
      this.verify(ev, r);
      this.done(ev, w);
      return;
    }
    const end = this.endWindow(ev, base, w);
    const p: Pending = { ev, startMs, end, settled: null, done: Promise.resolve() };
    p.done = outcome.then(
      (o) => {
        p.settled = { outcome: o, at: this.net.now() };
      },
      (e: unknown) => {
        p.settled = { unsupported: e instanceof Error ? e.message : String(e) };
      },
    );
    this.pending = p;
    // Let the call run until it blocks or returns (no virtual time passes).
    await this.raceUntil(p.done, this.net.now());
    this.checkPendingSettled();
    this.done(ev, w);
  }

  private unsupportedAt(ev: SyscallEvent): (e: unknown) => never {
    return (e: unknown) => {
      if (e instanceof Unsupported) throw new NotSupported(ev.line, e.message);
      throw e;
    };
  }

  /** When a blocking call should return: `...END` is absolute, or relative like its start. */
  private endWindow(ev: SyscallEvent, base: number, start: Window): Window {
    const e = ev.end!;
    if (e.kind === 'absolute' && ev.time.kind !== 'absolute') return this.resolve({ kind: 'relative', t: e.t }, base);
    if (e.kind === 'relative') return this.resolve(e, start.any ? this.net.now() : start.lo);
    return this.resolve(e, base);
  }

  /** Verifies a blocking call that has returned (at a later line it may already have). */
  private checkPendingSettled(): void {
    const p = this.pending;
    if (!p || p.settled === null) return;
    this.pending = null;
    const s = p.settled;
    if ('unsupported' in s) throw new NotSupported(p.ev.line, s.unsupported);
    this.verify(p.ev, s.outcome);
    // The end time's slack grows with the call's expected duration (packetdrill verify_time).
    if (!this.inTime(p.end, s.at, p.startMs)) {
      throw new Failed(p.ev.line, this.timingError('system call return', p.end, s.at, p.startMs));
    }
  }

  /** Waits for the blocking call in progress, up to its end time plus the tolerance. */
  private async awaitPending(): Promise<void> {
    const p = this.pending!;
    const deadline = p.end.any ? this.net.now() + ANY_TIME_WAIT_MS : p.end.hi + this.tolerance(p.end.lo, p.startMs);
    const r = await this.raceUntil(p.done, deadline);
    if (r === TIMEOUT) {
      throw new Failed(p.ev.line, `${p.ev.name}() had not returned by ${this.rel(deadline)} s (expected at ${this.windowText(p.end)} s)`);
    }
    this.checkPendingSettled();
  }
}

/**
 * `sockstack nc`: netcat (after netcat-openbsd) over a sockstack host, on a TAP link or on the
 * virtual network whose peer 10.0.0.2 serves echo, discard, daytime, chargen and http.
 */
import { DEFAULT_SERVICES, startServices } from '../apps/services.js';
import { AF_INET, SHUT_WR, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, SO_SNDTIMEO } from '../socket/constants.js';
import type { SocketApi } from '../socket/socket-api.js';
import type { SockAddr } from '../socket/sockaddr.js';
import { SocketError, strerror } from '../stack/errno.js';
import type { Host } from '../sim/host.js';
import { parseIPv4 } from '../wire/address.js';
import { sendAll } from '../apps/tcp-echo.js';
import type { CliIo } from './cli-io.js';
import { LINK_OPTIONS, LINK_USAGE, UsageError, numberOption, openCliStack, parseCommandArgs, type LinkValues } from './link-options.js';

export const NC_USAGE = `usage: sockstack nc [link options] [-u] [-v] [-w SECS] [-q SECS] [-p SRCPORT] [-s SRCADDR] HOST PORT
       sockstack nc [link options] -l [-u] [-v] [-q SECS] [HOST] PORT

netcat over the sockstack host: connects to HOST PORT (or with -l waits for one peer), then
copies standard input to the connection and the connection to standard output, both at once.
HOST is an IPv4 address (sockstack resolves no names).
  -l         listen: bind HOST (default 0.0.0.0) PORT and serve ONE connection (TCP) or the
             first sender (UDP), then exit; with -p PORT the positional PORT may be left out
  -u         UDP instead of TCP. Standard input is sent as datagrams of at most 1472 bytes
             (1500-byte Ethernet MTU - 20 IP - 8 UDP), each received datagram goes to stdout
  -v         say what happens (on stderr)
  -w SECS    TCP: give up connecting after SECS seconds
  -q SECS    after EOF on standard input, quit after SECS seconds (negative: never).
             Default: UDP 1 s; TCP waits for the peer to close (stdin EOF sends our FIN, like -N)
  -p PORT    source port of the connection
  -s ADDR    source address of the connection
  -n, -N     accepted for compatibility (names are never resolved; EOF always shuts down)
Exit status: 0 when the connection ended normally, 1 on an error, 130 when interrupted.`;

/** The parsed nc options (what runNc needs besides the stack). */
export interface NcOptions {
  udp: boolean;
  listen: boolean;
  verbose: boolean;
  /** Client: the address to connect to. Listener: the address to bind ('0.0.0.0' = any). */
  host: string;
  port: number;
  /** -w in ms: a TCP connect gives up after it (SO_SNDTIMEO); null: the stack's SYN retries. */
  connectTimeoutMs: number | null;
  /** -q in ms: quit this long after stdin's EOF; null: never (wait for the peer / a signal). */
  quitMs: number | null;
  /** -p / -s: bind the client socket before connecting. */
  sourcePort: number | null;
  sourceAddr: string | null;
}

/** The parts of a CliStack that runNc uses, so tests can pass a network of their own. */
export interface NcStack {
  readonly host: Host;
}

/** -u UDP datagrams carry at most this much: 1500 (Ethernet MTU) - 20 (IPv4) - 8 (UDP). */
export const UDP_CHUNK = 1472;
/** Standard input is read and sent in pieces of at most this size. */
export const READ_CHUNK = 65536;

const NC_OPTIONS = {
  ...LINK_OPTIONS,
  udp: { type: 'boolean', short: 'u' },
  listen: { type: 'boolean', short: 'l' },
  verbose: { type: 'boolean', short: 'v' },
  wait: { type: 'string', short: 'w' },
  quit: { type: 'string', short: 'q' },
  'source-port': { type: 'string', short: 'p' },
  source: { type: 'string', short: 's' },
  nodns: { type: 'boolean', short: 'n' },
  'shutdown-on-eof': { type: 'boolean', short: 'N' },
  help: { type: 'boolean', short: 'h' },
} as const;

function linkValuesOf(v: Record<string, unknown>): LinkValues {
  const link: Record<string, string> = {};
  for (const k of Object.keys(LINK_OPTIONS)) if (typeof v[k] === 'string') link[k] = v[k];
  return link as LinkValues;
}

function parsePort(text: string): number {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new UsageError(`invalid port '${text}': a port is an integer from 1 to 65535`);
  return n;
}

function parseAddr(text: string, what: string): string {
  if (parseIPv4(text) === null) throw new UsageError(`${what} must be an IPv4 address like 10.0.0.2 (sockstack resolves no names), got '${text}'`);
  return text;
}

/** Parses argv; null means --help. Throws UsageError. */
export function parseNcArgs(argv: string[]): { link: LinkValues; options: NcOptions } | null {
  const parsed = parseCommandArgs({ args: argv, options: NC_OPTIONS, allowPositionals: true });
  const v = parsed.values;
  if (v.help) return null;
  const pos = parsed.positionals;
  const listen = v.listen === true;
  const udp = v.udp === true;
  const sourcePort = v['source-port'] === undefined ? null : parsePort(v['source-port']);
  const sourceAddr = v.source === undefined ? null : parseAddr(v.source, 'the source address (-s)');
  const quit = v.quit === undefined ? undefined : numberOption('quit (-q)', v.quit, { min: -1, max: 86_400 });
  const quitMs = quit === undefined ? (udp ? 1000 : null) : quit < 0 ? null : Math.round(quit * 1000);
  const connectTimeoutMs = v.wait === undefined ? null : Math.round(numberOption('wait (-w)', v.wait, { min: 0.001, max: 86_400 }) * 1000);
  let host: string;
  let port: number;
  if (listen) {
    // netcat-openbsd: -l [HOST] PORT; Debian's also takes the port from -p (then only HOST may follow).
    const max = sourcePort === null ? 2 : 1;
    if (pos.length > max || (sourcePort === null && pos.length === 0)) {
      throw new UsageError(`-l takes [HOST] PORT${sourcePort === null ? '' : ' (or [HOST] with -p PORT)'}, got ${pos.length ? pos.map((p) => `'${p}'`).join(' ') : 'nothing'}`);
    }
    const hostText = sourcePort === null ? (pos.length === 2 ? pos[0] : undefined) : pos[0];
    if (hostText !== undefined && sourceAddr !== null) throw new UsageError('-l with both HOST and -s ADDR: give the address once');
    host = hostText !== undefined ? parseAddr(hostText, 'HOST') : sourceAddr ?? '0.0.0.0';
    port = sourcePort ?? parsePort(pos[pos.length - 1]!);
  } else {
    if (pos.length !== 2) throw new UsageError(`needs HOST PORT (or -l [HOST] PORT), got ${pos.length ? pos.map((p) => `'${p}'`).join(' ') : 'nothing'}`);
    host = parseAddr(pos[0]!, 'HOST');
    port = parsePort(pos[1]!);
  }
  const options: NcOptions = {
    udp,
    listen,
    verbose: v.verbose === true,
    host,
    port,
    connectTimeoutMs,
    quitMs,
    sourcePort: listen ? null : sourcePort,
    sourceAddr: listen ? null : sourceAddr,
  };
  return { link: linkValuesOf(v), options };
}

/**
 * Standard input as a pull source: next() resolves to the next piece (at most `max` bytes) or
 * null at EOF. Nothing is read until next() is called, so a slow socket holds stdin back
 * (backpressure: the stream's buffer fills and its source pauses).
 */
export class ChunkReader {
  private rest: Uint8Array | null = null;
  private ended = false;
  private error: unknown = null;
  private cancelled = false;
  private wake: (() => void) | null = null;
  private readonly onReadable = (): void => this.notify();
  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };
  private readonly onError = (e: unknown): void => {
    this.error = e;
    this.notify();
  };

  constructor(
    private readonly s: NodeJS.ReadableStream,
    private readonly max = READ_CHUNK,
  ) {
    s.on('readable', this.onReadable);
    s.on('end', this.onEnd);
    s.on('close', this.onEnd); // destroyed without 'end'
    s.on('error', this.onError);
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async next(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.cancelled) return null;
      const r = this.rest;
      if (r) {
        if (r.length <= this.max) {
          this.rest = null;
          return r;
        }
        this.rest = r.subarray(this.max);
        return r.subarray(0, this.max);
      }
      if (this.error) throw this.error;
      const c = this.s.read() as Uint8Array | string | null;
      if (c !== null) {
        if (c.length > 0) this.rest = typeof c === 'string' ? Buffer.from(c) : c;
        continue;
      }
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Makes next() return null from now on (also a pending one). */
  cancel(): void {
    this.cancelled = true;
    this.notify();
  }

  dispose(): void {
    this.cancel();
    this.s.removeListener('readable', this.onReadable);
    this.s.removeListener('end', this.onEnd);
    this.s.removeListener('close', this.onEnd);
    this.s.removeListener('error', this.onError);
  }
}

/** What ended a session with an error, for the one message nc prints. */
class NcFailure {
  constructor(readonly text: string) {}
}

/** One nc run: the socket API, the descriptors to close on a signal, and the messages. */
class Session {
  readonly api: SocketApi;
  readonly proto: 'tcp' | 'udp';
  /** Halted: by a signal, or because stdout failed (outputError); socket errors are then ours. */
  halted = false;
  /** stdout failed (EPIPE: the reader went away), which ends the run with status 1. */
  outputError: NcFailure | null = null;
  private readonly fds = new Set<number>();
  private readonly readers = new Set<ChunkReader>();
  private readonly haltWaiters = new Set<() => void>();
  private readonly onAbort = (): void => this.halt();
  private readonly onOutputError = (e: unknown): void => {
    this.outputError ??= new NcFailure(`stdout: ${e instanceof Error ? e.message : String(e)}`);
    this.halt();
  };

  constructor(
    stack: NcStack,
    readonly o: NcOptions,
    readonly io: CliIo,
  ) {
    this.api = stack.host.sockets;
    this.proto = o.udp ? 'udp' : 'tcp';
    io.signal.addEventListener('abort', this.onAbort, { once: true });
    // Without a listener, an EPIPE on stdout would be thrown from the stream (and end main).
    io.stdout.on('error', this.onOutputError);
    if (io.signal.aborted) this.halted = true;
  }

  /** A signal or a failed stdout: stop reading stdin, close every socket (which wakes every blocked call). */
  private halt(): void {
    this.halted = true;
    for (const r of this.readers) r.cancel();
    for (const fd of [...this.fds]) void this.closeFd(fd);
    for (const w of this.haltWaiters) w();
    this.haltWaiters.clear();
  }

  socket(type: number): number {
    return this.track(this.api.socket(AF_INET, type, 0));
  }

  /** A descriptor to close on a signal (and at the end). */
  track(fd: number): number {
    this.fds.add(fd);
    if (this.halted) void this.closeFd(fd);
    return fd;
  }

  async closeFd(fd: number): Promise<void> {
    if (!this.fds.delete(fd)) return;
    await this.api.close(fd).catch(() => {});
  }

  reader(): ChunkReader {
    const r = new ChunkReader(this.io.stdin);
    this.readers.add(r);
    if (this.halted) r.cancel();
    return r;
  }

  dropReader(r: ChunkReader): void {
    r.dispose();
    this.readers.delete(r);
  }

  /** Resolves after `ms`, at a signal or when `cut` settles, whichever comes first. */
  async sleep(ms: number, cut: Promise<void>): Promise<void> {
    if (this.halted) return;
    let done: () => void = () => {};
    const woken = new Promise<void>((resolve) => (done = resolve));
    this.haltWaiters.add(done);
    try {
      await Promise.race([this.api.sleep(ms), woken, cut]);
    } finally {
      this.haltWaiters.delete(done);
    }
  }

  /** Writes to stdout, waiting for 'drain' when its buffer is full (or for a signal). */
  async output(data: Uint8Array): Promise<void> {
    const out = this.io.stdout;
    if (data.length === 0 || out.write(data)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        out.removeListener('drain', done);
        out.removeListener('close', done);
        out.removeListener('error', done);
        this.haltWaiters.delete(done);
        resolve();
      };
      out.on('drain', done);
      out.on('close', done);
      out.on('error', done);
      this.haltWaiters.add(done);
      if (this.halted) done();
    });
  }

  say(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  verbose(line: string): void {
    if (this.o.verbose) this.say(line);
  }

  /** `connect to 10.0.0.2 port 7 (tcp) failed: Connection refused`, as netcat-openbsd words it. */
  failed(what: string, addr: SockAddr, e: SocketError, verb = 'failed'): NcFailure {
    return new NcFailure(`${what} ${addr.address} port ${addr.port} (${this.proto}) ${verb}: ${strerror(e.code)}`);
  }

  /** A failure of a data-phase call: `read from 10.0.0.2 port 9 (udp) failed: Connection refused`. */
  ioFailed(e: SocketError, peer: SockAddr): NcFailure {
    const reading = e.syscall === 'recv' || e.syscall === 'read' || e.syscall === 'recvfrom';
    return this.failed(reading ? 'read from' : 'write to', peer, e);
  }

  finish(): void {
    this.io.signal.removeEventListener('abort', this.onAbort);
    this.io.stdout.removeListener('error', this.onOutputError);
    for (const r of this.readers) r.dispose();
    this.readers.clear();
  }

  async closeAll(): Promise<void> {
    for (const fd of [...this.fds]) await this.closeFd(fd);
  }
}

/** Reading standard input failed (not a socket error). */
function stdinFailure(e: unknown): NcFailure {
  return new NcFailure(`stdin: ${e instanceof Error ? e.message : String(e)}`);
}

function timeval(ms: number): { tv_sec: number; tv_usec: number } {
  return { tv_sec: Math.floor(ms / 1000), tv_usec: Math.round((ms % 1000) * 1000) };
}

/** bind() with nc's message on failure (EADDRINUSE, EACCES, EADDRNOTAVAIL). */
function bindOrFail(cx: Session, fd: number, addr: SockAddr): void {
  try {
    cx.api.bind(fd, addr);
  } catch (e) {
    if (e instanceof SocketError) throw cx.failed('bind to', addr, e);
    throw e;
  }
}

/**
 * What both copy loops share: stdin's reader, the first failure, and stop(), which ends both
 * directions (closing the socket wakes a blocked call; the EBADF that follows is ours, not a
 * failure).
 */
class Pump {
  readonly reader: ChunkReader;
  failure: NcFailure | null = null;
  stopping = false;
  private stopped: () => void = () => {};
  /** Settles when stop() is called, to cut a -q wait short. */
  readonly whenStopped = new Promise<void>((resolve) => (this.stopped = resolve));

  constructor(
    private readonly cx: Session,
    private readonly fd: number,
    private readonly peer: SockAddr,
  ) {
    this.reader = cx.reader();
  }

  /** Our own stop, or the command being halted: the loops end quietly. */
  get over(): boolean {
    return this.stopping || this.cx.halted;
  }

  stop(): void {
    this.stopping = true;
    this.stopped();
    this.reader.cancel();
    void this.cx.closeFd(this.fd);
  }

  /** A socket call failed: remember why (unless we caused it) and stop. */
  fail(e: unknown): void {
    if (this.over) return;
    if (!(e instanceof SocketError)) throw e;
    this.failure = this.cx.ioFailed(e, this.peer);
    this.stop();
  }

  /** The stdin side failed: a socket error, or stdin itself. */
  failSending(e: unknown): void {
    if (e instanceof SocketError || this.over) return this.fail(e);
    this.failure = stdinFailure(e);
    this.stop();
  }

  async finish(loops: Promise<void>[]): Promise<void> {
    await Promise.all(loops);
    this.cx.dropReader(this.reader);
    await this.cx.closeFd(this.fd);
    if (this.failure) throw this.failure;
  }
}

/**
 * Copies stdin to a connected stream socket and the socket to stdout at the same time.
 * stdin's EOF sends our FIN (shutdown(SHUT_WR), nc -N). A client ends once the peer's EOF has
 * been read and stdin is done; a listener (-l) once the peer's EOF has been read (netcat-openbsd).
 */
async function pumpStream(cx: Session, fd: number, peer: SockAddr, listener: boolean): Promise<void> {
  const api = cx.api;
  const pump = new Pump(cx, fd, peer);
  let peerEof = false;

  const up = (async () => {
    try {
      for (;;) {
        const chunk = await pump.reader.next();
        if (chunk === null) break;
        await sendAll(api, fd, chunk);
      }
    } catch (e) {
      // The peer closed and reset what we still sent (EPIPE / ECONNRESET): the exchange is over.
      if (peerEof && e instanceof SocketError && (e.code === 'EPIPE' || e.code === 'ECONNRESET')) return;
      return pump.failSending(e);
    }
    if (pump.over) return;
    try {
      api.shutdown(fd, SHUT_WR); // RFC 9293 §3.6: our FIN; the peer may still send
    } catch {
      // Already reset or closed: the read side reports what happened.
    }
    if (cx.o.quitMs !== null && !peerEof) {
      await cx.sleep(cx.o.quitMs, pump.whenStopped);
      if (!peerEof) pump.stop();
    }
  })();

  const down = (async () => {
    try {
      for (;;) {
        const data = await api.read(fd, READ_CHUNK);
        if (data.length === 0) break;
        await cx.output(data);
      }
      peerEof = true;
      if (listener) pump.reader.cancel();
    } catch (e) {
      pump.fail(e);
    }
  })();

  await pump.finish([up, down]);
}

/**
 * Copies stdin to a connected UDP socket, in datagrams of at most UDP_CHUNK bytes, and every
 * datagram received to stdout. After stdin's EOF, waits quitMs (-q) for more, then ends.
 * An ICMP port unreachable comes back as ECONNREFUSED on the connected socket (RFC 1122 §4.1.3.3).
 */
async function pumpDatagrams(cx: Session, fd: number, peer: SockAddr): Promise<void> {
  const api = cx.api;
  const pump = new Pump(cx, fd, peer);

  const up = (async () => {
    try {
      for (;;) {
        const chunk = await pump.reader.next();
        if (chunk === null) break;
        for (let off = 0; off < chunk.length && !pump.stopping; off += UDP_CHUNK) {
          await api.send(fd, chunk.subarray(off, Math.min(chunk.length, off + UDP_CHUNK)), 0);
        }
      }
    } catch (e) {
      return pump.failSending(e);
    }
    if (pump.over || cx.o.quitMs === null) return;
    await cx.sleep(cx.o.quitMs, pump.whenStopped);
    pump.stop();
  })();

  const down = (async () => {
    try {
      for (;;) {
        const data = await api.recv(fd, 65535);
        await cx.output(data);
      }
    } catch (e) {
      pump.fail(e);
    }
  })();

  await pump.finish([up, down]);
}

async function tcpClient(cx: Session): Promise<void> {
  const { api, o } = cx;
  const dst = { address: o.host, port: o.port };
  const fd = cx.socket(SOCK_STREAM);
  if (o.sourceAddr !== null || o.sourcePort !== null) bindOrFail(cx, fd, { address: o.sourceAddr ?? '0.0.0.0', port: o.sourcePort ?? 0 });
  // -w: a blocking connect bounded by SO_SNDTIMEO ends in EINPROGRESS (Linux inet_stream_connect).
  if (o.connectTimeoutMs !== null) api.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, timeval(o.connectTimeoutMs));
  try {
    await api.connect(fd, dst);
  } catch (e) {
    if (cx.halted || !(e instanceof SocketError)) throw e;
    throw e.code === 'EINPROGRESS' ? cx.failed('connect to', dst, e, 'timed out') : cx.failed('connect to', dst, e);
  }
  // The timeout was for connecting only; sends may block as long as the peer is slow.
  if (o.connectTimeoutMs !== null) api.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, timeval(0));
  cx.verbose(`Connection to ${o.host} ${o.port} port [tcp/*] succeeded!`);
  await pumpStream(cx, fd, dst, false);
}

async function tcpListener(cx: Session): Promise<void> {
  const { api, o } = cx;
  const here = { address: o.host, port: o.port };
  const lfd = cx.socket(SOCK_STREAM);
  api.setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, 1);
  bindOrFail(cx, lfd, here);
  try {
    api.listen(lfd, 1);
  } catch (e) {
    if (e instanceof SocketError) throw cx.failed('listen on', here, e);
    throw e;
  }
  cx.verbose(`Listening on ${o.host} ${o.port}`);
  const [fd, from] = await api.accept(lfd);
  await cx.closeFd(lfd); // one connection only, as nc -l
  // accept()'s descriptor is tracked too, so a signal closes it.
  cx.track(fd);
  cx.verbose(`Connection received on ${from.address} ${from.port}`);
  await pumpStream(cx, fd, from, true);
}

async function udpClient(cx: Session): Promise<void> {
  const { api, o } = cx;
  const dst = { address: o.host, port: o.port };
  const fd = cx.socket(SOCK_DGRAM);
  if (o.sourceAddr !== null || o.sourcePort !== null) bindOrFail(cx, fd, { address: o.sourceAddr ?? '0.0.0.0', port: o.sourcePort ?? 0 });
  try {
    await api.connect(fd, dst);
  } catch (e) {
    if (cx.halted || !(e instanceof SocketError)) throw e;
    throw cx.failed('connect to', dst, e);
  }
  cx.verbose(`Connection to ${o.host} ${o.port} port [udp/*] succeeded!`);
  await pumpDatagrams(cx, fd, dst);
}

async function udpListener(cx: Session): Promise<void> {
  const { api, o } = cx;
  const here = { address: o.host, port: o.port };
  const fd = cx.socket(SOCK_DGRAM);
  api.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  bindOrFail(cx, fd, here);
  cx.verbose(`Bound on ${o.host} ${o.port}`);
  // The first datagram says who the peer is; from then on the socket talks to it only.
  const [data, from] = await api.recvfrom(fd, 65535);
  await api.connect(fd, from);
  cx.verbose(`Connection received on ${from.address} ${from.port}`);
  await cx.output(data);
  await pumpDatagrams(cx, fd, from);
}

/**
 * Runs nc on `stack.host` with stdin/stdout/stderr and the signal of `io`; resolves to the exit
 * status: 0 after a normal end, 1 after an error (one line on stderr; a failed stdout too),
 * 130 after io.signal.
 */
export async function runNc(stack: NcStack, o: NcOptions, io: CliIo): Promise<number> {
  const cx = new Session(stack, o, io);
  // Halted by a signal (130) or by a failed stdout (1, with its message).
  const halted = (): number => {
    if (!cx.outputError) return 130;
    cx.say(`sockstack nc: ${cx.outputError.text}`);
    return 1;
  };
  try {
    if (cx.halted) return 130;
    if (o.udp) await (o.listen ? udpListener(cx) : udpClient(cx));
    else await (o.listen ? tcpListener(cx) : tcpClient(cx));
    return cx.halted ? halted() : 0;
  } catch (e) {
    if (cx.halted) return halted();
    if (e instanceof NcFailure) {
      cx.say(`sockstack nc: ${e.text}`);
      return 1;
    }
    if (e instanceof SocketError) {
      cx.say(`sockstack nc: ${e.syscall}: ${strerror(e.code)}`);
      return 1;
    }
    throw e;
  } finally {
    cx.finish();
    await cx.closeAll();
    // Output to a pipe may still be queued in Node; main exits the process right after we
    // return, which would drop it. Not after a signal: the reader may be gone too.
    if (!cx.halted) await Promise.all([flushed(io.stdout), flushed(io.stderr)]);
  }
}

/** Resolves once everything written to `out` so far has been handed on (or `out` failed). */
function flushed(out: NodeJS.WritableStream): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      out.write('', () => resolve());
    } catch {
      resolve();
    }
  });
}

export async function ncCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseNcArgs(argv);
  if (parsed === null) {
    io.stdout.write(`${NC_USAGE}\n\n${LINK_USAGE}\n`);
    return 0;
  }
  const stack = openCliStack(parsed.link, { startPeer: (peer) => void startServices(peer.sockets, DEFAULT_SERVICES) });
  try {
    if (parsed.options.verbose) io.stderr.write(`sockstack nc: ${stack.where}\n`);
    return await runNc(stack, parsed.options, io);
  } finally {
    await stack.close();
  }
}

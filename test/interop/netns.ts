/**
 * Interop test helpers: a Linux network namespace per test file, with sockstack attached to a
 * TAP device whose kernel side lives in that namespace, so ordinary Linux programs (ping, nc,
 * curl, python3) and the kernel's own TCP/IP stack are sockstack's peers.
 *
 * The network rule: real traffic only inside namespaces created here, which are removed again
 * (node:test `after`, and a process 'exit' handler for a test that fails or is killed).
 *
 * Programs that talk to sockstack run asynchronously (spawn): sockstack runs on this event loop,
 * and a synchronous child would deadlock it. Only `ip` setup commands run synchronously.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, before, type TestContext } from 'node:test';
import { Network } from '../../src/sim/network.js';
import type { Host } from '../../src/sim/host.js';
import type { Impairments } from '../../src/link/segment.js';
import { PcapngWriter, tapToPcap } from '../../src/link/pcapng.js';
import { wallClock } from '../../src/link/node/wall-clock.js';
import { loadLibc } from '../../src/link/node/libc.js';
import { attachTap, type TapAttachment } from '../../src/link/node/attach-tap.js';

/** The repository root (the CLI runs from here: `node --import tsx src/cli/main.ts`). */
export const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** Programs the interop tests run. `ss` finds listening sockets in a namespace. */
export const TOOLS = ['ip', 'ping', 'nc', 'curl', 'python3', 'nstat', 'tshark', 'ss'] as const;

function onPath(tool: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, tool))) return true;
  }
  return false;
}

let cachedReason: string | null | undefined;

/** Why the interop tests cannot run here, or null when they can. */
export function interopSkipReason(): string | null {
  if (cachedReason !== undefined) return cachedReason;
  const reasons: string[] = [];
  if (process.platform !== 'linux') reasons.push(`not Linux (${process.platform})`);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) reasons.push('not root (needs uid 0 for network namespaces and TAP devices)');
  if (!existsSync('/dev/net/tun')) reasons.push('/dev/net/tun is missing');
  try {
    loadLibc();
  } catch (e) {
    reasons.push(`koffi does not load: ${e instanceof Error ? e.message : String(e)}`);
  }
  const missing = TOOLS.filter((t) => !onPath(t));
  if (missing.length > 0) reasons.push(`missing tools: ${missing.join(', ')}`);
  cachedReason = reasons.length > 0 ? `interop tests need root, /dev/net/tun, koffi and ${TOOLS.join(', ')}: ${reasons.join('; ')}` : null;
  return cachedReason;
}

/**
 * Call first in each interop test. Returns true when the test can run. Otherwise: with
 * SOCKSTACK_REQUIRE_INTEROP=1 it throws (the test fails with the reason), else it marks the test
 * skipped with the reason and returns false.
 */
export function requireInterop(t: TestContext): boolean {
  const reason = interopSkipReason();
  if (reason === null) return true;
  if (process.env.SOCKSTACK_REQUIRE_INTEROP === '1') throw new Error(`SOCKSTACK_REQUIRE_INTEROP=1 but ${reason}`);
  t.skip(reason);
  return false;
}

/** True when a file's `before` hook should build its namespace. */
export const canRunInterop = (): boolean => interopSkipReason() === null;

export interface ExecOptions {
  /** Bytes or text written to the program's stdin (then closed); default: stdin is /dev/null. */
  input?: string | Uint8Array;
  /** The program is killed (SIGKILL) after this long; the result says so. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ExecResult {
  /** Exit status, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Wall time the program ran, in ms (for the report; never asserted). */
  ms: number;
}

/** Runs a program to its end, asynchronously; output collected as UTF-8 text. */
export function execAsync(cmd: string, args: readonly string[], o: ExecOptions): Promise<ExecResult> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: o.env ?? process.env,
      cwd: o.cwd ?? REPO,
      // Its own process group: a timeout kills the whole group. Killing only the child (sh -c …)
      // left its programs running with our stdio pipes open, and 'close' never came.
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is gone already
      }
    }, o.timeoutMs);
    if (o.input !== undefined) {
      child.stdin!.on('error', () => {}); // EPIPE when the program exits without reading
      child.stdin!.end(o.input);
    }
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        ms: performance.now() - t0,
      });
    });
  });
}

/** A one-line description of a finished program, for assertion messages. */
export function describeRun(what: string, r: ExecResult): string {
  const end = r.timedOut ? 'timed out' : r.signal ? `signal ${r.signal}` : `exit ${r.code}`;
  return `${what}: ${end} after ${r.ms.toFixed(0)} ms\n--- stdout ---\n${r.stdout.slice(-3000)}\n--- stderr ---\n${r.stderr.slice(-3000)}`;
}

const live = new Set<Netns>();
let hooked = false;

/** Last-chance cleanup: kill what we spawned and delete our namespaces, synchronously. */
function cleanupAllSync(): void {
  for (const ns of live) ns.destroySync();
}

function hookProcessExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupAllSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanupAllSync();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

let counter = 0;

/** A network namespace of our own, with `lo` up. Every name in it is unique to this process. */
export class Netns {
  readonly name: string;
  /** A scratch directory for this namespace's files (captures, payloads); removed by destroy(). */
  readonly dir: string;
  private readonly children = new Set<ChildProcess>();
  private ifCount = 0;
  private subnets = 0;
  private destroyed = false;
  private readonly cleanups: Array<() => Promise<void>> = [];
  /** Library stacks attached in this namespace (checkWire reads their error counters). */
  readonly stacks: LibraryStack[] = [];

  private constructor(readonly id: number) {
    this.name = `sockstack-${process.pid}-${id}`;
    this.dir = mkdtempSync(join(tmpdir(), `${this.name}-`));
  }

  /** Creates the namespace (`ip netns add`) and brings `lo` up in it. */
  static create(): Netns {
    hookProcessExit();
    const ns = new Netns(counter++);
    execFileSync('ip', ['netns', 'add', ns.name], { stdio: 'pipe' });
    live.add(ns);
    ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** A fresh interface name, at most 15 characters, unique to this process. */
  ifname(): string {
    const n = `sk${process.pid}t${this.id}x${this.ifCount++}`;
    if (n.length > 15) throw new Error(`interface name ${n} is too long`);
    return n;
  }

  /**
   * A /24 of its own for one TAP link: 10.77.N.1 is the kernel's side, 10.77.N.2 sockstack's.
   * Each TAP in a namespace gets its own subnet so their routes do not overlap.
   */
  subnet(): { kernelIp: string; stackIp: string; prefix: 24 } {
    const n = this.subnets++;
    return { kernelIp: `10.77.${n}.1`, stackIp: `10.77.${n}.2`, prefix: 24 };
  }

  /** `ip -n NS …`, synchronously (setup only: no program that talks to sockstack). */
  ip(...args: string[]): string {
    return execFileSync('ip', ['-n', this.name, ...args], { stdio: 'pipe', encoding: 'utf8' });
  }

  /** Runs a program inside the namespace, asynchronously. */
  exec(cmd: string, args: readonly string[], o: ExecOptions): Promise<ExecResult> {
    return execAsync('ip', ['netns', 'exec', this.name, cmd, ...args], o);
  }

  /** `sh -c SCRIPT` inside the namespace (for redirections to files). */
  sh(script: string, o: ExecOptions): Promise<ExecResult> {
    return this.exec('sh', ['-c', script], o);
  }

  /**
   * Starts a long-running program inside the namespace; killed by destroy(). `ip netns exec`
   * execs the program itself, so the child's pid is the program's and signals reach it.
   */
  spawn(cmd: string, args: readonly string[], o: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], ...o });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Absolute values of every SNMP/netstat counter of the namespace (`nstat -asz`). */
  async nstat(): Promise<Map<string, number>> {
    const r = await this.exec('nstat', ['-asz'], { timeoutMs: 10_000, env: { ...process.env, NSTAT_HISTORY: join(this.dir, 'nstat.history') } });
    if (r.code !== 0) throw new Error(describeRun('nstat -asz', r));
    const m = new Map<string, number>();
    for (const line of r.stdout.split('\n')) {
      const f = /^(\w+)\s+(\d+)/.exec(line);
      if (f) m.set(f[1]!, Number(f[2]));
    }
    return m;
  }

  /** Runs `fn` in destroy(), before the namespace goes (closing stacks, TAP devices). */
  onDestroy(fn: () => Promise<void>): void {
    this.cleanups.push(fn);
  }

  /** Runs the registered cleanups (each must be idempotent), newest first. */
  async runCleanups(): Promise<void> {
    for (const fn of [...this.cleanups].reverse()) await fn().catch(() => {});
  }

  /** Kills spawned programs, runs the registered cleanups and deletes the namespace. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    for (const c of this.children) c.kill('SIGKILL');
    await this.runCleanups();
    this.destroySync();
  }

  /** The synchronous part of destroy(), also used from the process 'exit' handler. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const c of this.children) c.kill('SIGKILL');
    try {
      execFileSync('ip', ['netns', 'del', this.name], { stdio: 'pipe' });
    } catch {
      // already gone
    }
    // SOCKSTACK_INTEROP_KEEP=1 keeps the captures and payloads for a look after a failure.
    if (process.env.SOCKSTACK_INTEROP_KEEP === '1') process.stderr.write(`interop: kept ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface LibraryStack {
  readonly net: Network;
  readonly host: Host;
  readonly tap: TapAttachment;
  /** The kernel side's interface name inside the namespace. */
  readonly dev: string;
  readonly kernelIp: string;
  readonly stackIp: string;
  /** Where the capture of the TAP link goes (complete after close()). */
  readonly pcapFile: string;
  /** Closes the TAP (the device disappears), stops the network, finishes the capture file. */
  close(): Promise<void>;
}

/**
 * sockstack as a library in this process: a real-time network, a host attached to a TAP created
 * in the root namespace, which is then moved into `ns`, addressed and brought up there. Every
 * frame of the link is captured to a pcapng file. close() is also registered with ns.onDestroy.
 */
export function attachLibraryStack(
  ns: Netns,
  o: { impairments?: Partial<Impairments>; seed?: number; snaplen?: number } = {},
): LibraryStack {
  const { kernelIp, stackIp } = ns.subnet();
  const dev = ns.ifname();
  const net = new Network({ clock: 'real', seed: o.seed ?? 1 });
  const host = net.host('sockstack');
  const tap = attachTap(net, host, { dev, ip: `${stackIp}/24`, ...(o.impairments ? { impairments: o.impairments } : {}) });
  const pcapFile = join(ns.dir, `${dev}.pcapng`);
  const file: WriteStream = createWriteStream(pcapFile);
  const writer = new PcapngWriter((chunk) => file.write(chunk));
  // `snaplen` keeps only each frame's first bytes (headers), for captures of bulk transfers.
  if (o.snaplen === undefined) tap.capture(writer);
  else tapToPcap(writer, tap.port, wallClock, { name: dev, snaplen: o.snaplen });
  try {
    execFileSync('ip', ['link', 'set', dev, 'netns', ns.name], { stdio: 'pipe' });
    ns.ip('addr', 'add', `${kernelIp}/24`, 'dev', dev);
    ns.ip('link', 'set', dev, 'up');
  } catch (e) {
    void tap.close();
    net.close();
    throw e;
  }
  let closed: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      await tap.close();
      net.close();
      await new Promise<void>((res, rej) => file.end((e?: Error | null) => (e ? rej(e) : res())));
    })());
  ns.onDestroy(close);
  const s: LibraryStack = { net, host, tap, dev, kernelIp, stackIp, pcapFile, close };
  ns.stacks.push(s);
  return s;
}

/**
 * A TAP device created inside the namespace (`ip tuntap add`), the kernel side addressed and
 * up, for a sockstack CLI process running in the namespace to attach to with --tap/--dev.
 */
export function namespaceTap(ns: Netns): { dev: string; kernelIp: string; stackIp: string; cidr: string } {
  const dev = ns.ifname();
  const { kernelIp, stackIp } = ns.subnet();
  ns.ip('tuntap', 'add', 'dev', dev, 'mode', 'tap');
  ns.ip('addr', 'add', `${kernelIp}/24`, 'dev', dev);
  ns.ip('link', 'set', dev, 'up');
  return { dev, kernelIp, stackIp, cidr: `${stackIp}/24` };
}

/** The counters that must not move while Linux talks to sockstack. */
export const ERROR_COUNTERS = ['IpInHdrErrors', 'TcpInCsumErrors', 'UdpInCsumErrors', 'TcpInErrs', 'IpInAddrErrors'] as const;

/** The error counters that differ between two nstat snapshots, as 'Name a -> b'. */
export function movedErrorCounters(before: Map<string, number>, after: Map<string, number>): string[] {
  const moved: string[] = [];
  for (const k of ERROR_COUNTERS) {
    const a = before.get(k);
    const b = after.get(k);
    if (a === undefined || b === undefined) moved.push(`${k} missing from nstat output`);
    else if (a !== b) moved.push(`${k} ${a} -> ${b}`);
  }
  return moved;
}

const TSHARK_CHECKS = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];

let heuristicsOff: Promise<string[]> | null = null;
/**
 * `--disable-protocol P` for every protocol with a heuristic dissector on TCP or UDP (except
 * http, which the tests look at): random payloads (the 10 MiB transfers) are otherwise taken for
 * some application protocol now and then (Thrift, say) and reported as malformed. The list
 * comes from `tshark -G heuristic-decodes` (tshark 4.0 has no `--disable-protocol ALL`).
 */
function tsharkHeuristicsOff(): Promise<string[]> {
  return (heuristicsOff ??= execAsync('tshark', ['-G', 'heuristic-decodes'], { timeoutMs: 60_000 }).then((r) => {
    const protos = new Set<string>();
    for (const line of r.stdout.split('\n')) {
      const [table, proto] = line.split('\t');
      if ((table === 'tcp' || table === 'udp') && proto && proto !== 'http') protos.add(proto);
    }
    return [...protos].flatMap((p) => ['--disable-protocol', p]);
  }));
}

/**
 * Malformed packets and bad checksums (checksum status 0 = Bad), and any other expert error.
 * One exemption: a TCP checksum of 0xFFFF where 0x0000 was computed. Both are zero in one's
 * complement and a receiver's check accepts either (RFC 1624 §3, RFC 1071); Linux itself sends
 * 0xFFFF (skb_checksum_help writes CSUM_MANGLED_0), which Wireshark flags as tcp.checksum.ffff.
 */
export const BAD_PACKET_FILTER =
  '_ws.malformed || (_ws.expert.severity == error && !tcp.checksum.ffff) || ip.checksum.status == 0 || ' +
  '(tcp.checksum.status == 0 && !tcp.checksum.ffff) || udp.checksum.status == 0 || icmp.checksum.status == 0';

/** Packets of a capture matching a display filter, one summary line each (tshark runs in the root namespace: it only reads a file). */
export async function tsharkLines(file: string, filter: string): Promise<string[]> {
  const r = await execAsync('tshark', ['-n', '-r', file, ...TSHARK_CHECKS, ...(await tsharkHeuristicsOff()), '-Y', filter], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(describeRun(`tshark -r ${file} -Y '${filter}'`, r));
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

/**
 * The fields of every packet matching a display filter, one array per packet (tshark -T fields,
 * tab-separated; a field absent from a packet is ''; repeated occurrences joined by ',').
 * One pass over the file, for counting in the test instead of one tshark run per filter.
 */
export async function tsharkFields(file: string, filter: string, fields: readonly string[], timeoutMs = 240_000): Promise<string[][]> {
  const r = await execAsync(
    'tshark',
    ['-n', '-r', file, ...(await tsharkHeuristicsOff()), '-Y', filter, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])],
    { timeoutMs },
  );
  if (r.code !== 0) throw new Error(describeRun(`tshark -r ${file} -Y '${filter}' -T fields`, r));
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

/** What Linux's `ss -ti` says about the TCP connection with `port` at either end. */
export interface LinuxTcpInfo {
  /** `ss -tineH` output for the connection (for messages). */
  readonly raw: string;
  /** TCPI_OPT_TIMESTAMPS ('ts'), TCPI_OPT_SACK ('sack') and the window shifts ('wscale:snd,rcv'). */
  readonly ts: boolean;
  readonly sack: boolean;
  readonly wscale: { snd: number; rcv: number } | null;
}

/**
 * The kernel's TCP_INFO of one connection in the namespace, through `ss -tine` (inet_diag).
 * `-e` is needed: iproute2 6.1's ss prints the 'ts' and 'sack' flags only with it.
 */
export async function linuxTcpInfo(ns: Netns, port: number): Promise<LinuxTcpInfo> {
  const r = await ns.exec('ss', ['-tineH', 'state', 'connected', `( sport = :${port} or dport = :${port} )`], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(describeRun('ss -tineH', r));
  const raw = r.stdout.trim();
  const ws = /\bwscale:(\d+),(\d+)/.exec(raw);
  return { raw, ts: /(^|\s)ts(\s|$)/m.test(raw), sack: /(^|\s)sack(\s|$)/m.test(raw), wscale: ws ? { snd: Number(ws[1]), rcv: Number(ws[2]) } : null };
}

/** after - before for each named nstat counter (absent counts as 0). */
export function nstatDelta(before: Map<string, number>, after: Map<string, number>, names: readonly string[]): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, (after.get(n) ?? 0) - (before.get(n) ?? 0)]));
}

/** SHA-256 of a file, streamed. */
export function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (b) => h.update(b))
      .on('error', rej)
      .on('end', () => res(h.digest('hex')));
  });
}

/** Waits until `pred` holds, polling; throws with `what` after timeoutMs. */
export async function waitFor(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits for a socket listening on `port` in the namespace (`ss -Hln`, tcp or udp). */
export function waitForListener(ns: Netns, proto: 'tcp' | 'udp', port: number, timeoutMs = 15_000): Promise<void> {
  return waitFor(`a ${proto} socket on port ${port} in ${ns.name}`, async () => {
    const r = await ns.exec('ss', ['-Hln', proto === 'tcp' ? '-t' : '-u', 'sport', '=', `:${port}`], { timeoutMs: 5000 });
    return r.code === 0 && r.stdout.trim() !== '';
  }, timeoutMs, 100);
}

/** Collects a child's output as text and resolves when a line matching `re` appears. */
export class OutputWatch {
  text = '';
  private waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  constructor(stream: NodeJS.ReadableStream | null) {
    stream?.on('data', (b: Buffer) => {
      this.text += b.toString('utf8');
      this.waiters = this.waiters.filter((w) => {
        if (!w.re.test(this.text)) return true;
        w.resolve();
        return false;
      });
    });
  }
  /** Resolves once `re` matches the text so far; rejects after timeoutMs. */
  waitFor(re: RegExp, timeoutMs: number): Promise<void> {
    if (re.test(this.text)) return Promise.resolve();
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`timed out after ${timeoutMs} ms waiting for ${re} in:\n${this.text.slice(-2000)}`)), timeoutMs);
      this.waiters.push({
        re,
        resolve: () => {
          clearTimeout(t);
          res();
        },
      });
    });
  }
}

/** Resolves with the exit status (or signal) of a spawned child; with a timeout that kills it. */
export function exitOf(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      res({ code: child.exitCode, signal: child.signalCode, timedOut: false });
      return;
    }
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(t);
      res({ code, signal, timedOut });
    });
  });
}

/** The sockstack CLI from source, as argv for spawn: `node --import tsx src/cli/main.ts …`. */
export function cliArgs(...args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/main.ts'), ...args]];
}

export interface CliTap {
  readonly child: ChildProcess;
  /** Everything the command printed so far (stdout and stderr). */
  readonly out: OutputWatch;
  readonly err: OutputWatch;
  readonly dev: string;
  readonly kernelIp: string;
  readonly stackIp: string;
  readonly pcapFile: string;
  /** SIGINT, then waits for the exit (the capture file is complete after it). */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }>;
}

/**
 * `sockstack tap --dev X --ip … --serve … --pcap F` as a child process inside the namespace, on a
 * TAP created there first; resolves once it printed its `sockstack: ready` line.
 */
export async function startCliTap(ns: Netns, serve: readonly string[], extra: readonly string[] = []): Promise<CliTap> {
  const tap = namespaceTap(ns);
  const pcapFile = join(ns.dir, `cli-tap-${tap.dev}.pcapng`);
  const [node, args] = cliArgs('tap', '--dev', tap.dev, '--ip', tap.cidr, ...serve.flatMap((s) => ['--serve', s]), '--pcap', pcapFile, ...extra);
  const child = ns.spawn(node, args);
  const out = new OutputWatch(child.stdout);
  const err = new OutputWatch(child.stderr);
  const exited = exitOf(child, 600_000);
  const ready = out.waitFor(/^sockstack: ready/m, 30_000);
  const early = exited.then((e) => {
    throw new Error(`sockstack tap exited before it was ready (${JSON.stringify(e)}):\n${out.text}${err.text}`);
  });
  await Promise.race([ready, early]);
  early.catch(() => {});
  let stopping: ReturnType<CliTap['stop']> | null = null;
  return {
    child,
    out,
    err,
    dev: tap.dev,
    kernelIp: tap.kernelIp,
    stackIp: tap.stackIp,
    pcapFile,
    stop: () =>
      (stopping ??= (async () => {
        child.kill('SIGINT');
        return await exitOf(child, 20_000);
      })()),
  };
}

/** True once the CLI knows `command` (`… COMMAND --help` exits 0): others are writing it. */
export async function cliHas(command: string): Promise<boolean> {
  const [node, args] = cliArgs(command, '--help');
  const r = await execAsync(node, args, { timeoutMs: 30_000 });
  return r.code === 0;
}

export interface InteropFile {
  /** The file's namespace (created in `before`, deleted in `after`). */
  readonly ns: Netns;
  /** nstat counters right after the namespace was created. */
  readonly baseline: Map<string, number>;
  /**
   * Registers a capture file to check at the end: no malformed packet or bad checksum, and each
   * display filter in `mustMatch` matches at least one packet (so the check is not vacuous).
   */
  expectCapture(file: string, ...mustMatch: string[]): void;
  /**
   * Closes the library stacks (finishing their captures), then asserts that the namespace's
   * error counters did not move and that every registered capture is clean. Returns a summary.
   */
  checkWire(): Promise<string>;
}

/** Stacks whose error counters are expected to move (a test fed them bad packets on purpose). */
const skipStackCounters = new WeakSet<LibraryStack>();
export function expectStackErrors(s: LibraryStack): void {
  skipStackCounters.add(s);
}

/** sockstack's receive-error counters that are not zero, as { 'tcp.inCsumErrors': n }. */
export function stackErrorCounters(host: Host): Record<string, number> {
  const c = host.counters;
  const all: Record<string, number> = {
    'ip.inHdrErrors': c.ip.inHdrErrors,
    'ip.inCsumErrors': c.ip.inCsumErrors,
    'ip.inAddrErrors': c.ip.inAddrErrors,
    'ip.inTruncatedPkts': c.ip.inTruncatedPkts,
    'icmp.inCsumErrors': c.icmp.inCsumErrors,
    'icmp.inErrors': c.icmp.inErrors,
    'udp.inCsumErrors': c.udp.inCsumErrors,
    'udp.inErrors': c.udp.inErrors,
    'tcp.inCsumErrors': c.tcp.inCsumErrors,
    'tcp.inErrs': c.tcp.inErrs,
    'link.inTruncated': c.link.inTruncated,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== 0));
}

/** One namespace per test file: registers `before`/`after` hooks and returns the fixture. */
export function useNamespace(): InteropFile {
  let ns: Netns | null = null;
  let baseline = new Map<string, number>();
  const captures: Array<{ file: string; mustMatch: string[] }> = [];
  before(async () => {
    if (!canRunInterop()) return;
    ns = Netns.create();
    baseline = await ns.nstat();
  });
  after(async () => {
    await ns?.destroy();
  });
  return {
    get ns(): Netns {
      if (!ns) throw new Error('no namespace: the interop prerequisites are missing');
      return ns;
    },
    get baseline() {
      return baseline;
    },
    expectCapture(file, ...mustMatch) {
      const c = captures.find((x) => x.file === file);
      if (c) c.mustMatch.push(...mustMatch.filter((f) => !c.mustMatch.includes(f)));
      else captures.push({ file, mustMatch });
    },
    async checkWire() {
      const n = this.ns;
      await n.runCleanups();
      const now = await n.nstat();
      assert.deepEqual(movedErrorCounters(baseline, now), [], 'kernel error counters moved while it talked to sockstack');
      for (const st of n.stacks) {
        if (skipStackCounters.has(st)) continue;
        assert.deepEqual(stackErrorCounters(st.host), {}, `sockstack's own error counters on ${st.dev}`);
      }
      assert.ok(captures.length > 0, 'no capture registered');
      const summary: string[] = [];
      for (const c of captures) {
        assert.ok(existsSync(c.file), `capture ${c.file} missing`);
        const all = await tsharkLines(c.file, 'frame');
        assert.ok(all.length > 0, `capture ${c.file} is empty`);
        const bad = await tsharkLines(c.file, BAD_PACKET_FILTER);
        assert.deepEqual(bad.slice(0, 20), [], `${c.file}: ${bad.length} malformed packets or bad checksums`);
        for (const f of c.mustMatch) {
          const m = await tsharkLines(c.file, f);
          assert.ok(m.length > 0, `${c.file}: no packet matches '${f}'`);
        }
        summary.push(`${c.file.split('/').pop()}: ${all.length} frames, none bad`);
      }
      summary.push(`nstat: IpInReceives ${now.get('IpInReceives')}, TcpInSegs ${now.get('TcpInSegs')}, UdpInDatagrams ${now.get('UdpInDatagrams')}; error counters unchanged`);
      return summary.join('; ');
    },
  };
}

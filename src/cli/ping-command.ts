/**
 * `sockstack ping`: ping(8) from a sockstack host, on a TAP link or on the virtual network
 * (where the peer 10.0.0.2 answers). Output and exit status follow iputils.
 */
import { ping } from '../apps/ping.js';
import { parseIPv4 } from '../wire/address.js';
import type { Host } from '../sim/host.js';
import type { CliIo } from './cli-io.js';
import { LINK_OPTIONS, LINK_USAGE, UsageError, numberOption, openCliStack, parseCommandArgs, type LinkValues } from './link-options.js';

export const PING_USAGE = `usage: sockstack ping [link options] [-c COUNT] [-i SECS] [-s SIZE] [-W SECS] [-t TTL] [-q] HOST

Sends ICMP echo requests (RFC 792) from the sockstack host to HOST (an IPv4 address) and
prints each reply like iputils ping, then the statistics (after COUNT requests, or on Ctrl-C).
  -c COUNT   stop after COUNT requests (default: until interrupted)
  -i SECS    seconds between requests (default 1; as low as 0.001: a simulation has no
             flooding concern, so no root is needed for short intervals)
  -s SIZE    bytes of ICMP data (default 56; at most 65507)
  -W SECS    how long to wait for each reply (default 1)
  -t TTL     IP time to live of the requests (1..255)
  -q         quiet: no line per reply, only the summary
Exit status: 0 if any reply came, 1 if none, 2 for a usage mistake.`;

/** The parsed ping options (what runPing needs besides the stack). */
export interface PingCommandOptions {
  host: string;
  /** Infinity without -c. */
  count: number;
  intervalMs: number;
  timeoutMs: number;
  size: number;
  ttl: number | undefined;
  quiet: boolean;
}

/** The parts of a CliStack that runPing uses, so tests can pass their own network. */
export interface PingStack {
  readonly host: Host;
}

const PING_OPTIONS = {
  ...LINK_OPTIONS,
  count: { type: 'string', short: 'c' },
  interval: { type: 'string', short: 'i' },
  size: { type: 'string', short: 's' },
  timeout: { type: 'string', short: 'W' },
  ttl: { type: 'string', short: 't' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The link options among parsed values (for openCliStack). */
function linkValuesOf(v: Record<string, unknown>): LinkValues {
  const link: Record<string, string> = {};
  for (const k of Object.keys(LINK_OPTIONS)) if (typeof v[k] === 'string') link[k] = v[k];
  return link as LinkValues;
}

/** Parses argv; null means --help. Throws UsageError. */
export function parsePingArgs(argv: string[]): { link: LinkValues; options: PingCommandOptions } | null {
  const parsed = parseCommandArgs({ args: argv, options: PING_OPTIONS, allowPositionals: true });
  const v = parsed.values;
  if (v.help) return null;
  const pos = parsed.positionals;
  if (pos.length === 0) throw new UsageError('missing HOST (an IPv4 address, e.g. 10.0.0.2)');
  if (pos.length > 1) throw new UsageError(`one HOST only, got ${pos.map((p) => `'${p}'`).join(' ')}`);
  const host = pos[0]!;
  if (parseIPv4(host) === null) throw new UsageError(`HOST must be an IPv4 address like 10.0.0.2 (sockstack resolves no names), got '${host}'`);
  const options: PingCommandOptions = {
    host,
    count: v.count === undefined ? Infinity : numberOption('count (-c)', v.count, { min: 1, integer: true }),
    // iputils' floor for everybody is 0.002 s (0.2 s unprivileged); we allow 0.001 s.
    intervalMs: v.interval === undefined ? 1000 : Math.round(numberOption('interval (-i)', v.interval, { min: 0.001, max: 3600 }) * 1000),
    timeoutMs: v.timeout === undefined ? 1000 : Math.round(numberOption('timeout (-W)', v.timeout, { min: 0.001, max: 3600 }) * 1000),
    // 65535 - 20 (IP header) - 8 (ICMP header), as ping(8) says.
    size: v.size === undefined ? 56 : numberOption('size (-s)', v.size, { min: 0, max: 65507, integer: true }),
    ttl: v.ttl === undefined ? undefined : numberOption('ttl (-t)', v.ttl, { min: 1, max: 255, integer: true }),
    quiet: v.quiet === true,
  };
  return { link: linkValuesOf(v), options };
}

function writeLine(out: NodeJS.WritableStream, line: string): void {
  out.write(`${line}\n`);
}

/** Pings from `stack.host` and prints like iputils; resolves to the exit status (0 any reply, 1 none). */
export async function runPing(stack: PingStack, o: PingCommandOptions, io: CliIo): Promise<number> {
  const res = await ping(stack.host.sockets, o.host, {
    count: o.count,
    intervalMs: o.intervalMs,
    timeoutMs: o.timeoutMs,
    size: o.size,
    ...(o.ttl !== undefined ? { ttl: o.ttl } : {}),
    quiet: o.quiet,
    // Linux ping uses its process id as the echo identifier.
    id: process.pid & 0xffff,
    signal: io.signal,
    log: (line) => writeLine(io.stdout, line),
  });
  // Main exits the process once we return: let output queued for a pipe go first.
  await new Promise<void>((resolve) => io.stdout.write('', () => resolve()));
  return res.received > 0 ? 0 : 1;
}

export async function pingCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parsePingArgs(argv);
  if (parsed === null) {
    writeLine(io.stdout, `${PING_USAGE}\n\n${LINK_USAGE}`);
    return 0;
  }
  // The stack answers echo requests itself (RFC 1122 §3.2.2.6): the peer needs no service for ping.
  const stack = openCliStack(parsed.link);
  try {
    return await runPing(stack, parsed.options, io);
  } finally {
    await stack.close();
  }
}

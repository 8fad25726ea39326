/**
 * `sockstack packetdrill [options] FILE…`: runs packetdrill scripts against sockstack under
 * virtual time and reports each (pass, fail with expected and actual packets, unsupported with
 * the reason), then `N scripts: P passed, F failed, U unsupported`. Exit status 0 only when every
 * script passed; 1 otherwise; 2 for a usage mistake.
 */
import { readFileSync } from 'node:fs';
import type { CliIo } from './cli-io.js';
import { runText } from '../packetdrill/index.js';
import { resolveOptions, type RunOptions } from '../packetdrill/options.js';
import { formatResult, summaryLine, type ScriptResult } from '../packetdrill/report.js';

export const PACKETDRILL_USAGE = `usage: sockstack packetdrill [options] FILE…

Runs packetdrill scripts (github.com/google/packetdrill) against a sockstack host on a virtual
network: the host is --local_ip, the runner plays --remote_ip, time is virtual (a script of
minutes runs in milliseconds, and exactly).
  --ip_version=ipv4          only ipv4 for now (ipv6 scripts are reported unsupported)
  --tolerance_usecs=N        timing slack per event in microseconds (default 4000)
  --tolerance_percent=P      extra slack: P% of the time since the previous event (default 0)
  --local_ip=IP[/PREFIX]     sockstack's address (default 192.168.0.1/24)
  --remote_ip=IP             the remote peer's address (default 192.0.2.1)
  --mss=N                    path MSS: the link MTU becomes N+40 unless --mtu is given
  --mtu=N                    link MTU (default 1500)
  --bind_port=N              port of bind(fd, ..., ...) (default 8080)
  --connect_port=N           port of connect(fd, ..., ...) (default 8080)
  --profile=linux|freebsd    TCP tunable defaults of that stack
  --seed=N                   seed of the simulated network (default 1)
  -v, --verbose              show every event and packet of each script
Exit status: 0 if every script passed, 1 otherwise, 2 for a usage mistake.`;

class Usage extends Error {}

function numberFlag(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Usage(`--${name} needs a number, got '${v}'`);
  return n;
}

/** Parses argv into options and files; null for --help. Throws Usage. */
export function parsePacketdrillArgs(argv: string[]): { options: Partial<RunOptions>; files: string[] } | null {
  const o: Partial<RunOptions> = {};
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return null;
    if (a === '-v' || a === '--verbose') {
      o.verbose = true;
      continue;
    }
    if (!a.startsWith('--')) {
      if (a.startsWith('-') && a !== '-') throw new Usage(`unknown option '${a}'`);
      files.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    let name: string;
    let value: string;
    if (eq >= 0) {
      name = a.slice(2, eq);
      value = a.slice(eq + 1);
    } else {
      name = a.slice(2);
      const next = argv[i + 1];
      if (next === undefined) throw new Usage(`option '${a}' needs a value`);
      value = next;
      i++;
    }
    switch (name) {
      case 'ip_version':
        if (value !== 'ipv4' && value !== 'ipv6') throw new Usage(`--ip_version must be ipv4 or ipv6, got '${value}'`);
        o.ipVersion = value;
        break;
      case 'tolerance_usecs': o.toleranceUsecs = numberFlag(name, value); break;
      case 'tolerance_percent': o.tolerancePercent = numberFlag(name, value); break;
      case 'local_ip': o.localIp = value; break;
      case 'remote_ip': o.remoteIp = value; break;
      case 'mss': o.mss = numberFlag(name, value); break;
      case 'mtu': o.mtu = numberFlag(name, value); break;
      case 'bind_port': o.bindPort = numberFlag(name, value); break;
      case 'connect_port': o.connectPort = numberFlag(name, value); break;
      case 'seed': o.seed = numberFlag(name, value); break;
      case 'profile':
        if (value !== 'linux' && value !== 'freebsd') throw new Usage(`--profile must be linux or freebsd, got '${value}'`);
        o.profile = value;
        break;
      default:
        throw new Usage(`unknown option '--${name}'`);
    }
  }
  const r = resolveOptions(o);
  if ('error' in r) throw new Usage(r.error);
  if (files.length === 0) throw new Usage('no script given');
  return { options: o, files };
}

export async function packetdrillCommand(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parsePacketdrillArgs>;
  try {
    parsed = parsePacketdrillArgs(argv);
  } catch (e) {
    if (!(e instanceof Usage)) throw e;
    io.stderr.write(`sockstack packetdrill: ${e.message}\n${PACKETDRILL_USAGE}\n`);
    return 2;
  }
  if (parsed === null) {
    io.stdout.write(`${PACKETDRILL_USAGE}\n`);
    return 0;
  }
  const results: ScriptResult[] = [];
  for (const file of parsed.files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const r: ScriptResult = { name: file, status: 'fail', reason: `cannot read the script: ${(e as Error).message}`, events: 0, seconds: 0, log: [] };
      results.push(r);
      io.stdout.write(`${formatResult(r)}\n`);
      continue;
    }
    const r = await runText(text, file, parsed.options);
    results.push(r);
    io.stdout.write(`${formatResult(r, parsed.options.verbose ?? false)}\n`);
  }
  io.stdout.write(`${summaryLine(results)}\n`);
  return results.every((r) => r.status === 'pass') ? 0 : 1;
}

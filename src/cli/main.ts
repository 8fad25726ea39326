#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { runDemo } from './demo.js';
import { tapCommand } from './tap-command.js';
import { ncCommand } from './nc-command.js';
import { pingCommand } from './ping-command.js';
import { packetdrillCommand } from './packetdrill-command.js';
import { UsageError } from './link-options.js';
import type { CliIo } from './cli-io.js';

const USAGE = `usage: sockstack <command> [options]

commands:
  demo [--pcap FILE] [--seed N]   run the classic programs on a virtual network and explain them
  tap --dev NAME --ip CIDR …      attach a host to a Linux TAP device and serve echo, discard,
                                  chargen, daytime and http to the kernel's programs
  nc [options] HOST PORT          netcat over sockstack (TCP, -u UDP, -l listen), on a TAP
                                  device (--tap NAME --ip CIDR) or a virtual network
  ping [options] HOST             ping over sockstack, on a TAP device or a virtual network
  packetdrill [options] FILE…     run packetdrill scripts against sockstack under virtual time
  help                            this text

'sockstack <command> --help' describes a command's options.`;

type Command = (argv: string[], io: CliIo) => Promise<number>;
const COMMANDS: Record<string, Command> = { tap: tapCommand, nc: ncCommand, ping: pingCommand, packetdrill: packetdrillCommand };

/** Parses `--name value` pairs; unknown flags are an error that names them. */
function parseFlags(args: string[], known: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    const name = a.slice(2);
    if (!known.includes(name)) throw new UsageError(`unknown option '${a}' (known: ${known.map((k) => `--${k}`).join(', ')})`);
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`option '${a}' needs a value`);
    out.set(name, v);
    i++;
  }
  return out;
}

async function demo(rest: string[]): Promise<number> {
  const flags = parseFlags(rest, ['pcap', 'seed']);
  const seedText = flags.get('seed') ?? '42';
  const seed = Number(seedText);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${seedText}'`);
  const file = flags.get('pcap');
  const { pcap } = await runDemo({ seed, capture: file !== undefined });
  if (file && pcap) {
    writeFileSync(file, pcap);
    console.log(`Wrote ${file} (${pcap.length} bytes, pcapng): open it in Wireshark, one interface per host port.`);
  }
  return 0;
}

/** Runs a long-lived command: SIGINT/SIGTERM abort its signal; a second one exits at once. */
async function runCommand(cmd: Command, rest: string[]): Promise<number> {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await cmd(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'demo') return await demo(rest);
    const command = cmd === undefined ? undefined : COMMANDS[cmd];
    if (command) return await runCommand(command, rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`sockstack ${cmd}: ${e.message}\nRun 'sockstack ${cmd} --help' for the options.`);
      return 2;
    }
    console.error(`sockstack ${cmd}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  switch (cmd) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      console.error(`sockstack: unknown command '${cmd}'\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Let stdout drain (a piped nc may have megabytes in flight) before exiting.
    process.exitCode = code;
    if (process.stdout.writableLength === 0) process.exit(code);
    process.stdout.once('drain', () => process.exit(code));
  },
  (e: unknown) => {
    console.error(`sockstack: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);

#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { runDemo } from './demo.js';

const USAGE = `usage: sockstack <command> [options]

commands:
  demo [--pcap FILE] [--seed N]   run the classic programs on a virtual network and explain them
  help                            this text

not yet implemented (planned, see the README): tap, nc, ping over TAP devices`;

/** Parses `--name value` pairs; unknown flags are an error that names them. */
function parseFlags(args: string[], known: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const name = a.slice(2);
    if (!known.includes(name)) throw new Error(`unknown option '${a}' (known: ${known.map((k) => `--${k}`).join(', ')})`);
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`option '${a}' needs a value`);
    out.set(name, v);
    i++;
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'demo': {
      const flags = parseFlags(rest, ['pcap', 'seed']);
      const seedText = flags.get('seed') ?? '42';
      const seed = Number(seedText);
      if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got '${seedText}'`);
      const file = flags.get('pcap');
      const { pcap } = await runDemo({ seed, capture: file !== undefined });
      if (file && pcap) {
        writeFileSync(file, pcap);
        console.log(`Wrote ${file} (${pcap.length} bytes, pcapng): open it in Wireshark, one interface per host port.`);
      }
      return 0;
    }
    case 'tap':
    case 'nc':
    case 'ping':
      console.error(`sockstack ${cmd}: not implemented yet — the TAP driver and real-network commands are planned (see the README's feature list).`);
      return 2;
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
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`sockstack: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);

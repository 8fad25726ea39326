/**
 * What `sockstack tap`, `nc` and `ping` share: the options that say where the sockstack host
 * lives (a TAP device, or a small virtual network with a peer) and which impairments its
 * link has, and the code that builds that host on a real-time network.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Network } from '../sim/network.js';
import type { Host } from '../sim/host.js';
import type { Impairments } from '../link/segment.js';
import { PcapngWriter } from '../link/pcapng.js';
import { parseCidr, parseIPv4 } from '../wire/address.js';
import { attachTap, type TapAttachment } from '../link/node/attach-tap.js';
import { wallClock } from '../link/node/wall-clock.js';

/** node:util parseArgs option specs of the link options, to spread into a command's own. */
export const LINK_OPTIONS = {
  tap: { type: 'string' },
  ip: { type: 'string' },
  gateway: { type: 'string' },
  mac: { type: 'string' },
  loss: { type: 'string' },
  delay: { type: 'string' },
  jitter: { type: 'string' },
  reorder: { type: 'string' },
  duplicate: { type: 'string' },
  rate: { type: 'string' },
  pcap: { type: 'string' },
  seed: { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** The help text lines for LINK_OPTIONS, for a command's usage. */
export const LINK_USAGE = `link options:
  --tap NAME          attach to the Linux TAP device NAME (created if absent; needs root or CAP_NET_ADMIN)
  --ip CIDR           sockstack's address on the TAP link, e.g. 10.0.0.2/24 (required with --tap)
  --gateway IP        default gateway (usually the kernel side's address)
  --mac MAC           sockstack's MAC on the TAP link (default: random, locally administered)
  --loss P            drop each frame with probability P (0..1), both directions
  --delay MS          add MS milliseconds to each frame, both directions
  --jitter MS         vary the delay by up to +-MS milliseconds
  --reorder P         hold back each frame with probability P (delivered after the next one)
  --duplicate P       deliver each frame twice with probability P
  --rate BPS          serialize frames at BPS bits per second
  --pcap FILE         write every frame of the link to FILE (pcapng, opens in Wireshark)
  --seed N            seed of the random choices (impairments, ISNs, ports); default 1
Without --tap, sockstack runs on a virtual network: this host is 10.0.0.1/24 and a peer at
10.0.0.2 answers ping and serves echo (7), discard (9), daytime (13), chargen (19) and http (80).`;

export type LinkValues = { [K in keyof typeof LINK_OPTIONS]?: string };

/** A command-line mistake: main prints the message and exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** node:util parseArgs in strict mode, its own errors (unknown option, missing value…) as UsageError. */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config); // strict by default: unknown options are errors
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/** Parses a number option, with its name and the accepted range in the error. */
export function numberOption(name: string, text: string, o: { min?: number; max?: number; integer?: boolean } = {}): number {
  const v = Number(text);
  const min = o.min ?? 0;
  const max = o.max ?? Number.MAX_SAFE_INTEGER;
  if (text.trim() === '' || !Number.isFinite(v) || (o.integer && !Number.isInteger(v)) || v < min || v > max) {
    const kind = o.integer ? 'an integer' : 'a number';
    throw new UsageError(`--${name} must be ${kind} from ${min} to ${max}, got '${text}'`);
  }
  return v;
}

function parseMac(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new UsageError(`--mac must look like 02:00:00:00:00:01, got '${text}'`);
  }
  const mac = Uint8Array.from(parts.map((p) => parseInt(p, 16)));
  if (mac[0]! & 1) throw new UsageError(`--mac ${text} is a group (multicast) address; a station needs a unicast one`);
  return mac;
}

/** The impairments named on the command line (only those given). */
export function impairmentsOf(v: LinkValues): Partial<Impairments> {
  const imp: Partial<Impairments> = {};
  if (v.loss !== undefined) imp.loss = numberOption('loss', v.loss, { max: 1 });
  if (v.reorder !== undefined) imp.reorder = numberOption('reorder', v.reorder, { max: 1 });
  if (v.duplicate !== undefined) imp.duplicate = numberOption('duplicate', v.duplicate, { max: 1 });
  if (v.delay !== undefined) imp.latency = numberOption('delay', v.delay, { max: 60_000 });
  if (v.jitter !== undefined) imp.jitter = numberOption('jitter', v.jitter, { max: 60_000 });
  if (v.rate !== undefined) imp.rate = numberOption('rate', v.rate, { min: 1000 });
  return imp;
}

export interface CliStack {
  readonly net: Network;
  /** The host the command works on. */
  readonly host: Host;
  /** The peer on the virtual network (absent on a TAP). */
  readonly peer: Host | null;
  readonly tap: TapAttachment | null;
  /** One line saying where the host is, for the command to print. */
  readonly where: string;
  /** Stops the network, closes the TAP and finishes the capture file. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Starts the peer's services on the virtual network (not called with --tap). */
  startPeer?: (peer: Host) => void;
}

/** Builds the host the link options describe, on a real-time network. */
export function openCliStack(v: LinkValues, o: OpenOptions = {}): CliStack {
  const seed = v.seed === undefined ? 1 : numberOption('seed', v.seed, { integer: true, max: 0xffffffff });
  const imp = impairmentsOf(v);
  if (v.tap === undefined) {
    for (const k of ['ip', 'gateway', 'mac'] as const) {
      if (v[k] !== undefined) throw new UsageError(`--${k} only applies with --tap NAME`);
    }
  } else {
    if (v.ip === undefined) throw new UsageError('--tap needs --ip CIDR: the address sockstack takes on the TAP link, e.g. --ip 10.0.0.2/24');
    if (!/\/\d+$/.test(v.ip) || !parseCidr(v.ip)) throw new UsageError(`--ip must be an IPv4 address with a prefix length, like 10.0.0.2/24, got '${v.ip}'`);
    if (v.gateway !== undefined && parseIPv4(v.gateway) === null) throw new UsageError(`--gateway must be an IPv4 address, got '${v.gateway}'`);
  }
  const mac = v.mac === undefined ? undefined : parseMac(v.mac);
  const net = new Network({ seed, clock: 'real', link: imp });
  let file: WriteStream | null = null;
  const pcapSink = (): ((chunk: Uint8Array) => void) => {
    const out = createWriteStream(v.pcap!);
    file = out;
    return (chunk) => out.write(chunk);
  };
  const finish = async (): Promise<void> => {
    net.close();
    const f = file as WriteStream | null;
    if (f) await new Promise<void>((resolve, reject) => f.end((e?: Error | null) => (e ? reject(e) : resolve())));
  };

  if (v.tap !== undefined) {
    const host = net.host('sockstack');
    let tap: TapAttachment;
    try {
      tap = attachTap(net, host, { dev: v.tap, ip: v.ip!, impairments: imp, ...(v.gateway ? { gateway: v.gateway } : {}), ...(mac ? { mac } : {}) });
    } catch (e) {
      net.close();
      throw e;
    }
    if (v.pcap !== undefined) tap.capture(new PcapngWriter(pcapSink()));
    const hex = [...tap.device.mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
    return {
      net,
      host,
      peer: null,
      tap,
      where: `on TAP ${tap.device.name}${tap.device.created ? ' (created)' : ''} as ${v.ip} (mac ${hex}, mtu ${tap.device.mtu})`,
      close: async () => {
        await tap.close();
        await finish();
      },
    };
  }
  const host = net.host('sockstack', '10.0.0.1/24');
  const peer = net.host('peer', '10.0.0.2/24');
  if (v.pcap !== undefined) net.capture(pcapSink(), wallClock);
  o.startPeer?.(peer);
  return { net, host, peer, tap: null, where: 'on a virtual network as 10.0.0.1/24 (peer 10.0.0.2)', close: finish };
}

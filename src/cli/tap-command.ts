/**
 * `sockstack tap`: a sockstack host on a Linux TAP device, serving the classic small services
 * (echo, discard, chargen, daytime, http) to the kernel's side until SIGINT/SIGTERM.
 */
import { hostname as osHostname } from 'node:os';
import { LINK_OPTIONS, LINK_USAGE, UsageError, openCliStack, parseCommandArgs, type LinkValues } from './link-options.js';
import type { CliIo } from './cli-io.js';
import { DEFAULT_SERVICES, parseServiceSpec, startServices, type ServiceSpec } from '../apps/services.js';

export const TAP_USAGE = `usage: sockstack tap --dev NAME --ip CIDR [--gateway IP] [--serve SERVICE[:PORT]]... [--pcap FILE] [impairment options]

Attaches a sockstack host to the Linux TAP device NAME (created if absent and brought up; needs
root or CAP_NET_ADMIN) and serves until SIGINT or SIGTERM. Give the kernel's side an address in
the same subnet (ip addr add 10.0.0.1/24 dev NAME), then: nc 10.0.0.2 7, curl http://10.0.0.2/

options:
  --dev NAME               the TAP device (use this instead of --tap)
  --ip CIDR                sockstack's address on the TAP link, e.g. 10.0.0.2/24 (required)
  --serve SERVICE[:PORT]   run SERVICE, on PORT or its well-known port; repeat for more.
                           echo (7), discard (9), daytime (13), chargen (19): TCP and UDP;
                           http (80): TCP. Default: all five on their well-known ports.
  -h, --help               this text

${LINK_USAGE}`;

const OPTIONS = {
  ...LINK_OPTIONS,
  dev: { type: 'string' },
  serve: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The services asked for, checked before anything is opened. */
function servicesOf(serve: string[] | undefined): readonly ServiceSpec[] {
  if (!serve || serve.length === 0) return DEFAULT_SERVICES;
  const specs: ServiceSpec[] = [];
  for (const text of serve) {
    let spec: ServiceSpec;
    try {
      spec = parseServiceSpec(text);
    } catch (e) {
      throw new UsageError(`--serve: ${(e as Error).message}`);
    }
    // Every service listens on TCP, so two on one port cannot both start.
    const clash = specs.find((s) => s.port === spec.port);
    if (clash) throw new UsageError(`--serve ${clash.name}:${clash.port} and --serve ${text} both want port ${spec.port}`);
    specs.push(spec);
  }
  return specs;
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Waits for `p`, at most `ms` (an unref'd timer: it never keeps the process alive). */
async function atMost(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function tapCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs({ args: argv, options: OPTIONS, allowPositionals: false });
  const out = (line: string): void => void io.stdout.write(`${line}\n`);
  if (values.help) {
    out(TAP_USAGE);
    return 0;
  }
  const { dev, serve, help: _help, tap, ...link } = values;
  if (tap !== undefined) throw new UsageError(`this command names its device with --dev NAME, not --tap (try --dev ${tap})`);
  if (dev === undefined || dev === '') throw new UsageError('--dev NAME is required: the TAP device to attach to (created if absent)');
  const specs = servicesOf(serve);
  const linkValues: LinkValues = { ...link, tap: dev };

  // openCliStack checks every link option before it touches the device: UsageError, or a
  // TapError from the device itself.
  const stack = openCliStack(linkValues);
  let svc: ReturnType<typeof startServices>;
  try {
    const addr = link.ip!.split('/')[0]!;
    svc = startServices(stack.host.sockets, specs, { log: out, hostname: `${addr} (TAP ${dev} on ${osHostname()})` });
  } catch (e) {
    await stack.close();
    throw e;
  }
  out(`sockstack: ${stack.where}`);
  for (const s of svc.services) out(`serving ${s.spec.name} on ${s.protocols.map((p) => `${p}/${s.spec.port}`).join(' ')}`);
  out(`sockstack: ready: ${svc.services.length} service${svc.services.length === 1 ? '' : 's'} at ${link.ip!.split('/')[0]} (stop with Ctrl-C)`);

  await waitForAbort(io.signal);
  // Live connections are shut down and end at once; a peer that never answers must not hold
  // the exit up for long.
  if (!(await atMost(svc.close(), 2000))) out('sockstack: some connections did not finish closing; leaving them');
  await stack.close(); // also finishes the --pcap file
  let conns = 0;
  let dgrams = 0;
  let reqs = 0;
  for (const s of svc.services) {
    conns += s.stats.connections;
    dgrams += s.stats.datagrams;
    reqs += s.stats.requests;
  }
  const c = stack.tap?.device.counters;
  if (c) out(`sockstack: TAP ${dev}: ${c.rxFrames} frames in (${c.rxBytes} bytes), ${c.txFrames} frames out (${c.txBytes} bytes)${c.txErrors ? `, ${c.txErrors} refused` : ''}`);
  out(`sockstack: served ${conns} TCP connection${conns === 1 ? '' : 's'}, ${dgrams} UDP datagram${dgrams === 1 ? '' : 's'}, ${reqs} HTTP request${reqs === 1 ? '' : 's'}; stopped`);
  return 0;
}

import { IpHost, type IpHostOptions } from '../stack/ip-host.js';
import type { Interface } from '../stack/interface.js';
import type { NetDevice } from '../stack/device.js';
import type { TimerScheduler } from '../time/scheduler.js';
import type { Rng } from '../time/rng.js';
import { UdpLayer } from '../udp/udp-layer.js';
import { RawLayer } from '../raw/raw-layer.js';
import { TcpLayer } from '../tcp/tcp-layer.js';
import { SocketApi, type ProcessOptions } from '../socket/socket-api.js';
import { sleep } from '../socket/wait.js';
import { formatIPv4, parseCidr, parseIPv4 } from '../wire/address.js';
import { socketTable, formatSocketTable, type SocketRow, type TableOptions } from './socket-table.js';
import { formatCounters } from './netstat.js';
import { connectStream, type StreamAddress, type StreamSocket } from '../streams/stream-socket.js';
import { listenStream, type ListenOptions, type StreamListener } from '../streams/stream-listener.js';
import { udpStreamSocket, type UdpSocketOptions, type UdpStreamSocket } from '../streams/udp-stream-socket.js';

/** A process on a host: its own descriptor table and privilege. */
export interface Process {
  readonly name: string;
  readonly privileged: boolean;
  readonly sockets: SocketApi;
}

/**
 * A host: the IP machine, its transports and the Berkeley API of its processes.
 * `host.sockets` belongs to a privileged process; `host.process({ privileged: false })`
 * makes an unprivileged one.
 */
export class Host {
  readonly ip: IpHost;
  readonly udp: UdpLayer;
  readonly raw: RawLayer;
  readonly tcp: TcpLayer;
  private readonly procs: Process[] = [];
  /** The privileged default process's API. */
  readonly sockets: SocketApi;

  constructor(
    readonly name: string,
    readonly scheduler: TimerScheduler,
    rng: Rng,
    opts: Partial<IpHostOptions> = {},
  ) {
    this.ip = new IpHost(name, scheduler, rng, opts);
    this.udp = new UdpLayer(this.ip);
    this.raw = new RawLayer(this.ip);
    this.tcp = new TcpLayer(this.ip);
    this.sockets = this.process({ privileged: true, name }).sockets;
  }

  /** A new process with its own descriptor table. */
  process(opts: Partial<ProcessOptions> & { name?: string } = {}): Process {
    const name = opts.name ?? `${this.name}/${this.procs.length}`;
    const sockets = new SocketApi({ ip: this.ip, udp: this.udp, raw: this.raw, tcp: this.tcp }, name, opts);
    const p: Process = { name, privileged: sockets.privileged, sockets };
    this.procs.push(p);
    return p;
  }

  get processes(): readonly Process[] {
    return this.procs;
  }

  /** Attaches `device` with an address in CIDR form ('10.0.0.1/24'). */
  addInterface(device: NetDevice, cidr: string, name?: string): Interface {
    const c = parseCidr(cidr);
    if (!c) throw new Error(`${this.name}: '${cidr}' is not an IPv4 address in CIDR form (like 10.0.0.1/24)`);
    return this.ip.addInterface(device, c.address, c.prefix, name);
  }

  /** Adds a route: `addRoute('0.0.0.0/0', '10.0.0.254')` sets the default gateway. */
  addRoute(cidr: string, gateway: string, metric = 0): void {
    const c = parseCidr(cidr);
    if (!c) throw new Error(`${this.name}: '${cidr}' is not a network in CIDR form`);
    const gw = parseIPv4(gateway);
    if (gw === null) throw new Error(`${this.name}: '${gateway}' is not an IPv4 address`);
    this.ip.addRoute(c.address, c.prefix, gw, metric);
  }

  setGateway(gateway: string): void {
    this.addRoute('0.0.0.0/0', gateway);
  }

  /** The first interface's address, as text. */
  get address(): string {
    const i = this.ip.interfaces[0];
    return i ? formatIPv4(i.address) : '127.0.0.1';
  }

  get counters() {
    return this.ip.counters;
  }

  /** Sleeps on the host's clock (virtual time inside net.run). */
  sleep(ms: number): Promise<void> {
    return sleep(this.scheduler, ms);
  }

  /** The socket table, one row per socket, like `ss -uwan`. */
  socketTable(): SocketRow[] {
    return socketTable(this);
  }

  /** The socket table as text in the shape of `ss -an`. */
  ss(opts: TableOptions = {}): string {
    return formatSocketTable(this.socketTable(), opts);
  }

  /** Counters as text in the spirit of `netstat -s`. */
  netstat(): string {
    return formatCounters(this.ip.counters);
  }

  /**
   * Opens a TCP connection as web streams (the shape of Cloudflare's connect()):
   * `host.connect({ hostname: '10.0.0.2', port: 80 })` or `host.connect('10.0.0.2:80')`.
   */
  connect(address: StreamAddress | string): StreamSocket {
    return connectStream(this.sockets, address);
  }

  /** Listens for TCP connections, delivered by `for await (const conn of listener)`. */
  listen(opts: ListenOptions): StreamListener {
    return listenStream(this.sockets, opts);
  }

  /** A UDP socket as web streams of datagrams (Direct Sockets' UDPSocket, connected or bound). */
  udpSocket(opts: UdpSocketOptions = {}): UdpStreamSocket {
    return udpStreamSocket(this.sockets, opts);
  }

  /** Interfaces and routes, like `ip addr` and `ip route`. */
  describe(): string {
    const lines = this.ip.interfaces.map((i) => i.describe());
    lines.push(...this.ip.routes.format((i) => this.ip.interfaces[i]?.name ?? `if${i}`));
    return lines.join('\n');
  }
}

import { VirtualClock, RealClock, type Clock } from '../time/clock.js';
import { TimerScheduler } from '../time/scheduler.js';
import { RealTimeDriver } from '../time/real-driver.js';
import { Rng } from '../time/rng.js';
import { Segment, type Impairments, type SegmentPort } from '../link/segment.js';
import { PcapngWriter, tapToPcap } from '../link/pcapng.js';
import type { IpHostOptions } from '../stack/ip-host.js';
import type { NetDevice } from '../stack/device.js';
import { sleep } from '../socket/wait.js';
import { microtask } from '../time/microtask.js';
import { Host } from './host.js';

export interface NetworkOptions {
  /** Seed of every random choice (ISNs, ports, loss…). Same seed, same run. Default 1. */
  seed: number;
  /** 'virtual' (default): time jumps from timer to timer inside run(). 'real': wall clock. */
  clock: 'virtual' | 'real';
  /** Impairments of the default segment. */
  link: Partial<Impairments>;
  /** run() gives up when virtual time passes this many ms with tasks still blocked (default 24 h). */
  runLimitMs: number;
}

export interface InterfaceSpec {
  /** A segment or its name (created on first use); default: the network's default segment. */
  segment?: Segment | string;
  /** Address in CIDR form, e.g. '10.0.0.1/24'. */
  address: string;
  /** Interface name (default eth0, eth1, …). */
  name?: string;
}

export interface HostSpec extends Partial<IpHostOptions> {
  /** Shorthand for one interface on the default segment. */
  address?: string;
  interfaces?: InterfaceSpec[];
  /** Default gateway. */
  gateway?: string;
}

type Hop = () => Promise<void>;

/** A macrotask hop: lets every pending microtask (and so every runnable task) run first. */
function makeHop(): Hop {
  const g = globalThis as unknown as {
    setImmediate?: (fn: () => void) => unknown;
    MessageChannel?: new () => { port1: { onmessage: (() => void) | null }; port2: { postMessage(v: unknown): void } };
    setTimeout: (fn: () => void, ms: number) => unknown;
  };
  if (typeof g.setImmediate === 'function') {
    const si = g.setImmediate;
    return () => new Promise<void>((r) => void si(r));
  }
  if (typeof g.MessageChannel === 'function') {
    const ch = new g.MessageChannel();
    const queue: Array<() => void> = [];
    ch.port1.onmessage = () => queue.shift()?.();
    return () =>
      new Promise<void>((r) => {
        queue.push(r);
        ch.port2.postMessage(0);
      });
  }
  return () => new Promise<void>((r) => void g.setTimeout(r, 0));
}

/**
 * A network of hosts: segments (in-memory switches with impairments), hosts and routers
 * on them, one clock and one timer scheduler for all, one seeded RNG.
 */
export class Network {
  readonly clock: Clock;
  readonly scheduler: TimerScheduler;
  readonly rng: Rng;
  readonly opts: NetworkOptions;
  private readonly segments = new Map<string, Segment>();
  private readonly hostMap = new Map<string, Host>();
  /** Every segment port (hosts' and bridges'), for captures. */
  private readonly ports: SegmentPort[] = [];
  private readonly captures: Array<{ writer: PcapngWriter; stamps: Clock }> = [];
  private readonly driver: RealTimeDriver | null = null;
  private readonly hop = makeHop();
  private running = false;
  /** A microtask to fire the timers due now is queued (see fireDueSoon). */
  private dueQueued = false;
  /** What a timer fired from that microtask threw; run() rejects with it. */
  private dueError: unknown = null;
  /**
   * Macrotask hops run() has taken (each proves every task blocked before time moves), and
   * microtask passes that fired stack timers due at the current instant: how a workload was
   * scheduled, for tests and profiles.
   */
  readonly runStats = { hops: 0, dueFlushes: 0 };

  constructor(opts: Partial<NetworkOptions> = {}) {
    this.opts = { seed: opts.seed ?? 1, clock: opts.clock ?? 'virtual', link: opts.link ?? {}, runLimitMs: opts.runLimitMs ?? 86_400_000 };
    this.clock = this.opts.clock === 'real' ? new RealClock() : new VirtualClock();
    this.scheduler = new TimerScheduler(this.clock);
    this.rng = new Rng(this.opts.seed);
    if (this.opts.clock === 'real') {
      this.driver = new RealTimeDriver(this.scheduler);
      this.driver.start();
    } else {
      this.scheduler.onEarliestChanged = (at) => this.fireDueSoon(at);
    }
  }

  /**
   * Under virtual time, a stack timer armed for the current instant (a frame sent over a link
   * without latency) fires from a microtask, without waiting for run()'s macrotask hop: a
   * request/response exchange at zero latency then never leaves the microtask queue. Time itself
   * still moves only in run(), once every task is blocked, and application timers (sleep(0), a
   * timeout at now) still fire only then, after every runnable task. A timer due now is either
   * the earliest (this hook ran when it was armed) or behind an earlier one due now, so one
   * queued microtask covers them all (up to the first application timer, left to run()).
   */
  private fireDueSoon(at: number): void {
    if (!this.running || this.dueQueued || at > this.clock.now()) return;
    this.dueQueued = true;
    microtask(this.fireDue);
  }

  private readonly fireDue = (): void => {
    this.dueQueued = false;
    if (!this.running) return;
    this.runStats.dueFlushes++;
    try {
      this.scheduler.runDueInternal(this.clock.now());
    } catch (e) {
      this.dueError ??= e;
    }
  };

  /** Milliseconds on the network's clock. */
  now(): number {
    return this.clock.now();
  }

  /** The segment named `name`, created with `impairments` if new ('default' is the default one). */
  segment(name = 'default', impairments?: Partial<Impairments>): Segment {
    let s = this.segments.get(name);
    if (!s) {
      const imp = name === 'default' ? { ...this.opts.link, ...impairments } : impairments;
      s = new Segment(name, this.scheduler, this.rng.fork(`segment:${name}`), imp);
      this.segments.set(name, s);
    } else if (impairments) {
      s.setImpairments(impairments);
    }
    return s;
  }

  get hosts(): ReadonlyMap<string, Host> {
    return this.hostMap;
  }

  /**
   * Adds a host. `spec` is an address in CIDR form on the default segment
   * (`net.host('a', '10.0.0.1/24')`) or a full HostSpec.
   */
  host(name: string, spec: string | HostSpec = {}): Host {
    if (this.hostMap.has(name)) throw new Error(`a host named '${name}' already exists`);
    const s: HostSpec = typeof spec === 'string' ? { address: spec } : spec;
    const h = new Host(name, this.scheduler, this.rng.fork(`host:${name}`), s);
    this.hostMap.set(name, h);
    const ifaces = [...(s.address ? [{ address: s.address }] : []), ...(s.interfaces ?? [])];
    for (const i of ifaces) this.attach(h, i.segment ?? 'default', i.address, i.name);
    if (s.gateway) h.setGateway(s.gateway);
    return h;
  }

  /** A host that forwards between its interfaces (RFC 1812). */
  router(name: string, interfaces: InterfaceSpec[], spec: HostSpec = {}): Host {
    return this.host(name, { ...spec, interfaces, forwarding: true });
  }

  /**
   * Plugs `host` into a segment with an address; returns the new interface's name. The port's
   * MAC comes from the seed unless `mac` is given.
   */
  attach(host: Host, segment: Segment | string, cidr: string, ifname?: string, mac?: Uint8Array): string {
    const seg = typeof segment === 'string' ? this.segment(segment) : segment;
    const index = host.ip.interfaces.length;
    const name = ifname ?? `eth${index}`;
    const port = seg.attach(`${host.name}:${name}`, mac ?? this.macFor(host.name, index));
    this.addPort(port);
    host.addInterface(port, cidr, name);
    return name;
  }

  /** Attaches an outside device (a TAP, a QEMU socket) to `host` directly, with no segment between. */
  attachDevice(host: Host, device: NetDevice, cidr: string, ifname?: string): void {
    host.addInterface(device, cidr, ifname);
  }

  /**
   * Bridges an outside device (a TAP, a QEMU socket) into a segment, as a Linux bridge joins
   * a NIC to a switch: frames the device receives enter the segment through a port of their
   * own, and frames the segment sends to that port leave through the device. The segment's
   * impairments then apply in both directions, and captures see the device's traffic.
   * Hosts attach to the same segment as usual. `portMac` names the port in the switch (the
   * device's own MAC by default). Returns the bridge port.
   */
  bridge(device: NetDevice, segment: Segment | string, portMac: Uint8Array = device.mac): SegmentPort {
    const seg = typeof segment === 'string' ? this.segment(segment) : segment;
    const port = seg.attach(`bridge:${device.name}`, portMac);
    port.setReceiver((frame) => device.transmit(frame));
    device.setReceiver((frame) => port.transmit(frame));
    this.addPort(port);
    return port;
  }

  private addPort(port: SegmentPort): void {
    this.ports.push(port);
    for (const c of this.captures) tapToPcap(c.writer, port, c.stamps);
  }

  /** Locally administered, deterministic MAC: 02:xx:xx:xx:xx:xx from the seed, host and index. */
  private macFor(host: string, index: number): Uint8Array {
    const mac = this.rng.fork(`mac:${host}:${index}`).fill(new Uint8Array(6));
    mac[0] = 0x02;
    return mac;
  }

  /**
   * Records every frame of every segment port (present and future) into one pcapng,
   * one interface block per port. Returns the writer; `writer.bytes()` is the file.
   * Timestamps come from `stamps` (the network's clock by default; a real network's captures
   * may want wall-clock time, milliseconds since the epoch).
   */
  capture(sink?: (chunk: Uint8Array) => void, stamps: Clock = this.clock): PcapngWriter {
    const w = new PcapngWriter(sink);
    for (const p of this.ports) tapToPcap(w, p, stamps);
    this.captures.push({ writer: w, stamps });
    return w;
  }

  /** Sleeps on the network's clock; inside run() virtual time jumps ahead. */
  sleep(ms: number): Promise<void> {
    return sleep(this.scheduler, ms);
  }

  /**
   * Runs `fn` to completion. Under virtual time: let every runnable task run, then jump the
   * clock to the earliest timer and fire it, until `fn` settles. Rejects on deadlock (every
   * task blocked and no timer pending). Code inside must not wait on real I/O.
   */
  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.driver) return await fn();
    if (this.running) throw new Error('net.run() is already running: await the inner function directly instead of nesting run()');
    this.running = true;
    this.dueError = null;
    let state: 0 | 1 | 2 = 0;
    let value: T | undefined;
    let error: unknown;
    Promise.resolve()
      .then(fn)
      .then(
        (v) => {
          state = 1;
          value = v;
        },
        (e: unknown) => {
          state = 2;
          error = e;
        },
      );
    const clock = this.clock as VirtualClock;
    const sched = this.scheduler;
    const limit = clock.now() + this.opts.runLimitMs;
    try {
      for (;;) {
        await this.hop();
        this.runStats.hops++;
        if (this.dueError !== null) throw this.dueError;
        if (state !== 0) break;
        // Every runnable task has run (a macrotask hop drains the microtasks): fire timers until
        // one of them wakes an application call, jumping the clock from deadline to deadline;
        // only then yield to it.
        const w = sched.wakeups;
        do {
          const next = sched.nextDeadline();
          if (next === Infinity) throw new Error(`net.run: deadlock — every task is blocked and no timer is pending (at ${clock.now().toFixed(3)} ms virtual time)${this.blockedReport()}`);
          if (next > limit) throw new Error(`net.run: virtual time limit of ${this.opts.runLimitMs} ms reached with tasks still blocked${this.blockedReport()}`);
          clock.advanceTo(next);
          sched.runDue(next);
        } while (sched.wakeups === w);
      }
    } finally {
      this.running = false;
    }
    if (state === 2) throw error;
    return value as T;
  }

  private blockedReport(): string {
    const lines: string[] = [];
    for (const h of this.hostMap.values()) {
      for (const p of h.processes) for (const what of p.sockets.blocked.values()) lines.push(`${p.name}: ${what}`);
    }
    return lines.length ? `; blocked: ${lines.join(', ')}` : '';
  }

  /** Stops the real-time driver (real clock only) so the process can exit. */
  close(): void {
    this.driver?.stop();
  }
}

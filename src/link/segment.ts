import type { NetDevice } from '../stack/device.js';
import type { Rng } from '../time/rng.js';
import { Timer } from '../time/scheduler.js';
import type { TimerScheduler } from '../time/scheduler.js';

/**
 * Per-frame impairments of a segment, in the spirit of Linux netem. Every random choice
 * comes from the segment's Rng, so a seed reproduces the same losses, delays and orders.
 */
export interface Impairments {
  /** One-way delay in ms added to every frame. */
  latency: number;
  /**
   * Delay variation in ms: each frame's delay is latency + u, u uniform in [-jitter, +jitter],
   * clamped at 0 (so the mean grows when jitter > latency). Like netem, jitter may reorder frames.
   */
  jitter: number;
  /** Probability that a frame is lost. */
  loss: number;
  /** Probability that a frame is delivered twice (the copy takes its own delay). */
  duplicate: number;
  /**
   * Probability that a frame is held back: it is delivered right after the next frame sent
   * after it by the same port, or max(10, 2 * (latency + jitter)) ms after its normal arrival
   * when no later frame arrives first.
   */
  reorder: number;
  /** Bits per second each port can send (frame bytes * 8, no preamble/FCS); 0 = unlimited. */
  rate: number;
  /**
   * Bytes a port may have waiting for (or in) serialization at `rate` before new frames are
   * tail-dropped. An empty queue always accepts one frame. Default 65536.
   */
  queueLimit: number;
  /** Largest Ethernet payload (frame length - 14); larger frames are dropped. Default 1500. */
  mtu: number;
}

export const DEFAULT_IMPAIRMENTS: Readonly<Impairments> = Object.freeze({
  latency: 0,
  jitter: 0,
  loss: 0,
  duplicate: 0,
  reorder: 0,
  rate: 0,
  queueLimit: 65536,
  mtu: 1500,
});

/**
 * The impairments one port may set for the frames it transmits (its egress direction), over
 * the segment's: a one-way lossy or reordering path, an asymmetric rate. The MTU stays the
 * segment's (a switch has one).
 */
export type PortImpairments = Omit<Impairments, 'mtu'>;

/** Options of a segment that are properties of its ports rather than per-frame impairments. */
export interface SegmentOptions {
  /** Ports offload UDP/TCP checksums (like Linux loopback); see SegmentPort.checksumOffload. Default false. */
  checksumOffload: boolean;
}

/** Segment-wide counters. A flooded frame counts one `delivered` (or drop) per receiving port. */
export interface SegmentCounters {
  /** Frames transmitted into the segment by its ports. */
  framesIn: number;
  /** Frames handed to a receiving port. */
  delivered: number;
  dropLoss: number;
  dropQueue: number;
  dropMtu: number;
  dropPartition: number;
  /** Frames sent by, or addressed to, a port that is down. */
  dropDown: number;
  /** Unicast for a station learned on the sender's own port (a bridge filters it). */
  dropFiltered: number;
  /** Frames shorter than an Ethernet header (14 bytes). */
  dropRunt: number;
  duplicated: number;
  /** Frames held back by the `reorder` impairment. */
  reordered: number;
}

export interface PortCounters {
  txFrames: number;
  txBytes: number;
  /** Frames this port sent that died before reaching the switch (runt, down, MTU, loss, queue). */
  txDropped: number;
  rxFrames: number;
  rxBytes: number;
  /** Frames for this port dropped at delivery (port down, partition). */
  rxDropped: number;
}

export type TapDirection = 'out' | 'in';
export type Tap = (frame: Uint8Array, direction: TapDirection) => void;

const ETH_HEADER = 14;
const NO_FRAME = new Uint8Array(0);
const PROBABILITIES = ['loss', 'duplicate', 'reorder'] as const;

/** Throws a RangeError unless every key of `partial` is a known impairment with a valid value. */
function checkImpairments(partial: Partial<Impairments>, allowMtu: boolean): void {
  for (const key of Object.keys(partial) as Array<keyof Impairments>) {
    const v = partial[key];
    if (v === undefined) continue;
    if (!(key in DEFAULT_IMPAIRMENTS) || (key === 'mtu' && !allowMtu)) {
      throw new RangeError(key === 'mtu' ? 'the MTU is the segment\'s, not a port\'s' : `unknown impairment '${key}'`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`impairment ${key} must be a finite number >= 0, got ${String(v)}`);
    }
    if ((PROBABILITIES as readonly string[]).includes(key) && v > 1) {
      throw new RangeError(`impairment ${key} is a probability, got ${v}`);
    }
  }
}

/** A 48-bit MAC at `off` as an exact float key (numeric keys, DESIGN principle 5). */
function macKey(f: Uint8Array, off: number): number {
  const hi = (f[off]! << 8) | f[off + 1]!;
  const lo = ((f[off + 2]! << 24) | (f[off + 3]! << 16) | (f[off + 4]! << 8) | f[off + 5]!) >>> 0;
  return hi * 4294967296 + lo;
}

/** A frame on its way through the switch; pooled, each with its own reusable Timer. */
class InFlight {
  readonly timer: Timer;
  frame: Uint8Array = NO_FRAME;
  from: SegmentPort | null = null;
  /** Transmission order, to tell which frames were sent after a held one. */
  seq = 0;
  held = false;
  /** Arrival time, while it waits in the segment's line (Segment.joinLine). */
  at = 0;
  /** The scheduler sequence number its own timer would have had (ties at equal arrival times). */
  armSeq = 0;
  constructor(fire: (f: InFlight) => void) {
    this.timer = new Timer(() => fire(this), true);
  }
}

/** One port of a Segment: the NetDevice a host attaches to. */
export class SegmentPort implements NetDevice {
  readonly mac: Uint8Array;
  readonly counters: PortCounters = { txFrames: 0, txBytes: 0, txDropped: 0, rxFrames: 0, rxBytes: 0, rxDropped: 0 };
  /** @internal */ receiver: ((frame: Uint8Array) => void) | null = null;
  /** @internal copy-on-write, so a tap may remove itself while taps run */ taps: readonly Tap[] = [];
  /** @internal */ linkUp = true;
  /** @internal frames held back by `reorder`, in transmission order */ held: InFlight[] = [];
  /** @internal rate limiter: when the last queued frame finishes serializing */ busyUntil = 0;
  /** @internal FIFO of (finish time, bytes) for frames not yet serialized */ qFinish: number[] = [];
  /** @internal */ qLen: number[] = [];
  /** @internal */ qHead = 0;
  /**
   * @internal The switch's last answers for frames from this port, valid while its table is at
   * `switchVersion`: the source address learnt here, and the port of the last destination
   * (null: unknown, flooded). A stream of frames between two stations then costs no table lookup.
   */
  switchVersion = -1;
  /** @internal */ learntKey = -1;
  /** @internal */ lastDstKey = -1;
  /** @internal */ lastDst: SegmentPort | null = null;
  /** @internal */ qBytes = 0;
  /** @internal what this port set with setImpairments */ overrides: Partial<PortImpairments> = {};
  /** @internal the impairments of frames this port transmits: the segment's with the overrides */ imp: Impairments;

  /** @internal use Segment.attach */
  constructor(
    readonly segment: Segment,
    readonly name: string,
    mac: Uint8Array,
  ) {
    this.mac = mac.slice();
    this.imp = { ...segment.impairments };
  }

  /**
   * The impairments applied to frames this port transmits: the segment's, except where
   * setImpairments() gave the port its own.
   */
  get impairments(): Readonly<Impairments> {
    return this.imp;
  }

  /**
   * Gives this port's egress direction impairments of its own, over the segment's (which it
   * keeps following for every key not set here): `port.setImpairments({ loss: 0.01 })` loses
   * 1% of what this port sends and nothing of what it receives. Cumulative; frames already in
   * flight keep their schedule. `clearImpairments()` returns to the segment's.
   */
  setImpairments(partial: Partial<PortImpairments>): void {
    checkImpairments(partial, false);
    for (const key of Object.keys(partial) as Array<keyof PortImpairments>) {
      const v = partial[key];
      if (v !== undefined) this.overrides[key] = v;
    }
    this.refresh();
  }

  /** Drops the port's own impairments: its frames follow the segment's again. */
  clearImpairments(): void {
    this.overrides = {};
    this.refresh();
  }

  /** @internal recomputes `imp` after the segment's or the port's impairments changed */
  refresh(): void {
    Object.assign(this.imp, this.segment.impairments, this.overrides);
  }

  get mtu(): number {
    return this.segment.impairments.mtu;
  }

  /**
   * The segment's ports offload transport checksums (NetDevice.checksumOffload): hosts on it
   * neither compute nor verify UDP/TCP checksums, as Linux does on loopback.
   */
  get checksumOffload(): boolean {
    return this.segment.checksumOffload;
  }

  /** Whether the cable is plugged in. */
  get isUp(): boolean {
    return this.linkUp;
  }

  transmit(frame: Uint8Array): void {
    this.segment.transmitFrom(this, frame);
  }

  setReceiver(receiver: (frame: Uint8Array) => void): void {
    this.receiver = receiver;
  }

  /**
   * Calls `fn` synchronously with every frame this port transmits ('out', before any
   * impairment) and every frame it delivers to its receiver ('in', just before the receiver
   * gets it). A tap must not keep or modify the frame. Returns a function removing the tap.
   */
  addTap(fn: Tap): () => void {
    this.taps = [...this.taps, fn];
    return () => {
      this.taps = this.taps.filter((t) => t !== fn);
    };
  }

  /** Pulls the cable: frames to and from this port are dropped until `up()`. */
  down(): void {
    if (!this.linkUp) return;
    this.linkUp = false;
    this.segment.forget(this); // a bridge flushes addresses learned on a port whose link fails
  }

  up(): void {
    this.linkUp = true;
  }
}

/**
 * An in-memory Ethernet segment: a learning switch (IEEE 802.1D-style: learn source
 * addresses, forward known unicast to one port, flood the rest, never back to the sender)
 * with netem-like impairments (the segment's, or a port's own for what it transmits: see
 * SegmentPort.setImpairments). Delivery always happens in a scheduler timer, never inside
 * `transmit`, even with zero latency.
 */
export class Segment {
  readonly counters: SegmentCounters = {
    framesIn: 0,
    delivered: 0,
    dropLoss: 0,
    dropQueue: 0,
    dropMtu: 0,
    dropPartition: 0,
    dropDown: 0,
    dropFiltered: 0,
    dropRunt: 0,
    duplicated: 0,
    reordered: 0,
  };
  private readonly imp: Impairments = { ...DEFAULT_IMPAIRMENTS };
  private readonly portList: SegmentPort[] = [];
  private readonly macTable = new Map<number, SegmentPort>();
  /** Bumped on every change of macTable: the ports' cached answers are then stale. */
  private macVersion = 0;
  private partitions: Array<[Set<SegmentPort>, Set<SegmentPort>]> = [];
  private readonly pool: InFlight[] = [];
  private readonly fireFn = (f: InFlight): void => this.fire(f);
  private seq = 0;
  private pending = 0;
  /**
   * Frames arriving in transmission order, [lineHead, lineTail), behind one timer (joinLine).
   * The array is reused: emptied by moving both ends back to 0, no new array per burst.
   */
  private readonly line: InFlight[] = [];
  private lineHead = 0;
  private lineTail = 0;
  private readonly lineTimer = new Timer(() => this.drainLine(), true);
  /**
   * Every port offloads transport checksums. Hosts read it when they route, so set it
   * before connections are made (a connection keeps the route it was opened with).
   */
  checksumOffload: boolean;

  constructor(
    readonly name: string,
    private readonly scheduler: TimerScheduler,
    private readonly rng: Rng,
    impairments?: Partial<Impairments>,
    options: Partial<SegmentOptions> = {},
  ) {
    if (impairments) this.setImpairments(impairments);
    this.checksumOffload = options.checksumOffload ?? false;
  }

  /** The current impairments (read-only; change them with setImpairments). */
  get impairments(): Readonly<Impairments> {
    return this.imp;
  }

  /** Changes impairments at run time; frames already in flight keep their schedule. */
  setImpairments(partial: Partial<Impairments>): void {
    checkImpairments(partial, true);
    for (const key of Object.keys(partial) as Array<keyof Impairments>) {
      const v = partial[key];
      if (v !== undefined) this.imp[key] = v;
    }
    for (const p of this.portList) p.refresh();
  }

  get ports(): readonly SegmentPort[] {
    return this.portList;
  }

  port(name: string): SegmentPort | undefined {
    return this.portList.find((p) => p.name === name);
  }

  /** Frames scheduled for delivery and not yet delivered (or dropped at delivery). */
  get inFlight(): number {
    return this.pending;
  }

  /** Plugs a new port into the switch. */
  attach(name: string, mac: Uint8Array): SegmentPort {
    if (mac.length !== 6) throw new RangeError(`MAC address must be 6 bytes, got ${mac.length}`);
    if (this.port(name)) throw new Error(`segment ${this.name} already has a port named '${name}'`);
    const p = new SegmentPort(this, name, mac);
    this.portList.push(p);
    return p;
  }

  /** Drops every frame between a port of `a` and a port of `b` until `heal()`. Cumulative. */
  partition(a: ReadonlyArray<SegmentPort | string>, b: ReadonlyArray<SegmentPort | string>): void {
    this.partitions.push([this.resolve(a), this.resolve(b)]);
  }

  /** Removes every partition. */
  heal(): void {
    this.partitions = [];
  }

  private resolve(group: ReadonlyArray<SegmentPort | string>): Set<SegmentPort> {
    const out = new Set<SegmentPort>();
    for (const g of group) {
      const p = typeof g === 'string' ? this.port(g) : g;
      if (!p || p.segment !== this) throw new Error(`no port ${typeof g === 'string' ? `'${g}'` : g.name} on segment ${this.name}`);
      out.add(p);
    }
    return out;
  }

  /** @internal Forgets the addresses learned on `port`. */
  forget(port: SegmentPort): void {
    for (const [k, p] of this.macTable) if (p === port) this.macTable.delete(k);
    this.macVersion++;
  }

  /** @internal Ingress: what happens when `port` puts `frame` on its cable. */
  transmitFrom(port: SegmentPort, frame: Uint8Array): void {
    const taps = port.taps;
    for (let i = 0; i < taps.length; i++) taps[i]!(frame, 'out');
    const c = this.counters;
    const pc = port.counters;
    c.framesIn++;
    pc.txFrames++;
    pc.txBytes += frame.length;
    if (frame.length < ETH_HEADER) {
      c.dropRunt++;
      pc.txDropped++;
      return;
    }
    if (!port.isUp) {
      c.dropDown++;
      pc.txDropped++;
      return;
    }
    const imp = port.imp;
    if (frame.length - ETH_HEADER > this.imp.mtu) {
      c.dropMtu++;
      pc.txDropped++;
      return;
    }
    // Decision order is fixed (loss, duplicate, then per copy: jitter, reorder) so a seed
    // replays exactly; chance(0) draws nothing.
    if (this.rng.chance(imp.loss)) {
      c.dropLoss++;
      pc.txDropped++;
      return;
    }
    const dup = this.rng.chance(imp.duplicate);
    const now = this.scheduler.now();
    // The copy is taken before the original can reach any receiver (delivery is never synchronous).
    const copy = dup ? frame.slice() : null;
    this.send(port, frame, now);
    if (copy) {
      c.duplicated++;
      this.send(port, copy, now);
    }
  }

  /** Queues one frame at the port's rate limiter and schedules its arrival. */
  private send(port: SegmentPort, frame: Uint8Array, now: number): void {
    const imp = port.imp;
    const departure = this.serialize(port, frame.length, now);
    if (departure < 0) {
      this.counters.dropQueue++;
      port.counters.txDropped++;
      return;
    }
    let delay = imp.latency;
    if (imp.jitter > 0) {
      delay += (this.rng.next() * 2 - 1) * imp.jitter;
      if (delay < 0) delay = 0;
    }
    let at = departure + delay;
    const f = this.pool.pop() ?? new InFlight(this.fireFn);
    f.frame = frame;
    f.from = port;
    f.seq = this.seq++;
    f.held = false;
    if (imp.reorder > 0 && this.rng.chance(imp.reorder)) {
      f.held = true;
      port.held.push(f);
      this.counters.reordered++;
      at += Math.max(10, 2 * (imp.latency + imp.jitter));
    }
    this.pending++;
    if (!f.held && this.joinLine(f, at)) return;
    this.scheduler.arm(f.timer, at);
  }

  /**
   * A frame due no earlier than every frame in the line joins it: a window of frames in
   * flight then costs one timer in the scheduler's heap, not one each. Returns false when it
   * would overtake the line's last frame (jitter, a latency lowered, another port's rate):
   * it takes its own timer, as held frames do.
   */
  private joinLine(f: InFlight, at: number): boolean {
    const line = this.line;
    const n = this.lineTail;
    if (n > this.lineHead && line[n - 1]!.at > at) return false;
    f.at = at;
    f.armSeq = this.scheduler.reserveSeq();
    line[n] = f;
    this.lineTail = n + 1;
    if (n === this.lineHead) this.scheduler.armAs(this.lineTimer, at, f.armSeq);
    return true;
  }

  /**
   * Delivers the line's frames that are due, in order. Frames sent meanwhile wait for the
   * next firing, ordered among other timers as their own timers would be.
   */
  private drainLine(): void {
    const line = this.line;
    const now = this.scheduler.now();
    const end = this.lineTail;
    // Each frame as its own timer would fire: due, and before any other timer due as early.
    for (;;) {
      const f = this.lineHead < end ? line[this.lineHead]! : null;
      if (f === null || f.at > now || !this.scheduler.precedesNext(f.at, f.armSeq)) break;
      this.lineHead++;
      this.fire(f);
    }
    // Frames sent while these fired joined behind them (lineTail moved).
    const head = this.lineHead;
    const tail = this.lineTail;
    if (head === tail) {
      this.lineHead = this.lineTail = 0;
      return;
    }
    if (head > 64 && head * 2 > tail) {
      line.copyWithin(0, head, tail);
      this.lineHead = 0;
      this.lineTail = tail - head;
    }
    // Armed as the next frame's own timer would have been: a frame with a timer of its own due
    // at the same instant but sent later (from the same port, say) must not overtake it.
    const next = line[this.lineHead]!;
    this.scheduler.armAs(this.lineTimer, next.at, next.armSeq);
  }

  /**
   * Per-port FIFO serialization at `rate`: returns when the frame has left the port, or -1
   * for a tail drop. Frames keep FIFO order even after the rate is changed.
   */
  private serialize(port: SegmentPort, len: number, now: number): number {
    const rate = port.imp.rate;
    // Retire frames that finished serializing.
    const qf = port.qFinish;
    let h = port.qHead;
    while (h < qf.length && qf[h]! <= now) port.qBytes -= port.qLen[h++]!;
    if (h === qf.length) {
      if (h !== 0) {
        // (The length setter is a runtime call: not on every frame of an unlimited link.)
        qf.length = 0;
        port.qLen.length = 0;
        h = 0;
      }
    } else if (h > 64 && h * 2 > qf.length) {
      qf.splice(0, h);
      port.qLen.splice(0, h);
      h = 0;
    }
    port.qHead = h;
    const start = port.busyUntil > now ? port.busyUntil : now;
    if (rate <= 0) return start;
    if (port.qBytes > 0 && port.qBytes + len > port.imp.queueLimit) return -1;
    const finish = start + (len * 8000) / rate; // ms
    port.busyUntil = finish;
    qf.push(finish);
    port.qLen.push(len);
    port.qBytes += len;
    return finish;
  }

  private fire(f: InFlight): void {
    const from = f.from!;
    const frame = f.frame;
    const seq = f.seq;
    const wasHeld = f.held;
    if (wasHeld) from.held.splice(from.held.indexOf(f), 1); // held back too long: give up waiting
    this.release(f);
    this.forward(from, frame);
    // Frames held back go right after the first later frame from their port.
    if (!wasHeld) {
      const held = from.held;
      while (held.length > 0 && held[0]!.seq < seq) {
        const h = held.shift()!;
        this.scheduler.disarm(h.timer);
        const hf = h.frame;
        this.release(h);
        this.forward(from, hf);
      }
    }
  }

  private release(f: InFlight): void {
    f.frame = NO_FRAME;
    f.from = null;
    this.pending--;
    this.pool.push(f);
  }

  /** The switch: learn the source, then forward or flood (IEEE 802.1D 7.7, 7.8). */
  private forward(from: SegmentPort, frame: Uint8Array): void {
    // Learn unicast source addresses only (a group address is never a source).
    if ((frame[6]! & 1) === 0) {
      const sk = macKey(frame, 6);
      if (sk !== from.learntKey || from.switchVersion !== this.macVersion) {
        if (this.macTable.get(sk) !== from) {
          this.macTable.set(sk, from);
          this.macVersion++;
        }
        this.cacheAnswers(from);
        from.learntKey = sk;
      }
    }
    if ((frame[0]! & 1) === 0) {
      const dk = macKey(frame, 0);
      if (dk !== from.lastDstKey || from.switchVersion !== this.macVersion) {
        this.cacheAnswers(from);
        from.lastDstKey = dk;
        from.lastDst = this.macTable.get(dk) ?? null;
      }
      const to = from.lastDst;
      if (to !== null) {
        // A frame for a station on the sender's own port is filtered, as a bridge does.
        if (to === from) this.counters.dropFiltered++;
        else if (this.admit(from, to)) this.hand(to, frame);
        return;
      }
    }
    // Broadcast, multicast and unknown unicast: every other port, each with its own copy;
    // the last one gets the original, after the copies are made.
    const ports = this.portList;
    let targets: SegmentPort[] | null = null;
    let only: SegmentPort | null = null;
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i]!;
      if (p === from || !this.admit(from, p)) continue;
      if (only === null) only = p;
      else (targets ??= [only]).push(p);
    }
    if (targets === null) {
      if (only !== null) this.hand(only, frame);
      return;
    }
    const last = targets.length - 1;
    for (let i = 0; i < last; i++) this.hand(targets[i]!, frame.slice());
    this.hand(targets[last]!, frame);
  }

  /** Starts `port`'s cached answers afresh when the table changed since they were given. */
  private cacheAnswers(port: SegmentPort): void {
    if (port.switchVersion === this.macVersion) return;
    port.switchVersion = this.macVersion;
    port.learntKey = -1;
    port.lastDstKey = -1;
    port.lastDst = null;
  }

  /** Whether a frame from `from` may reach `to` now; counts the drop when not. */
  private admit(from: SegmentPort, to: SegmentPort): boolean {
    if (!to.isUp) {
      this.counters.dropDown++;
      to.counters.rxDropped++;
      return false;
    }
    if (this.partitions.length > 0 && this.partitioned(from, to)) {
      this.counters.dropPartition++;
      to.counters.rxDropped++;
      return false;
    }
    return true;
  }

  private partitioned(a: SegmentPort, b: SegmentPort): boolean {
    for (const [x, y] of this.partitions) {
      if ((x.has(a) && y.has(b)) || (x.has(b) && y.has(a))) return true;
    }
    return false;
  }

  private hand(to: SegmentPort, frame: Uint8Array): void {
    this.counters.delivered++;
    to.counters.rxFrames++;
    to.counters.rxBytes += frame.length;
    const taps = to.taps;
    for (let i = 0; i < taps.length; i++) taps[i]!(frame, 'in');
    // A port with no receiver yet is a NIC with no driver: the frame is discarded.
    if (to.receiver) to.receiver(frame);
  }
}

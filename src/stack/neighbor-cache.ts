import { Timer, type TimerScheduler } from '../time/scheduler.js';
import type { Counters } from './counters.js';
import type { Interface } from './interface.js';

/** Tunables, with Linux's defaults (net.ipv4.neigh.default.*). */
export interface NeighborOptions {
  /** How long a resolved entry is used without confirmation (base_reachable_time: 30 s). */
  reachableMs: number;
  /** Interval between ARP requests while resolving (retrans_time: 1 s); also the rate limit. */
  retransMs: number;
  /** Requests sent before giving up (mcast_solicit: 3). */
  probes: number;
  /** Bytes of packets held per unresolved neighbour (unres_qlen_bytes: 212992). */
  queueBytes: number;
  /** Hard cap on entries (gc_thresh3: 1024): bounded memory under a scan or an ARP flood. */
  maxEntries: number;
}

export const DEFAULT_NEIGHBOR_OPTIONS: NeighborOptions = {
  reachableMs: 30_000,
  retransMs: 1_000,
  probes: 3,
  queueBytes: 212_992,
  maxEntries: 1024,
};

interface Entry {
  ifindex: number;
  ip: number;
  mac: Uint8Array | null;
  /** When a resolved entry stops being trusted. */
  expires: number;
  probesSent: number;
  /** Frames (with their Ethernet header still to fill) waiting for resolution. */
  queue: Uint8Array[];
  queuedBytes: number;
  timer: Timer;
}

export interface NeighborHooks {
  sendRequest(iface: Interface, targetIp: number): void;
  /** Transmit a queued frame now that its destination MAC is known. */
  transmit(iface: Interface, frame: Uint8Array, mac: Uint8Array): void;
  /** Resolution failed; each queued frame is handed back (RFC 1122 §2.3.2.2: report to the sender). */
  unreachable(iface: Interface, frame: Uint8Array): void;
}

/**
 * The ARP neighbour cache (RFC 826, RFC 1122 §2.3.2): resolved entries that expire,
 * a bounded queue of packets per unresolved address, and requests rate-limited to
 * one per `retransMs` per address (RFC 1122 §2.3.2.1 "MUST prevent ARP flooding").
 */
export class NeighborCache {
  private entries = new Map<number, Entry>();
  /** The entry send() found last and its key (-1: none): a host talking to one neighbour skips the lookup. */
  private lastKey = -1;
  private lastEntry: Entry | undefined = undefined;
  readonly opts: NeighborOptions;

  constructor(
    private readonly scheduler: TimerScheduler,
    private readonly counters: Counters,
    private readonly hooks: NeighborHooks,
    private readonly ifaces: (index: number) => Interface | undefined,
    opts?: Partial<NeighborOptions>,
  ) {
    this.opts = { ...DEFAULT_NEIGHBOR_OPTIONS, ...opts };
  }

  private static key(ifindex: number, ip: number): number {
    return ifindex * 0x1_0000_0000 + ip;
  }

  /** The MAC for `ip` on `iface` when known and fresh, else null. */
  lookup(iface: Interface, ip: number): Uint8Array | null {
    const e = this.entries.get(NeighborCache.key(iface.index, ip));
    if (!e || !e.mac) return null;
    if (e.expires <= this.scheduler.now()) return null;
    return e.mac;
  }

  /**
   * Sends `frame` to `ip` once resolved: at once when the entry is fresh, otherwise
   * queued (bounded) while ARP requests go out.
   */
  send(iface: Interface, ip: number, frame: Uint8Array): void {
    const k = NeighborCache.key(iface.index, ip);
    let e: Entry | undefined;
    if (k === this.lastKey) {
      e = this.lastEntry;
    } else {
      e = this.entries.get(k);
      if (e !== undefined) {
        this.lastKey = k;
        this.lastEntry = e;
      }
    }
    const now = this.scheduler.now();
    if (e && e.mac && e.expires > now) {
      this.hooks.transmit(iface, frame, e.mac);
      return;
    }
    if (!e) {
      const created = this.create(k, iface.index, ip);
      if (!created) {
        // Linux neigh_create fails past gc_thresh3 and ip_finish_output2 drops the packet.
        this.counters.arp.tableOverflows++;
        return;
      }
      e = created;
    }
    if (e.queuedBytes + frame.length > this.opts.queueBytes) {
      // Linux drops the oldest queued packet to make room (neigh_resolve_output / __neigh_event_send).
      while (e.queue.length && e.queuedBytes + frame.length > this.opts.queueBytes) {
        const old = e.queue.shift()!;
        e.queuedBytes -= old.length;
        this.counters.arp.queueDrops++;
      }
      if (frame.length > this.opts.queueBytes) {
        this.counters.arp.queueDrops++;
        return;
      }
    }
    e.queue.push(frame);
    e.queuedBytes += frame.length;
    if (!e.timer.armed) {
      // A stale entry being re-resolved, or a new one: probe now.
      e.probesSent = 0;
      this.probe(e, iface);
    } else {
      this.counters.arp.rateLimited++;
    }
  }

  /**
   * A new INCOMPLETE entry, or null when the table is full of entries still resolving.
   * At the cap, like Linux's neigh_forced_gc, entries nobody waits on are dropped first:
   * every expired one, else the oldest resolved one (it is simply re-resolved when needed).
   */
  private create(k: number, ifindex: number, ip: number): Entry | null {
    if (this.entries.size >= this.opts.maxEntries && !this.collect()) return null;
    const e: Entry = { ifindex, ip, mac: null, expires: 0, probesSent: 0, queue: [], queuedBytes: 0, timer: null! };
    e.timer = new Timer(() => this.retransmit(e), true);
    this.entries.set(k, e);
    return e;
  }

  /** Drops the entry under `k` (and send()'s memory of it). */
  private remove(k: number): void {
    this.entries.delete(k);
    if (k === this.lastKey) {
      this.lastKey = -1;
      this.lastEntry = undefined;
    }
  }

  /** Frees room for one entry; false when every entry is still resolving. */
  private collect(): boolean {
    const now = this.scheduler.now();
    let oldest: number | null = null;
    let freed = false;
    for (const [k, e] of this.entries) {
      if (!e.mac || e.timer.armed) continue;
      if (e.expires <= now) {
        this.remove(k);
        freed = true;
      } else if (oldest === null) {
        oldest = k;
      }
    }
    if (!freed && oldest !== null) {
      this.remove(oldest);
      freed = true;
    }
    return freed;
  }

  private probe(e: Entry, iface: Interface): void {
    e.probesSent++;
    this.counters.arp.outRequests++;
    this.hooks.sendRequest(iface, e.ip);
    this.scheduler.armIn(e.timer, this.opts.retransMs);
  }

  private retransmit(e: Entry): void {
    const iface = this.ifaces(e.ifindex);
    if (!iface) {
      this.remove(NeighborCache.key(e.ifindex, e.ip));
      return;
    }
    if (e.mac && e.expires > this.scheduler.now()) return; // resolved meanwhile
    if (e.probesSent < this.opts.probes) {
      this.probe(e, iface);
      return;
    }
    // Resolution failed: drop the entry and report every queued packet.
    this.counters.arp.resolveFailures++;
    this.remove(NeighborCache.key(e.ifindex, e.ip));
    const q = e.queue;
    e.queue = [];
    e.queuedBytes = 0;
    for (const f of q) this.hooks.unreachable(iface, f);
  }

  /**
   * Records `ip` -> `mac` learned from an ARP packet. `create` is true for a request
   * addressed to us (RFC 826: "merge flag" — existing entries are always updated, new ones
   * only created when we are the target; like Linux, not for unsolicited replies).
   */
  learn(iface: Interface, ip: number, mac: Uint8Array, create: boolean): void {
    const k = NeighborCache.key(iface.index, ip);
    let e = this.entries.get(k);
    if (!e) {
      if (!create) return;
      const created = this.create(k, iface.index, ip);
      if (!created) {
        this.counters.arp.tableOverflows++;
        return;
      }
      e = created;
    }
    e.mac = mac.slice(0, 6);
    e.expires = this.scheduler.now() + this.opts.reachableMs;
    this.scheduler.disarm(e.timer);
    const q = e.queue;
    e.queue = [];
    e.queuedBytes = 0;
    for (const f of q) this.hooks.transmit(iface, f, e.mac);
  }

  /** Drops every entry of an interface (address change, link down). */
  flush(ifindex?: number): void {
    for (const [k, e] of this.entries) {
      if (ifindex === undefined || e.ifindex === ifindex) {
        this.scheduler.disarm(e.timer);
        this.remove(k);
      }
    }
  }

  /** `ip neigh`-style rows. */
  list(): Array<{ ifindex: number; ip: number; mac: Uint8Array | null; state: 'REACHABLE' | 'STALE' | 'INCOMPLETE' }> {
    const now = this.scheduler.now();
    return [...this.entries.values()].map((e) => ({
      ifindex: e.ifindex,
      ip: e.ip,
      mac: e.mac,
      state: e.mac ? (e.expires > now ? 'REACHABLE' : 'STALE') : 'INCOMPLETE',
    }));
  }

  /** Timers and queued frames held, for leak checks. */
  get size(): number {
    return this.entries.size;
  }
}

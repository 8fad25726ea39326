import { prefixMask, formatIPv4 } from '../wire/address.js';

export interface Route {
  /** Destination network (uint32) and prefix length. */
  network: number;
  prefix: number;
  /** Next hop, or 0 for a directly connected network. */
  gateway: number;
  /** Index of the outgoing interface in the host's interface list. */
  ifindex: number;
  metric: number;
}

/**
 * The IPv4 routing table: longest prefix wins, then lowest metric (RFC 1812 §5.2.4.3).
 * Small tables are the norm here, so a list sorted by prefix length is fast enough and
 * easy to print like `ip route`.
 */
export class RouteTable {
  private routes: Route[] = [];

  add(r: Route): void {
    const mask = prefixMask(r.prefix);
    const route = { ...r, network: (r.network & mask) >>> 0 };
    this.routes = this.routes.filter(
      (x) => !(x.network === route.network && x.prefix === route.prefix && x.ifindex === route.ifindex && x.gateway === route.gateway),
    );
    this.routes.push(route);
    this.routes.sort((a, b) => b.prefix - a.prefix || a.metric - b.metric);
  }

  remove(network: number, prefix: number): number {
    const mask = prefixMask(prefix);
    const before = this.routes.length;
    this.routes = this.routes.filter((x) => !(x.network === ((network & mask) >>> 0) && x.prefix === prefix));
    return before - this.routes.length;
  }

  lookup(dst: number): Route | null {
    for (const r of this.routes) {
      if (((dst & prefixMask(r.prefix)) >>> 0) === r.network) return r;
    }
    return null;
  }

  list(): readonly Route[] {
    return this.routes;
  }

  /** `ip route`-style lines; `ifname` maps an index to a name. */
  format(ifname: (i: number) => string): string[] {
    return this.routes.map((r) => {
      const dst = r.prefix === 0 ? 'default' : `${formatIPv4(r.network)}/${r.prefix}`;
      const via = r.gateway ? ` via ${formatIPv4(r.gateway)}` : '';
      const metric = r.metric ? ` metric ${r.metric}` : '';
      return `${dst}${via} dev ${ifname(r.ifindex)}${r.gateway ? '' : ' scope link'}${metric}`;
    });
  }
}

/** One learnt path MTU (Linux's fib_nh_exception): the MTU, whether it is locked, and when it expires (ms). */
export interface PmtuEntry {
  mtu: number;
  /**
   * Learnt below min_pmtu and raised to it (Linux __ip_rt_update_pmtu "lock"): datagrams to
   * this destination go without DF, so routers fragment them instead of answering again.
   */
  locked: boolean;
  expires: number;
}

/**
 * The path MTU cache (RFC 1191 §5, §6.3): what ICMP "fragmentation needed" taught this host,
 * per destination address, each entry aged out after its expiry time (Linux ip_rt_mtu_expires,
 * 10 minutes). Expiry is lazy: an entry past its time is dropped when looked up, so no timer
 * runs. Bounded: when full, the entry learnt longest ago makes room (a Map keeps insertion
 * order), so a flood of forged errors for many addresses cannot grow it.
 */
export class PmtuCache {
  private readonly map = new Map<number, PmtuEntry>();
  /** Entries dropped because they expired (seen at lookup). */
  expired = 0;

  constructor(readonly capacity = 4096) {}

  get size(): number {
    return this.map.size;
  }

  /** The fresh entry for `dst`, or null (an expired one is removed on the way). */
  lookup(dst: number, now: number): PmtuEntry | null {
    const e = this.map.get(dst);
    if (e === undefined) return null;
    if (now >= e.expires) {
      this.map.delete(dst);
      this.expired++;
      return null;
    }
    return e;
  }

  /** Records `mtu` for `dst` until `expires` (replacing any entry; a new one may evict the oldest). */
  set(dst: number, mtu: number, locked: boolean, expires: number): void {
    if (this.map.has(dst)) this.map.delete(dst);
    else if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(dst, { mtu, locked, expires });
  }

  delete(dst: number): boolean {
    return this.map.delete(dst);
  }

  clear(): void {
    this.map.clear();
  }

  /** `ip route show cache`-style lines for the entries still fresh at `now`. */
  format(now: number): string[] {
    const lines: string[] = [];
    for (const [dst, e] of this.map) {
      if (now >= e.expires) continue;
      lines.push(`${formatIPv4(dst)} cache expires ${Math.ceil((e.expires - now) / 1000)}sec mtu ${e.locked ? 'lock ' : ''}${e.mtu}`);
    }
    return lines;
  }
}

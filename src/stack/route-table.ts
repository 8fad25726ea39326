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

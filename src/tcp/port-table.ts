import type { TcpEndpoint } from './tcp-endpoint.js';

/**
 * The port table (Linux bhash): the endpoints holding each local port (bound, listening,
 * connected, TIME-WAIT). Most ports are held by one endpoint (a client's ephemeral port), so a
 * lone endpoint is stored as itself; only a port several share gets an array.
 */
export class PortTable {
  private readonly ports = new Map<number, TcpEndpoint | TcpEndpoint[]>();

  /** Some endpoint holds `port`. */
  has(port: number): boolean {
    return this.ports.has(port);
  }

  add(ep: TcpEndpoint, port: number): void {
    const held = this.ports.get(port);
    if (held === undefined) this.ports.set(port, ep);
    else if (Array.isArray(held)) held.push(ep);
    else this.ports.set(port, [held, ep]);
  }

  remove(ep: TcpEndpoint, port: number): void {
    const held = this.ports.get(port);
    if (held === ep) {
      this.ports.delete(port);
    } else if (Array.isArray(held)) {
      const i = held.indexOf(ep);
      if (i >= 0) held.splice(i, 1);
      if (held.length === 1) this.ports.set(port, held[0]!);
    }
  }

  /** Whether `test` holds for an endpoint on `port` (in the order they took it). */
  some(port: number, test: (ep: TcpEndpoint) => boolean): boolean {
    const held = this.ports.get(port);
    if (held === undefined) return false;
    if (!Array.isArray(held)) return test(held);
    for (const ep of held) if (test(ep)) return true;
    return false;
  }

  /** Every endpoint, port by port. */
  *values(): IterableIterator<TcpEndpoint> {
    for (const held of this.ports.values()) {
      if (Array.isArray(held)) yield* held;
      else yield held;
    }
  }
}

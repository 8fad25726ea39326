import type { Counters } from '../stack/counters.js';

const PREFIX: Record<keyof Counters, string> = { link: 'Link', arp: 'Arp', ip: 'Ip', icmp: 'Icmp', udp: 'Udp', raw: 'Raw', tcp: 'Tcp' };

/**
 * Counters as `nstat` prints them: one `ProtoCounter value` line per non-zero counter
 * (IpInReceives, UdpNoPorts, …), so the interesting ones stand out.
 */
export function formatCounters(c: Counters, all = false): string {
  const lines: string[] = [];
  for (const proto of Object.keys(c) as Array<keyof Counters>) {
    const group = c[proto] as Record<string, number>;
    for (const [k, v] of Object.entries(group)) {
      if (v === 0 && !all) continue;
      const name = PREFIX[proto] + k[0]!.toUpperCase() + k.slice(1);
      lines.push(`${name.padEnd(28)} ${v}`);
    }
  }
  return lines.join('\n');
}

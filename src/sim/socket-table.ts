import { formatIPv4 } from '../wire/address.js';
import type { Host } from './host.js';
import { ssStateName, TcpState } from '../tcp/state.js';
import type { TcpEndpoint } from '../tcp/tcp-endpoint.js';

/** One row of the socket table, in the columns of `ss -an`. */
export interface SocketRow {
  netid: 'udp' | 'raw' | 'tcp';
  state: string;
  recvQ: number;
  sendQ: number;
  local: string;
  peer: string;
  /** Owning process and descriptor, like `ss -p`'s users:(("name",fd=3)). */
  process: string;
}

export interface TableOptions {
  /** Only these kinds (default: all). */
  netids?: ReadonlyArray<SocketRow['netid']>;
  /** Include the Process column (default true). */
  processes?: boolean;
}

function hostPort(addr: number, port: number | '*'): string {
  return `${formatIPv4(addr)}:${port}`;
}

/**
 * Collects the socket table of `host`: UDP and raw sockets from every process's descriptors,
 * TCP from the layer's tables, so orphaned and TIME-WAIT connections appear as in `ss -tan`.
 */
export function socketTable(host: Host): SocketRow[] {
  const rows: SocketRow[] = [];
  const owners = new Map<TcpEndpoint, string>();
  for (const proc of host.processes) {
    for (const [fd, s] of proc.sockets.openSockets()) {
      const who = `("${proc.name}",fd=${fd})`;
      const e = s.endpoint;
      if (e.kind === 'tcp') {
        owners.set(e.ep, who);
      } else if (e.kind === 'udp') {
        const ep = e.ep;
        if (ep.localPort === 0) continue; // not yet in the port table: ss does not list it
        rows.push({
          netid: 'udp',
          state: ep.connected ? 'ESTAB' : 'UNCONN',
          recvQ: ep.queue.bytes,
          sendQ: 0,
          local: hostPort(ep.localAddr, ep.localPort),
          peer: ep.connected ? hostPort(ep.remoteAddr, ep.remotePort) : '0.0.0.0:*',
          process: who,
        });
      } else {
        const ep = e.ep;
        rows.push({
          netid: 'raw',
          state: ep.remoteAddr ? 'ESTAB' : 'UNCONN',
          recvQ: ep.queue.bytes,
          sendQ: 0,
          local: hostPort(ep.localAddr, ep.protocol),
          peer: ep.remoteAddr ? hostPort(ep.remoteAddr, '*') : '0.0.0.0:*',
          process: who,
        });
      }
    }
  }
  for (const ep of host.tcp.endpoints()) {
    if (ep.state === TcpState.CLOSED) continue;
    const listening = ep.state === TcpState.LISTEN;
    const connected = !listening && ep.remotePort !== 0;
    rows.push({
      netid: 'tcp',
      state: ssStateName(ep.state),
      // ss: a listener shows its accept queue and backlog; a connection its unread and unacknowledged bytes.
      recvQ: listening ? ep.listenQueues!.acceptQueue.length : ep.recvBuf.length,
      sendQ: listening ? ep.listenQueues!.backlog : ep.sendBuf.length,
      local: hostPort(ep.localAddr, ep.localPort),
      peer: connected ? hostPort(ep.remoteAddr, ep.remotePort) : '0.0.0.0:*',
      process: owners.get(ep) ?? '',
    });
  }
  return rows;
}

/** Formats rows as `ss -an` does: left-aligned columns, numbers right-aligned. */
export function formatSocketTable(rows: readonly SocketRow[], opts: TableOptions = {}): string {
  const shown = opts.netids ? rows.filter((r) => opts.netids!.includes(r.netid)) : rows;
  const withProc = opts.processes ?? true;
  const head = ['Netid', 'State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port'];
  if (withProc) head.push('Process');
  const table = [head, ...shown.map((r) => {
    const cols = [r.netid, r.state, String(r.recvQ), String(r.sendQ), r.local, r.peer];
    if (withProc) cols.push(r.process ? `users:(${r.process})` : '');
    return cols;
  })];
  const widths = head.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table
    .map((row) => row.map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' ').trimEnd())
    .join('\n');
}

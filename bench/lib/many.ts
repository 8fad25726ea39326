import type { Host, SocketApi } from '../../src/index.js';
import { ss } from './stack.js';
import { listenTcp, SERVER } from './sockstack.js';

/**
 * Descriptors per process: sockstack's default RLIMIT_NOFILE (1024) less stdin/out/err and a
 * listener. A process's descriptor table finds the lowest free slot by a linear scan (as a
 * naive Unix would), so one process with 10^5-10^6 descriptors costs O(n^2); workers of
 * ~1,000 descriptors each, like a pre-fork server, keep opening linear. Each server worker
 * listens on its own port (SO_REUSEPORT does not balance here).
 */
export const FDS_PER_PROCESS = 1020;
const FIRST_PORT = 1024;

/** One worker pair: a client process and a server process with the descriptors of their connections. */
export interface Group {
  client: SocketApi;
  server: SocketApi;
  /** Off-heap (typed arrays), so keeping them costs the measured JS heap next to nothing. */
  clientFds: Int32Array;
  serverFds: Int32Array;
}

export interface OpenManyResult {
  opened: number;
  ms: number;
  processes: number;
  /** Why opening stopped before `n`, or null. */
  stopped: string | null;
  groups: Group[];
}

export interface OpenManyOptions {
  /** Called after each group with the total so far. */
  onGroup?(opened: number, ms: number): void;
  /** Checked before each group: a reason to stop, or null to go on. */
  shouldStop?(opened: number, ms: number): string | null;
}

/**
 * Opens n established TCP connections a -> b (client: one address, ephemeral ports; server:
 * accept()ed descriptors) in groups of FDS_PER_PROCESS, one client and one server process
 * per group. Call inside net.run().
 */
export async function openMany(a: Host, b: Host, n: number, o: OpenManyOptions = {}): Promise<OpenManyResult> {
  const groups: Group[] = [];
  let opened = 0;
  let stopped: string | null = null;
  const t0 = performance.now();
  for (let g = 0; opened < n; g++) {
    const why = o.shouldStop?.(opened, performance.now() - t0) ?? null;
    if (why) {
      stopped = why;
      break;
    }
    if (FIRST_PORT + g > 65535) {
      stopped = 'ran out of server ports (one listener per worker process)';
      break;
    }
    const k = Math.min(FDS_PER_PROCESS, n - opened);
    const sp = b.process().sockets;
    const cp = a.process().sockets;
    const grp: Group = { client: cp, server: sp, clientFds: new Int32Array(k), serverFds: new Int32Array(k) };
    const port = FIRST_PORT + g;
    const lfd = listenTcp(sp, port, 4096);
    const accepting = (async () => {
      for (let i = 0; i < k; i++) grp.serverFds[i] = (await sp.accept(lfd))[0];
    })();
    const connecting: Promise<void>[] = [];
    for (let i = 0; i < k; i++) {
      const fd = cp.socket(ss.AF_INET, ss.SOCK_STREAM, 0);
      grp.clientFds[i] = fd;
      connecting.push(cp.connect(fd, { address: SERVER, port }));
    }
    await Promise.all(connecting);
    await accepting;
    groups.push(grp);
    opened += k;
    o.onGroup?.(opened, performance.now() - t0);
  }
  return { opened, ms: performance.now() - t0, processes: groups.length * 2, stopped, groups };
}

/** Bytes of send/receive storage the host's TCP endpoints hold (0 when allocated lazily and idle). */
export function bufferStorage(h: Host): { endpoints: number; bytes: number } {
  let bytes = 0;
  const eps = h.tcp.endpoints();
  for (const ep of eps) bytes += ep.sendBuf.allocated + ep.recvBuf.allocated;
  return { endpoints: eps.length, bytes };
}

import type { Host, Network, SocketApi } from '../../src/index.js';
import { ss } from './stack.js';

export interface PairOptions {
  seed?: number;
  mtu?: number;
  /** Mark the segment's ports as offloading TCP/UDP checksums (Linux loopback does). */
  checksumOffload?: boolean;
}

/** Two hosts on one segment under virtual time: a = 10.0.0.1 (client), b = 10.0.0.2 (server). */
export function pair(o: PairOptions = {}): { net: Network; a: Host; b: Host } {
  const net = new ss.Network({ seed: o.seed ?? 1, link: { mtu: o.mtu ?? 1500 } });
  net.segment().checksumOffload = o.checksumOffload ?? false;
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  return { net, a, b };
}

export const SERVER = '10.0.0.2';

/** socket/SO_REUSEADDR/bind/listen: a listening descriptor on 0.0.0.0:port. */
export function listenTcp(s: SocketApi, port: number, backlog: number): number {
  const fd = s.socket(ss.AF_INET, ss.SOCK_STREAM, 0);
  s.setsockopt(fd, ss.SOL_SOCKET, ss.SO_REUSEADDR, 1);
  s.bind(fd, { address: '0.0.0.0', port });
  s.listen(fd, backlog);
  return fd;
}

/** Reads exactly n bytes (fewer only at EOF); returns how many arrived. */
export async function recvExactly(s: SocketApi, fd: number, n: number): Promise<number> {
  let got = 0;
  while (got < n) {
    const d = await s.recv(fd, n - got);
    if (d.length === 0) break;
    got += d.length;
  }
  return got;
}

/** One established connection a -> b:port (b at `server`) with both descriptors; a and b may be one host. */
export async function connectPair(a: Host, b: Host, port: number, server = SERVER): Promise<{ cfd: number; sfd: number; lfd: number }> {
  const lfd = listenTcp(b.sockets, port, 16);
  const accepting = b.sockets.accept(lfd);
  const cfd = a.sockets.socket(ss.AF_INET, ss.SOCK_STREAM, 0);
  await a.sockets.connect(cfd, { address: server, port });
  const [sfd] = await accepting;
  return { cfd, sfd, lfd };
}

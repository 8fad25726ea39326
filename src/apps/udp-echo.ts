import type { SocketApi } from '../socket/socket-api.js';
import type { SockAddr } from '../socket/sockaddr.js';
import { AF_INET, SOCK_DGRAM, SOL_SOCKET, SO_RCVTIMEO, SO_REUSEADDR } from '../socket/constants.js';
import { SocketError } from '../stack/errno.js';

export interface EchoServer {
  readonly fd: number;
  /** Datagrams echoed so far. */
  readonly served: number;
  /** Closes the socket; the serving loop ends. */
  stop(): Promise<void>;
  /** Settles when the serving loop has ended. */
  readonly done: Promise<void>;
}

/**
 * The UDP echo service (RFC 862): every datagram goes back to its sender. Runs until stopped;
 * `log` receives one line per datagram in the manner of the classic textbook server.
 */
export function udpEchoServer(api: SocketApi, bindTo: SockAddr, log: (line: string) => void = () => {}): EchoServer {
  const fd = api.socket(AF_INET, SOCK_DGRAM, 0);
  api.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  api.bind(fd, bindTo);
  let served = 0;
  const done = (async () => {
    for (;;) {
      let data: Uint8Array;
      let from: SockAddr;
      try {
        [data, from] = await api.recvfrom(fd, 65535);
      } catch (e) {
        if (e instanceof SocketError && e.code === 'EBADF') return; // stopped
        throw e;
      }
      log(`received ${data.length} bytes from ${from.address}:${from.port}, echoing`);
      await api.sendto(fd, data, 0, from);
      served++;
    }
  })();
  return {
    fd,
    get served() {
      return served;
    },
    stop: () => api.close(fd),
    done,
  };
}

export interface RequestOptions {
  /** How long to wait for each answer (SO_RCVTIMEO). */
  timeoutMs: number;
  /** Tries in all, the first included. */
  attempts: number;
  log: (line: string) => void;
}

/**
 * A UDP client that does what UDP will not: waits with a timeout and retransmits.
 * Resolves to the reply, or null when every attempt timed out.
 */
export async function udpRequest(api: SocketApi, server: SockAddr, message: Uint8Array, o: Partial<RequestOptions> = {}): Promise<Uint8Array | null> {
  const opts: RequestOptions = { timeoutMs: 1000, attempts: 5, log: () => {}, ...o };
  const fd = api.socket(AF_INET, SOCK_DGRAM, 0);
  try {
    api.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: Math.floor(opts.timeoutMs / 1000), tv_usec: (opts.timeoutMs % 1000) * 1000 });
    for (let attempt = 1; attempt <= opts.attempts; attempt++) {
      const t0 = api.now();
      await api.sendto(fd, message, 0, server);
      for (;;) {
        try {
          const [reply, from] = await api.recvfrom(fd, 65535);
          if (from.address !== server.address || from.port !== server.port) continue; // not our server
          opts.log(`attempt ${attempt}: reply after ${(api.now() - t0).toFixed(1)} ms`);
          return reply;
        } catch (e) {
          if (!(e instanceof SocketError) || e.code !== 'EAGAIN') throw e;
          opts.log(`attempt ${attempt}: no reply within ${opts.timeoutMs} ms${attempt < opts.attempts ? ', sending again' : ', giving up'}`);
          break;
        }
      }
    }
    return null;
  } finally {
    await api.close(fd);
  }
}

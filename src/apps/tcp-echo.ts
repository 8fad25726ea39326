import type { SocketApi } from '../socket/socket-api.js';
import type { SockAddr } from '../socket/sockaddr.js';
import { AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, SHUT_WR, MSG_NOSIGNAL } from '../socket/constants.js';
import { SocketError } from '../stack/errno.js';

export interface TcpEchoServerOptions {
  /** Local address to bind (default 0.0.0.0, INADDR_ANY). */
  address: string;
  /** listen() backlog (default 5, as the textbook servers use). */
  backlog: number;
  /** Bytes asked for per read() (default 1024, the textbook's recv(1024)). */
  readSize: number;
  /** Receives one line per event, in the manner of the textbook server's prints. */
  log: (line: string) => void;
}

export interface TcpEchoServer {
  /** The listening descriptor. */
  readonly fd: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections served to the end (EOF or error) so far. */
  readonly finished: number;
  /** Bytes echoed so far, over all connections. */
  readonly echoed: number;
  /**
   * Closes the listening socket, which ends the accept loop. Connections already accepted
   * are served until their clients finish; `done` waits for them.
   */
  stop(): Promise<void>;
  /** Settles when the accept loop and every connection task have ended. */
  readonly done: Promise<void>;
}

/** "10.0.0.1:40000" */
/**
 * A listening TCP socket on address:port, the way servers open one: SO_REUSEADDR, so a
 * restart does not fail on old connections lingering in TIME-WAIT, then bind and listen.
 * `typeFlags` may add SOCK_NONBLOCK. The descriptor is closed again if a step fails.
 */
export function listenTcp(api: SocketApi, address: string, port: number, backlog: number, typeFlags: number): number {
  const lfd = api.socket(AF_INET, SOCK_STREAM | typeFlags, 0);
  try {
    api.setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, 1);
    api.bind(lfd, { address, port });
    api.listen(lfd, backlog);
  } catch (e) {
    void api.close(lfd);
    throw e;
  }
  return lfd;
}

export function formatAddr(a: SockAddr): string {
  return `${a.address}:${a.port}`;
}

/**
 * Writes all of `data`, like Python's sendall(): send() may accept less than asked (a
 * non-blocking socket, or a signal in C), so loop until every byte is queued.
 * MSG_NOSIGNAL: a peer that has gone answers EPIPE instead of killing the process.
 */
export async function sendAll(api: SocketApi, fd: number, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const n = await api.send(fd, off === 0 ? data : data.subarray(off), MSG_NOSIGNAL);
    off += n;
  }
}

/**
 * The TCP echo service (RFC 862) as the classic concurrent server: socket, bind, listen, then
 * an accept loop that hands each connection to its own task (the "thread per client" of the
 * textbooks), which reads and writes back until the client's EOF, then closes.
 */
export function tcpEchoServer(api: SocketApi, port: number, o: Partial<TcpEchoServerOptions> = {}): TcpEchoServer {
  const opts: TcpEchoServerOptions = { address: '0.0.0.0', backlog: 5, readSize: 1024, log: () => {}, ...o };
  const log = opts.log;
  const lfd = listenTcp(api, opts.address, port, opts.backlog, 0);
  let stopping = false;
  let accepted = 0;
  let finished = 0;
  let echoed = 0;
  const tasks = new Set<Promise<void>>();

  /** One client, served to its end: what a thread per connection would do. */
  const serve = async (fd: number, peer: SockAddr): Promise<void> => {
    const who = formatAddr(peer);
    let total = 0;
    try {
      for (;;) {
        const data = await api.read(fd, opts.readSize);
        if (data.length === 0) break; // orderly EOF: the client shut down its sending side
        await sendAll(api, fd, data);
        total += data.length;
        echoed += data.length;
        log(`echoed ${data.length} bytes to ${who}`);
      }
      log(`${who} sent EOF after ${total} bytes; closing fd ${fd}`);
    } catch (e) {
      if (!(e instanceof SocketError)) throw e;
      log(`${who}: ${e.code} after ${total} bytes; closing fd ${fd}`);
    } finally {
      finished++;
      await api.close(fd).catch(() => {});
    }
  };

  const loop = (async () => {
    for (;;) {
      let conn: number;
      let peer: SockAddr;
      try {
        [conn, peer] = await api.accept(lfd);
      } catch (e) {
        if (stopping) return; // the listener was closed under us: EBADF / EINVAL
        if (e instanceof SocketError && (e.code === 'ECONNABORTED' || e.code === 'EMFILE')) {
          log(`accept() failed: ${e.code}; still listening`);
          continue;
        }
        throw e;
      }
      accepted++;
      log(`accept() = ${conn}: connection from ${formatAddr(peer)}`);
      const t = serve(conn, peer);
      tasks.add(t);
      void t.finally(() => tasks.delete(t));
    }
  })();

  const done = (async () => {
    await loop;
    while (tasks.size > 0) await Promise.all([...tasks]);
  })();

  return {
    fd: lfd,
    get accepted() {
      return accepted;
    },
    get finished() {
      return finished;
    },
    get echoed() {
      return echoed;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      await api.close(lfd);
    },
    done,
  };
}

export interface TcpEchoClientOptions {
  /** Bytes asked for per read() (default 1024). */
  readSize: number;
  /** Receives one line per step (connect, send, shutdown, each read, close). */
  log: (line: string) => void;
}

/**
 * The echo client: connect, send everything, shutdown(SHUT_WR) so the server sees EOF once it
 * has read it all, read until our own EOF, close. Resolves to the bytes echoed back; rejects
 * with the SocketError of the call that failed (the socket is closed either way).
 */
export async function tcpEchoClient(
  api: SocketApi,
  address: string,
  port: number,
  message: Uint8Array,
  o: Partial<TcpEchoClientOptions> = {},
): Promise<Uint8Array> {
  const opts: TcpEchoClientOptions = { readSize: 1024, log: () => {}, ...o };
  const log = opts.log;
  const fd = api.socket(AF_INET, SOCK_STREAM, 0);
  try {
    const t0 = api.now();
    await api.connect(fd, { address, port });
    const local = api.getsockname(fd);
    log(`connect(${address}:${port}) = 0 after ${(api.now() - t0).toFixed(1)} ms (local port ${local.port})`);
    await sendAll(api, fd, message);
    log(`sendall(${message.length} bytes)`);
    api.shutdown(fd, SHUT_WR);
    log('shutdown(SHUT_WR): no more data from us');
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const data = await api.read(fd, opts.readSize);
      if (data.length === 0) break;
      chunks.push(data);
      total += data.length;
      log(`read() = ${data.length} bytes`);
    }
    log(`read() = 0: EOF, the server has closed its side (${total} bytes echoed)`);
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  } finally {
    await api.close(fd).catch(() => {});
  }
}

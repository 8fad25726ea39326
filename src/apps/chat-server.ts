import type { SocketApi } from '../socket/socket-api.js';
import type { SockAddr } from '../socket/sockaddr.js';
import {
  AF_INET, SOCK_STREAM, SOCK_NONBLOCK, SOL_SOCKET, SO_LINGER, SHUT_WR,
  MSG_DONTWAIT, MSG_NOSIGNAL,
} from '../socket/constants.js';
import { SocketError } from '../stack/errno.js';
import { formatAddr, listenTcp, sendAll } from './tcp-echo.js';
import { utf8Decode, utf8Encode } from './utf8.js';

export interface ChatServerOptions {
  address: string;
  backlog: number;
  /** A line longer than this without a newline is cut and delivered as it is. */
  maxLine: number;
  /** Output waiting for a slow client beyond this is too much: the client is dropped. */
  maxQueued: number;
  /** One line per event (join, message, leave). */
  log: (line: string) => void;
}

export interface ChatServer {
  readonly fd: number;
  /** Names ("address:port") of the clients connected now, in arrival order. */
  clients(): string[];
  /** Lines broadcast so far. */
  readonly messages: number;
  /** Closes the listening socket and every client; the select() loop ends. */
  stop(): Promise<void>;
  /** Settles when the loop has ended. */
  readonly done: Promise<void>;
}

interface Client {
  fd: number;
  name: string;
  /** Bytes of an unfinished line (TCP is a byte stream: a line may come in pieces). */
  partial: Uint8Array;
  /** Bytes waiting for the socket to become writable. */
  outbox: Uint8Array[];
  queued: number;
}

const enc = { encode: utf8Encode };
const dec = { decode: utf8Decode };
const NL = 0x0a;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The select() chat server of the socket textbooks: one process, one thread, no blocking call
 * except select(). The listening socket and every client socket sit in the read set; a readable
 * listener means a connection to accept, a readable client means data, EOF or an error. Each
 * complete line a client sends goes to every other client as "[address:port] line"; joins and
 * leaves are announced with "* ". Output that does not fit a client's send buffer waits in its
 * outbox, and the client sits in the write set until it drains (never block on one slow client).
 */
export function chatServer(api: SocketApi, port: number, o: Partial<ChatServerOptions> = {}): ChatServer {
  const opts: ChatServerOptions = { address: '0.0.0.0', backlog: 5, maxLine: 1024, maxQueued: 65536, log: () => {}, ...o };
  const log = opts.log;
  // Non-blocking listener: a connection select() reported may be gone by the time we accept
  // (reset while queued), and accept() must then fail with EAGAIN instead of blocking the loop.
  const lfd = listenTcp(api, opts.address, port, opts.backlog, SOCK_NONBLOCK);
  const clients = new Map<number, Client>(); // by fd; Map keeps arrival order
  let stopping = false;
  let messages = 0;

  const queue = (c: Client, text: string): void => {
    const bytes = enc.encode(text);
    c.outbox.push(bytes);
    c.queued += bytes.length;
  };

  const broadcast = (from: Client | null, text: string): number => {
    let n = 0;
    for (const c of clients.values()) {
      if (c === from) continue;
      queue(c, text);
      n++;
    }
    return n;
  };

  const drop = async (c: Client, why: string): Promise<void> => {
    if (!clients.delete(c.fd)) return;
    log(`${c.name} ${why}`);
    await api.close(c.fd).catch(() => {});
    broadcast(null, `* ${c.name} left (${why})\n`);
  };

  const acceptOne = async (): Promise<void> => {
    let fd: number;
    let peer: SockAddr;
    try {
      [fd, peer] = await api.accept(lfd);
    } catch (e) {
      // Gone before we got to it (EAGAIN), aborted (ECONNABORTED), out of descriptors: keep serving.
      if (e instanceof SocketError) {
        log(`accept() failed: ${e.code}`);
        return;
      }
      throw e;
    }
    const c: Client = { fd, name: formatAddr(peer), partial: new Uint8Array(0), outbox: [], queued: 0 };
    const others = clients.size;
    clients.set(fd, c);
    log(`${c.name} connected (fd ${fd})`);
    queue(c, `* Welcome, ${c.name}! ${others === 0 ? 'Nobody else is here yet.' : `${others} other${others === 1 ? ' is' : 's are'} here.`}\n`);
    broadcast(c, `* ${c.name} joined\n`);
  };

  /** Splits complete lines off the client's bytes and broadcasts each. */
  const lines = (c: Client, data: Uint8Array): void => {
    const buf = concat(c.partial, data);
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(NL, start);
      let end: number;
      let next: number;
      if (nl >= 0) {
        end = nl;
        next = nl + 1;
      } else if (buf.length - start >= opts.maxLine) {
        end = start + opts.maxLine; // an endless line: deliver it in pieces
        next = end;
      } else {
        break;
      }
      let line = dec.decode(buf.subarray(start, end));
      if (line.endsWith('\r')) line = line.slice(0, -1); // telnet and netcat -C send CRLF
      start = next;
      const n = broadcast(c, `[${c.name}] ${line}\n`);
      messages++;
      log(`${c.name} says "${line}" (to ${n} other${n === 1 ? '' : 's'})`);
    }
    c.partial = buf.subarray(start).slice();
  };

  const readFrom = async (c: Client): Promise<void> => {
    let data: Uint8Array;
    try {
      data = await api.recv(c.fd, 4096, MSG_DONTWAIT);
    } catch (e) {
      if (!(e instanceof SocketError)) throw e;
      if (e.code === 'EAGAIN') return; // spurious readiness
      // ECONNRESET (the client aborted), ETIMEDOUT, EHOSTUNREACH...: the client is gone.
      await drop(c, `connection error: ${e.code}`);
      return;
    }
    if (data.length === 0) {
      // A half line left at EOF is still something the client said.
      if (c.partial.length > 0) lines(c, enc.encode('\n'));
      await drop(c, 'disconnected');
      return;
    }
    lines(c, data);
  };

  const writeTo = async (c: Client): Promise<void> => {
    while (c.outbox.length > 0) {
      const head = c.outbox[0]!;
      let n: number;
      try {
        n = await api.send(c.fd, head, MSG_DONTWAIT | MSG_NOSIGNAL);
      } catch (e) {
        if (!(e instanceof SocketError)) throw e;
        if (e.code === 'EAGAIN') return; // send buffer full: wait for POLLOUT
        await drop(c, `connection error: ${e.code}`); // EPIPE, ECONNRESET
        return;
      }
      c.queued -= n;
      if (n < head.length) {
        c.outbox[0] = head.subarray(n);
        return;
      }
      c.outbox.shift();
    }
  };

  const loop = (async () => {
    while (!stopping) {
      const readSet = [lfd, ...clients.keys()];
      const writeSet: number[] = [];
      for (const c of clients.values()) if (c.outbox.length > 0) writeSet.push(c.fd);
      let readable: number[];
      let writable: number[];
      try {
        [readable, writable] = await api.select(readSet, writeSet, null, null);
      } catch (e) {
        if (stopping) return; // a descriptor was closed by stop()
        throw e;
      }
      if (stopping) return;
      for (const fd of readable) {
        if (fd === lfd) await acceptOne();
        else {
          const c = clients.get(fd);
          if (c) await readFrom(c);
        }
      }
      for (const fd of writable) {
        const c = clients.get(fd);
        if (c) await writeTo(c);
      }
      // A client that reads nothing while others talk would make us buffer without bound.
      for (const c of [...clients.values()]) if (c.queued > opts.maxQueued) await drop(c, 'too slow (output queue full)');
    }
  })();

  return {
    fd: lfd,
    clients: () => [...clients.values()].map((c) => c.name),
    get messages() {
      return messages;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      await api.close(lfd);
      for (const c of [...clients.values()]) {
        clients.delete(c.fd);
        await api.close(c.fd).catch(() => {});
      }
    },
    done: loop,
  };
}

export interface ChatClient {
  readonly fd: number;
  /** Our own address and port: the server names us "address:port" after it. */
  readonly local: SockAddr;
  /** Every line received so far, without its newline, in order. */
  readonly received: readonly string[];
  /** Settles when the server closed the connection (or it failed); the reason, if an error. */
  readonly ended: Promise<string | null>;
  /** Sends `text` followed by a newline. */
  say(text: string): Promise<void>;
  /** Sends raw bytes (for partial lines). */
  sendRaw(data: Uint8Array): Promise<void>;
  /**
   * Resolves with the first received line (from the start) containing `text`, waiting if
   * needed; rejects if the connection ends first.
   */
  waitFor(text: string): Promise<string>;
  /** Orderly goodbye: shutdown(SHUT_WR), wait for the server to close, close. */
  quit(): Promise<void>;
  /** Abortive close: SO_LINGER {on, 0} then close() sends a RST (the peer sees ECONNRESET). */
  abort(): Promise<void>;
}

/**
 * A small chat client for demos and tests: connects, then a reader task collects lines
 * (handling lines split across segments) until EOF or an error.
 */
export async function chatClient(api: SocketApi, address: string, port: number, log: (line: string) => void = () => {}): Promise<ChatClient> {
  const fd = api.socket(AF_INET, SOCK_STREAM, 0);
  try {
    await api.connect(fd, { address, port });
  } catch (e) {
    await api.close(fd).catch(() => {});
    throw e;
  }
  const local = api.getsockname(fd);
  const received: string[] = [];
  const waiters: Array<{ text: string; resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  let closed = false;
  let over = false;
  const ended = (async (): Promise<string | null> => {
    let partial = new Uint8Array(0);
    try {
      for (;;) {
        const data = await api.recv(fd, 4096);
        if (data.length === 0) return null;
        const buf = concat(partial, data);
        let start = 0;
        for (let nl = buf.indexOf(NL); nl >= 0; nl = buf.indexOf(NL, start)) {
          const line = dec.decode(buf.subarray(start, nl));
          start = nl + 1;
          received.push(line);
          log(line);
          for (let i = waiters.length - 1; i >= 0; i--) {
            if (line.includes(waiters[i]!.text)) waiters.splice(i, 1)[0]!.resolve(line);
          }
        }
        partial = buf.subarray(start).slice();
      }
    } catch (e) {
      if (e instanceof SocketError) return closed ? null : e.code;
      throw e;
    } finally {
      // Nothing more will arrive: whoever still waits for a line waits in vain.
      over = true;
      for (const w of waiters.splice(0)) w.reject(new Error(`chat client: connection ended before a line containing "${w.text}" arrived`));
    }
  })();
  return {
    fd,
    local,
    received,
    ended,
    say: (text) => sendAll(api, fd, enc.encode(`${text}\n`)),
    sendRaw: (data) => sendAll(api, fd, data),
    waitFor(text) {
      const seen = received.find((l) => l.includes(text));
      if (seen !== undefined) return Promise.resolve(seen);
      if (over) return Promise.reject(new Error(`chat client: connection ended before a line containing "${text}" arrived`));
      return new Promise((resolve, reject) => waiters.push({ text, resolve, reject }));
    },
    async quit() {
      api.shutdown(fd, SHUT_WR);
      await ended;
      closed = true;
      await api.close(fd);
    },
    async abort() {
      closed = true;
      api.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 0 });
      await api.close(fd);
      await ended;
    },
  };
}

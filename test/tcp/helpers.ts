/** Shared helpers for the TCP tests: connected pairs, stream reads, promise state, byte checks. */
import assert from 'node:assert/strict';
import {
  Network, SocketError, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, MSG_DONTWAIT, type Host, type SocketApi, type SocketRow,
  type Impairments, type Segment,
} from '../../src/index.js';

/** Two hosts on one /24 segment: a = 10.0.0.1, b = 10.0.0.2. */
export function tcpPair(seed = 7, link: Partial<Impairments> = {}): { net: Network; a: Host; b: Host } {
  const net = new Network({ seed, link });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  return { net, a, b };
}

/** A TCP listener on `address`:`port` with SO_REUSEADDR (like most servers). */
export function listener(s: SocketApi, port: number, backlog = 16, address = '0.0.0.0'): number {
  const fd = s.socket(AF_INET, SOCK_STREAM, 0);
  s.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  s.bind(fd, { address, port });
  s.listen(fd, backlog);
  return fd;
}

export interface Conn {
  /** The listener on the server side. */
  l: number;
  /** The client's connected descriptor. */
  c: number;
  /** The server's accepted descriptor. */
  s: number;
}

/** A client on `cli` connected to a listener on `srv` at `addr`:`port`. */
export async function connectPair(cli: SocketApi, srv: SocketApi, addr: string, port: number): Promise<Conn> {
  const l = listener(srv, port);
  const c = cli.socket(AF_INET, SOCK_STREAM, 0);
  const accepting = srv.accept(l);
  await cli.connect(c, { address: addr, port });
  const [s] = await accepting;
  return { l, c, s };
}

/** Sends with MSG_DONTWAIT until EAGAIN (any other error fails); returns the bytes queued. */
export async function fillSendBuffer(s: SocketApi, fd: number, chunk = 65536): Promise<number> {
  let total = 0;
  for (let i = 0; i < 1000; i++) {
    try {
      total += await s.send(fd, new Uint8Array(chunk), MSG_DONTWAIT);
    } catch (e) {
      assert.ok(e instanceof SocketError && e.code === 'EAGAIN', `expected EAGAIN, got ${String(e)}`);
      return total;
    }
  }
  assert.fail('the send buffer never filled');
}

/** Concatenates chunks into one buffer. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Reads until EOF (an empty read) with reads of `chunk` bytes. */
export async function readToEof(s: SocketApi, fd: number, chunk = 65536): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const d = await s.recv(fd, chunk);
    if (d.length === 0) return concat(chunks);
    chunks.push(d.slice());
  }
}

/** Reads exactly `n` bytes (fails on an early EOF). */
export async function readN(s: SocketApi, fd: number, n: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let got = 0;
  while (got < n) {
    const d = await s.recv(fd, n - got);
    assert.ok(d.length > 0, `EOF after ${got} of ${n} bytes`);
    chunks.push(d.slice());
    got += d.length;
  }
  return concat(chunks);
}

/** Asserts two buffers are byte-identical, naming the first difference (no huge diff output). */
export function sameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  if (got.length !== want.length) assert.fail(`${what}: got ${got.length} bytes, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) assert.fail(`${what}: first difference at byte ${i} of ${want.length} (got ${got[i]}, want ${want[i]})`);
  }
}

/** Deterministic pseudo-random bytes (xorshift32), for payloads. */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Watches a promise's state without awaiting it. */
export function track<T>(p: Promise<T>): { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; error?: unknown; promise: Promise<T> } {
  const t: { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; error?: unknown; promise: Promise<T> } = { state: 'pending', promise: p };
  p.then(
    (v) => {
      t.state = 'fulfilled';
      t.value = v;
    },
    (e: unknown) => {
      t.state = 'rejected';
      t.error = e;
    },
  );
  return t;
}

/** The TCP rows of a host's socket table. */
export function tcpRows(h: Host): SocketRow[] {
  return h.socketTable().filter((r) => r.netid === 'tcp');
}

/** The default-segment port of `h`'s first interface (to pull its cable). */
export function cable(net: Network, h: Host, ifname = 'eth0'): ReturnType<Segment['port']> & object {
  const p = net.segment('default').port(`${h.name}:${ifname}`);
  assert.ok(p, `no port ${h.name}:${ifname}`);
  return p;
}

/** One-line summary of a host's TCP endpoints, for failure messages. */
export function describeEndpoints(h: Host): string {
  return h.tcp.endpoints().map((e) => `${e.stateName} ${e.localPort}->${e.remotePort}`).join(', ') || 'none';
}

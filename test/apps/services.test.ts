import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Network, SocketError, AF_INET, SOCK_STREAM, SOCK_DGRAM, SHUT_WR, SOL_SOCKET, SO_LINGER, type Host, type SocketApi } from '../../src/index.js';
import {
  parseServiceSpec,
  startService,
  startServices,
  SERVICE_PORTS,
  DEFAULT_SERVICES,
  type ServiceSpec,
} from '../../src/apps/services.js';
import { chargenLine, daytimeLine, CHARGEN_UDP_LINES, CHARGEN_LINE_BYTES } from '../../src/apps/classic-services.js';
import { udpRequest } from '../../src/apps/udp-echo.js';
import { sendAll } from '../../src/apps/tcp-echo.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const SERVER = '10.0.0.2';
/** Saturday, November 21, 2026 14:05:01 UTC */
const FIXED = new Date(Date.UTC(2026, 10, 21, 14, 5, 1));

function pair(seed = 5, link = {}): { net: Network; a: Host; b: Host } {
  const net = new Network({ seed, link });
  return { net, a: net.host('a', '10.0.0.1/24'), b: net.host('b', `${SERVER}/24`) };
}

function isErr(code: string): (e: unknown) => boolean {
  return (e) => e instanceof SocketError && e.code === code;
}

async function connect(api: SocketApi, port: number): Promise<number> {
  const fd = api.socket(AF_INET, SOCK_STREAM, 0);
  await api.connect(fd, { address: SERVER, port });
  return fd;
}

/** Reads until EOF. */
async function readAll(api: SocketApi, fd: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (;;) {
    const d = await api.recv(fd, 65536);
    if (d.length === 0) break;
    parts.push(d);
  }
  return Buffer.concat(parts);
}

/** Reads exactly n bytes (fails on an early EOF). */
async function readN(api: SocketApi, fd: number, n: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let got = 0;
  while (got < n) {
    const d = await api.recv(fd, Math.min(65536, n - got));
    assert.ok(d.length > 0, `EOF after ${got} of ${n} bytes`);
    parts.push(d);
    got += d.length;
  }
  return Buffer.concat(parts);
}

/** Writes `data` and reads the echo at the same time, as nc does; half-closes after writing. */
async function streamThrough(api: SocketApi, port: number, data: Uint8Array): Promise<Uint8Array> {
  const fd = await connect(api, port);
  const writer = (async () => {
    for (let off = 0; off < data.length; off += 50_000) await sendAll(api, fd, data.subarray(off, off + 50_000));
    api.shutdown(fd, SHUT_WR);
  })();
  const [, got] = await Promise.all([writer, readAll(api, fd)]);
  await api.close(fd);
  return got;
}

// ---- parseServiceSpec ---------------------------------------------------------------------

test('parseServiceSpec: NAME and NAME:PORT', () => {
  assert.deepEqual(parseServiceSpec('echo'), { name: 'echo', port: 7 });
  assert.deepEqual(parseServiceSpec('discard'), { name: 'discard', port: 9 });
  assert.deepEqual(parseServiceSpec('daytime'), { name: 'daytime', port: 13 });
  assert.deepEqual(parseServiceSpec('chargen'), { name: 'chargen', port: 19 });
  assert.deepEqual(parseServiceSpec('http'), { name: 'http', port: 80 });
  assert.deepEqual(parseServiceSpec('echo:7'), { name: 'echo', port: 7 });
  assert.deepEqual(parseServiceSpec('http:8080'), { name: 'http', port: 8080 });
  assert.deepEqual(parseServiceSpec('chargen:1'), { name: 'chargen', port: 1 });
  assert.deepEqual(parseServiceSpec('daytime:65535'), { name: 'daytime', port: 65535 });
});

test('parseServiceSpec: every port 1..65535 round-trips', () => {
  fc.assert(
    fc.property(fc.constantFrom('echo', 'discard', 'chargen', 'daytime', 'http'), fc.integer({ min: 1, max: 65535 }), (name, port) => {
      assert.deepEqual(parseServiceSpec(`${name}:${port}`), { name, port });
    }),
  );
});

test('parseServiceSpec: rejects unknown services and bad ports with a message that says what is valid', () => {
  for (const bad of ['', 'ftp', 'ftp:21', 'ECHO', ' echo', 'toString', ':7']) {
    assert.throws(() => parseServiceSpec(bad), /unknown service .*echo, discard, chargen, daytime, http/, bad);
  }
  for (const bad of ['echo:', 'echo:0', 'echo:65536', 'echo:99999', 'echo:x', 'echo:-1', 'echo:+7', 'echo: 7', 'echo:7 ', 'echo:0x10', 'echo:7:8', 'echo:1e3', 'echo:123456']) {
    assert.throws(() => parseServiceSpec(bad), /1 to 65535/, bad);
  }
});

test('the well-known ports and the default set', () => {
  assert.deepEqual({ ...SERVICE_PORTS }, { echo: 7, discard: 9, daytime: 13, chargen: 19, http: 80 });
  assert.deepEqual(
    DEFAULT_SERVICES.map((s) => `${s.name}:${s.port}`).sort(),
    ['chargen:19', 'daytime:13', 'discard:9', 'echo:7', 'http:80'],
  );
});

// ---- echo ---------------------------------------------------------------------------------

test('echo over TCP streams 1 MiB of random bytes back intact (SHA-256), client writing and reading at once', async () => {
  const { net, a, b } = pair(7, { latency: 1 });
  await net.run(async () => {
    const srv = startService(b.sockets, { name: 'echo', port: 7 });
    const data = new Uint8Array(1 << 20);
    for (let i = 0; i < data.length; i += 65536) globalThis.crypto.getRandomValues(data.subarray(i, i + 65536));
    const got = await streamThrough(a.sockets, 7, data);
    assert.equal(got.length, data.length);
    assert.equal(sha256(got), sha256(data));
    assert.equal(srv.stats.connections, 1);
    assert.equal(srv.stats.bytesIn, data.length);
    assert.equal(srv.stats.bytesOut, data.length);
    await srv.close();
  });
});

test('echo over TCP survives a lossy, reordering link', async () => {
  const { net, a, b } = pair(21, { latency: 3, loss: 0.03, reorder: 0.03, duplicate: 0.01 });
  await net.run(async () => {
    const srv = startService(b.sockets, { name: 'echo', port: 7 });
    const data = new Uint8Array(200_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
    const got = await streamThrough(a.sockets, 7, data);
    assert.equal(sha256(got), sha256(data));
    assert.ok(net.segment().counters.dropLoss > 0, 'the link lost frames');
    await srv.close();
  });
});

test('echo over TCP serves 25 clients at once', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const lines: string[] = [];
    const srv = startService(b.sockets, { name: 'echo', port: 7 }, { log: (l) => lines.push(l) });
    const got = await Promise.all(Array.from({ length: 25 }, (_, i) => streamThrough(a.sockets, 7, enc(`client ${i} `.repeat(i + 1)))));
    got.forEach((g, i) => assert.equal(dec(g), `client ${i} `.repeat(i + 1)));
    assert.equal(srv.stats.connections, 25);
    await net.sleep(10);
    assert.equal(lines.filter((l) => /^echo tcp 10\.0\.0\.1:\d+: \d+ bytes in, \d+ out \(EOF\)$/.test(l)).length, 25, lines.join('\n'));
    await srv.close();
  });
});

test('echo over UDP answers each datagram to its sender', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const lines: string[] = [];
    const srv = startService(b.sockets, { name: 'echo', port: 7 }, { log: (l) => lines.push(l) });
    assert.deepEqual(srv.protocols, ['tcp', 'udp']);
    const replies = await Promise.all(['one', 'two', 'three'].map((m) => udpRequest(a.sockets, { address: SERVER, port: 7 }, enc(m))));
    assert.deepEqual(replies.map((r) => r && dec(r)), ['one', 'two', 'three']);
    const big = new Uint8Array(8000).fill(0x5a); // fragmented at IP level and reassembled
    assert.deepEqual(await udpRequest(a.sockets, { address: SERVER, port: 7 }, big), big);
    assert.equal(srv.stats.datagrams, 4);
    assert.equal(srv.stats.bytesOut, 3 + 3 + 5 + 8000);
    assert.ok(lines.some((l) => /^echo udp 10\.0\.0\.1:\d+: 3 bytes in, 3 out$/.test(l)), lines.join('\n'));
    await srv.close();
  });
});

test('a client that resets mid-stream ends its connection only; the service goes on', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const lines: string[] = [];
    const srv = startService(b.sockets, { name: 'echo', port: 7 }, { log: (l) => lines.push(l) });
    const s = a.sockets;
    const fd = await connect(s, 7);
    await sendAll(s, fd, enc('abc'));
    assert.equal(dec(await readN(s, fd, 3)), 'abc');
    s.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 0 });
    await s.close(fd); // RST
    await net.sleep(50);
    assert.ok(lines.some((l) => l.includes('(ECONNRESET)')), lines.join('\n'));
    assert.equal(dec(await streamThrough(s, 7, enc('next'))), 'next');
    await srv.close();
  });
});

// ---- discard ------------------------------------------------------------------------------

test('discard over TCP reads everything and answers nothing', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const srv = startService(b.sockets, { name: 'discard', port: 9 });
    const got = await streamThrough(a.sockets, 9, new Uint8Array(300_000).fill(1));
    assert.equal(got.length, 0, 'EOF and no data');
    assert.equal(srv.stats.bytesIn, 300_000);
    assert.equal(srv.stats.bytesOut, 0);
    await srv.close();
  });
});

test('discard over UDP takes datagrams and sends none', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const srv = startService(b.sockets, { name: 'discard', port: 9 });
    const reply = await udpRequest(a.sockets, { address: SERVER, port: 9 }, enc('gone'), { attempts: 2, timeoutMs: 200 });
    assert.equal(reply, null);
    assert.equal(srv.stats.datagrams, 2);
    assert.equal(srv.stats.bytesIn, 8);
    await srv.close();
  });
});

// ---- chargen ------------------------------------------------------------------------------

/** Checks that `data` is the RFC 864 pattern from line `first` on (the last line may be partial). */
function assertPattern(data: Uint8Array, first = 0): void {
  for (let off = 0, line = first; off < data.length; off += 74, line++) {
    const start = 32 + (line % 95);
    const n = Math.min(74, data.length - off);
    for (let k = 0; k < n; k++) {
      const want = k < 72 ? 32 + ((start - 32 + k) % 95) : k === 72 ? 13 : 10;
      if (data[off + k] !== want) assert.fail(`line ${line} byte ${k}: got ${data[off + k]}, want ${want}`);
    }
  }
}

test('chargenLine: 72 printable characters, each line one later, CR LF', () => {
  assert.equal(dec(chargenLine(0)), ` !"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_\`abcdefg\r\n`);
  assert.equal(dec(chargenLine(1)), `!"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_\`abcdefgh\r\n`);
  assert.equal(dec(chargenLine(94)).slice(0, 3), '~ !', 'wraps from ~ to space');
  assert.deepEqual(chargenLine(95), chargenLine(0));
});

test('chargen over TCP sends the pattern until the client goes away, and the service goes on', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const lines: string[] = [];
    const srv = startService(b.sockets, { name: 'chargen', port: 19 }, { log: (l) => lines.push(l) });
    const s = a.sockets;
    const fd = await connect(s, 19);
    await sendAll(s, fd, enc('thrown away')); // RFC 864: data received is discarded
    const got = await readN(s, fd, 200_000); // more than 28 full cycles of 95 lines
    assertPattern(got);
    await s.close(fd); // unread data: RST, and the server's send fails
    await net.sleep(100);
    assert.ok(lines.some((l) => /^chargen tcp 10\.0\.0\.1:\d+: 11 bytes in, \d+ out \((ECONNRESET|EPIPE)\)$/.test(l)), lines.join('\n'));
    const fd2 = await connect(s, 19);
    assertPattern(await readN(s, fd2, 10_000));
    await s.close(fd2);
    await srv.close();
    assert.equal(srv.stats.connections, 2);
  });
});

test('chargen over UDP: one datagram of 6 pattern lines per request, continuing the rotation', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const srv = startService(b.sockets, { name: 'chargen', port: 19 });
    const r1 = await udpRequest(a.sockets, { address: SERVER, port: 19 }, enc('x'));
    const r2 = await udpRequest(a.sockets, { address: SERVER, port: 19 }, new Uint8Array(0));
    assert.ok(r1 && r2);
    assert.equal(r1.length, CHARGEN_UDP_LINES * CHARGEN_LINE_BYTES);
    assert.ok(r1.length <= 512);
    assertPattern(r1, 0);
    assertPattern(r2, CHARGEN_UDP_LINES);
    await srv.close();
  });
});

// ---- daytime ------------------------------------------------------------------------------

test('daytimeLine: the RFC 867 style line in UTC', () => {
  assert.equal(daytimeLine(FIXED), 'Saturday, November 21, 2026 14:05:01-UTC\r\n');
  assert.equal(daytimeLine(new Date(Date.UTC(2000, 0, 2, 3, 4, 5))), 'Sunday, January 2, 2000 03:04:05-UTC\r\n');
});

test('daytime over TCP: one line, then the server closes; over UDP: the line as a datagram', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const srv = startService(b.sockets, { name: 'daytime', port: 13 }, { now: () => FIXED });
    const s = a.sockets;
    const fd = await connect(s, 13);
    assert.equal(dec(await readAll(s, fd)), 'Saturday, November 21, 2026 14:05:01-UTC\r\n');
    await s.close(fd);
    // A client that talks first still gets its line (what it sent is thrown away, no RST).
    const fd2 = await connect(s, 13);
    await sendAll(s, fd2, enc('hello?'));
    assert.equal(dec(await readAll(s, fd2)), 'Saturday, November 21, 2026 14:05:01-UTC\r\n');
    await s.close(fd2);
    const r = await udpRequest(s, { address: SERVER, port: 13 }, enc(''));
    assert.equal(r && dec(r), 'Saturday, November 21, 2026 14:05:01-UTC\r\n');
    await srv.close();
  });
});

// ---- lifecycle ----------------------------------------------------------------------------

test('EADDRINUSE when the port is taken (TCP or UDP), with nothing left open', async () => {
  const { net, b } = pair();
  await net.run(async () => {
    const s = b.sockets;
    const first = startService(s, { name: 'echo', port: 7 });
    assert.throws(() => startService(s, { name: 'echo', port: 7 }), isErr('EADDRINUSE'));
    assert.throws(() => startService(s, { name: 'http', port: 7 }), isErr('EADDRINUSE'));
    const open = s.openSockets().length;
    // Only the UDP port taken: the TCP listener already opened is closed again.
    const u = s.socket(AF_INET, SOCK_DGRAM, 0);
    s.bind(u, { address: '0.0.0.0', port: 9 });
    assert.throws(() => startService(s, { name: 'discard', port: 9 }), isErr('EADDRINUSE'));
    assert.equal(s.openSockets().length, open + 1);
    await s.close(u);
    await first.close();
    assert.equal(s.openSockets().length, 0);
  });
});

test('EACCES below 1024 for an unprivileged process', async () => {
  const { net, b } = pair();
  await net.run(async () => {
    const p = b.process({ privileged: false });
    assert.throws(() => startService(p.sockets, { name: 'http', port: 80 }), isErr('EACCES'));
    const ok = startService(p.sockets, { name: 'http', port: 8080 });
    await ok.close();
  });
});

test('startServices: all five defaults at once; a conflict closes the ones already started', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const all = startServices(b.sockets, DEFAULT_SERVICES, { now: () => FIXED });
    assert.equal(all.services.length, 5);
    assert.deepEqual(all.services.find((x) => x.spec.name === 'http')!.protocols, ['tcp']);
    const fd = await connect(a.sockets, 13);
    assert.match(dec(await readAll(a.sockets, fd)), /^Saturday/);
    await a.sockets.close(fd);
    await all.close();
    assert.equal(b.sockets.openSockets().length, 0);

    const specs: ServiceSpec[] = [{ name: 'echo', port: 7 }, { name: 'daytime', port: 13 }, { name: 'discard', port: 7 }];
    assert.throws(() => startServices(b.sockets, specs), isErr('EADDRINUSE'));
    await net.sleep(1);
    assert.equal(b.sockets.openSockets().length, 0, 'echo and daytime were closed again');
    const again = startServices(b.sockets, specs.slice(0, 2));
    await again.close();
  });
});

test('close() refuses new connections, ends live ones, and resolves when everything has ended', async () => {
  const { net, a, b } = pair();
  await net.run(async () => {
    const svc = startServices(b.sockets, [
      { name: 'echo', port: 7 },
      { name: 'chargen', port: 19 },
      { name: 'http', port: 80 },
    ]);
    const s = a.sockets;
    const idle = await connect(s, 7); // an echo client that never finishes
    const flooded = await connect(s, 19); // a chargen client that does not read
    const web = await connect(s, 80); // an http client that never sends its request
    await sendAll(s, idle, enc('ping'));
    assert.equal(dec(await readN(s, idle, 4)), 'ping');
    await net.sleep(50);
    await svc.close();
    assert.equal(b.sockets.openSockets().length, 0, 'every server descriptor is closed');
    assert.equal(dec(await readAll(s, idle)), '', 'the echo client sees EOF');
    assert.equal((await readAll(s, web)).length, 0, 'the http client sees EOF');
    for (const port of [7, 19, 80]) await assert.rejects(connect(s, port), isErr('ECONNREFUSED'), `port ${port}`);
    for (const fd of [idle, flooded, web]) await s.close(fd);
    // The ports are free again.
    const again = startService(b.sockets, { name: 'echo', port: 7 });
    assert.equal(dec(await streamThrough(s, 7, enc('back'))), 'back');
    await again.close();
    await again.close(); // idempotent
  });
});

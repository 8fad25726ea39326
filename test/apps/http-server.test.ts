import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Network, AF_INET, SOCK_STREAM, type Host, type SocketApi } from '../../src/index.js';
import { startService, type RunningService } from '../../src/apps/services.js';
import { parseHead, ChunkedDiscarder, MAX_HEAD } from '../../src/apps/http-request.js';
import { httpDate, HTTP_IDLE_MS, HTTP_LINGER_MS } from '../../src/apps/http-server.js';
import { sendAll } from '../../src/apps/tcp-echo.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const SERVER = '10.0.0.2';
const FIXED = new Date(Date.UTC(2026, 10, 21, 14, 5, 1));
const DATE = 'Sat, 21 Nov 2026 14:05:01 GMT';

interface Response {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** A minimal HTTP/1.1 client side: sends raw bytes, reads responses framed by Content-Length. */
class Client {
  private buf = new Uint8Array(0);
  constructor(
    readonly api: SocketApi,
    readonly fd: number,
  ) {}

  static async open(api: SocketApi, port = 80): Promise<Client> {
    const fd = api.socket(AF_INET, SOCK_STREAM, 0);
    await api.connect(fd, { address: SERVER, port });
    return new Client(api, fd);
  }

  send(text: string | Uint8Array): Promise<void> {
    return sendAll(this.api, this.fd, typeof text === 'string' ? enc(text) : text);
  }

  private async fill(): Promise<boolean> {
    const d = await this.api.recv(this.fd, 65536);
    if (d.length === 0) return false;
    this.buf = Buffer.concat([this.buf, d]);
    return true;
  }

  async response(headOnly = false): Promise<Response> {
    let end: number;
    while ((end = Buffer.from(this.buf).indexOf('\r\n\r\n')) < 0) assert.ok(await this.fill(), `EOF before a response head: '${dec(this.buf)}'`);
    const lines = dec(this.buf.subarray(0, end)).split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) [A-Za-z -]+$/.exec(lines[0]!);
    assert.ok(m, `status line: ${lines[0]}`);
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const i = l.indexOf(': ');
      assert.ok(i > 0, `header line: ${l}`);
      headers.set(l.slice(0, i).toLowerCase(), l.slice(i + 2));
    }
    const interim = m[1]!.startsWith('1'); // 1xx: a head alone (RFC 9110 §15.2)
    assert.ok(interim || headers.has('content-length'), 'Content-Length always');
    const n = headOnly || interim ? 0 : Number(headers.get('content-length'));
    this.buf = this.buf.subarray(end + 4);
    while (this.buf.length < n) assert.ok(await this.fill(), 'EOF inside a body');
    const body = dec(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
    return { status: Number(m[1]), headers, body };
  }

  /** True when the server has closed with nothing more sent. */
  async atEof(): Promise<boolean> {
    if (this.buf.length > 0) return false;
    return !(await this.fill());
  }

  close(): Promise<void> {
    return this.api.close(this.fd);
  }
}

async function withServer(fn: (a: Host, srv: RunningService, lines: string[], net: Network) => Promise<void>): Promise<void> {
  const net = new Network({ seed: 9 });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', `${SERVER}/24`);
  await net.run(async () => {
    const lines: string[] = [];
    const srv = startService(b.sockets, { name: 'http', port: 80 }, { now: () => FIXED, hostname: 'testhost', log: (l) => lines.push(l) });
    await fn(a, srv, lines, net);
    await srv.close();
    assert.equal(b.sockets.openSockets().length, 0);
  });
}

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: ${SERVER}\r\nUser-Agent: test\r\n${extra}\r\n`;

test('httpDate is the IMF-fixdate', () => {
  assert.equal(httpDate(FIXED), DATE);
  assert.equal(httpDate(new Date(Date.UTC(2001, 1, 3, 4, 5, 6))), 'Sat, 03 Feb 2001 04:05:06 GMT');
});

test('GET / : the HTML page with the host name, the client address and port, and the time', async () => {
  await withServer(async (a, srv, lines) => {
    const c = await Client.open(a.sockets);
    const me = a.sockets.getsockname(c.fd);
    await c.send(GET('/'));
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(Number(r.headers.get('content-length')), enc(r.body).length);
    assert.equal(r.headers.get('date'), DATE);
    assert.equal(r.headers.get('connection'), undefined, 'HTTP/1.1 persists by default');
    assert.match(r.body, /served by sockstack/);
    assert.match(r.body, /testhost/);
    assert.ok(r.body.includes(`10.0.0.1 port ${me.port}`), r.body);
    assert.ok(r.body.includes(DATE));
    assert.equal(srv.stats.requests, 1);
    assert.ok(lines.includes(`http 10.0.0.1:${me.port} "GET / HTTP/1.1" 200 ${enc(r.body).length}`), lines.join('\n'));
    await c.send(GET('/', 'Connection: close\r\n'));
    const r2 = await c.response();
    assert.equal(r2.headers.get('connection'), 'close');
    assert.ok(await c.atEof(), 'closed after Connection: close');
    await c.close();
  });
});

test('HEAD / : the same head as GET, Content-Length included, and no body', async () => {
  await withServer(async (a) => {
    const c = await Client.open(a.sockets);
    await c.send(GET('/'));
    const g = await c.response();
    await c.send(`HEAD / HTTP/1.1\r\nHost: x\r\n\r\n`);
    const h = await c.response(true);
    assert.equal(h.status, 200);
    assert.equal(h.headers.get('content-length'), g.headers.get('content-length'));
    assert.equal(h.headers.get('content-type'), g.headers.get('content-type'));
    // Had the server sent a body, it would now be read as the next response's head.
    await c.send(GET('/nope'));
    assert.equal((await c.response()).status, 404);
    await c.close();
  });
});

test('404 for other paths, 405 with Allow for other methods; the connection stays usable', async () => {
  await withServer(async (a) => {
    const c = await Client.open(a.sockets);
    await c.send(GET('/missing'));
    const nf = await c.response();
    assert.equal(nf.status, 404);
    assert.equal(nf.body, '404 Not Found\n');
    for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'BREW']) {
      await c.send(`${m} / HTTP/1.1\r\nHost: x\r\n\r\n`);
      const r = await c.response();
      assert.equal(r.status, 405, m);
      assert.equal(r.headers.get('allow'), 'GET, HEAD');
    }
    await c.send(GET('/'));
    assert.equal((await c.response()).status, 200);
    await c.close();
  });
});

test('/ss (and an absolute-form target with a query) shows the counters and this connection', async () => {
  await withServer(async (a) => {
    const c = await Client.open(a.sockets);
    const me = a.sockets.getsockname(c.fd);
    await c.send(GET('http://10.0.0.2/ss?x=1'));
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.match(r.body, /requests 1, connections 1/);
    assert.ok(r.body.includes(`10.0.0.1:${me.port}`) && r.body.includes('(you)'), r.body);
    await c.close();
  });
});

test('keep-alive: three requests one after another on one connection', async () => {
  await withServer(async (a, srv) => {
    const c = await Client.open(a.sockets);
    for (let i = 1; i <= 3; i++) {
      await c.send(GET('/'));
      const r = await c.response();
      assert.equal(r.status, 200);
      assert.match(r.body, new RegExp(`request ${i} on your connection`));
    }
    assert.equal(srv.stats.connections, 1);
    assert.equal(srv.stats.requests, 3);
    await c.close();
  });
});

test('pipelining: requests sent together are answered in order', async () => {
  await withServer(async (a) => {
    const c = await Client.open(a.sockets);
    await c.send(GET('/') + GET('/nope') + `HEAD /ss HTTP/1.1\r\nHost: x\r\n\r\n` + GET('/ss', 'Connection: close\r\n'));
    assert.equal((await c.response()).status, 200);
    assert.equal((await c.response()).status, 404);
    const h = await c.response(true);
    assert.equal(h.status, 200);
    const last = await c.response();
    assert.match(last.body, /requests 4/);
    assert.ok(await c.atEof());
    await c.close();
  });
});

test('HTTP/1.0 closes after the answer unless keep-alive; 1.1 with Connection: close too', async () => {
  await withServer(async (a) => {
    const c = await Client.open(a.sockets);
    await c.send('GET / HTTP/1.0\r\n\r\n'); // no Host needed in 1.0
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('connection'), 'close');
    assert.ok(await c.atEof());
    await c.close();

    const k = await Client.open(a.sockets);
    await k.send('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n');
    const r1 = await k.response();
    assert.equal(r1.headers.get('connection'), 'keep-alive');
    await k.send('GET /ss HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    assert.equal((await k.response()).status, 200);
    await k.send('GET / HTTP/1.0\r\n\r\n');
    await k.response();
    assert.ok(await k.atEof());
    await k.close();
  });
});

test('request bodies are read and ignored: Content-Length and chunked', async () => {
  await withServer(async (a) => {
    const c = await Client.open(a.sockets);
    const big = 'x'.repeat(100_000);
    await c.send(`POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: ${big.length}\r\n\r\n${big}` + GET('/'));
    assert.equal((await c.response()).status, 405);
    assert.equal((await c.response()).status, 200, 'the body was not taken for a request');
    await c.send(`GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1A\r\n${'y'.repeat(26)}\r\n0\r\nTrailer: t\r\n\r\n` + GET('/nope'));
    assert.equal((await c.response()).status, 200);
    assert.equal((await c.response()).status, 404);
    await c.close();
  });
});

test('Expect: 100-continue: 100 before the body of an allowed request, a final 405 (and close) otherwise', async () => {
  await withServer(async (a) => {
    const c = await Client.open(a.sockets);
    await c.send(`GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n`);
    assert.equal((await c.response()).status, 100);
    await c.send('abc');
    assert.equal((await c.response()).status, 200);
    await c.send(`PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\nExpect: 100-continue\r\n\r\n`);
    const r = await c.response();
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('connection'), 'close');
    assert.ok(await c.atEof());
    await c.close();
  });
});

/** Sends `raw` on a new connection, expects one response with `status`, then the server's close. */
async function expectError(a: Host, raw: string | Uint8Array, status: number): Promise<void> {
  const c = await Client.open(a.sockets);
  await c.send(raw);
  const r = await c.response();
  assert.equal(r.status, status, typeof raw === 'string' ? raw.slice(0, 60) : 'bytes');
  assert.equal(r.headers.get('connection'), 'close');
  assert.ok(await c.atEof(), 'closed after the error');
  await c.close();
}

test('400 (and close) for malformed requests', async () => {
  await withServer(async (a, srv) => {
    for (const raw of [
      'GARBAGE\r\n\r\n',
      'GET /\r\n\r\n', // HTTP/0.9 form
      'GET  / HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n',
      'GET / HTTP/1.10\r\nHost: x\r\n\r\n',
      'GET / http/1.1\r\nHost: x\r\n\r\n',
      'G(T / HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET nopath HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET / HTTP/1.1\r\n\r\n', // no Host in 1.1
      'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n',
      'GET / HTTP/1.1\r\nHost : x\r\n\r\n', // whitespace before the colon
      'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\rY: 1\r\n\r\n', // bare CR
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ]) {
      await expectError(a, raw, 400);
    }
    await expectError(a, Uint8Array.from([...enc('GET / HTTP/1.1\r\nHost: x\r\nX: a'), 1, ...enc('\r\n\r\n')]), 400);
    assert.equal(srv.stats.requests, 20);
  });
});

test('431 (and close) for a request head over 8 KiB, even one that never ends', async () => {
  await withServer(async (a) => {
    await expectError(a, GET('/', `X-Big: ${'b'.repeat(9000)}\r\n`), 431);
    await expectError(a, 'GET / HTTP/1.1\r\n' + 'X: y\r\n'.repeat(2000), 431);
  });
});

test('505 (and close) for a version other than 1.x', async () => {
  await withServer(async (a) => {
    await expectError(a, 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', 505);
    await expectError(a, 'GET / HTTP/0.9\r\nHost: x\r\n\r\n', 505);
  });
});

test('empty lines before a request are skipped; a 1.2 request is answered as 1.1', async () => {
  await withServer(async (a) => {
    const c = await Client.open(a.sockets);
    await c.send('\r\n\r\n' + 'GET / HTTP/1.2\r\nHost: x\r\n\r\n');
    assert.equal((await c.response()).status, 200);
    await c.send('GET /nope HTTP/1.1\nHost: x\n\n'); // LF alone ends lines too (RFC 9112 §2.2)
    assert.equal((await c.response()).status, 404);
    await c.close();
  });
});

test('twenty clients at once', async () => {
  await withServer(async (a, srv) => {
    const got = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const c = await Client.open(a.sockets);
        await c.send(GET('/') + GET('/ss', 'Connection: close\r\n'));
        const r = [await c.response(), await c.response()];
        await c.close();
        return r.map((x) => x.status);
      }),
    );
    assert.deepEqual(got, Array.from({ length: 20 }, () => [200, 200]));
    assert.equal(srv.stats.connections, 20);
    assert.equal(srv.stats.requests, 40);
  });
});

test('an idle keep-alive connection is closed after HTTP_IDLE_MS', async () => {
  await withServer(async (a, _srv, lines, net) => {
    const c = await Client.open(a.sockets);
    await c.send(GET('/'));
    await c.response();
    const t0 = net.now();
    assert.ok(await c.atEof());
    assert.ok(net.now() - t0 >= HTTP_IDLE_MS);
    await net.sleep(1);
    assert.ok(lines.some((l) => l.endsWith('(idle timeout)')), lines.join('\n'));
    await c.close();
  });
});

test('closing, the server half-closes and reads what the client still sends (lingering close, RFC 9112 §9.6), for HTTP_LINGER_MS in all', async () => {
  await withServer(async (a, _srv, _lines, net) => {
    const server = net.hosts.get('b')!.sockets;
    // A refused head followed by more bytes: they must not turn the close into a reset that
    // could destroy the response (the client reads all of it, then EOF, never ECONNRESET).
    const c = await Client.open(a.sockets);
    await c.send(GET('/', `X-Big: ${'b'.repeat(9000)}\r\n`) + 'more bytes after the head');
    assert.equal((await c.response()).status, 431);
    const t0 = net.now();
    assert.ok(await c.atEof(), 'EOF: the server half-closed');
    assert.equal(server.openSockets().length, 2, 'the listener and the lingering connection');
    // The client never closes and keeps trickling bytes, read and discarded: the server gives
    // up HTTP_LINGER_MS after it half-closed, however often they come.
    while (server.openSockets().length > 1) {
      await c.send('x').catch(() => {}); // EPIPE / ECONNRESET once the server is gone
      await net.sleep(300);
    }
    const lingered = net.now() - t0;
    assert.ok(lingered >= HTTP_LINGER_MS && lingered <= HTTP_LINGER_MS + 300, `closed after ${lingered} ms`);
    await c.close();
  });
});

// ---- the parser on its own ----------------------------------------------------------------

test('parseHead: a full request, and "incomplete" for every proper prefix', () => {
  const raw = enc('GET /a?b HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\nContent-Length: 4\r\n\r\nbody');
  const r = parseHead(raw);
  assert.equal(r.kind, 'request');
  if (r.kind !== 'request') return;
  assert.equal(r.consumed, raw.length - 4);
  assert.equal(r.head.path, '/a');
  assert.equal(r.head.keepAlive, false);
  assert.deepEqual(r.head.body, { kind: 'length', length: 4 });
  assert.deepEqual(r.head.headers[0], ['host', 'h']);
  for (let n = 0; n < r.consumed; n++) assert.equal(parseHead(raw.subarray(0, n)).kind, 'incomplete', `prefix ${n}`);
});

test('parseHead never throws and never reads past the limit, whatever the bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (junk, prefix) => {
      const bytes = prefix ? Buffer.concat([enc('GET / HTTP/1.1\r\n'), junk]) : junk;
      const r = parseHead(bytes);
      assert.ok(['incomplete', 'request', 'error'].includes(r.kind));
      if (r.kind === 'request') assert.ok(r.consumed <= bytes.length && r.consumed <= MAX_HEAD + 8);
    }),
    { numRuns: 2000 },
  );
});

test('ChunkedDiscarder: same outcome however the body is split', () => {
  const body = enc('4\r\nWiki\r\n7;x=y\r\npedia i\r\nB\r\nn \r\nchunks.\r\n0\r\nT: 1\r\n\r\nNEXT');
  const end = body.length - 4;
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: body.length - 1 }), { maxLength: 10 }), (cuts) => {
      const d = new ChunkedDiscarder();
      let used = 0;
      const points = [...cuts.sort((x, y) => x - y), body.length];
      let from = 0;
      for (const p of points) {
        const n = d.feed(body.subarray(0, p), from);
        assert.equal(typeof n, 'number');
        used += n as number;
        from += n as number;
        if (d.done) break;
      }
      assert.ok(d.done);
      assert.equal(used, end, 'stops right after the final CRLF');
    }),
  );
  assert.equal(typeof new ChunkedDiscarder().feed(enc('5\r\nhelloX\r\n'), 0), 'string', 'data longer than its size');
});

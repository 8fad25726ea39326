/**
 * Node's own http, unmodified, over sockstack: http.createServer fed by a nodeNet server
 * ('connection' events, the standard way to give an http.Server another transport), and
 * Node's http client through a keep-alive Agent whose createConnection is nodeNet's.
 * Real-clock network: http uses real timers and process.nextTick.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { Network } from '../../src/index.js';
import { nodeNet } from '../../src/node/net.js';

const net = new Network({ clock: 'real', seed: 3 });
const client = net.host('client', '10.0.0.1/24');
const server = net.host('server', '10.0.0.2/24');
const nc = nodeNet(client);
const ns = nodeNet(server);

const httpServer = http.createServer((req, res) => {
  if (req.method === 'POST') {
    const hash = createHash('sha256');
    let n = 0;
    req.on('data', (d: Buffer) => {
      hash.update(d);
      n += d.length;
    });
    req.on('end', () => res.end(JSON.stringify({ bytes: n, sha256: hash.digest('hex') })));
    return;
  }
  res.setHeader('content-type', 'text/plain');
  res.end(`hello ${req.url} from ${req.socket.localAddress}:${req.socket.localPort} to ${req.socket.remoteAddress}`);
});
// allowHalfOpen as http.Server's own net.Server: http decides when a connection ends.
const listener = ns.createServer({ allowHalfOpen: true }, (sock) => httpServer.emit('connection', sock));
const listening = new Promise<void>((resolve) => listener.listen(80, resolve));

after(() => {
  listener.close();
  net.close();
});

/** A keep-alive agent that opens its connections on sockstack. */
function sockstackAgent(maxSockets: number): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  (agent as unknown as { createConnection: (o: { port?: number; host?: string }) => Duplex }).createConnection = (o) =>
    nc.createConnection({ port: Number(o.port), host: o.host ?? '10.0.0.2' });
  return agent;
}

function get(agent: http.Agent, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '10.0.0.2', port: 80, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('http over nodeNet', () => {
  it('serves 1,000 requests through a keep-alive agent of 4 sockets, every response checked', async () => {
    await listening;
    const agent = sockstackAgent(4);
    const opensBefore = client.counters.tcp.activeOpens;
    const acceptedBefore = server.counters.tcp.passiveOpens;
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => get(agent, `/r${i}`)));
    results.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.match(r.body, new RegExp(`^hello /r${i} from 10\\.0\\.0\\.2:80 to 10\\.0\\.0\\.1$`));
    });
    const opened = client.counters.tcp.activeOpens - opensBefore;
    assert.ok(opened >= 1 && opened <= 4, `keep-alive: ${opened} connections carried 1,000 requests`);
    assert.equal(server.counters.tcp.passiveOpens - acceptedBefore, opened);
    agent.destroy();
  });

  it('carries a 1 MiB POST body intact (hash checked by the server)', async () => {
    await listening;
    const agent = sockstackAgent(1);
    const body = Buffer.alloc(1 << 20);
    for (let i = 0; i < body.length; i++) body[i] = (i * 131) & 0xff;
    const res = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '10.0.0.2', port: 80, path: '/upload', method: 'POST', agent, headers: { 'content-length': body.length } }, (r) => {
        let s = '';
        r.setEncoding('utf8');
        r.on('data', (d: string) => (s += d));
        r.on('end', () => resolve(s));
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.deepEqual(JSON.parse(res), { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    agent.destroy();
  });

  it('answers a raw request from a client that half-closes right after sending it', async () => {
    await listening;
    const c = nc.connect(80, '10.0.0.2');
    c.setEncoding('utf8');
    let got = '';
    c.on('data', (d: string) => (got += d));
    c.end('GET /half HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n');
    await once(c, 'close');
    assert.match(got, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(got, /hello \/half from 10\.0\.0\.2:80 to 10\.0\.0\.1$/);
  });

  it("the server's keepAliveTimeout ends an idle kept-alive connection (socket.setTimeout on the host's clock)", async () => {
    const idleServer = http.createServer((_req, res) => res.end('ok'));
    idleServer.keepAliveTimeout = 300;
    const l = ns.createServer({ allowHalfOpen: true }, (sock) => idleServer.emit('connection', sock));
    await new Promise<void>((resolve) => l.listen(8080, resolve));
    // A raw HTTP/1.1 client that keeps the connection open after its one request.
    const c = nc.connect(8080, '10.0.0.2');
    c.setEncoding('utf8');
    let got = '';
    c.on('data', (d: string) => (got += d));
    c.write('GET / HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n');
    await once(c, 'end'); // the server's FIN: it closed the idle connection itself
    assert.match(got, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(got, /\r\n\r\nok$/);
    assert.equal(c.writableEnded, true, 'and we ended ours in turn (allowHalfOpen false)');
    l.close();
  });

  it('works without an agent too: http.request({ createConnection }) (no agent option)', async () => {
    await listening;
    const req = http.request({
      host: '10.0.0.2',
      port: 80,
      path: '/solo',
      createConnection: () => nc.createConnection(80, '10.0.0.2') as unknown as import('node:net').Socket,
    });
    req.end();
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    let body = '';
    for await (const d of res) body += String(d);
    assert.equal(res.statusCode, 200);
    assert.match(body, /^hello \/solo from 10\.0\.0\.2:80/);
  });
});

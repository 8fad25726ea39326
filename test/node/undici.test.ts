/**
 * undici, unmodified, over sockstack: a Client whose `connect` option opens a nodeNet socket
 * (undici's documented custom connector: (opts, cb) => cb(null, socket)), with pipelining, and
 * request()/fetch() through it as a dispatcher. The server is Node's http on a nodeNet listener.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Client, Agent, fetch, request, type buildConnector } from 'undici';
import { Network } from '../../src/index.js';
import { nodeNet } from '../../src/node/net.js';

const net = new Network({ clock: 'real', seed: 6 });
const client = net.host('client', '10.0.0.1/24');
const nc = nodeNet(client);
const ns = nodeNet(net.host('server', '10.0.0.2/24'));

/** Requests the server is working on at once: more than one on a connection means pipelining. */
let inFlight = 0;
let maxInFlight = 0;
const httpServer = http.createServer((req, res) => {
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  // Answer on a later tick, so pipelined requests can pile up behind this one.
  setImmediate(() => {
    inFlight--;
    res.setHeader('content-type', 'text/plain');
    res.end(`${req.method} ${req.url}`);
  });
});
const listener = ns.createServer({ allowHalfOpen: true }, (sock) => httpServer.emit('connection', sock));
const listening = new Promise<void>((resolve) => listener.listen(80, resolve));

after(() => {
  listener.close();
  net.close();
});

/** undici's custom connector: a nodeNet socket, handed over once connected. */
const connect: buildConnector.connector = (opts, cb) => {
  const s = nc.connect({ port: Number(opts.port) || 80, host: opts.hostname });
  const onError = (err: Error): void => cb(err, null);
  s.once('error', onError);
  s.once('connect', () => {
    s.removeListener('error', onError);
    cb(null, s as unknown as import('node:net').Socket);
  });
};

describe('undici over nodeNet', () => {
  it('a pipelining Client carries 100 requests on one connection', async () => {
    await listening;
    const opens = client.counters.tcp.activeOpens;
    const c = new Client('http://10.0.0.2', { connect, pipelining: 10 });
    const bodies = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        // blocking: false lets undici send the next request before this one's headers arrive.
        const { statusCode, body } = await c.request({ path: `/p${i}`, method: 'GET', blocking: false });
        assert.equal(statusCode, 200);
        return body.text();
      }),
    );
    bodies.forEach((b, i) => assert.equal(b, `GET /p${i}`));
    assert.equal(client.counters.tcp.activeOpens - opens, 1, 'one connection');
    assert.ok(maxInFlight > 1, `requests were pipelined (up to ${maxInFlight} at once at the server)`);
    await c.close();
  });

  it('request() and fetch() with a dispatcher (a Client and an Agent) whose connect is nodeNet', async () => {
    await listening;
    const c = new Client('http://10.0.0.2', { connect });
    const r = await request('http://10.0.0.2/req', { dispatcher: c, method: 'POST', body: 'x' });
    assert.equal(r.statusCode, 200);
    assert.equal(await r.body.text(), 'POST /req');
    const f = await fetch('http://10.0.0.2/fetch', { dispatcher: c });
    assert.equal(f.status, 200);
    assert.equal(await f.text(), 'GET /fetch');
    await c.close();
    const agent = new Agent({ connect });
    const g = await fetch('http://10.0.0.2/agent', { dispatcher: agent });
    assert.equal(await g.text(), 'GET /agent');
    await agent.close();
  });

  it('a refused connection reaches undici as the Node error', async () => {
    await listening;
    const c = new Client('http://10.0.0.2:81', { connect });
    await assert.rejects(c.request({ path: '/', method: 'GET' }), { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.2:81' });
    await c.destroy();
  });
});

/**
 * The ws package, unmodified, over sockstack: a WebSocketServer on an http.Server's 'upgrade'
 * (the http.Server fed by a nodeNet listener) and a WebSocket client whose createConnection
 * is nodeNet's. Real-clock network (ws and http use real timers).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { Network } from '../../src/index.js';
import { nodeNet } from '../../src/node/net.js';

const net = new Network({ clock: 'real', seed: 5 });
const nc = nodeNet(net.host('client', '10.0.0.1/24'));
const ns = nodeNet(net.host('server', '10.0.0.2/24'));

const httpServer = http.createServer((_req, res) => res.end('not a websocket'));
const wss = new WebSocketServer({ noServer: true });
httpServer.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)));
/** Echo, after a greeting that names the peer as the server saw it. */
let serverClosed!: (v: { code: number; reason: string }) => void;
const serverClose = new Promise<{ code: number; reason: string }>((resolve) => (serverClosed = resolve));
wss.on('connection', (ws, req: http.IncomingMessage) => {
  ws.send(`welcome ${req.socket.remoteAddress}`);
  ws.on('message', (data: RawData, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  ws.on('close', (code: number, reason: Buffer) => serverClosed({ code, reason: reason.toString() }));
});
const listener = ns.createServer({ allowHalfOpen: true }, (sock) => httpServer.emit('connection', sock));
const listening = new Promise<void>((resolve) => listener.listen(80, resolve));

after(() => {
  wss.close();
  listener.close();
  net.close();
});

/** Resolves with the next message and whether it was binary. */
function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data: RawData, isBinary: boolean) => resolve({ data: data as Buffer, isBinary }));
    ws.once('error', reject);
  });
}

describe('ws over nodeNet', () => {
  it('exchanges text and a 100 KB binary message both ways, then closes cleanly with 1000', async () => {
    await listening;
    const ws = new WebSocket('ws://10.0.0.2/', {
      createConnection: () => nc.createConnection({ port: 80, host: '10.0.0.2' }) as unknown as import('node:net').Socket,
    });
    const greeting = nextMessage(ws);
    await once(ws, 'open');
    const hello = await greeting;
    assert.equal(hello.isBinary, false);
    assert.equal(hello.data.toString(), 'welcome 10.0.0.1');

    let reply = nextMessage(ws);
    ws.send('héllo, sockstack');
    let m = await reply;
    assert.equal(m.isBinary, false);
    assert.equal(m.data.toString(), 'héllo, sockstack');

    const blob = randomBytes(100_000);
    reply = nextMessage(ws);
    ws.send(blob);
    m = await reply;
    assert.equal(m.isBinary, true);
    assert.ok(m.data.equals(blob), 'the 100 KB binary message came back byte for byte');

    const closed = once(ws, 'close');
    ws.close(1000, 'done');
    const [code, reason] = (await closed) as [number, Buffer];
    assert.equal(code, 1000);
    assert.equal(reason.toString(), 'done');
    assert.equal(ws.readyState, WebSocket.CLOSED);
    // The server saw the same clean close.
    assert.deepEqual(await serverClose, { code: 1000, reason: 'done' });
  });
});

/**
 * Node's tls, unmodified, over sockstack sockets: tls.TLSSocket wrapping an accepted nodeNet
 * socket on the server, tls.connect({ socket }) on the client, with the test-only self-signed
 * certificate in fixtures/ (CN/SAN sockstack.test, IP SANs 10.0.0.1 and 10.0.0.2).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Network } from '../../src/index.js';
import { nodeNet, type NetSocket } from '../../src/node/net.js';

const cert = readFileSync(new URL('./fixtures/cert.pem', import.meta.url));
const key = readFileSync(new URL('./fixtures/key.pem', import.meta.url));

const net = new Network({ clock: 'real', seed: 4 });
const nc = nodeNet(net.host('client', '10.0.0.1/24'));
const ns = nodeNet(net.host('server', '10.0.0.2/24'));

/**
 * TLS echo with a greeting: "hello <protocol>\n", then every byte back. allowHalfOpen: the TLS
 * layer decides when our side ends (after its close_notify and the last echoed bytes), as it
 * does over a native handle; a TCP socket that ended itself at the peer's FIN would cut the echo.
 */
const listener = ns.createServer({ allowHalfOpen: true }, (sock: NetSocket) => {
  const t = new tls.TLSSocket(sock, { isServer: true, key, cert });
  t.on('secure', () => t.write(`hello over ${t.getProtocol()}\n`));
  t.on('error', () => t.destroy());
  t.pipe(t);
});
const listening = new Promise<void>((resolve) => listener.listen(443, resolve));

// tls.createServer, fed with 'connection' events from a second nodeNet listener.
const tlsServer = tls.createServer({ key, cert }, (t) => t.end(`authorized=${t.authorized} servername=${(t as tls.TLSSocket & { servername?: string }).servername}\n`));
const listener2 = ns.createServer({ allowHalfOpen: true }, (sock) => tlsServer.emit('connection', sock));
const listening2 = new Promise<void>((resolve) => listener2.listen(8443, resolve));

after(() => {
  listener.close();
  listener2.close();
  net.close();
});

function readAll(t: tls.TLSSocket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    t.on('data', (d: Buffer) => parts.push(d));
    t.on('end', () => resolve(Buffer.concat(parts)));
    t.on('error', reject);
  });
}

describe('tls over nodeNet', () => {
  it('completes a handshake with the self-signed certificate as CA: authorized, data both ways', async () => {
    await listening;
    const t = tls.connect({ socket: nc.connect(443, '10.0.0.2'), ca: cert, servername: 'sockstack.test' });
    await once(t, 'secureConnect');
    assert.equal(t.authorized, true, String(t.authorizationError));
    assert.equal(t.getPeerCertificate().subject.CN, 'sockstack.test');
    const greeting = Buffer.from(`hello over ${t.getProtocol()}\n`);
    const payload = Buffer.alloc(300_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 17) & 0xff;
    const all = readAll(t);
    t.end(payload);
    const got = await all;
    assert.ok(got.subarray(0, greeting.length).equals(greeting), `greeting: ${got.subarray(0, 40).toString()}`);
    const echoed = got.subarray(greeting.length);
    assert.equal(echoed.length, payload.length);
    assert.equal(createHash('sha256').update(echoed).digest('hex'), createHash('sha256').update(payload).digest('hex'));
  });

  it('verifies the IP SAN when the client names 10.0.0.2 as its host', async () => {
    await listening;
    const t = tls.connect({ socket: nc.connect(443, '10.0.0.2'), ca: cert, host: '10.0.0.2' });
    await once(t, 'secureConnect');
    assert.equal(t.authorized, true);
    t.destroy();
  });

  it('a client without the CA gets the self-signed verification error', async () => {
    await listening;
    const t = tls.connect({ socket: nc.connect(443, '10.0.0.2'), servername: 'sockstack.test' });
    const [err] = (await once(t, 'error').catch((e: unknown) => [e])) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.match(err.message, /self[- ]signed certificate/);
  });

  it('tls.createServer fed with connection events works too', async () => {
    await listening2;
    const t = tls.connect({ socket: nc.connect(8443, '10.0.0.2'), ca: cert, servername: 'sockstack.test' });
    const got = await readAll(t);
    assert.equal(t.authorized, true);
    assert.equal(got.toString(), 'authorized=false servername=sockstack.test\n');
  });
});

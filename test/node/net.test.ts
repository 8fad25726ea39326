/**
 * nodeNet(host): Node's net module over sockstack, driven under virtual time inside net.run()
 * (plain net needs no real timer). Event order, errors, options and state as Node reports them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { Network, IPPROTO_TCP, SOL_SOCKET, SO_KEEPALIVE, TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_NODELAY, type Host } from '../../src/index.js';
import { nodeNet, type NodeNet, type NetServer, type NetSocket } from '../../src/node/net.js';
import type { Impairments } from '../../src/link/segment.js';

interface Pair {
  net: Network;
  a: Host;
  b: Host;
  /** net module of host a (the client, 10.0.0.1) */
  na: NodeNet;
  /** net module of host b (the server, 10.0.0.2) */
  nb: NodeNet;
}

function pair(seed = 11, link: Partial<Impairments> = {}): Pair {
  const net = new Network({ seed, link });
  const a = net.host('a', '10.0.0.1/24');
  const b = net.host('b', '10.0.0.2/24');
  return { net, a, b, na: nodeNet(a), nb: nodeNet(b) };
}

async function listen(server: NetServer, ...args: unknown[]): Promise<void> {
  (server.listen as (...x: unknown[]) => unknown)(...args);
  await once(server, 'listening');
}

/** Resolves with the error a socket emits, and checks that 'close' follows it with hadError. */
async function errorOf(s: NetSocket): Promise<NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string }> {
  const order: string[] = [];
  s.on('error', () => order.push('error'));
  const closed = new Promise<boolean>((resolve) => s.on('close', (hadError: boolean) => (order.push('close'), resolve(hadError))));
  const [err] = (await once(s, 'error')) as [NodeJS.ErrnoException];
  assert.equal(await closed, true, "'close' reports hadError");
  assert.deepEqual(order, ['error', 'close']);
  return err;
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >>> 8)) & 0xff;
  return b;
}

/** A server that echoes everything and ends when the client ends. */
function echoServer(nb: NodeNet): NetServer {
  return nb.createServer((s) => s.pipe(s));
}

describe('nodeNet: data', () => {
  for (const [name, link] of [
    ['a clean link', {}],
    ['a lossy, reordering link with latency', { latency: 3, jitter: 1, loss: 0.01, reorder: 0.01 }],
  ] as const) {
    it(`echoes 1 MiB intact over ${name} (hashes equal)`, async () => {
      const { net, na, nb } = pair(5, link);
      await net.run(async () => {
        const srv = echoServer(nb);
        await listen(srv, 7);
        const data = pattern(1 << 20);
        const c = na.connect(7, '10.0.0.2');
        const chunks: Buffer[] = [];
        c.on('data', (d: Buffer) => chunks.push(d));
        c.end(data);
        await once(c, 'close');
        const back = Buffer.concat(chunks);
        assert.equal(back.length, data.length);
        assert.equal(sha256(back), sha256(data));
        assert.equal(c.bytesRead, 1 << 20);
        assert.equal(c.bytesWritten, 1 << 20);
        srv.close();
        await once(srv, 'close');
      });
    });
  }

  it('counts bytesRead and bytesWritten on both sides, strings by their UTF-8 bytes', async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      let server!: NetSocket;
      const srv = nb.createServer((s) => {
        server = s;
        s.on('data', () => {});
        s.on('end', () => s.end('ok'));
      });
      await listen(srv, 80);
      const c = na.connect({ port: 80, host: '10.0.0.2' });
      c.resume();
      c.write('héllo'); // 6 bytes in UTF-8
      c.write(Buffer.alloc(1000));
      c.end();
      await once(c, 'close');
      assert.equal(c.bytesWritten, 1006);
      assert.equal(c.bytesRead, 2);
      assert.equal(server.bytesRead, 1006);
      assert.equal(server.bytesWritten, 2);
      srv.close();
    });
  });

  it('holds writes made before the connection exists and sends them once connected', async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      const got: string[] = [];
      const srv = nb.createServer((s) => {
        s.setEncoding('utf8');
        s.on('data', (d: string) => got.push(d));
        s.on('end', () => s.end());
      });
      await listen(srv, 80);
      const c = na.connect(80, '10.0.0.2');
      assert.equal(c.pending, true);
      c.write('early ');
      c.write('bird');
      assert.equal(c.bytesWritten, 10, 'queued bytes count, as in Node');
      c.end();
      c.resume();
      await once(c, 'close');
      assert.equal(got.join(''), 'early bird');
      srv.close();
    });
  });

  it('respects backpressure: a paused reader stops recv, the TCP window closes, the writer waits for drain', async () => {
    const { net, na, nb, b } = pair();
    await net.run(async () => {
      let server!: NetSocket;
      const srv = nb.createServer({ pauseOnConnect: true }, (s) => (server = s));
      await listen(srv, 80);
      const c = na.connect(80, '10.0.0.2');
      await once(c, 'connect');
      const total = 4 << 20;
      const data = pattern(total);
      let ok = true;
      let writes = 0;
      for (let off = 0; off < total && ok; off += 65536) {
        ok = c.write(data.subarray(off, off + 65536));
        writes++;
      }
      assert.equal(ok, false, 'write() says stop long before 4 MiB are in flight');
      await net.sleep(2000);
      // The server read at most a little past its highWaterMark; the rest waits in the stack.
      assert.ok(server.readableLength <= server.readableHighWaterMark + 65536, `server buffered ${server.readableLength} bytes`);
      assert.ok(server.bytesRead < total / 4, `server read ${server.bytesRead} bytes while paused`);
      const row = b.socketTable().find((r) => r.netid === 'tcp' && r.state === 'ESTAB');
      assert.ok(row && row.recvQ > 0, 'unread bytes wait in the receive queue');
      // Resume: everything arrives, the writer drains and finishes.
      const chunks: Buffer[] = [];
      server.on('data', (d: Buffer) => chunks.push(d));
      server.on('end', () => server.end());
      let off = writes * 65536;
      while (off < total) {
        if (!c.write(data.subarray(off, off + 65536))) await once(c, 'drain');
        off += 65536;
      }
      c.end();
      c.resume();
      await once(c, 'close');
      assert.equal(sha256(Buffer.concat(chunks)), sha256(data));
      srv.close();
    });
  });
});

describe('nodeNet: events and half-close', () => {
  it("emits 'connect' then 'ready', and 'end' then 'close', on both sides in Node's order", async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      const ev: string[] = [];
      let serverClosed!: Promise<unknown>;
      const srv = nb.createServer((s) => {
        ev.push('server:connection');
        s.on('data', (d: Buffer) => ev.push(`server:data ${d}`));
        s.on('end', () => ev.push('server:end'));
        s.on('finish', () => ev.push('server:finish'));
        serverClosed = once(s, 'close').then(([h]) => ev.push(`server:close ${h}`));
      });
      await listen(srv, 80);
      const c = na.connect(80, '10.0.0.2');
      c.on('connect', () => ev.push('client:connect'));
      c.on('ready', () => ev.push('client:ready'));
      c.on('end', () => ev.push('client:end'));
      c.on('finish', () => ev.push('client:finish'));
      c.on('close', (h: boolean) => ev.push(`client:close ${h}`));
      c.on('data', () => {});
      await once(c, 'ready');
      c.end('bye');
      await once(c, 'close');
      await serverClosed;
      assert.deepEqual(ev.filter((e) => e.startsWith('client')), ['client:connect', 'client:ready', 'client:finish', 'client:end', 'client:close false']);
      // allowHalfOpen false: the server ends its side when the client's FIN arrives.
      assert.deepEqual(ev.filter((e) => e.startsWith('server')), ['server:connection', 'server:data bye', 'server:end', 'server:finish', 'server:close false']);
      srv.close();
    });
  });

  it('allowHalfOpen true: the server reads the FIN, answers afterwards, then ends', async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      const states: string[] = [];
      const srv = nb.createServer({ allowHalfOpen: true }, (s) => {
        let req = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => (req += d));
        s.on('end', async () => {
          states.push(`server after peer FIN: ${s.readyState}`);
          await net.sleep(100); // still writable long after the FIN
          s.write(`got ${req}`);
          s.end();
        });
      });
      await listen(srv, 80);
      const c = na.connect({ port: 80, host: '10.0.0.2', allowHalfOpen: true });
      let reply = '';
      c.setEncoding('utf8');
      c.on('data', (d: string) => (reply += d));
      await once(c, 'connect');
      states.push(`client open: ${c.readyState}`);
      c.end('question');
      await once(c, 'finish');
      states.push(`client after end(): ${c.readyState}`);
      await once(c, 'end');
      states.push(`client after peer FIN: ${c.readyState}`);
      await once(c, 'close');
      assert.equal(reply, 'got question');
      // The client's 'finish' and the server's 'end' happen at the same instant (the link has no
      // latency): either may be emitted first.
      assert.equal(states.length, 4);
      assert.equal(states[0], 'client open: open');
      assert.deepEqual(states.slice(1, 3).sort(), ['client after end(): readOnly', 'server after peer FIN: writeOnly']);
      assert.equal(states[3], 'client after peer FIN: closed');
      srv.close();
    });
  });

  it('allowHalfOpen false: the peer end()s for us; a write after its FIN is an EPIPE error', async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      const srv = nb.createServer((s) => {
        s.resume();
        s.end('server is done');
      });
      await listen(srv, 80);
      const c = na.connect(80, '10.0.0.2');
      c.resume();
      await once(c, 'end');
      // Node: once 'end' was emitted without allowHalfOpen, our side is ending too.
      assert.equal(c.writableEnded, true);
      await once(c, 'close');
      srv.close();
    });
  });

  it('readyState: opening, open, readOnly, closed; pending until connected', async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      const srv = nb.createServer({ allowHalfOpen: true }, (s) => {
        s.resume();
        s.on('end', () => setImmediateOnHost(net, () => s.end()));
      });
      await listen(srv, 80);
      const s = new na.Socket();
      assert.equal(s.pending, true);
      s.connect(80, '10.0.0.2');
      const seen = [s.readyState];
      await once(s, 'connect');
      assert.equal(s.pending, false);
      seen.push(s.readyState);
      s.end();
      await once(s, 'finish');
      seen.push(s.readyState);
      s.resume();
      await once(s, 'close');
      seen.push(s.readyState);
      assert.deepEqual(seen, ['opening', 'open', 'readOnly', 'closed']);
      assert.equal(s.destroyed, true);
      srv.close();
    });
  });

  it('destroySoon() ends, then destroys after the writes are done', async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      let got = 0;
      const srv = nb.createServer((s) => s.on('data', (d: Buffer) => (got += d.length)));
      await listen(srv, 80);
      const c = na.connect(80, '10.0.0.2');
      c.write(Buffer.alloc(100_000));
      c.destroySoon();
      await once(c, 'close');
      assert.equal(c.writableFinished, true);
      await net.sleep(100);
      assert.equal(got, 100_000);
      srv.close();
    });
  });
});

/** Runs `fn` soon on the host's clock (no real timer inside net.run). */
function setImmediateOnHost(net: Network, fn: () => void): void {
  void net.sleep(0).then(fn);
}

describe('nodeNet: errors', () => {
  it('ECONNREFUSED as a Node error: code, errno -111, syscall, address, port, message', async () => {
    const { net, na } = pair();
    await net.run(async () => {
      const c = na.connect(81, '10.0.0.2');
      const err = await errorOf(c);
      assert.equal(err.message, 'connect ECONNREFUSED 10.0.0.2:81');
      assert.equal(err.code, 'ECONNREFUSED');
      assert.equal(err.errno, -111);
      assert.equal(err.syscall, 'connect');
      assert.equal(err.address, '10.0.0.2');
      assert.equal(err.port, 81);
      assert.equal(c.destroyed, true);
      assert.equal(c.readyState, 'closed');
    });
  });

  it('EADDRINUSE on listen, as Node words it', async () => {
    const { net, nb } = pair();
    await net.run(async () => {
      const first = nb.createServer();
      await listen(first, 80);
      const second = nb.createServer();
      second.listen(80);
      const [err] = (await once(second, 'error')) as [NodeJS.ErrnoException & { address: string; port: number }];
      assert.equal(err.message, 'listen EADDRINUSE: address already in use 0.0.0.0:80');
      assert.equal(err.code, 'EADDRINUSE');
      assert.equal(err.errno, -98);
      assert.equal(err.syscall, 'listen');
      assert.equal(err.address, '0.0.0.0');
      assert.equal(err.port, 80);
      assert.equal(second.listening, false);
      assert.equal(second.address(), null);
      first.close();
    });
  });

  it('EACCES below port 1024 for an unprivileged process; fine above', async () => {
    const { net, b } = pair();
    await net.run(async () => {
      const nu = nodeNet(b, { privileged: false });
      const s = nu.createServer();
      s.listen(80, '10.0.0.2');
      const [err] = (await once(s, 'error')) as [NodeJS.ErrnoException];
      assert.equal(err.message, 'listen EACCES: permission denied 10.0.0.2:80');
      assert.equal(err.code, 'EACCES');
      assert.equal(err.errno, -13);
      const ok = nu.createServer();
      await listen(ok, 8080);
      assert.equal(ok.address()!.port, 8080);
      ok.close();
    });
  });

  it('resetAndDestroy() sends an RST: the peer gets ECONNRESET', async () => {
    const { net, na, nb, a } = pair();
    await net.run(async () => {
      let server!: NetSocket;
      const srv = nb.createServer((s) => (server = s));
      await listen(srv, 80);
      const c = na.connect(80, '10.0.0.2');
      await once(c, 'connect');
      await net.sleep(10);
      const errP = errorOf(server);
      const rsts = a.counters.tcp.outRsts;
      c.resetAndDestroy();
      await once(c, 'close');
      const err = await errP;
      assert.equal(err.code, 'ECONNRESET');
      assert.equal(err.errno, -104);
      assert.equal(err.syscall, 'read');
      assert.equal(err.message, 'read ECONNRESET');
      assert.equal(a.counters.tcp.outRsts, rsts + 1);
      srv.close();
    });
  });

  it(
    "a peer's RST while we are blocked in a large write is ECONNRESET, as on Linux",
    async () => {
      const { net, na, nb, b } = pair();
      await net.run(async () => {
        let server!: NetSocket;
        // pauseOnConnect: no recv is pending, so only the blocked write can learn of the RST.
        const srv = nb.createServer({ pauseOnConnect: true }, (s) => {
          server = s;
          s.write(Buffer.alloc(4 << 20)); // far more than the send buffer: the write blocks
        });
        await listen(srv, 80);
        const c = na.connect(80, '10.0.0.2');
        c.pause(); // the client reads no further than its highWaterMark: the windows fill up
        await once(c, 'connect');
        await net.sleep(500);
        assert.ok(b.sockets.blocked.size >= 2, `the server is blocked in send: ${[...b.sockets.blocked.values()].join(', ')}`);
        const errP = errorOf(server);
        c.resetAndDestroy();
        const err = await errP;
        srv.close();
        assert.equal(err.code, 'ECONNRESET', `got ${err.message}`);
      });
    },
  );

  it('ENOTFOUND for a name without a lookup, as getaddrinfo reports it (after a lookup event)', async () => {
    const { net, na } = pair();
    await net.run(async () => {
      const c = na.connect(80, 'nowhere.test');
      const lookups: unknown[][] = [];
      c.on('lookup', (...args: unknown[]) => lookups.push(args));
      const err = await errorOf(c);
      assert.equal(err.code, 'ENOTFOUND');
      assert.equal(err.syscall, 'getaddrinfo');
      assert.equal(err.hostname, 'nowhere.test');
      assert.equal(err.errno, -3008);
      assert.equal(err.message, 'getaddrinfo ENOTFOUND nowhere.test');
      assert.equal(lookups.length, 1);
      assert.equal(lookups[0]![0], err);
      assert.equal(lookups[0]![3], 'nowhere.test');
    });
  });

  it('EAFNOSUPPORT for IPv6: a literal, family 6, listening on ::', async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      const v6lookup = (_h: string, _o: unknown, cb: (e: null, a: string, f: number) => void): void => cb(null, '::1', 6);
      for (const open of [
        () => na.connect(80, '::1'),
        () => na.connect({ port: 80, host: '10.0.0.2', family: 6 }),
        () => na.connect({ port: 80, host: 'v6only.test', lookup: v6lookup }),
      ]) {
        const err = await errorOf(open());
        assert.equal(err.code, 'EAFNOSUPPORT');
        assert.match(err.message, /IPv6/);
      }
      const s = nb.createServer();
      s.listen(80, '::');
      const [err] = (await once(s, 'error')) as [NodeJS.ErrnoException];
      assert.equal(err.code, 'EAFNOSUPPORT');
      assert.equal(err.syscall, 'listen');
    });
  });

  it('a path (Unix domain socket) is a clear error; so is a bad port', () => {
    const { na, nb } = pair();
    assert.throws(() => na.connect('/tmp/sock'), { code: 'ERR_INVALID_ARG_VALUE', message: /Unix domain sockets/ });
    assert.throws(() => na.connect({ path: '/tmp/sock' }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => nb.createServer().listen('/tmp/sock'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => na.connect(70000, '10.0.0.2'), { code: 'ERR_SOCKET_BAD_PORT', name: 'RangeError' });
    assert.throws(() => nb.createServer().listen(-1), { code: 'ERR_SOCKET_BAD_PORT' });
  });
});

describe('nodeNet: names and lookup', () => {
  it('address() and remote*/local* on both ends', async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      let server!: NetSocket;
      const srv = nb.createServer((s) => (server = s));
      await listen(srv, 80, '10.0.0.2');
      assert.deepEqual(srv.address(), { address: '10.0.0.2', family: 'IPv4', port: 80 });
      const c = na.connect(80, '10.0.0.2');
      assert.deepEqual(c.address(), {}, 'no name before bind/connect');
      await once(c, 'connect');
      await net.sleep(1);
      const local = c.address() as { address: string; family: string; port: number };
      assert.equal(local.address, '10.0.0.1');
      assert.equal(local.family, 'IPv4');
      assert.ok(local.port >= 1024);
      assert.equal(c.localAddress, '10.0.0.1');
      assert.equal(c.localPort, local.port);
      assert.deepEqual([c.remoteAddress, c.remotePort, c.remoteFamily], ['10.0.0.2', 80, 'IPv4']);
      assert.deepEqual(server.address(), { address: '10.0.0.2', family: 'IPv4', port: 80 });
      assert.deepEqual([server.remoteAddress, server.remotePort, server.remoteFamily], ['10.0.0.1', local.port, 'IPv4']);
      c.destroy();
      await once(c, 'close');
      assert.deepEqual(c.address(), {}, 'our name is gone once closed, as in Node');
      assert.equal(c.remoteAddress, '10.0.0.2', 'the peer name stays known');
      srv.close();
    });
  });

  it('localAddress/localPort bind the client end', async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      const peers: string[] = [];
      const srv = nb.createServer((s) => {
        peers.push(`${s.remoteAddress}:${s.remotePort}`);
        s.end();
      });
      await listen(srv, 80);
      const c = na.connect({ port: 80, host: '10.0.0.2', localAddress: '10.0.0.1', localPort: 40000 });
      c.resume();
      await once(c, 'close');
      assert.deepEqual(peers, ['10.0.0.1:40000']);
      srv.close();
    });
  });

  it("a lookup option resolves names; 'lookup' is emitted before 'connect'", async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      const srv = echoServer(nb);
      await listen(srv, 7);
      const asked: unknown[] = [];
      const c = na.connect({
        port: 7,
        host: 'server.test',
        lookup: (name, opts, cb) => {
          asked.push(name, opts.family);
          cb(null, '10.0.0.2', 4);
        },
      });
      const ev: unknown[] = [];
      c.on('lookup', (err: unknown, address: string, family: number, host: string) => ev.push(['lookup', err, address, family, host]));
      c.on('connect', () => ev.push('connect'));
      c.setEncoding('utf8');
      let got = '';
      c.on('data', (d: string) => (got += d));
      c.end('via a name');
      await once(c, 'close');
      assert.deepEqual(asked, ['server.test', 4]);
      assert.deepEqual(ev, [['lookup', null, '10.0.0.2', 4, 'server.test'], 'connect']);
      assert.equal(got, 'via a name');
      srv.close();
    });
  });

  it("a lookup's error is the connection's error", async () => {
    const { net, na } = pair();
    await net.run(async () => {
      const failure = Object.assign(new Error('getaddrinfo EAI_AGAIN flaky.test'), { code: 'EAI_AGAIN' });
      const c = na.connect({ port: 80, host: 'flaky.test', lookup: (_h, _o, cb) => cb(failure, '') });
      assert.equal(await errorOf(c), failure);
    });
  });

  it("'localhost' needs no lookup: loopback on one host; default host is localhost", async () => {
    const { net, nb } = pair();
    await net.run(async () => {
      const srv = echoServer(nb);
      await listen(srv, 7);
      for (const c of [nb.connect(7, 'localhost'), nb.connect(7)]) {
        c.setEncoding('utf8');
        let got = '';
        c.on('data', (d: string) => (got += d));
        c.end('loop');
        await once(c, 'close');
        assert.equal(got, 'loop');
        assert.equal(c.remoteAddress, '127.0.0.1');
      }
      srv.close();
    });
  });

  it('isIP, isIPv4, isIPv6 as Node', () => {
    const { na } = pair();
    assert.equal(na.isIP('10.0.0.1'), 4);
    assert.equal(na.isIP('::1'), 6);
    assert.equal(na.isIP('example.com'), 0);
    assert.equal(na.isIPv4('010.0.0.1'), false);
    assert.equal(na.isIPv6('fe80::1%eth0'), true);
  });
});

describe('nodeNet: timeouts and options', () => {
  it("the timeout option fires 'timeout' while a connect hangs; the socket stays until destroyed", async () => {
    const { net, na } = pair();
    await net.run(async () => {
      const t0 = net.now();
      // Nobody answers ARP for 10.0.0.9: the handshake cannot finish within 500 ms.
      const c = na.connect({ port: 80, host: '10.0.0.9', timeout: 500 });
      await once(c, 'timeout');
      assert.ok(net.now() - t0 >= 500, `'timeout' after ${net.now() - t0} ms of virtual time`);
      assert.equal(c.destroyed, false, "'timeout' does not destroy");
      assert.equal(c.readyState, 'opening');
      assert.equal(c.timeout, 500);
      c.destroy();
      const [hadError] = await once(c, 'close');
      assert.equal(hadError, false);
    });
  });

  it("setTimeout: 'timeout' after idle time; activity postpones it; 0 turns it off", async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      const srv = nb.createServer((s) => s.resume());
      await listen(srv, 80);
      const c = na.connect(80, '10.0.0.2');
      await once(c, 'connect');
      const times: number[] = [];
      const t0 = net.now();
      c.setTimeout(1000, () => times.push(net.now() - t0));
      await net.sleep(600);
      c.write('activity');
      await once(c, 'timeout');
      assert.equal(times.length, 1);
      assert.ok(times[0]! >= 1600, `idle timer restarted by the write (fired at +${times[0]} ms)`);
      // After firing, the next activity starts a new idle period.
      c.write('more');
      await once(c, 'timeout');
      c.setTimeout(0);
      let fired = false;
      c.on('timeout', () => (fired = true));
      await net.sleep(5000);
      assert.equal(fired, false);
      c.destroy();
      srv.close();
    });
  });

  it('setNoDelay and setKeepAlive set TCP_NODELAY, SO_KEEPALIVE and TCP_KEEPIDLE; connect options too', async () => {
    const { net, na, nb, a, b } = pair();
    await net.run(async () => {
      const opts: unknown[] = [];
      const srv = nb.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 7000 }, (s) => {
        const fd = s.fd!;
        opts.push(b.sockets.getsockopt(fd, IPPROTO_TCP, TCP_NODELAY), b.sockets.getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE), b.sockets.getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE));
        s.resume();
      });
      await listen(srv, 80);
      const c = na.connect({ port: 80, host: '10.0.0.2', noDelay: true, keepAlive: true, keepAliveInitialDelay: 3000 });
      await once(c, 'connect');
      const s = a.sockets;
      assert.equal(s.getsockopt(c.fd!, IPPROTO_TCP, TCP_NODELAY), 1);
      assert.equal(s.getsockopt(c.fd!, SOL_SOCKET, SO_KEEPALIVE), 1);
      assert.equal(s.getsockopt(c.fd!, IPPROTO_TCP, TCP_KEEPIDLE), 3);
      assert.equal(c.setNoDelay(false), c);
      assert.equal(s.getsockopt(c.fd!, IPPROTO_TCP, TCP_NODELAY), 0);
      c.setKeepAlive(true, 60_000);
      assert.equal(s.getsockopt(c.fd!, IPPROTO_TCP, TCP_KEEPIDLE), 60);
      c.setKeepAlive(false);
      assert.equal(s.getsockopt(c.fd!, SOL_SOCKET, SO_KEEPALIVE), 0);
      assert.equal(c.ref(), c);
      assert.equal(c.unref(), c);
      await net.sleep(1);
      assert.deepEqual(opts, [1, 1, 7], 'the server applied its options to the accepted socket');
      c.destroy();
      srv.close();
    });
  });
});

describe('nodeNet: keepalive', () => {
  it('setKeepAlive probes an idle connection; a dead peer is a read ETIMEDOUT', async () => {
    const { net, na, nb, a } = pair();
    await net.run(async () => {
      const srv = nb.createServer((s) => {
        s.resume();
        s.on('error', () => {});
      });
      await listen(srv, 80);
      const c = na.connect(80, '10.0.0.2');
      await once(c, 'connect');
      c.setKeepAlive(true, 2000);
      a.sockets.setsockopt(c.fd!, IPPROTO_TCP, TCP_KEEPINTVL, 1);
      a.sockets.setsockopt(c.fd!, IPPROTO_TCP, TCP_KEEPCNT, 3);
      const t0 = net.now();
      net.segment('default', { loss: 1 }); // the peer vanishes
      const err = await errorOf(c);
      assert.equal(err.message, 'read ETIMEDOUT');
      assert.equal(err.errno, -110);
      // Linux: idle 2 s, then 3 probes 1 s apart go unanswered.
      assert.equal(net.now() - t0, 5000);
      srv.close();
    });
  });
});

describe('nodeNet: Server', () => {
  it('every listen overload; port 0 is ephemeral', async () => {
    const { net, nb } = pair();
    await net.run(async () => {
      const servers: NetServer[] = [];
      const mk = (): NetServer => {
        const s = nb.createServer();
        servers.push(s);
        return s;
      };
      let s = mk();
      await listen(s, 0);
      assert.ok(s.address()!.port >= 32768, 'an ephemeral port');
      assert.equal(s.address()!.address, '0.0.0.0');
      s = mk();
      let called = false;
      s.listen(() => (called = true));
      await once(s, 'listening');
      assert.ok(called && s.address()!.port > 0);
      s = mk();
      await listen(s, 81, '10.0.0.2', 5);
      assert.deepEqual(s.address(), { address: '10.0.0.2', family: 'IPv4', port: 81 });
      s = mk();
      await listen(s, 82, 5);
      assert.equal(s.address()!.port, 82);
      s = mk();
      await listen(s, '83');
      assert.equal(s.address()!.port, 83);
      s = mk();
      await listen(s, { port: 84, host: 'localhost', backlog: 1, exclusive: true });
      assert.deepEqual(s.address(), { address: '127.0.0.1', family: 'IPv4', port: 84 });
      assert.throws(() => s.listen(85), { code: 'ERR_SERVER_ALREADY_LISTEN' });
      for (const x of servers) {
        assert.equal(x.listening, true);
        x.close();
        assert.equal(x.listening, false);
      }
    });
  });

  it("close(): stops accepting at once, 'close' only after the last connection ended", async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      const conns: NetSocket[] = [];
      const srv = nb.createServer((s) => {
        conns.push(s);
        s.resume();
      });
      await listen(srv, 80);
      const c = na.connect(80, '10.0.0.2');
      c.resume();
      await once(c, 'connect');
      await net.sleep(1);
      let closed = false;
      let cbErr: unknown = 'not called';
      srv.close((err) => {
        closed = true;
        cbErr = err;
      });
      assert.equal(srv.listening, false);
      const refused = na.connect(80, '10.0.0.2');
      assert.equal((await errorOf(refused)).code, 'ECONNREFUSED');
      await net.sleep(1000);
      assert.equal(closed, false, "no 'close' while a connection is open");
      c.end();
      await once(srv, 'close');
      assert.equal(closed, true);
      assert.equal(cbErr, undefined);
      // close() on a server that is not listening: the callback gets ERR_SERVER_NOT_RUNNING.
      const [err] = await new Promise<unknown[]>((resolve) => srv.close((...args) => resolve(args)));
      assert.equal((err as NodeJS.ErrnoException).code, 'ERR_SERVER_NOT_RUNNING');
    });
  });

  it('listen({ signal }): aborting the signal closes the server', async () => {
    const { net, nb } = pair();
    await net.run(async () => {
      const ac = new AbortController();
      const srv = nb.createServer();
      await listen(srv, { port: 80, signal: ac.signal });
      assert.equal(srv.listening, true);
      ac.abort();
      await once(srv, 'close');
      assert.equal(srv.listening, false);
    });
  });

  it('getConnections counts open connections', async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      const srv = nb.createServer((s) => s.resume());
      await listen(srv, 80);
      const count = (): Promise<number> => new Promise((resolve, reject) => srv.getConnections((e, n) => (e ? reject(e) : resolve(n))));
      assert.equal(await count(), 0);
      const c1 = na.connect(80, '10.0.0.2');
      const c2 = na.connect(80, '10.0.0.2');
      await Promise.all([once(c1, 'connect'), once(c2, 'connect')]);
      await net.sleep(1);
      assert.equal(await count(), 2);
      c1.end();
      c1.resume();
      await once(c1, 'close');
      await net.sleep(1);
      assert.equal(await count(), 1);
      c2.destroy();
      srv.close();
    });
  });

  it("maxConnections: the excess connection is closed and reported by 'drop'", async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      let accepted = 0;
      const srv = nb.createServer((s) => {
        accepted++;
        s.resume();
      });
      srv.maxConnections = 1;
      const drops: unknown[] = [];
      srv.on('drop', (d: unknown) => drops.push(d));
      await listen(srv, 80);
      const c1 = na.connect(80, '10.0.0.2');
      await once(c1, 'connect');
      await net.sleep(1);
      const c2 = na.connect(80, '10.0.0.2');
      c2.resume();
      await once(c2, 'connect');
      const port2 = c2.localPort;
      await once(c2, 'close'); // the server closed it at once
      assert.equal(accepted, 1);
      assert.deepEqual(drops, [{ localAddress: '10.0.0.2', localPort: 80, localFamily: 'IPv4', remoteAddress: '10.0.0.1', remotePort: port2, remoteFamily: 'IPv4' }]);
      c1.destroy();
      srv.close();
    });
  });

  it('new Server() and new Socket() are bound to the host', async () => {
    const { net, na, nb } = pair();
    await net.run(async () => {
      const srv = new nb.Server((s) => s.end('hi'));
      await listen(srv, 80);
      const c = new na.Socket();
      c.connect({ port: 80, host: '10.0.0.2' });
      c.setEncoding('utf8');
      let got = '';
      c.on('data', (d: string) => (got += d));
      await once(c, 'close');
      assert.equal(got, 'hi');
      assert.equal(na.host.name, 'a');
      srv.close();
    });
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { Network, AF_INET, SOCK_STREAM, SOCK_DGRAM, type Host } from '../../src/index.js';
import { DEFAULT_SERVICES, startServices } from '../../src/apps/services.js';
import { sendAll } from '../../src/apps/tcp-echo.js';
import { ncCommand, parseNcArgs, runNc, ChunkReader, type NcOptions } from '../../src/cli/nc-command.js';
import { UsageError } from '../../src/cli/link-options.js';
import type { CliIo } from '../../src/cli/cli-io.js';

interface TestIo extends CliIo {
  stdin: PassThrough;
  stdout: PassThrough;
  out(): Buffer;
  err(): string;
  abort(): void;
}

/** In-process standard streams: stdin to write into, stdout/stderr collected. */
function makeIo(): TestIo {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const outChunks: Buffer[] = [];
  let errText = '';
  stdout.on('data', (c: Buffer) => outChunks.push(c));
  stderr.on('data', (c: Buffer) => (errText += c.toString()));
  const ac = new AbortController();
  return {
    stdin,
    stdout,
    stderr,
    signal: ac.signal,
    out: () => Buffer.concat(outChunks),
    err: () => errText,
    abort: () => ac.abort(),
  };
}

interface TestStack {
  net: Network;
  host: Host;
  peer: Host;
  close(): Promise<void>;
}

/** The network `sockstack nc` builds without --tap: us at 10.0.0.1, the peer's services at 10.0.0.2. */
function makeStack(services = true): TestStack {
  const net = new Network({ clock: 'real', seed: 5 });
  const host = net.host('sockstack', '10.0.0.1/24');
  const peer = net.host('peer', '10.0.0.2/24');
  const svc = services ? startServices(peer.sockets, DEFAULT_SERVICES) : null;
  return {
    net,
    host,
    peer,
    close: async () => {
      await svc?.close();
      net.close();
    },
  };
}

function opts(o: Partial<NcOptions>): NcOptions {
  return { udp: false, listen: false, verbose: false, host: '10.0.0.2', port: 7, connectTimeoutMs: null, quitMs: null, sourcePort: null, sourceAddr: null, ...o };
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Waits (polling the event loop) until `cond` holds; a condition, never a time, is asserted. */
async function until(cond: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

test('TCP client: 1 MiB of random bytes through the peer\'s echo come back identical', async () => {
  const s = makeStack();
  try {
    const io = makeIo();
    const data = randomBytes(1 << 20);
    // Written in odd-sized pieces, some larger than nc's 64 KiB read size.
    for (let off = 0; off < data.length; off += 100_003) io.stdin.write(data.subarray(off, off + 100_003));
    io.stdin.end();
    const code = await runNc(s, opts({ port: 7 }), io);
    assert.equal(code, 0, io.err());
    assert.equal(io.out().length, data.length);
    assert.equal(sha(io.out()), sha(data));
  } finally {
    await s.close();
  }
});

test('ChunkReader hands stdin over in pieces of at most 64 KiB, binary-safe, then null at EOF', async () => {
  const stdin = new PassThrough();
  const data = randomBytes(200_000);
  stdin.end(data);
  const r = new ChunkReader(stdin);
  const parts: Uint8Array[] = [];
  for (let c = await r.next(); c !== null; c = await r.next()) parts.push(c);
  r.dispose();
  assert.ok(parts.every((p) => p.length > 0 && p.length <= 65536), parts.map((p) => p.length).join(','));
  assert.equal(sha(Buffer.concat(parts)), sha(data));
});

test('half-close: stdin EOF sends our FIN, and the peer\'s answer after it still reaches stdout', async () => {
  const s = makeStack(false);
  try {
    const p = s.peer.sockets;
    const lfd = p.socket(AF_INET, SOCK_STREAM, 0);
    p.bind(lfd, { address: '0.0.0.0', port: 5000 });
    p.listen(lfd, 1);
    // A server that answers only once it has read the client's EOF, then closes.
    const server = (async () => {
      const [fd] = await p.accept(lfd);
      let n = 0;
      for (let d = await p.read(fd, 4096); d.length > 0; d = await p.read(fd, 4096)) n += d.length;
      await sendAll(p, fd, new TextEncoder().encode(`got ${n} bytes after your EOF\n`));
      await p.close(fd);
      await p.close(lfd);
    })();
    const io = makeIo();
    io.stdin.end('hello, half-closed world\n');
    const code = await runNc(s, opts({ port: 5000 }), io);
    await server;
    assert.equal(code, 0, io.err());
    assert.equal(io.out().toString(), 'got 25 bytes after your EOF\n');
    assert.equal(s.host.sockets.openSockets().length, 0, 'nc closed its socket');
  } finally {
    await s.close();
  }
});

test('backpressure: a peer that does not read holds stdin back instead of nc reading it all', async () => {
  const s = makeStack(false);
  try {
    const p = s.peer.sockets;
    const lfd = p.socket(AF_INET, SOCK_STREAM, 0);
    p.bind(lfd, { address: '0.0.0.0', port: 5001 });
    p.listen(lfd, 1);
    let release: () => void = () => {};
    const released = new Promise<void>((r) => (release = r));
    let received = 0;
    const server = (async () => {
      const [fd] = await p.accept(lfd);
      await released;
      for (let d = await p.read(fd, 65536); d.length > 0; d = await p.read(fd, 65536)) received += d.length;
      await p.close(fd);
      await p.close(lfd);
    })();
    // A pull source like a file or pipe: a 64 KiB piece each time the stream asks for more.
    const total = 8 << 20;
    const piece = 65536;
    let pulled = 0;
    const stdin = new Readable({
      highWaterMark: piece,
      read() {
        if (pulled >= total) return void this.push(null);
        pulled += piece;
        this.push(randomBytes(piece));
      },
    });
    const io = { ...makeIo(), stdin };
    const run = runNc(s, opts({ port: 5001 }), io);
    // Wait until our send buffer is full: from then on nc can only wait for the peer.
    await until(() => s.host.tcp.endpoints().some((e) => e.remotePort === 5001 && e.sendBuf.length > 0 && e.sendBuf.free === 0), 'a full send buffer');
    await new Promise((r) => setTimeout(r, 20)); // let anything that would over-read do so
    const cfg = s.host.tcp.config;
    // In flight at most: the peer's receive buffer, our send buffer, the piece being sent,
    // the one nc holds and the stream's own buffer.
    assert.ok(pulled <= cfg.rcvBuf + cfg.sndBuf + 4 * piece, `pulled ${pulled} bytes of stdin while the peer reads nothing`);
    release();
    assert.equal(await run, 0, io.err());
    await server;
    assert.equal(pulled, total);
    assert.equal(received, total);
  } finally {
    await s.close();
  }
});

test('a refused port: the netcat-openbsd message and status 1', async () => {
  const s = makeStack();
  try {
    const io = makeIo();
    io.stdin.end('x');
    const code = await runNc(s, opts({ port: 5 }), io);
    assert.equal(code, 1);
    assert.equal(io.err(), 'sockstack nc: connect to 10.0.0.2 port 5 (tcp) failed: Connection refused\n');
    assert.equal(s.host.sockets.openSockets().length, 0);
  } finally {
    await s.close();
  }
});

test('-w: a connect that gets no answer gives up after the timeout', async () => {
  const s = makeStack();
  try {
    const io = makeIo();
    // Nobody has 10.0.0.99: ARP goes unanswered, the SYN never leaves.
    const code = await runNc(s, opts({ host: '10.0.0.99', port: 80, connectTimeoutMs: 200 }), io);
    assert.equal(code, 1);
    assert.equal(io.err(), 'sockstack nc: connect to 10.0.0.99 port 80 (tcp) timed out: Operation now in progress\n');
  } finally {
    await s.close();
  }
});

test('-v says where it connected', async () => {
  const s = makeStack();
  try {
    const io = makeIo();
    io.stdin.end('');
    const code = await runNc(s, opts({ port: 9, verbose: true }), io);
    assert.equal(code, 0, io.err());
    assert.equal(io.err(), 'Connection to 10.0.0.2 9 port [tcp/*] succeeded!\n');
    assert.equal(io.out().length, 0, 'discard answers nothing');
  } finally {
    await s.close();
  }
});

test('-l: accepts one connection from the peer, copies both ways, ends when the peer closes', async () => {
  const s = makeStack(false);
  try {
    const io = makeIo();
    io.stdin.write('hello from nc\n'); // stdin stays open: a listener ends on the peer's EOF
    const run = runNc(s, opts({ listen: true, host: '0.0.0.0', port: 4000, verbose: true }), io);
    const p = s.peer.sockets;
    const fd = p.socket(AF_INET, SOCK_STREAM, 0);
    await p.connect(fd, { address: '10.0.0.1', port: 4000 });
    const local = p.getsockname(fd);
    await sendAll(p, fd, new TextEncoder().encode('hello from peer\n'));
    let got = '';
    while (!got.endsWith('\n')) got += new TextDecoder().decode(await p.read(fd, 100));
    assert.equal(got, 'hello from nc\n');
    await p.close(fd);
    assert.equal(await run, 0, io.err());
    assert.equal(io.out().toString(), 'hello from peer\n');
    assert.equal(io.err(), `Listening on 0.0.0.0 4000\nConnection received on 10.0.0.2 ${local.port}\n`);
    assert.equal(s.host.sockets.openSockets().length, 0, 'listener and connection closed');
  } finally {
    await s.close();
  }
});

test('-l on a port already listening: EADDRINUSE message and status 1', async () => {
  const s = makeStack(false);
  try {
    const h = s.host.sockets;
    const taken = h.socket(AF_INET, SOCK_STREAM, 0);
    h.bind(taken, { address: '0.0.0.0', port: 4001 });
    h.listen(taken, 1);
    const io = makeIo();
    const code = await runNc(s, opts({ listen: true, host: '0.0.0.0', port: 4001 }), io);
    assert.equal(code, 1);
    assert.match(io.err(), /^sockstack nc: (bind to|listen on) 0\.0\.0\.0 port 4001 \(tcp\) failed: Address already in use\n$/);
    await h.close(taken);
  } finally {
    await s.close();
  }
});

test('a signal while connected: sockets closed, status 130', async () => {
  const s = makeStack();
  try {
    const io = makeIo();
    io.stdin.write('still typing');
    const run = runNc(s, opts({ port: 7 }), io);
    await until(() => io.out().toString() === 'still typing', 'the echo');
    io.abort();
    assert.equal(await run, 130);
    assert.equal(s.host.sockets.openSockets().length, 0);
  } finally {
    await s.close();
  }
});

test('a signal while -l waits for a connection: status 130', async () => {
  const s = makeStack(false);
  try {
    const io = makeIo();
    const run = runNc(s, opts({ listen: true, host: '0.0.0.0', port: 4002 }), io);
    await until(() => s.host.tcp.endpoints().some((e) => e.localPort === 4002), 'the listener');
    io.abort();
    assert.equal(await run, 130);
    assert.equal(s.host.sockets.openSockets().length, 0);
  } finally {
    await s.close();
  }
});

test('stdout going away (EPIPE) ends nc with status 1 instead of an uncaught stream error', async () => {
  const s = makeStack();
  try {
    const io = makeIo();
    io.stdin.write('x'); // stdin stays open; chargen never stops: only the failed stdout can end this
    let seen = 0;
    io.stdout.on('data', (c: Buffer) => {
      seen += c.length;
      if (seen > 10_000) io.stdout.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    });
    const code = await runNc(s, opts({ port: 19 }), io);
    assert.equal(code, 1);
    assert.equal(io.err(), 'sockstack nc: stdout: write EPIPE\n');
    assert.equal(s.host.sockets.openSockets().length, 0);
  } finally {
    await s.close();
  }
});

test('-u: datagrams of at most 1472 bytes to the peer\'s UDP echo, every answer to stdout', async () => {
  const s = makeStack(false);
  try {
    const p = s.peer.sockets;
    const ufd = p.socket(AF_INET, SOCK_DGRAM, 0);
    p.bind(ufd, { address: '0.0.0.0', port: 6000 });
    const sizes: number[] = [];
    const echo = (async () => {
      for (;;) {
        const [d, from] = await p.recvfrom(ufd, 65535).catch(() => [null, null] as const);
        if (!d) return;
        sizes.push(d.length);
        await p.sendto(ufd, d, 0, from);
      }
    })();
    const io = makeIo();
    const data = randomBytes(3000);
    io.stdin.end(data);
    const code = await runNc(s, opts({ udp: true, port: 6000, quitMs: 300 }), io);
    assert.equal(code, 0, io.err());
    assert.deepEqual(sizes, [1472, 1472, 56]);
    assert.equal(sha(io.out()), sha(data));
    await p.close(ufd);
    await echo;
  } finally {
    await s.close();
  }
});

test('-u to the peer\'s echo service (DEFAULT_SERVICES)', async () => {
  const s = makeStack();
  try {
    const io = makeIo();
    io.stdin.end('ping over udp\n');
    const code = await runNc(s, opts({ udp: true, port: 7, quitMs: 300 }), io);
    assert.equal(code, 0, io.err());
    assert.equal(io.out().toString(), 'ping over udp\n');
  } finally {
    await s.close();
  }
});

test('-u to a closed port: the ICMP port unreachable shows as ECONNREFUSED, status 1', async () => {
  const s = makeStack();
  try {
    const io = makeIo();
    io.stdin.end('anyone?\n');
    const code = await runNc(s, opts({ udp: true, port: 5, quitMs: 5000 }), io);
    assert.equal(code, 1);
    assert.match(io.err(), /^sockstack nc: (read from|write to) 10\.0\.0\.2 port 5 \(udp\) failed: Connection refused\n$/);
  } finally {
    await s.close();
  }
});

test('-u -l: the first datagram picks the peer, then both ways until stdin EOF + -q', async () => {
  const s = makeStack(false);
  try {
    const io = makeIo();
    const run = runNc(s, opts({ udp: true, listen: true, host: '0.0.0.0', port: 6001, quitMs: 200, verbose: true }), io);
    const p = s.peer.sockets;
    const fd = p.socket(AF_INET, SOCK_DGRAM, 0);
    await p.sendto(fd, new TextEncoder().encode('first\n'), 0, { address: '10.0.0.1', port: 6001 });
    await until(() => io.out().toString() === 'first\n', 'the first datagram on stdout');
    io.stdin.end('answer\n');
    const [reply, from] = await p.recvfrom(fd, 100);
    assert.equal(new TextDecoder().decode(reply), 'answer\n');
    assert.deepEqual(from, { address: '10.0.0.1', port: 6001 });
    assert.equal(await run, 0, io.err());
    assert.match(io.err(), new RegExp(`^Bound on 0\\.0\\.0\\.0 6001\\nConnection received on 10\\.0\\.0\\.2 ${p.getsockname(fd).port}\\n$`));
    await p.close(fd);
  } finally {
    await s.close();
  }
});

test('ncCommand on the virtual network: daytime from the peer, then exit 0', async () => {
  const io = makeIo();
  io.stdin.end();
  const code = await ncCommand(['10.0.0.2', '13'], io);
  assert.equal(code, 0, io.err());
  assert.match(io.out().toString(), /^[A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4} \d\d:\d\d:\d\d-UTC\r\n$/);
});

test('ncCommand --help prints the usage and the link options', async () => {
  const io = makeIo();
  assert.equal(await ncCommand(['--help'], io), 0);
  assert.match(io.out().toString(), /^usage: sockstack nc /);
  assert.match(io.out().toString(), /--tap NAME/);
  assert.match(io.out().toString(), /1472 bytes/);
});

test('argument parsing: listener forms, defaults and source options', () => {
  assert.deepEqual(parseNcArgs(['-l', '1234'])?.options, opts({ listen: true, host: '0.0.0.0', port: 1234 }));
  assert.deepEqual(parseNcArgs(['-l', '10.0.0.1', '1234'])?.options, opts({ listen: true, host: '10.0.0.1', port: 1234 }));
  assert.deepEqual(parseNcArgs(['-lp', '1234'])?.options, opts({ listen: true, host: '0.0.0.0', port: 1234 }));
  assert.deepEqual(parseNcArgs(['-ulv', '-q', '2', '53'])?.options, opts({ udp: true, listen: true, verbose: true, host: '0.0.0.0', port: 53, quitMs: 2000 }));
  assert.deepEqual(parseNcArgs(['-u', '10.0.0.2', '7'])?.options, opts({ udp: true, quitMs: 1000 }));
  assert.deepEqual(parseNcArgs(['-q-1', '-u', '10.0.0.2', '7'])?.options, opts({ udp: true, quitMs: null }));
  assert.deepEqual(
    parseNcArgs(['-w', '1.5', '-p', '4444', '-s', '10.0.0.1', '-N', '-n', '10.0.0.2', '80'])?.options,
    opts({ port: 80, connectTimeoutMs: 1500, sourcePort: 4444, sourceAddr: '10.0.0.1' }),
  );
  assert.deepEqual(parseNcArgs(['--loss', '0.1', '--seed', '3', '10.0.0.2', '7'])?.link, { loss: '0.1', seed: '3' });
  assert.equal(parseNcArgs(['-h']), null);
});

test('usage errors are UsageError with a message naming the mistake', async () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /needs HOST PORT/],
    [['10.0.0.2'], /needs HOST PORT/],
    [['10.0.0.2', '7', '8'], /needs HOST PORT/],
    [['10.0.0.2', '99999'], /invalid port '99999'/],
    [['10.0.0.2', '0'], /invalid port '0'/],
    [['10.0.0.2', 'http'], /invalid port 'http'/],
    [['example.com', '80'], /IPv4 address/],
    [['-l'], /-l takes \[HOST\] PORT/],
    [['-l', '10.0.0.1', '80', 'extra'], /-l takes \[HOST\] PORT/],
    [['-l', '-p', '80', '10.0.0.1', '81'], /-l takes/],
    [['-l', '-s', '10.0.0.1', '10.0.0.1', '80'], /both HOST and -s/],
    [['--bogus', '10.0.0.2', '7'], /Unknown option '--bogus'/],
    [['-x', '10.0.0.2', '7'], /Unknown option '-x'/],
    [['-w', '0', '10.0.0.2', '7'], /--wait \(-w\) must be a number/],
    [['-q', 'soon', '-u', '10.0.0.2', '7'], /--quit \(-q\) must be a number/],
    [['-s', 'me', '10.0.0.2', '7'], /source address \(-s\) must be an IPv4 address/],
    [['-w'], /argument missing/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parseNcArgs(argv), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(' '));
  }
  // Link-option mistakes surface from ncCommand too (openCliStack checks them).
  const io = makeIo();
  await assert.rejects(ncCommand(['--ip', '10.0.0.5/24', '10.0.0.2', '7'], io), (e: unknown) => e instanceof UsageError && /--ip only applies with --tap/.test(e.message));
  await assert.rejects(ncCommand(['--loss', '2', '10.0.0.2', '7'], io), (e: unknown) => e instanceof UsageError && /--loss must be/.test(e.message));
});

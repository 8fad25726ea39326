/**
 * The Python programs of the reference texts (test/interop/python/*.py, copied from
 * /work/shared/reference with only their address changed, at run time) against sockstack:
 * - sockstack as the server: the clients talk to sockstack's echo services;
 * - sockstack as the client: the servers run in the namespace and sockstack talks to them, as a
 *   library (the Berkeley API) and as the CLI (`sockstack nc`, `sockstack nc -u`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tcpEchoServer, sendAll } from '../../src/apps/tcp-echo.js';
import { udpEchoServer } from '../../src/apps/udp-echo.js';
import { AF_INET, SOCK_DGRAM, SOCK_STREAM, SHUT_WR } from '../../src/socket/constants.js';
import type { SocketApi } from '../../src/socket/socket-api.js';
import {
  OutputWatch,
  REPO,
  attachLibraryStack,
  cliArgs,
  cliHas,
  describeRun,
  exitOf,
  namespaceTap,
  requireInterop,
  startCliTap,
  useNamespace,
  waitForListener,
  type LibraryStack,
} from './netns.js';

const fx = useNamespace();
let lib: LibraryStack | null = null;
const stack = (): LibraryStack => (lib ??= attachLibraryStack(fx.ns));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * A copy of test/interop/python/NAME in the namespace's directory with its one address
 * assignment ('127.0.0.1' or 'localhost') rewritten to `address`: exactly one line changes.
 */
function program(name: string, address: string): string {
  const text = readFileSync(join(REPO, 'test/interop/python', name), 'utf8');
  const lines = text.split('\n');
  const re = /^(\w+ = \(?)'(?:127\.0\.0\.1|localhost)'(.*)$/;
  const hits = lines.map((l, i) => (re.test(l) ? i : -1)).filter((i) => i >= 0);
  assert.equal(hits.length, 1, `${name}: expected exactly one address assignment, found ${hits.length}`);
  const i = hits[0]!;
  lines[i] = lines[i]!.replace(re, `$1'${address}'$2`);
  const out = join(fx.ns.dir, name);
  writeFileSync(out, lines.join('\n'));
  return out;
}

/** Runs a Python server in the namespace (unbuffered, so its prints arrive as they happen). */
function startServer(name: string, address: string): { watch: OutputWatch; errors: OutputWatch; child: ReturnType<typeof fx.ns.spawn> } {
  const child = fx.ns.spawn('python3', ['-u', program(name, address)]);
  return { watch: new OutputWatch(child.stdout), errors: new OutputWatch(child.stderr), child };
}

// ---------------------------------------------------------------- sockstack as the server

test('client.py (TCP echo client) gets its "Hello, world" back from sockstack\'s echo server', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  fx.expectCapture(s.pcapFile, 'tcp.port == 50007 && tcp.len == 12');
  const srv = tcpEchoServer(s.host.sockets, 50007);
  try {
    const r = await fx.ns.exec('python3', [program('client.py', s.stackIp)], { timeoutMs: 15_000 });
    assert.equal(r.code, 0, describeRun('client.py', r));
    assert.equal(r.stdout, "Received b'Hello, world'\n");
  } finally {
    await srv.stop();
  }
  await srv.done;
  assert.equal(srv.accepted, 1);
  assert.equal(srv.echoed, 12);
});

test('the TCP client of the programming text talks to sockstack\'s echo on port 8000', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  const srv = tcpEchoServer(s.host.sockets, 8000);
  try {
    const r = await fx.ns.exec('python3', [program('tcp_client.py', s.stackIp)], { timeoutMs: 15_000 });
    assert.equal(r.code, 0, describeRun('tcp_client.py', r));
    assert.equal(r.stdout, `Connecting to ${s.stackIp}:8000\nReceived: Hello from client!\nConnection closed\n`);
  } finally {
    await srv.stop();
  }
  await srv.done;
  assert.equal(srv.echoed, 'Hello from client!'.length);
});

test('the UDP client of the programming text gets its datagram back from sockstack\'s UDP echo', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  fx.expectCapture(s.pcapFile, 'udp.port == 8000');
  const srv = udpEchoServer(s.host.sockets, { address: '0.0.0.0', port: 8000 });
  try {
    const r = await fx.ns.exec('python3', [program('udp_client.py', s.stackIp)], { timeoutMs: 15_000 });
    assert.equal(r.code, 0, describeRun('udp_client.py', r));
    assert.equal(r.stdout, 'Sending: Hello from UDP client!\nReceived: Hello from UDP client!\n');
  } finally {
    await srv.stop();
  }
  await srv.done;
  assert.equal(srv.served, 1);
});

test('the three Python clients against `sockstack tap --serve echo:50007 --serve echo:8000` (CLI)', async (t) => {
  if (!requireInterop(t)) return;
  const srv = await startCliTap(fx.ns, ['echo:50007', 'echo:8000']);
  fx.expectCapture(srv.pcapFile, 'tcp.port == 50007 && tcp.len == 12', 'tcp.port == 8000 && tcp.len > 0', 'udp.port == 8000');
  try {
    const c = await fx.ns.exec('python3', [program('client.py', srv.stackIp)], { timeoutMs: 15_000 });
    assert.equal(c.code, 0, describeRun('client.py', c));
    assert.equal(c.stdout, "Received b'Hello, world'\n");
    const tc = await fx.ns.exec('python3', [program('tcp_client.py', srv.stackIp)], { timeoutMs: 15_000 });
    assert.equal(tc.code, 0, describeRun('tcp_client.py', tc));
    assert.equal(tc.stdout, `Connecting to ${srv.stackIp}:8000\nReceived: Hello from client!\nConnection closed\n`);
    const uc = await fx.ns.exec('python3', [program('udp_client.py', srv.stackIp)], { timeoutMs: 15_000 });
    assert.equal(uc.code, 0, describeRun('udp_client.py', uc));
    assert.equal(uc.stdout, 'Sending: Hello from UDP client!\nReceived: Hello from UDP client!\n');
  } finally {
    const end = await srv.stop();
    assert.equal(end.code, 0, srv.out.text + srv.err.text);
  }
  assert.match(srv.out.text, /served 2 TCP connections, 1 UDP datagram/);
});

// ---------------------------------------------------------------- sockstack as the client (library)

/** connect, send, shutdown(SHUT_WR), read to EOF, close: what `nc -N` does. */
async function tcpExchange(api: SocketApi, address: string, port: number, message: string): Promise<{ reply: string; local: number }> {
  const fd = api.socket(AF_INET, SOCK_STREAM, 0);
  try {
    await api.connect(fd, { address, port });
    const local = api.getsockname(fd).port;
    await sendAll(api, fd, enc(message));
    api.shutdown(fd, SHUT_WR);
    let reply = '';
    for (;;) {
      const d = await api.read(fd, 4096);
      if (d.length === 0) break;
      reply += dec(d);
    }
    return { reply, local };
  } finally {
    await api.close(fd);
  }
}

test('server.py (TCP echo server) echoes what sockstack sends, and prints sockstack\'s address', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  const { watch, errors, child } = startServer('server.py', s.kernelIp);
  await waitForListener(fx.ns, 'tcp', 50007);
  const { reply, local } = await tcpExchange(s.host.sockets, s.kernelIp, 50007, 'Hello, world');
  assert.equal(reply, 'Hello, world');
  const end = await exitOf(child, 10_000);
  assert.equal(end.code, 0, `server.py: ${JSON.stringify(end)}\n${watch.text}${errors.text}`);
  assert.equal(watch.text, `Connected by ('${s.stackIp}', ${local})\n`);
});

test('the TCP server of the programming text answers sockstack and prints what it received', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  const { watch, errors, child } = startServer('tcp_server.py', s.kernelIp);
  await watch.waitFor(/Waiting for a connection\.\.\.\n/, 15_000);
  const { reply, local } = await tcpExchange(s.host.sockets, s.kernelIp, 8000, 'Hello from sockstack!');
  assert.equal(reply, 'Hello from server!');
  await watch.waitFor(/Connection closed\nWaiting for a connection\.\.\.\n$/, 10_000);
  child.kill('SIGINT');
  const end = await exitOf(child, 10_000);
  assert.equal(end.code, 0, watch.text + errors.text);
  assert.equal(
    watch.text,
    `Server is listening on ${s.kernelIp}:8000\nWaiting for a connection...\nConnection from ('${s.stackIp}', ${local})\n` +
      'Received: Hello from sockstack!\nConnection closed\nWaiting for a connection...\nServer shutting down\n',
  );
});

test('the UDP server of the programming text answers a datagram from sockstack', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  const { watch, errors, child } = startServer('udp_server.py', s.kernelIp);
  await watch.waitFor(/Waiting for data\.\.\.\n/, 15_000);
  const api = s.host.sockets;
  const fd = api.socket(AF_INET, SOCK_DGRAM, 0);
  let local = 0;
  try {
    await api.sendto(fd, enc('Hello from UDP client!'), 0, { address: s.kernelIp, port: 8000 });
    local = api.getsockname(fd).port;
    const [reply, from] = await api.recvfrom(fd, 1024);
    assert.equal(dec(reply), 'Hello from UDP server!');
    assert.deepEqual(from, { address: s.kernelIp, port: 8000 });
  } finally {
    await api.close(fd);
  }
  await watch.waitFor(/Data: .*\nWaiting for data\.\.\.\n$/, 10_000);
  child.kill('SIGINT');
  assert.equal((await exitOf(child, 10_000)).code, 0, watch.text + errors.text);
  assert.equal(
    watch.text,
    `UDP Server is listening on ${s.kernelIp}:8000\nWaiting for data...\nReceived 22 bytes from ('${s.stackIp}', ${local})\n` +
      'Data: Hello from UDP client!\nWaiting for data...\nServer shutting down\n',
  );
});

// ---------------------------------------------------------------- sockstack as the client (CLI)

const ncMissing = '`sockstack nc --help` does not exit 0: the nc command is not wired into src/cli/main.ts';

test('sockstack nc (CLI) → server.py: the echo comes back on stdout, server.py prints sockstack\'s address', async (t) => {
  if (!requireInterop(t)) return;
  assert.ok(await cliHas('nc'), ncMissing);
  const tap = namespaceTap(fx.ns);
  const pcap = join(fx.ns.dir, 'cli-nc-server-py.pcapng');
  fx.expectCapture(pcap, 'tcp.port == 50007 && tcp.len > 0');
  const { watch, errors, child } = startServer('server.py', tap.kernelIp);
  await waitForListener(fx.ns, 'tcp', 50007);
  const [node, args] = cliArgs('nc', '--tap', tap.dev, '--ip', tap.cidr, '--pcap', pcap, tap.kernelIp, '50007');
  const r = await fx.ns.exec(node, args, { input: 'Hello, world', timeoutMs: 30_000 });
  assert.equal(r.code, 0, describeRun('sockstack nc', r));
  assert.equal(r.stdout, 'Hello, world');
  assert.equal((await exitOf(child, 10_000)).code, 0, watch.text + errors.text);
  assert.match(watch.text, new RegExp(`^Connected by \\('${tap.stackIp.replace(/\./g, '\\.')}', \\d+\\)\\n$`));
});

test('sockstack nc (CLI) → the TCP server of the programming text', async (t) => {
  if (!requireInterop(t)) return;
  assert.ok(await cliHas('nc'), ncMissing);
  const tap = namespaceTap(fx.ns);
  const pcap = join(fx.ns.dir, 'cli-nc-tcp-server-py.pcapng');
  fx.expectCapture(pcap, 'tcp.port == 8000 && tcp.len > 0');
  const { watch, errors, child } = startServer('tcp_server.py', tap.kernelIp);
  await watch.waitFor(/Waiting for a connection\.\.\.\n/, 15_000);
  const [node, args] = cliArgs('nc', '--tap', tap.dev, '--ip', tap.cidr, '--pcap', pcap, tap.kernelIp, '8000');
  const r = await fx.ns.exec(node, args, { input: 'Hello from sockstack nc!', timeoutMs: 30_000 });
  assert.equal(r.code, 0, describeRun('sockstack nc', r));
  assert.equal(r.stdout, 'Hello from server!');
  await watch.waitFor(/Connection closed\nWaiting for a connection\.\.\.\n$/, 10_000);
  child.kill('SIGINT');
  assert.equal((await exitOf(child, 10_000)).code, 0, watch.text + errors.text);
  assert.match(watch.text, /Connection from \('10\.77\.\d+\.2', \d+\)\nReceived: Hello from sockstack nc!\nConnection closed\n/);
});

test('sockstack nc -u (CLI) → the UDP server of the programming text', async (t) => {
  if (!requireInterop(t)) return;
  assert.ok(await cliHas('nc'), ncMissing);
  const tap = namespaceTap(fx.ns);
  const pcap = join(fx.ns.dir, 'cli-nc-udp-server-py.pcapng');
  fx.expectCapture(pcap, 'udp.port == 8000');
  const { watch, errors, child } = startServer('udp_server.py', tap.kernelIp);
  await watch.waitFor(/Waiting for data\.\.\.\n/, 15_000);
  const [node, args] = cliArgs('nc', '-u', '-q', '1', '--tap', tap.dev, '--ip', tap.cidr, '--pcap', pcap, tap.kernelIp, '8000');
  const r = await fx.ns.exec(node, args, { input: 'Hello from UDP client!', timeoutMs: 30_000 });
  assert.equal(r.code, 0, describeRun('sockstack nc -u', r));
  assert.equal(r.stdout, 'Hello from UDP server!');
  child.kill('SIGINT');
  assert.equal((await exitOf(child, 10_000)).code, 0, watch.text + errors.text);
  assert.match(watch.text, new RegExp(`Received 22 bytes from \\('${tap.stackIp.replace(/\./g, '\\.')}', \\d+\\)\\nData: Hello from UDP client!\\n`));
});

test('after the Python programs: no kernel error counter moved, and the captures hold only well-formed packets', async (t) => {
  if (!requireInterop(t)) return;
  t.diagnostic(await fx.checkWire());
});

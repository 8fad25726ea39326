/**
 * Beyond the list: TCP and UDP details where sockstack and Linux must agree on the
 * wire: urgent data (the urgent pointer's meaning, RFC 6093), zero windows and persist probes
 * both ways, resets both ways, many connections at once, and UDP datagrams that need IP
 * fragmentation both ways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { listenTcp, sendAll, tcpEchoServer } from '../../src/apps/tcp-echo.js';
import { udpEchoServer } from '../../src/apps/udp-echo.js';
import { AF_INET, IPPROTO_TCP, MSG_OOB, SHUT_WR, SOCK_STREAM, SOL_SOCKET, SO_KEEPALIVE, TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL } from '../../src/socket/constants.js';
import { SocketError } from '../../src/stack/errno.js';
import { TcpState } from '../../src/tcp/state.js';
import { attachLibraryStack, describeRun, requireInterop, useNamespace, waitFor, waitForListener, type LibraryStack } from './netns.js';

const fx = useNamespace();
let lib: LibraryStack | null = null;
function stack(): LibraryStack {
  if (lib) return lib;
  lib = attachLibraryStack(fx.ns);
  fx.expectCapture(
    lib.pcapFile,
    'tcp.flags.urg == 1',
    `tcp.window_size_value == 0 && ip.src == ${lib.kernelIp}`,
    `tcp.window_size_value == 0 && ip.src == ${lib.stackIp}`,
    `tcp.flags.reset == 1 && ip.src == ${lib.kernelIp}`,
    `tcp.flags.reset == 1 && ip.src == ${lib.stackIp}`,
    'ip.flags.mf == 1 && ip.proto == 17',
  );
  return lib;
}
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Python: 'abc', then '!' with MSG_OOB, then 'def' (pauses so each is its own segment); argv: HOST PORT FIN(0|1). */
const PY_URGENT = `
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.send(b'abc'); time.sleep(0.05)
s.send(b'!', socket.MSG_OOB); time.sleep(0.05)
s.send(b'def')
if sys.argv[3] == '1':
    s.shutdown(socket.SHUT_WR)
s.settimeout(10)
while s.recv(100):
    pass
print('done')
`;

/** Accepts one connection on `port`, runs `fn` on it, closes. */
async function acceptOne<T>(s: LibraryStack, port: number, fn: (fd: number) => Promise<T>): Promise<T> {
  const api = s.host.sockets;
  const lfd = listenTcp(api, '0.0.0.0', port, 5, 0);
  try {
    const [fd] = await api.accept(lfd);
    try {
      return await fn(fd);
    } finally {
      await api.close(fd);
    }
  } finally {
    await api.close(lfd);
  }
}

async function urgentFromLinux(s: LibraryStack, port: number, fin: boolean): Promise<{ oob: string; stream: string }> {
  const py = fx.ns.exec('python3', ['-c', PY_URGENT, s.stackIp, String(port), fin ? '1' : '0'], { timeoutMs: 20_000 });
  const api = s.host.sockets;
  const got = await acceptOne(s, port, async (fd) => {
    // Read only once everything is in: 7 bytes received (and the FIN, when sent).
    await waitFor('the urgent data to arrive', () => {
      const ep = s.host.tcp.endpoints().find((e) => e.localPort === port && e.state !== TcpState.LISTEN);
      return ep !== undefined && ep.recvBuf.length === 7 && (!fin || ep.state === TcpState.CLOSE_WAIT);
    });
    const oob = dec(await api.recv(fd, 1, MSG_OOB));
    let stream = '';
    while (stream.length < 6) {
      const d = await api.recv(fd, 100, 0);
      if (d.length === 0) break;
      stream += dec(d);
    }
    return { oob, stream };
  });
  const r = await py;
  assert.equal(r.code, 0, describeRun('python urgent sender', r));
  return got;
}

test('urgent data from Linux: recv(MSG_OOB) gives the urgent byte and the stream skips it (RFC 6093: the pointer points past it)', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  assert.deepEqual(await urgentFromLinux(s, 7001, false), { oob: '!', stream: 'abcdef' });
});

test(
  'urgent data from Linux followed by its FIN: the urgent mark stays on the urgent byte',
  async (t) => {
    if (!requireInterop(t)) return;
    const s = stack();
    assert.deepEqual(await urgentFromLinux(s, 7002, true), { oob: '!', stream: 'abcdef' });
  },
);

test('urgent data from sockstack: Linux\'s recv(MSG_OOB) gets the urgent byte and its stream skips it', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  const py = `
import socket, sys, time
l = socket.socket(); l.bind((sys.argv[1], 7009)); l.listen(1)
c, a = l.accept()
oob = None
for i in range(500):
    try:
        oob = c.recv(1, socket.MSG_OOB)
        break
    except OSError:
        time.sleep(0.01)
stream = b''
while True:
    d = c.recv(100)
    if not d: break
    stream += d
print(repr(oob), repr(stream))
`;
  const run = fx.ns.exec('python3', ['-c', py, s.kernelIp], { timeoutMs: 20_000 });
  await waitForListener(fx.ns, 'tcp', 7009);
  const api = s.host.sockets;
  const fd = api.socket(AF_INET, SOCK_STREAM, 0);
  const enc = (x: string): Uint8Array => new TextEncoder().encode(x);
  try {
    await api.connect(fd, { address: s.kernelIp, port: 7009 });
    await api.send(fd, enc('abc'), 0);
    await api.send(fd, enc('!'), MSG_OOB);
    await api.send(fd, enc('def'), 0);
    api.shutdown(fd, SHUT_WR);
    assert.equal((await api.read(fd, 100)).length, 0);
  } finally {
    await api.close(fd);
  }
  const r = await run;
  assert.equal(r.code, 0, describeRun('python urgent receiver', r));
  assert.equal(r.stdout.trim(), "b'!' b'abcdef'");
});

test('sockstack sends 2 MiB to a Linux receiver that stops reading: zero window, persist probes, every byte arrives', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  const py = `
import socket, time, hashlib, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
l.bind((sys.argv[1], 7003)); l.listen(1)
c, a = l.accept()
time.sleep(2)
h = hashlib.sha256(); n = 0
while True:
    d = c.recv(65536)
    if not d: break
    h.update(d); n += len(d)
print(n, h.hexdigest())
`;
  const run = fx.ns.exec('python3', ['-c', py, s.kernelIp], { timeoutMs: 60_000 });
  await waitForListener(fx.ns, 'tcp', 7003);
  const data = randomBytes(2 << 20);
  const probes = s.host.counters.tcp.extTCPWinProbe;
  const api = s.host.sockets;
  const fd = api.socket(AF_INET, SOCK_STREAM, 0);
  try {
    await api.connect(fd, { address: s.kernelIp, port: 7003 });
    await sendAll(api, fd, data);
    api.shutdown(fd, SHUT_WR);
    assert.equal((await api.read(fd, 100)).length, 0, 'EOF from the receiver');
  } finally {
    await api.close(fd);
  }
  const r = await run;
  assert.equal(r.code, 0, describeRun('python receiver', r));
  assert.equal(r.stdout.trim(), `${data.length} ${createHash('sha256').update(data).digest('hex')}`);
  assert.ok(s.host.counters.tcp.extTCPWinProbe > probes, 'sockstack probed the zero window');
});

test('Linux sends 2 MiB to a sockstack receiver that stops reading: sockstack advertises a zero window, then takes every byte', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  const data = randomBytes(2 << 20);
  const api = s.host.sockets;
  const sender = `
import socket, sys
s = socket.create_connection((sys.argv[1], 7004))
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
s.settimeout(30)
while s.recv(100):
    pass
`;
  const run = fx.ns.exec('python3', ['-c', sender, s.stackIp], { input: data, timeoutMs: 60_000 });
  const got = await acceptOne(s, 7004, async (fd) => {
    // Let the receive buffer fill and the window close before reading anything.
    // (Less than a segment free: receiver SWS avoidance, RFC 1122 §4.2.3.3, advertises zero.)
    await waitFor('a full receive buffer', () => {
      const ep = s.host.tcp.endpoints().find((e) => e.localPort === 7004 && e.state !== TcpState.LISTEN);
      return ep !== undefined && ep.recvBuf.length > 0 && ep.recvBuf.free < 1460;
    }, 20_000);
    await new Promise((r) => setTimeout(r, 1000)); // Linux probes the zero window meanwhile
    const h = createHash('sha256');
    let n = 0;
    for (;;) {
      const d = await api.read(fd, 65536);
      if (d.length === 0) break;
      h.update(d);
      n += d.length;
    }
    return { n, sha: h.digest('hex') };
  });
  const r = await run;
  assert.equal(r.code, 0, describeRun('python sender', r));
  assert.deepEqual(got, { n: data.length, sha: createHash('sha256').update(data).digest('hex') });
});

test('resets both ways: Linux closing with unread data resets sockstack (ECONNRESET); sockstack doing so resets Linux', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  const api = s.host.sockets;
  // Linux side closes with our bytes unread: it sends RST (RFC 9293 §3.10.4 / RFC 2525 §2.17).
  const closer = `
import socket, sys, time
l = socket.socket(); l.bind((sys.argv[1], 7005)); l.listen(1)
c, a = l.accept()
while len(c.recv(1, socket.MSG_PEEK)) == 0:
    pass
c.close()
`;
  const run = fx.ns.exec('python3', ['-c', closer, s.kernelIp], { timeoutMs: 20_000 });
  await waitForListener(fx.ns, 'tcp', 7005);
  const fd = api.socket(AF_INET, SOCK_STREAM, 0);
  try {
    await api.connect(fd, { address: s.kernelIp, port: 7005 });
    await api.send(fd, new Uint8Array(1000), 0);
    await assert.rejects(api.read(fd, 100), (e: unknown) => e instanceof SocketError && e.code === 'ECONNRESET');
  } finally {
    await api.close(fd);
  }
  assert.equal((await run).code, 0);
  // sockstack closes with Linux's bytes unread: Linux's recv() raises ConnectionResetError.
  const victim = `
import socket, sys, time
s = socket.create_connection((sys.argv[1], 7006))
s.sendall(b'x' * 1000)
s.settimeout(10)
try:
    print('read', len(s.recv(100)))
except ConnectionResetError as e:
    print('ConnectionResetError', e.errno)
`;
  const v = fx.ns.exec('python3', ['-c', victim, s.stackIp], { timeoutMs: 20_000 });
  await acceptOne(s, 7006, async () => {
    await waitFor('the bytes to arrive unread', () => {
      const ep = s.host.tcp.endpoints().find((e) => e.localPort === 7006 && e.state !== TcpState.LISTEN);
      return ep !== undefined && ep.recvBuf.length === 1000;
    });
  }); // acceptOne closes the descriptor now, with 1000 bytes unread
  const vr = await v;
  assert.equal(vr.code, 0, describeRun('python victim', vr));
  assert.equal(vr.stdout.trim(), 'ConnectionResetError 104');
});

test('50 concurrent Linux connections through sockstack\'s echo, each gets its own bytes back', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  const srv = tcpEchoServer(s.host.sockets, 7007, { backlog: 64, readSize: 65536 });
  const py = `
import socket, sys, threading
ok = []
def one(i):
    s = socket.create_connection((sys.argv[1], 7007), timeout=20)
    m = (b'%d-' % i) * 5000
    s.sendall(m); s.shutdown(socket.SHUT_WR); g = b''
    while True:
        d = s.recv(65536)
        if not d: break
        g += d
    ok.append(g == m)
ts = [threading.Thread(target=one, args=(i,)) for i in range(50)]
[t.start() for t in ts]; [t.join() for t in ts]
print(sum(ok))
`;
  try {
    const r = await fx.ns.exec('python3', ['-c', py, s.stackIp], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun('python threads', r));
    assert.equal(r.stdout.trim(), '50');
  } finally {
    await srv.stop();
  }
  await srv.done;
  assert.equal(srv.accepted, 50);
  let total = 0;
  for (let i = 0; i < 50; i++) total += `${i}-`.length * 5000;
  assert.equal(srv.echoed, total);
});

test('a 10 KiB UDP datagram through sockstack\'s UDP echo: fragmented and reassembled both ways', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  const srv = udpEchoServer(s.host.sockets, { address: '0.0.0.0', port: 7008 });
  const py = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
msg = bytes(range(256)) * 40
s.sendto(msg, (sys.argv[1], 7008))
d, a = s.recvfrom(65535)
print(len(d), d == msg, a[1])
`;
  const before = { ...s.host.counters.ip };
  try {
    const r = await fx.ns.exec('python3', ['-c', py, s.stackIp], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, describeRun('python udp', r));
    assert.equal(r.stdout.trim(), '10240 True 7008');
  } finally {
    await srv.stop();
  }
  assert.equal(s.host.counters.ip.reasmOKs, before.reasmOKs + 1, 'sockstack reassembled the request');
  assert.equal(s.host.counters.ip.fragOKs, before.fragOKs + 1, 'sockstack fragmented the reply');
});

test('keepalive both ways: each side answers the other\'s probes; when the kernel side goes away sockstack times out (ETIMEDOUT)', async (t) => {
  if (!requireInterop(t)) return;
  // A stack of its own: the kernel's side of its link is taken down at the end.
  const s = attachLibraryStack(fx.ns);
  fx.expectCapture(s.pcapFile, `tcp.analysis.keep_alive && ip.src == ${s.kernelIp}`, `tcp.analysis.keep_alive && ip.src == ${s.stackIp}`);
  const srv = tcpEchoServer(s.host.sockets, 7);
  // Linux probes an idle connection to sockstack every second and gives up after 2 unanswered.
  const linux = await fx.ns.exec('python3', ['-c', `
import socket, sys, time
s = socket.create_connection((sys.argv[1], 7))
s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)
time.sleep(4)
s.sendall(b'still there?'); s.shutdown(socket.SHUT_WR)
print(s.recv(100))
`, s.stackIp], { timeoutMs: 20_000 });
  await srv.stop();
  assert.equal(linux.code, 0, describeRun('python keepalive client', linux));
  assert.equal(linux.stdout.trim(), "b'still there?'");
  // sockstack probes an idle connection to Linux the same way.
  const peer = fx.ns.spawn('python3', ['-c', `
import socket, sys, time
l = socket.socket(); l.bind((sys.argv[1], 7011)); l.listen(1)
c, a = l.accept(); time.sleep(60)
`, s.kernelIp]);
  await waitForListener(fx.ns, 'tcp', 7011);
  const api = s.host.sockets;
  const fd = api.socket(AF_INET, SOCK_STREAM, 0);
  try {
    api.setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
    api.setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, 1);
    api.setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, 1);
    api.setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, 2);
    await api.connect(fd, { address: s.kernelIp, port: 7011 });
    const sent = s.host.counters.tcp.extTCPKeepAlive;
    await waitFor('three answered keepalive probes', () => s.host.counters.tcp.extTCPKeepAlive >= sent + 3, 10_000);
    const ep = s.host.tcp.endpoints().find((e) => e.remotePort === 7011);
    assert.equal(ep?.state, TcpState.ESTABLISHED, 'the probes were answered: still established');
    fx.ns.ip('link', 'set', s.dev, 'down'); // the kernel's side goes silent
    await assert.rejects(api.read(fd, 10), (e: unknown) => e instanceof SocketError && e.code === 'ETIMEDOUT');
  } finally {
    await api.close(fd);
    peer.kill('SIGKILL');
  }
});

test('after the TCP details: no kernel error counter moved, and the captures hold only well-formed packets', async (t) => {
  if (!requireInterop(t)) return;
  t.diagnostic(await fx.checkWire());
});

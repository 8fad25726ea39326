/**
 * Refusals both ways between Linux and sockstack: a TCP SYN to a closed port is answered with
 * RST (RFC 9293 §3.10.7.1), a UDP datagram to a closed port with ICMP port unreachable
 * (RFC 1122 §4.1.3.1), and each side's sockets API turns that into ECONNREFUSED.
 * Also: sockstack's TCP checksum check accepts 0xFFFF as zero (RFC 1624) and drops a bad one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AF_INET, SOCK_DGRAM, SOCK_STREAM } from '../../src/socket/constants.js';
import { SocketError } from '../../src/stack/errno.js';
import {
  REPO,
  attachLibraryStack,
  cliArgs,
  cliHas,
  describeRun,
  expectStackErrors,
  namespaceTap,
  requireInterop,
  stackErrorCounters,
  useNamespace,
  type LibraryStack,
} from './netns.js';

const fx = useNamespace();
let lib: LibraryStack | null = null;
const stack = (): LibraryStack => (lib ??= attachLibraryStack(fx.ns));
const CLOSED = 9999;

/** A connected UDP socket's recv() after a send to a closed port (Linux reports the ICMP error there). */
const PY_UDP_REFUSED = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], int(sys.argv[2])))
s.send(b'anyone there?')
try:
    s.recv(100)
    print('got a reply')
except ConnectionRefusedError as e:
    print('ConnectionRefusedError', e.errno)
except socket.timeout:
    print('timeout')
`;

const PY_TCP_REFUSED = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(3)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print('connected')
except ConnectionRefusedError as e:
    print('ConnectionRefusedError', e.errno)
except socket.timeout:
    print('timeout')
`;

test('Linux connecting to a closed sockstack TCP port is refused: sockstack answers the SYN with RST', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  fx.expectCapture(s.pcapFile, `tcp.flags.reset == 1 && ip.src == ${s.stackIp} && tcp.srcport == ${CLOSED}`);
  const nc = await fx.ns.exec('nc', ['-z', '-v', '-w', '3', s.stackIp, String(CLOSED)], { timeoutMs: 15_000 });
  assert.equal(nc.code, 1, describeRun('nc -z', nc));
  assert.match(nc.stderr, new RegExp(`connect to ${s.stackIp.replace(/\./g, '\\.')} port ${CLOSED} \\(tcp\\) failed: Connection refused`));
  const py = await fx.ns.exec('python3', ['-c', PY_TCP_REFUSED, s.stackIp, String(CLOSED)], { timeoutMs: 15_000 });
  assert.equal(py.code, 0, describeRun('python connect', py));
  assert.equal(py.stdout.trim(), 'ConnectionRefusedError 111');
  assert.ok(s.host.counters.tcp.outRsts >= 2, `sockstack counted its RSTs: ${s.host.counters.tcp.outRsts}`);
});

test('a UDP datagram to a closed sockstack port: ICMP port unreachable, and Python\'s connected socket gets ConnectionRefusedError', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  fx.expectCapture(s.pcapFile, `icmp.type == 3 && icmp.code == 3 && ip.src == ${s.stackIp}`);
  const before = s.host.counters.udp.noPorts;
  const py = await fx.ns.exec('python3', ['-c', PY_UDP_REFUSED, s.stackIp, String(CLOSED)], { timeoutMs: 15_000 });
  assert.equal(py.code, 0, describeRun('python udp', py));
  assert.equal(py.stdout.trim(), 'ConnectionRefusedError 111');
  assert.equal(s.host.counters.udp.noPorts, before + 1);
});

test('sockstack (library) connecting to a closed Linux TCP port gets ECONNREFUSED from the kernel\'s RST', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  fx.expectCapture(s.pcapFile, `tcp.flags.reset == 1 && ip.src == ${s.kernelIp}`);
  const api = s.host.sockets;
  const fd = api.socket(AF_INET, SOCK_STREAM, 0);
  try {
    await assert.rejects(api.connect(fd, { address: s.kernelIp, port: CLOSED }), (e: unknown) => e instanceof SocketError && e.code === 'ECONNREFUSED' && e.syscall === 'connect');
  } finally {
    await api.close(fd);
  }
});

test('sockstack (library) sending UDP to a closed Linux port: the kernel\'s port unreachable shows as ECONNREFUSED on the connected socket', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  fx.expectCapture(s.pcapFile, `icmp.type == 3 && icmp.code == 3 && ip.src == ${s.kernelIp}`);
  const api = s.host.sockets;
  const fd = api.socket(AF_INET, SOCK_DGRAM, 0);
  try {
    await api.connect(fd, { address: s.kernelIp, port: CLOSED });
    await api.send(fd, new TextEncoder().encode('anyone there?'), 0);
    await assert.rejects(api.recv(fd, 100, 0), (e: unknown) => e instanceof SocketError && e.code === 'ECONNREFUSED');
  } finally {
    await api.close(fd);
  }
});

test('sockstack nc (CLI) to a closed Linux TCP port: "Connection refused", exit 1', async (t) => {
  if (!requireInterop(t)) return;
  assert.ok(await cliHas('nc'), '`sockstack nc --help` does not exit 0: the nc command is not wired into src/cli/main.ts');
  const tap = namespaceTap(fx.ns);
  const pcap = join(fx.ns.dir, 'cli-nc-refused.pcapng');
  const [node, args] = cliArgs('nc', '--tap', tap.dev, '--ip', tap.cidr, '--pcap', pcap, tap.kernelIp, String(CLOSED));
  const r = await fx.ns.exec(node, args, { input: 'hello\n', timeoutMs: 30_000 });
  assert.equal(r.code, 1, describeRun('sockstack nc', r));
  assert.match(r.stderr, new RegExp(`sockstack nc: connect to ${tap.kernelIp.replace(/\./g, '\\.')} port ${CLOSED} \\(tcp\\) failed: Connection refused`));
  fx.expectCapture(pcap, 'tcp.flags.syn == 1', `tcp.flags.reset == 1 && ip.src == ${tap.kernelIp}`);
});

test('sockstack nc -u (CLI) to a closed Linux UDP port: refused, exit 1', async (t) => {
  if (!requireInterop(t)) return;
  assert.ok(await cliHas('nc'), '`sockstack nc --help` does not exit 0: the nc command is not wired into src/cli/main.ts');
  const tap = namespaceTap(fx.ns);
  const pcap = join(fx.ns.dir, 'cli-nc-u-refused.pcapng');
  const [node, args] = cliArgs('nc', '-u', '--tap', tap.dev, '--ip', tap.cidr, '--pcap', pcap, tap.kernelIp, String(CLOSED));
  const r = await fx.ns.exec(node, args, { input: 'anyone there?\n', timeoutMs: 30_000 });
  assert.equal(r.code, 1, describeRun('sockstack nc -u', r));
  assert.match(r.stderr, /Connection refused/);
  fx.expectCapture(pcap, 'udp.dstport == 9999', `icmp.type == 3 && icmp.code == 3 && ip.src == ${tap.kernelIp}`);
});

test('a SYN whose TCP checksum is 0xFFFF (one\'s complement zero, RFC 1624) is accepted: sockstack answers RST; a bad checksum is dropped', async (t) => {
  if (!requireInterop(t)) return;
  // Its own stack: the bad-checksum SYN would (rightly) fail the capture check of the others.
  const s = attachLibraryStack(fx.ns);
  expectStackErrors(s);
  const script = join(REPO, 'test/interop/python/raw_syn.py');
  const ok = await fx.ns.exec('python3', [script, s.kernelIp, s.stackIp, String(CLOSED), 'ffff'], { timeoutMs: 15_000 });
  assert.equal(ok.code, 0, describeRun('raw_syn.py ffff', ok));
  const m = /^RST ack=(\d+) seq_plus_1=(\d+)$/.exec(ok.stdout.trim());
  assert.ok(m, `sockstack did not answer the 0xFFFF-checksum SYN with RST: ${ok.stdout}`);
  assert.equal(m[1], m[2], 'the RST acknowledges the SYN (RFC 9293 §3.10.7.1)');
  assert.deepEqual(stackErrorCounters(s.host), {}, 'the 0xFFFF checksum counted as an error');
  const bad = await fx.ns.exec('python3', [script, s.kernelIp, s.stackIp, String(CLOSED), 'bad'], { timeoutMs: 15_000 });
  assert.equal(bad.code, 0, describeRun('raw_syn.py bad', bad));
  assert.equal(bad.stdout.trim(), 'no answer');
  assert.equal(s.host.counters.tcp.inCsumErrors, 1, 'the bad checksum is counted (TcpInCsumErrors)');
});

test('after the refusals: no kernel error counter moved, and the captures hold only well-formed packets', async (t) => {
  if (!requireInterop(t)) return;
  t.diagnostic(await fx.checkWire());
});

/**
 * ICMP echo both ways between Linux and sockstack: Linux's ping(8) gets replies from sockstack,
 * and sockstack's ping (the library app and `sockstack ping --tap`) gets replies from Linux.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ping } from '../../src/apps/ping.js';
import { attachLibraryStack, cliArgs, cliHas, describeRun, namespaceTap, requireInterop, useNamespace, type LibraryStack } from './netns.js';

const fx = useNamespace();
let lib: LibraryStack | null = null;
const stack = (): LibraryStack => (lib ??= attachLibraryStack(fx.ns));

/** iputils' summary line: "5 packets transmitted, 5 received, 0% packet loss, time 801ms". */
function summary(out: string): { sent: number; received: number; loss: string } | null {
  const m = /(\d+) packets transmitted, (\d+) received,(?: \+\d+ duplicates,)? ([\d.]+)% packet loss/.exec(out);
  return m ? { sent: Number(m[1]), received: Number(m[2]), loss: m[3]! } : null;
}

test('Linux ping gets an echo reply from sockstack for every request', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  fx.expectCapture(s.pcapFile, 'icmp.type == 8', 'icmp.type == 0', 'arp.opcode == 2');
  const r = await fx.ns.exec('ping', ['-c', '5', '-i', '0.2', '-W', '2', s.stackIp], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, describeRun('ping', r));
  assert.deepEqual(summary(r.stdout), { sent: 5, received: 5, loss: '0' }, r.stdout);
  for (let seq = 1; seq <= 5; seq++) assert.match(r.stdout, new RegExp(`64 bytes from ${s.stackIp.replace(/\./g, '\\.')}: icmp_seq=${seq} ttl=64`));
});

test('Linux ping with a large payload: sockstack reassembles the fragments and answers in fragments', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  fx.expectCapture(s.pcapFile, 'ip.flags.mf == 1');
  // 4000 bytes of data: 3 fragments each way on a 1500-byte link.
  const r = await fx.ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', '-s', '4000', s.stackIp], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, describeRun('ping -s 4000', r));
  assert.deepEqual(summary(r.stdout), { sent: 3, received: 3, loss: '0' }, r.stdout);
  assert.match(r.stdout, /4008 bytes from /);
});

test('sockstack ping (library) gets replies from the Linux kernel', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  const lines: string[] = [];
  const res = await ping(s.host.sockets, s.kernelIp, { count: 3, intervalMs: 200, timeoutMs: 2000, log: (l) => lines.push(l) });
  assert.equal(res.transmitted, 3);
  assert.equal(res.received, 3, lines.join('\n'));
  assert.equal(res.rtts.length, 3);
  assert.equal(lines.filter((l) => l.includes(`from ${s.kernelIp}: icmp_seq=`)).length, 3, lines.join('\n'));
});

test('sockstack ping --tap (CLI) gets replies from the Linux kernel', async (t) => {
  if (!requireInterop(t)) return;
  assert.ok(await cliHas('ping'), '`sockstack ping --help` does not exit 0: the ping command is not wired into src/cli/main.ts');
  const tap = namespaceTap(fx.ns);
  const pcap = join(fx.ns.dir, 'cli-ping.pcapng');
  const [node, args] = cliArgs('ping', '--tap', tap.dev, '--ip', tap.cidr, '--pcap', pcap, '-c', '3', '-i', '0.2', '-W', '2', tap.kernelIp);
  const r = await fx.ns.exec(node, args, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun('sockstack ping', r));
  assert.deepEqual(summary(r.stdout), { sent: 3, received: 3, loss: '0' }, r.stdout);
  assert.match(r.stdout, new RegExp(`--- ${tap.kernelIp.replace(/\./g, '\\.')} ping statistics ---`));
  assert.match(r.stdout, /rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms/);
  fx.expectCapture(pcap, 'icmp.type == 8', 'icmp.type == 0');
});

test('after the pings: no kernel error counter moved, and the captures hold only well-formed packets', async (t) => {
  if (!requireInterop(t)) return;
  t.diagnostic(await fx.checkWire());
});

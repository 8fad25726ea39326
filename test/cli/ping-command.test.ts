import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Network } from '../../src/index.js';
import { parsePingArgs, pingCommand, runPing, type PingCommandOptions } from '../../src/cli/ping-command.js';
import { UsageError } from '../../src/cli/link-options.js';
import type { CliIo } from '../../src/cli/cli-io.js';

interface TestIo extends CliIo {
  lines(): string[];
  abort(): void;
}

function makeIo(): TestIo {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  const ac = new AbortController();
  return {
    stdin: new PassThrough(),
    stdout,
    stderr: new PassThrough(),
    signal: ac.signal,
    lines: () => text.split('\n').slice(0, -1),
    abort: () => ac.abort(),
  };
}

function opts(o: Partial<PingCommandOptions>): PingCommandOptions {
  return { host: '10.0.0.2', count: Infinity, intervalMs: 1000, timeoutMs: 1000, size: 56, ttl: undefined, quiet: false, ...o };
}

/** Our host and a peer on a real-time network; ARP gives up quickly so unreachable tests are short. */
function makeStack(): { net: Network; host: ReturnType<Network['host']> } {
  const net = new Network({ clock: 'real', seed: 2 });
  const host = net.host('sockstack', { address: '10.0.0.1/24', neighbor: { retransMs: 50 } });
  net.host('peer', '10.0.0.2/24');
  return { net, host };
}

const REPLY = /^64 bytes from 10\.0\.0\.2: icmp_seq=(\d+) ttl=64 time=\d+(\.\d+)? ms$/;

test('ping -c 3 -i 0.01 the virtual peer: three replies, the statistics, status 0', async () => {
  const io = makeIo();
  const code = await pingCommand(['-c', '3', '-i', '0.01', '10.0.0.2'], io);
  assert.equal(code, 0);
  const lines = io.lines();
  assert.equal(lines[0], 'PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.');
  assert.deepEqual(
    lines.slice(1, 4).map((l) => REPLY.exec(l)?.[1]),
    ['1', '2', '3'],
    lines.join('\n'),
  );
  assert.equal(lines[4], '');
  assert.equal(lines[5], '--- 10.0.0.2 ping statistics ---');
  assert.match(lines[6]!, /^3 packets transmitted, 3 received, 0% packet loss, time \d+ms$/);
  assert.match(lines[7]!, /^rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/);
  assert.equal(lines.length, 8);
});

test('ping --loss 1: every request lost, 100% packet loss, no rtt line, status 1', async () => {
  const io = makeIo();
  const code = await pingCommand(['--loss', '1', '-c', '2', '-i', '0.01', '-W', '0.05', '10.0.0.2'], io);
  assert.equal(code, 1);
  const lines = io.lines();
  assert.ok(!lines.some((l) => l.includes('bytes from')), lines.join('\n'));
  assert.match(lines.at(-1)!, /^2 packets transmitted, 0 received, 100% packet loss, time \d+ms$/);
});

test('an address nobody has: Destination Host Unreachable from ourselves after ARP gives up, status 1', async () => {
  const { net, host } = makeStack();
  try {
    const io = makeIo();
    const code = await runPing({ host }, opts({ host: '10.0.0.99', count: 1, timeoutMs: 5000 }), io);
    assert.equal(code, 1);
    const lines = io.lines();
    assert.ok(lines.includes('From 10.0.0.1 icmp_seq=1 Destination Host Unreachable'), lines.join('\n'));
    assert.match(lines.at(-1)!, /^1 packets transmitted, 0 received, \+1 errors, 100% packet loss, time \d+ms$/);
  } finally {
    net.close();
  }
});

test('no route to the address: the sendto error, then the statistics, status 1', async () => {
  const { net, host } = makeStack();
  try {
    const io = makeIo();
    const code = await runPing({ host }, opts({ host: '192.168.9.9', count: 2 }), io);
    assert.equal(code, 1);
    assert.ok(io.lines().includes('ping: sendto: Network is unreachable'), io.lines().join('\n'));
    assert.match(io.lines().at(-1)!, /^0 packets transmitted, 0 received, 0% packet loss/);
  } finally {
    net.close();
  }
});

test('without -c: pings until the signal, then prints the statistics like ping on Ctrl-C', async () => {
  const { net, host } = makeStack();
  try {
    const io = makeIo();
    const run = runPing({ host }, opts({ intervalMs: 5 }), io);
    while (io.lines().filter((l) => REPLY.test(l)).length < 3) await new Promise((r) => setTimeout(r, 2));
    io.abort();
    assert.equal(await run, 0);
    const lines = io.lines();
    const replies = lines.filter((l) => REPLY.test(l)).length;
    const stats = /^(\d+) packets transmitted, (\d+) received/.exec(lines.find((l) => /packets transmitted/.test(l)) ?? '');
    assert.ok(stats, lines.join('\n'));
    assert.equal(Number(stats[2]), replies);
    assert.ok(Number(stats[1]) >= replies && Number(stats[1]) <= replies + 1);
    assert.ok(lines.includes('--- 10.0.0.2 ping statistics ---'));
  } finally {
    net.close();
  }
});

test('-q prints only the first line and the summary; -s sets the data size (fragmented here)', async () => {
  const { net, host } = makeStack();
  try {
    const io = makeIo();
    const code = await runPing({ host }, opts({ count: 2, intervalMs: 5, quiet: true, size: 3000 }), io);
    assert.equal(code, 0);
    const lines = io.lines();
    assert.equal(lines[0], 'PING 10.0.0.2 (10.0.0.2) 3000(3028) bytes of data.');
    assert.ok(!lines.some((l) => l.includes('bytes from')), lines.join('\n'));
    assert.match(lines.join('\n'), /2 packets transmitted, 2 received, 0% packet loss/);
    // 3028 bytes do not fit a 1500-byte link: both ways went as fragments.
    assert.ok(host.counters.ip.fragCreates >= 2 * 3, `fragments created: ${host.counters.ip.fragCreates}`);
  } finally {
    net.close();
  }
});

test('pingCommand --help prints usage with the 0.001 s note and the link options', async () => {
  const io = makeIo();
  assert.equal(await pingCommand(['-h'], io), 0);
  const text = io.lines().join('\n');
  assert.match(text, /^usage: sockstack ping /);
  assert.match(text, /0\.001/);
  assert.match(text, /--tap NAME/);
});

test('argument parsing: defaults and each option', () => {
  assert.deepEqual(parsePingArgs(['10.0.0.2'])?.options, opts({}));
  assert.deepEqual(
    parsePingArgs(['-c', '5', '-i', '0.2', '-s', '100', '-W', '2', '-t', '9', '-q', '10.0.0.3'])?.options,
    opts({ host: '10.0.0.3', count: 5, intervalMs: 200, size: 100, timeoutMs: 2000, ttl: 9, quiet: true }),
  );
  assert.equal(parsePingArgs(['-i', '0.001', '10.0.0.2'])?.options.intervalMs, 1);
  assert.equal(parsePingArgs(['-s', '65507', '10.0.0.2'])?.options.size, 65507);
  assert.deepEqual(parsePingArgs(['--delay', '5', '10.0.0.2'])?.link, { delay: '5' });
  assert.equal(parsePingArgs(['--help']), null);
});

test('usage errors are UsageError naming the mistake', async () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /missing HOST/],
    [['10.0.0.2', '10.0.0.3'], /one HOST only/],
    [['example.com'], /IPv4 address/],
    [['-c', '0', '10.0.0.2'], /count \(-c\) must be an integer from 1/],
    [['-c', 'many', '10.0.0.2'], /count \(-c\) must be an integer/],
    [['-c', '2.5', '10.0.0.2'], /count \(-c\) must be an integer/],
    [['-s', '65508', '10.0.0.2'], /size \(-s\) must be an integer from 0 to 65507/],
    [['-i', '0.0001', '10.0.0.2'], /interval \(-i\) must be a number from 0\.001/],
    [['-t', '256', '10.0.0.2'], /ttl \(-t\) must be an integer from 1 to 255/],
    [['-W', '0', '10.0.0.2'], /timeout \(-W\)/],
    [['-f', '10.0.0.2'], /Unknown option '-f'/],
    [['-c'], /argument missing/],
  ];
  for (const [argv, re] of cases) {
    assert.throws(() => parsePingArgs(argv), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(' '));
  }
  await assert.rejects(pingCommand(['--ip', '10.0.0.5/24', '10.0.0.2'], makeIo()), (e: unknown) => e instanceof UsageError && /--ip only applies with --tap/.test(e.message));
});

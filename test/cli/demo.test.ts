import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { runDemo } from '../../src/cli/demo.js';

async function transcript(seed = 42): Promise<{ text: string; pcap: Uint8Array }> {
  const lines: string[] = [];
  const { pcap } = await runDemo({ seed, capture: true, out: (l) => lines.push(l) });
  return { text: lines.join('\n'), pcap: pcap! };
}

test('the demo tells the whole lesson: echo, ping, retries, ECONNREFUSED, tables', async () => {
  const { text } = await transcript();
  assert.match(text, /recvfrom\(\) = "Hello from UDP client!" from 10\.0\.0\.2:7/);
  assert.match(text, /64 bytes from 10\.0\.1\.7: icmp_seq=1 ttl=63/);
  assert.match(text, /From 10\.0\.0\.254 icmp_seq=1 Time to live exceeded/);
  assert.match(text, /attempt \d: reply after/);
  assert.match(text, /attempt \d: no reply within 500 ms/);
  assert.match(text, /recv\(\) failed: ECONNREFUSED \(errno 111\)/);
  assert.match(text, /udp\s+ESTAB\s+0\s+0\s+10\.0\.0\.1:\d+\s+10\.0\.0\.2:9999/);
  assert.match(text, /IpForwDatagrams\s+\d+/);
});

test('the same seed gives a byte-identical capture; another seed does not', async () => {
  const a = await transcript(42);
  const b = await transcript(42);
  const c = await transcript(43);
  assert.ok(a.pcap.length > 1000);
  assert.deepEqual(a.pcap, b.pcap);
  assert.equal(a.text, b.text);
  assert.notDeepEqual(a.pcap, c.pcap);
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
}

test('the CLI says what was wrong with bad input', () => {
  let r = cli('demo', '--seed', 'x');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--seed must be a non-negative integer, got 'x'/);
  r = cli('demo', '--bogus', '1');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown option '--bogus'/);
  r = cli('frobnicate');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  r = cli('demo', '--pcap');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /option '--pcap' needs a value/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { runDemo } from '../../src/cli/demo.js';

type Run = { text: string; pcap: Uint8Array };

async function fresh(seed: number): Promise<Run> {
  const lines: string[] = [];
  const { pcap } = await runDemo({ seed, capture: true, out: (l) => lines.push(l) });
  return { text: lines.join('\n'), pcap: pcap! };
}

const runs = new Map<number, Promise<Run>>();

/** The demo's transcript and capture for `seed`, run once per seed and shared by the tests. */
function transcript(seed = 42): Promise<Run> {
  let r = runs.get(seed);
  if (!r) runs.set(seed, (r = fresh(seed)));
  return r;
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

/** Lines of the transcript that `who` printed (its column after the timestamp). */
function linesOf(text: string, who: string): string[] {
  const re = new RegExp(`^  \\[\\s*[\\d.]+ ms\\] ${who}\\s+(.*)$`);
  return text.split('\n').flatMap((l) => {
    const m = re.exec(l);
    return m ? [m[1]!] : [];
  });
}

test('the TCP echo crosses the lossy wan: handshake, transfer and close in the trace, the text comes back', async () => {
  const { text } = await transcript();
  assert.match(text, /close\(\); the echo was "Hello, world"/);
  const wan = linesOf(text, 'wan');
  const syn = wan.findIndex((l) => /^10\.0\.0\.1\.\d+ > 10\.0\.1\.7\.7: Flags \[S\], seq \d+, win \d+, options \[mss 1460,sackOK,TS val \d+ ecr 0,wscale 7\], length 0/.test(l));
  const synAck = wan.findIndex((l) => /^10\.0\.1\.7\.7 > 10\.0\.0\.1\.\d+: Flags \[S\.\], seq \d+, ack \d+, win \d+, options \[mss 1460,sackOK,TS val \d+ ecr \d+,wscale 7\], length 0/.test(l));
  // PSH on the last (here the only) segment of what was queued: RFC 9293 §3.9.1.2 MUST-61.
  const data = wan.findIndex((l) => /^10\.0\.0\.1\.\d+ > 10\.0\.1\.7\.7: Flags \[F?P\.\], seq 1:13, ack 1, .*length 12/.test(l));
  const echo = wan.findIndex((l) => /^10\.0\.1\.7\.7 > 10\.0\.0\.1\.\d+: Flags \[F?P\.\], seq 1:13, ack 1[34], .*length 12/.test(l));
  const fin1 = wan.findIndex((l) => /^10\.0\.0\.1\.\d+ > 10\.0\.1\.7\.7: Flags \[FP?\.\], seq (1:)?13/.test(l));
  const fin2 = wan.findIndex((l) => /^10\.0\.1\.7\.7 > 10\.0\.0\.1\.\d+: Flags \[FP?\.\], seq (1:)?13, ack 14/.test(l));
  for (const [name, i] of Object.entries({ syn, synAck, data, echo, fin1, fin2 })) assert.ok(i >= 0, `${name} missing in\n${wan.join('\n')}`);
  assert.ok(syn < synAck && synAck < data && data < echo && fin1 < fin2, wan.join('\n'));
  // The MSS option rides on SYNs only (RFC 9293 §3.2 MUST-65), window scale and SACK-permitted
  // too (RFC 7323 §2.2, RFC 2018 §2); timestamps, agreed in the handshake, ride on every segment
  // (RFC 7323 §3.2); SACK blocks only on ACKs sent while data is missing (RFC 2018 §4).
  for (const l of wan) {
    const syn = /Flags \[S\.?\]/.test(l);
    assert.equal(/options \[mss 1460,sackOK,/.test(l), syn, l);
    assert.match(l, /options \[(mss 1460,sackOK,)?TS val \d+ ecr \d+(,wscale 7)?(,sack [1-3] (\{\d+:\d+\}){1,3})?\]/);
  }
  assert.match(text, /bob sent 65536 bytes and got 65536 back, identical/);
});

test('the select() chat: each client receives the others\' lines, and survives a reset', async () => {
  const { text } = await transcript();
  const alice = linesOf(text, 'alice');
  const bob = linesOf(text, 'bob');
  const carolClient = linesOf(text, 'carol').filter((l) => l.startsWith('(client) <- ')).map((l) => l.slice('(client) <- '.length));
  const got = (ls: string[]) => ls.filter((l) => l.startsWith('<- ')).map((l) => l.slice(3));
  assert.ok(got(bob).some((l) => /^\[10\.0\.0\.1:\d+\] hello, everyone$/.test(l)), bob.join('\n'));
  assert.ok(carolClient.some((l) => /^\[10\.0\.0\.1:\d+\] hello, everyone$/.test(l)), carolClient.join('\n'));
  assert.ok(got(alice).some((l) => /^\[10\.0\.0\.2:\d+\] hi alice, how is the weather\?$/.test(l)), alice.join('\n'));
  assert.ok(carolClient.some((l) => /^\[10\.0\.0\.2:\d+\] hi alice, how is the weather\?$/.test(l)), carolClient.join('\n'));
  assert.ok(!got(alice).some((l) => l.includes('hello, everyone')), 'nobody hears their own line');
  assert.ok(got(alice).some((l) => /^\* 10\.0\.1\.7:\d+ left \(connection error: ECONNRESET\)$/.test(l)), alice.join('\n'));
  assert.ok(got(bob).some((l) => /^\* 10\.0\.1\.7:\d+ left \(connection error: ECONNRESET\)$/.test(l)), bob.join('\n'));
});

test('the socket tables show LISTEN, ESTAB and TIME-WAIT', async () => {
  const { text } = await transcript();
  const table = text.slice(text.indexOf('Who has which socket'), text.indexOf('\n9. '));
  const section = (name: string, next: string | null): string => table.slice(table.indexOf(`\n  ${name}:\n`), next ? table.indexOf(`\n  ${next}:\n`) : undefined);
  const alice = section('alice', 'bob');
  const bob = section('bob', 'carol');
  const carol = section('carol', null);
  assert.match(alice, /tcp\s+TIME-WAIT\s+0\s+0\s+10\.0\.0\.1:\d+\s+10\.0\.1\.7:7\s*$/m);
  assert.match(alice, /tcp\s+ESTAB\s+0\s+0\s+10\.0\.0\.1:\d+\s+10\.0\.1\.7:6667\s+users:\(\("alice",fd=\d+\)\)/);
  assert.match(bob, /tcp\s+TIME-WAIT\s+0\s+0\s+10\.0\.0\.2:\d+\s+10\.0\.1\.7:7\s*$/m);
  assert.match(bob, /tcp\s+ESTAB\s+0\s+0\s+10\.0\.0\.2:\d+\s+10\.0\.1\.7:6667/);
  assert.match(carol, /tcp\s+LISTEN\s+0\s+5\s+0\.0\.0\.0:7\s+0\.0\.0\.0:\*/);
  assert.match(carol, /tcp\s+LISTEN\s+0\s+5\s+0\.0\.0\.0:6667\s+0\.0\.0\.0:\*/);
  // Send-Q may hold a line not yet acknowledged by its reader, so only Recv-Q is pinned.
  assert.equal(carol.match(/tcp\s+ESTAB\s+0\s+\d+\s+10\.0\.1\.7:6667\s+10\.0\.0\.\d:\d+/g)?.length, 2, carol);
  assert.match(carol, /udp\s+UNCONN\s+0\s+0\s+0\.0\.0\.0:7\s/);
});

test('the same seed gives a byte-identical capture; another seed does not', async () => {
  const a = await transcript(42);
  const b = await fresh(42); // a second run, not the shared one
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
  assert.equal(r.status, 2, 'usage mistakes exit with 2');
  assert.match(r.stderr, /--seed must be a non-negative integer, got 'x'/);
  r = cli('demo', '--bogus', '1');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option '--bogus'/);
  r = cli('frobnicate');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  r = cli('demo', '--pcap');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /option '--pcap' needs a value/);
});

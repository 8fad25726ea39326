import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

function run(file: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('examples/udp-echo.ts: the textbook server and client talk', () => {
  const out = run('examples/udp-echo.ts');
  assert.match(out, /Received 22 bytes from \('10\.0\.0\.2', \d+\)/);
  assert.match(out, /Received: Hello from UDP server!/);
});

test('examples/ping.ts: three replies across the router', () => {
  const out = run('examples/ping.ts');
  assert.equal(out.match(/bytes from 172\.16\.5\.5: icmp_seq=\d ttl=63/g)?.length, 3);
});

test('examples/tcp-echo.ts: prints what the textbook server.py and client.py print', () => {
  const out = run('examples/tcp-echo.ts');
  assert.equal(out, out.match(/^Connected by \('10\.0\.0\.2', \d+\)\nReceived b'Hello, world'\n$/)?.[0], out);
});

/** The "What each client received:" block of select-chat's output, per client. */
function received(out: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const block = out.split('What each client received:\n')[1] ?? '';
  let cur: string[] | null = null;
  for (const line of block.split('\n')) {
    const head = /^  (\w+) \((10\.0\.0\.\d+:\d+)\):$/.exec(line);
    if (head) {
      cur = [];
      m.set(head[1]!, cur);
      m.set(`${head[1]}@`, [head[2]!]);
    } else if (cur && line.startsWith('    ')) cur.push(line.slice(4));
    else cur = null;
  }
  return m;
}

test('examples/select-chat.ts: over 5% loss every client gets every other client\'s lines, whole and in order', () => {
  const out = run('examples/select-chat.ts');
  const r = received(out);
  const name = (who: string): string => r.get(`${who}@`)![0]!;
  const alice = r.get('alice')!;
  const bob = r.get('bob')!;
  const carol = r.get('carol')!;
  const [A, B, C] = [name('alice'), name('bob'), name('carol')];
  // Lines from different senders may interleave; each sender's lines arrive whole and in order.
  const from = (got: string[], sender: string) => got.filter((l) => l.startsWith(`[${sender}] `)).map((l) => l.slice(sender.length + 3));
  const fives = [1, 2, 3, 4, 5].map((i) => `line ${i} of 5`);
  assert.deepEqual(from(alice, A), [], 'nobody hears their own lines');
  assert.deepEqual(from(alice, B), ['hi alice, how is the weather?', 'carol, are you still there?']);
  assert.deepEqual(from(alice, C), ['sunny here']);
  assert.deepEqual(from(bob, A), ['hello, everyone', ...fives]);
  assert.deepEqual(from(bob, C), ['sunny here']);
  assert.deepEqual(from(carol, A), ['hello, everyone', ...fives]);
  assert.deepEqual(from(carol, B), ['hi alice, how is the weather?']);
  assert.equal(alice[0], `* Welcome, ${A}! Nobody else is here yet.`);
  assert.equal(carol[0], `* Welcome, ${C}! 2 others are here.`);
  assert.ok(alice.includes(`* ${C} left (connection error: ECONNRESET)`), alice.join('\n'));
  assert.ok(bob.includes(`* ${C} left (connection error: ECONNRESET)`), bob.join('\n'));
  assert.equal(alice.at(-1), `* ${B} left (disconnected)`);
  const lost = /The link lost (\d+) of \d+ frames; TCP retransmitted (\d+) segments/.exec(out);
  assert.ok(lost, out);
  assert.ok(Number(lost[1]) > 0 && Number(lost[2]) > 0, 'the link was lossy and TCP repaired it');
});

test("examples/node-http.ts: Node's http server and keep-alive client over nodeNet", () => {
  const out = run('examples/node-http.ts');
  assert.equal(out.match(/^200 Hello from Node's http on sockstack: you asked for \/\w*$/gm)?.length, 3, out);
  assert.match(out, /the client opened 1 TCP connection\(s\) for 3 requests \(keep-alive\)/);
  assert.match(out, /tcp\s+LISTEN\s+0\s+511 0\.0\.0\.0:80/);
});

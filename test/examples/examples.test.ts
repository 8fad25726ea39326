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

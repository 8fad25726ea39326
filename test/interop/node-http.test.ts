/**
 * Node's own http.createServer, unmodified, running on sockstack through nodeNet(host) on a TAP
 * device, driven by the kernel's clients in the namespace: curl, then wrk with 20 kept-alive
 * connections for a few seconds. wrk's report must show no socket errors and no non-2xx answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { nodeNet } from '../../src/node/index.js';
import { attachLibraryStack, describeRun, requireInterop, useNamespace } from './netns.js';

const fx = useNamespace();

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    // wrk --version exits 1 after printing its version: only a missing program is missing.
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** wrk's summary: requests done, and the error lines it prints only when there were errors. */
function parseWrk(out: string): { requests: number; socketErrors: string | null; non2xx: number } {
  const requests = Number(/(\d+) requests in /.exec(out)?.[1]);
  const socketErrors = /Socket errors: .*/.exec(out)?.[0] ?? null;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { requests, socketErrors, non2xx };
}

test('curl and wrk drive an http.createServer that runs on sockstack (nodeNet over TAP)', async (t) => {
  if (!requireInterop(t)) return;
  if (!hasWrk()) {
    if (process.env.SOCKSTACK_REQUIRE_INTEROP === '1') assert.fail('SOCKSTACK_REQUIRE_INTEROP=1 but wrk is not installed');
    t.skip('wrk is not installed');
    return;
  }
  const s = attachLibraryStack(fx.ns);
  let served = 0;
  const server = http.createServer((req, res) => {
    served++;
    res.setHeader('content-type', 'text/plain');
    res.end(`hello from Node's http on sockstack: ${req.method} ${req.url}\n`);
  });
  // The one-import swap: sockstack's net module accepts, Node's http.Server speaks HTTP.
  const net = nodeNet(s.host);
  // allowHalfOpen as http.Server's own net.Server has it: http answers after the client's FIN.
  const listener = net.createServer({ allowHalfOpen: true }, (sock) => server.emit('connection', sock));
  await new Promise<void>((resolve) => listener.listen(80, resolve));
  fx.ns.onDestroy(async () => {
    listener.close();
    server.closeAllConnections();
  });
  fx.expectCapture(s.pcapFile, 'http.request.uri == "/curl"', 'http.response.code == 200');

  const c = await fx.ns.exec('curl', ['-sS', '--max-time', '10', `http://${s.stackIp}/curl`], { timeoutMs: 20_000 });
  assert.equal(c.code, 0, describeRun('curl', c));
  assert.equal(c.stdout, "hello from Node's http on sockstack: GET /curl\n");

  const w = await fx.ns.exec('wrk', ['-t2', '-c20', '-d4s', '--timeout', '5s', '--latency', `http://${s.stackIp}/wrk`], { timeoutMs: 60_000 });
  assert.equal(w.code, 0, describeRun('wrk', w));
  const r = parseWrk(w.stdout);
  t.diagnostic(w.stdout.trim().split('\n').join(' | '));
  assert.ok(r.requests > 100, `wrk completed ${r.requests} requests`);
  assert.equal(r.socketErrors, null, `wrk reported ${r.socketErrors}`);
  assert.equal(r.non2xx, 0);
  assert.ok(served >= r.requests, `the server answered ${served} requests, wrk counted ${r.requests}`);
  assert.ok(s.host.counters.tcp.passiveOpens <= 25, `wrk's 20 connections were kept alive (${s.host.counters.tcp.passiveOpens} accepted)`);
});

test('after the Node http runs: no kernel error counter moved, and the capture holds only well-formed packets', async (t) => {
  if (!requireInterop(t)) return;
  t.diagnostic(await fx.checkWire());
});

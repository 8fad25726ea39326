/**
 * curl against sockstack's http service, first as a library in this process, then as the
 * `sockstack tap` command running in the namespace: GET, two URLs on one kept-alive connection,
 * HEAD, and a 404. The tap command's echo service also carries a Linux `nc -N` transfer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { startServices } from '../../src/apps/services.js';
import { attachLibraryStack, describeRun, requireInterop, startCliTap, useNamespace, type CliTap, type LibraryStack } from './netns.js';

const fx = useNamespace();
let lib: LibraryStack | null = null;
/** The library stack, serving http on port 80. */
function stack(): LibraryStack {
  if (lib) return lib;
  lib = attachLibraryStack(fx.ns);
  const svc = startServices(lib.host.sockets, [{ name: 'http', port: 80 }], { hostname: 'sockstack-interop' });
  fx.ns.onDestroy(() => svc.close());
  fx.expectCapture(lib.pcapFile, 'http.request.method == "GET"', 'http.request.method == "HEAD"', 'http.response.code == 200', 'http.response.code == 404');
  return lib;
}

interface Response {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Status and headers of one header block (status line first, no final blank line). */
function parseHead(block: string): { status: number; headers: Map<string, string> } {
  const lines = block.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(lines[0]!)?.[1]);
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  return { status, headers };
}

/** Splits `curl -i` output of GETs (one or more responses) into responses, bodies by Content-Length. */
function responses(text: string): Response[] {
  const out: Response[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n');
    assert.ok(end > 0, `no end of headers in ${JSON.stringify(rest.slice(0, 200))}`);
    const { status, headers } = parseHead(rest.slice(0, end));
    rest = rest.slice(end + 4);
    const len = Number(headers.get('content-length'));
    assert.ok(Number.isInteger(len), 'Content-Length present');
    const body = Buffer.from(rest).subarray(0, len).toString('utf8');
    rest = rest.slice(body.length);
    out.push({ status, headers, body });
  }
  assert.equal(rest, '', 'nothing after the last response');
  return out;
}

async function curl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const r = await fx.ns.exec('curl', ['-sS', '--max-time', '10', ...args], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, describeRun(`curl ${args.join(' ')}`, r));
  return r;
}

/** The checks both the library and the CLI server must pass. */
async function checkHttp(ip: string, hostname: RegExp): Promise<void> {
  // GET
  const [get] = responses((await curl('-i', `http://${ip}/`)).stdout);
  assert.equal(get!.status, 200);
  assert.match(get!.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(Number(get!.headers.get('content-length')), Buffer.byteLength(get!.body));
  assert.match(get!.body, /sockstack/);
  assert.match(get!.body, hostname);
  // two URLs, one connection (curl -v says so on stderr)
  const two = await curl('-v', '-i', `http://${ip}/`, `http://${ip}/ss`);
  assert.match(two.stderr, /Re-using existing connection/, two.stderr);
  assert.equal((two.stderr.match(/Connected to /g) ?? []).length, 1, 'one TCP connection for both requests');
  const rs = responses(two.stdout);
  assert.deepEqual(rs.map((r) => r.status), [200, 200]);
  assert.match(rs[1]!.headers.get('content-type') ?? '', /^text\/plain/);
  // HEAD: the GET's headers (Content-Length of the page), and nothing after them
  const head = (await curl('-I', `http://${ip}/`)).stdout;
  assert.ok(head.endsWith('\r\n\r\n') && head.indexOf('\r\n\r\n') === head.length - 4, `one header block, no body: ${JSON.stringify(head)}`);
  const h = parseHead(head.slice(0, -4));
  assert.equal(h.status, 200);
  assert.ok(Number(h.headers.get('content-length')) > 0, 'HEAD reports the length of the page');
  assert.match(h.headers.get('content-type') ?? '', /^text\/html/);
  // 404
  const nf = await curl('-o', '/dev/null', '-w', '%{http_code}', `http://${ip}/no-such-page`);
  assert.equal(nf.stdout, '404');
}

test('curl fetches sockstack\'s page (library): GET, keep-alive with two URLs, HEAD, 404', async (t) => {
  if (!requireInterop(t)) return;
  const s = stack();
  await checkHttp(s.stackIp, /sockstack-interop/);
  assert.ok(s.host.counters.tcp.passiveOpens >= 4, `connections accepted: ${s.host.counters.tcp.passiveOpens}`);
});

let cli: CliTap | null = null;

test('curl fetches the page of `sockstack tap --serve http:80` (CLI): GET, keep-alive, HEAD, 404', async (t) => {
  if (!requireInterop(t)) return;
  cli = await startCliTap(fx.ns, ['http:80', 'echo:7']);
  fx.expectCapture(cli.pcapFile, 'http.request.method == "GET"', 'http.request.method == "HEAD"', 'http.response.code == 200');
  assert.match(cli.out.text, /serving http on tcp\/80/);
  assert.match(cli.out.text, /serving echo on tcp\/7 udp\/7/);
  await checkHttp(cli.stackIp, new RegExp(cli.stackIp.replace(/\./g, '\\.')));
});

test('Linux nc -N round-trips 1 MiB through `sockstack tap --serve echo:7` (CLI)', async (t) => {
  if (!requireInterop(t)) return;
  assert.ok(cli, 'the tap command is running (previous test)');
  const data = randomBytes(1 << 20);
  const r = await fx.ns.exec('sh', ['-c', `nc -N ${cli.stackIp} 7 | sha256sum`], { input: data, timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun('nc -N | sha256sum', r));
  assert.equal(r.stdout.split(' ')[0], createHash('sha256').update(data).digest('hex'));
  t.diagnostic(`1 MiB through the CLI echo in ${r.ms.toFixed(0)} ms`);
});

test('`sockstack tap` stops on SIGINT with exit 0, a summary, and a complete capture', async (t) => {
  if (!requireInterop(t)) return;
  assert.ok(cli, 'the tap command is running (previous tests)');
  const end = await cli.stop();
  assert.equal(end.code, 0, `${JSON.stringify(end)}\n${cli.out.text}${cli.err.text}`);
  assert.match(cli.out.text, /sockstack: served \d+ TCP connections?/);
  assert.match(cli.out.text, /sockstack: TAP \S+: [1-9]\d* frames in/);
  fx.expectCapture(cli.pcapFile, 'tcp.port == 7 && tcp.len > 1000');
});

test('after the HTTP runs: no kernel error counter moved, and the captures hold only well-formed packets', async (t) => {
  if (!requireInterop(t)) return;
  t.diagnostic(await fx.checkWire());
});

/**
 * "It works in browsers": the core, bundled for the browser platform (a Node built-in anywhere
 * in it fails the bundle), runs in headless Chromium on a virtual network — TCP through
 * host.listen/host.connect web streams, UDP through host.udpSocket and the Berkeley API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome'];

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code === 'ENOENT' ? -1 : typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function findChromium(): Promise<string | null> {
  for (const c of CHROMIUM) if ((await run(c, ['--version'])).code === 0) return c;
  return null;
}

test('the core runs in headless Chromium: web-streams TCP echo and UDP on a virtual network', async (t) => {
  const browser = await findChromium();
  if (!browser) {
    if (process.env.SOCKSTACK_REQUIRE_INTEROP === '1') assert.fail('SOCKSTACK_REQUIRE_INTEROP=1 but no chromium is installed');
    t.skip('no chromium (apt-get install chromium) to run the browser test in');
    return;
  }
  const bundle = await build({
    entryPoints: [new URL('./entry.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.text;
  assert.ok(!/\brequire\(["']node:/.test(js), 'no Node built-in in the browser bundle');
  const dir = mkdtempSync(join(tmpdir(), 'sockstack-browser-'));
  try {
    const page = join(dir, 'index.html');
    writeFileSync(page, `<!doctype html><meta charset="utf-8"><title>sockstack</title><pre id="result">pending</pre><script type="module">${js.replace(/<\/script/g, '<\\/script')}</script>`);
    const r = await run(browser, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'profile')}`,
      '--virtual-time-budget=30000', '--dump-dom', `file://${page}`,
    ]);
    const m = /<pre id="result">([^<]*)<\/pre>/.exec(r.stdout);
    assert.ok(m, `no result in the page (exit ${r.code}):\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(-2000)}`);
    const res = JSON.parse(m[1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>')) as Record<string, unknown>;
    t.diagnostic(JSON.stringify(res));
    assert.equal(res.ok, true, String(res.error));
    assert.equal(res.tcpBytes, 256 * 1024);
    assert.equal(res.tcpSame, true);
    assert.equal(res.remote, '10.0.0.2:7');
    assert.equal(res.udp, 'hello from a browser');
    assert.equal(res.udpFrom, '10.0.0.1');
    assert.equal(res.hasProcess, false, 'a real browser page: no Node process object');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

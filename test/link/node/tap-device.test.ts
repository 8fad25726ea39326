import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';

const statMode = (p: string) => statSync(p).mode;
import { TapDevice, TapError } from '../../../src/link/node/tap-device.js';

/** Why the kernel-side tests cannot run here, or null. */
function skipReason(): string | null {
  if (process.platform !== 'linux') return 'TAP devices are Linux-only';
  if (process.getuid?.() !== 0) return 'needs root (CAP_NET_ADMIN) to create TAP devices';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return "the 'ip' command (iproute2) is missing";
  }
  return null;
}

/** Skips with the reason, unless CI demands these tests run (SOCKSTACK_REQUIRE_INTEROP=1). */
function needKernel(t: TestContext): boolean {
  const why = skipReason();
  if (why === null) return true;
  if (process.env.SOCKSTACK_REQUIRE_INTEROP === '1') assert.fail(`SOCKSTACK_REQUIRE_INTEROP=1 but: ${why}`);
  t.skip(why);
  return false;
}

let counter = 0;
const devName = () => `sstd${process.pid % 100000}${counter++}`;
const sysExists = (name: string) => existsSync(`/sys/class/net/${name}`);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('TapDevice.open rejects a bad name or MAC with a TapError before touching the kernel', () => {
  for (const bad of ['', 'a-name-that-is-too-long', 'has space', 'sl/ash', 'co:lon']) {
    assert.throws(() => TapDevice.open({ name: bad }), (e: unknown) => e instanceof TapError && e.code === 'EINVAL' && /not a valid interface name/.test(e.message));
  }
  assert.throws(() => TapDevice.open({ name: 'tap0', mac: new Uint8Array(5) }), (e: unknown) => e instanceof TapError && /6 bytes/.test(e.message));
});

test('TapDevice: creates a device, reads its MTU and MAC, and removes it on close', async (t) => {
  if (!needKernel(t)) return;
  const name = devName();
  const dev = TapDevice.open({ name, up: false });
  try {
    assert.equal(dev.created, true);
    assert.equal(dev.name, name);
    assert.ok(sysExists(name), 'the kernel has the interface');
    assert.equal(dev.mtu, Number(readFileSync(`/sys/class/net/${name}/mtu`, 'utf8')));
    const kmac = readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim();
    assert.equal([...dev.kernelMac].map((b) => b.toString(16).padStart(2, '0')).join(':'), kmac);
    assert.equal(dev.mac.length, 6);
    assert.equal(dev.mac[0]! & 0x03, 0x02, 'our MAC is unicast and locally administered');
    assert.notDeepEqual(dev.mac, dev.kernelMac);
    assert.equal((Number(readFileSync(`/sys/class/net/${name}/flags`, 'utf8')) & 1), 0, 'up: false left it down');
  } finally {
    await dev.close();
  }
  assert.ok(!sysExists(name), 'a device we created goes away when we close it');
  await dev.close(); // twice is harmless
  dev.transmit(new Uint8Array(60)); // after close: dropped, not thrown
  assert.equal(dev.counters.txFrames, 0);
});

test('TapDevice: brings the device up by default; a persistent device is attached, not created, and outlives us', async (t) => {
  if (!needKernel(t)) return;
  const name = devName();
  execFileSync('ip', ['tuntap', 'add', 'dev', name, 'mode', 'tap']);
  try {
    const dev = TapDevice.open({ name });
    assert.equal(dev.created, false);
    assert.equal(Number(readFileSync(`/sys/class/net/${name}/flags`, 'utf8')) & 1, 1, 'IFF_UP set');
    await dev.close();
    assert.ok(sysExists(name), 'the persistent device is still there');
  } finally {
    execFileSync('ip', ['link', 'del', name]);
  }
});

test('TapDevice: a second reader gets EBUSY, a non-TAP interface EINVAL, each with a message that says why', async (t) => {
  if (!needKernel(t)) return;
  const name = devName();
  const dev = TapDevice.open({ name, up: false });
  try {
    assert.throws(() => TapDevice.open({ name, up: false }), (e: unknown) => e instanceof TapError && e.code === 'EBUSY' && /in use by another process/.test(e.message));
  } finally {
    await dev.close();
  }
  assert.throws(() => TapDevice.open({ name: 'lo', up: false }), (e: unknown) => e instanceof TapError && e.code === 'EINVAL' && /not a TAP device/.test(e.message));
});

test('TapDevice: deleting the device under us stops the reader with a reason; close still completes', async (t) => {
  if (!needKernel(t)) return;
  const name = devName();
  const dev = TapDevice.open({ name, up: false });
  execFileSync('ip', ['link', 'del', name]);
  for (let i = 0; i < 100 && dev.error === null; i++) await wait(10);
  assert.match(dev.error ?? '', /read from the TAP device failed/);
  dev.transmit(new Uint8Array(60));
  assert.equal(dev.counters.txErrors, 1, 'a write to a deleted device is counted, not thrown');
  await dev.close();
});

/** Runs `body` (module code with TapDevice in scope) in a child process as nobody; returns its last stdout line. */
async function asNobody(body: string): Promise<string> {
  const { spawn } = await import('node:child_process');
  const script = `import { TapDevice } from ${JSON.stringify(new URL('../../../src/link/node/tap-device.ts', import.meta.url).href)};
try { ${body} }
catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { uid: 65534, gid: 65534, cwd: process.cwd() });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => child.on('close', r));
  return out.trim().split('\n').pop() ?? '';
}

test('TapDevice: an unprivileged process gets a TapError that says how to get permission', async (t) => {
  if (!needKernel(t)) return;
  const line = await asNobody(`TapDevice.open({ name: 'ssperm${process.pid % 10000}' }); console.log('OPENED');`);
  assert.notEqual(line, 'OPENED');
  const e = JSON.parse(line) as { name: string; code: string; message: string };
  assert.equal(e.name, 'TapError');
  assert.ok(e.code === 'EACCES' || e.code === 'EPERM', `code ${e.code}`);
  assert.match(e.message, /permission denied .*run as root, grant CAP_NET_ADMIN .*ip tuntap add dev ssperm\d+ mode tap user/);
});

test('TapDevice: a device created for a user opens without privilege once it is up; while down, the error says how', async (t) => {
  if (!needKernel(t)) return;
  const name = devName();
  execFileSync('ip', ['tuntap', 'add', 'dev', name, 'mode', 'tap', 'user', '65534']);
  // Distributions ship /dev/net/tun as 0666 (the kernel checks the TAP's owner); this machine
  // may not, so open it up for the test and put the mode back afterwards.
  const mode = statMode('/dev/net/tun') & 0o7777;
  try {
    chmodSync('/dev/net/tun', mode | 0o666);
    const down = JSON.parse(await asNobody(`TapDevice.open({ name: '${name}' }); console.log('OPENED');`)) as { code: string; message: string };
    assert.equal(down.code, 'EPERM');
    assert.match(down.message, new RegExp(`'${name}' is down .*sudo ip link set ${name} up`));
    execFileSync('ip', ['link', 'set', name, 'up']);
    const up = await asNobody(`const d = TapDevice.open({ name: '${name}' }); console.log(d.created ? 'CREATED' : 'ATTACHED'); await d.close();`);
    assert.equal(up, 'ATTACHED');
  } finally {
    chmodSync('/dev/net/tun', mode);
    execFileSync('ip', ['link', 'del', name]);
  }
});

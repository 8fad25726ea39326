import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { tapCommand, TAP_USAGE } from '../../src/cli/tap-command.js';
import { LINK_USAGE, UsageError } from '../../src/cli/link-options.js';
import type { CliIo } from '../../src/cli/cli-io.js';

/**
 * The streams of a command run in-process. The signal is already aborted: should a case that
 * ought to fail get past validation, the command opens the device, stops at once and returns 0
 * (failing the test) instead of running on with a TAP device in the test machine's namespace.
 */
function io(): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', (d: Buffer) => (e += d.toString()));
  return { io: { stdin: new PassThrough(), stdout, stderr, signal: AbortSignal.abort() }, out: () => o, err: () => e };
}

/** Runs the command expecting a UsageError whose message matches `re`; nothing is printed. */
async function usage(argv: string[], re: RegExp): Promise<void> {
  const t = io();
  await assert.rejects(tapCommand(argv, t.io), (e: unknown) => {
    assert.ok(e instanceof UsageError, `a UsageError for ${argv.join(' ')}, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
  assert.equal(t.out(), '', 'nothing printed: no device was touched');
}

test('--help (and -h) prints the usage with the link options and returns 0', async () => {
  for (const flag of ['--help', '-h']) {
    const t = io();
    assert.equal(await tapCommand([flag], t.io), 0);
    assert.equal(t.out(), `${TAP_USAGE}\n`);
    assert.ok(t.out().includes(LINK_USAGE));
    assert.match(t.out(), /--dev NAME/);
    assert.match(t.out(), /--serve SERVICE\[:PORT\]/);
    assert.match(t.out(), /echo \(7\), discard \(9\), daytime \(13\), chargen \(19\)/);
  }
  // Help wins over missing or bad options.
  const t = io();
  assert.equal(await tapCommand(['--serve', 'nope', '--help'], t.io), 0);
});

test('--dev and --ip are required', async () => {
  await usage([], /--dev NAME/);
  await usage(['--ip', '10.0.0.2/24'], /--dev NAME/);
  await usage(['--dev', '', '--ip', '10.0.0.2/24'], /--dev NAME/);
  await usage(['--dev', 'sstap0'], /--ip CIDR/);
});

test('--tap is refused with a pointer to --dev', async () => {
  await usage(['--tap', 'tap0', '--ip', '10.0.0.2/24'], /--dev NAME, not --tap \(try --dev tap0\)/);
  await usage(['--dev', 'tap0', '--tap', 'tap1', '--ip', '10.0.0.2/24'], /not --tap/);
});

test('a bad CIDR, gateway or impairment is a usage error before any device is opened', async () => {
  await usage(['--dev', 'sstap0', '--ip', '10.0.0.2'], /--ip must be an IPv4 address with a prefix length/);
  await usage(['--dev', 'sstap0', '--ip', 'host/24'], /--ip must be/);
  await usage(['--dev', 'sstap0', '--ip', '10.0.0.300/24'], /--ip must be/);
  await usage(['--dev', 'sstap0', '--ip', '10.0.0.2/33'], /--ip must be/);
  await usage(['--dev', 'sstap0', '--ip', '10.0.0.2/24', '--gateway', 'nope'], /--gateway must be an IPv4 address/);
  await usage(['--dev', 'sstap0', '--ip', '10.0.0.2/24', '--loss', '2'], /--loss must be a number from 0 to 1/);
  await usage(['--dev', 'sstap0', '--ip', '10.0.0.2/24', '--delay', 'x'], /--delay must be a number/);
  await usage(['--dev', 'sstap0', '--ip', '10.0.0.2/24', '--mac', '01:00:00:00:00:01'], /--mac .* group \(multicast\)/);
  await usage(['--dev', 'sstap0', '--ip', '10.0.0.2/24', '--seed', '1.5'], /--seed must be an integer/);
});

test('a bad --serve names the known services or the port range; two services on one port clash', async () => {
  const base = ['--dev', 'sstap0', '--ip', '10.0.0.2/24'];
  await usage([...base, '--serve', 'ftp'], /--serve: unknown service 'ftp'.*echo, discard, chargen, daytime, http/);
  await usage([...base, '--serve', 'echo:0'], /--serve: bad port '0'.*1 to 65535/);
  await usage([...base, '--serve', 'http:80', '--serve', 'echo:abc'], /1 to 65535/);
  await usage([...base, '--serve', 'echo', '--serve', 'discard:7'], /--serve echo:7 and --serve discard:7 both want port 7/);
  await usage([...base, '--serve', 'http:8080', '--serve', 'http:8080'], /both want port 8080/);
});

test('unknown options, missing values and positionals are usage errors from parseArgs', async () => {
  await usage(['--dev', 'sstap0', '--ip', '10.0.0.2/24', '--bogus'], /'--bogus'/);
  await usage(['--dev', 'sstap0', '--ip'], /--ip/);
  await usage(['--dev', 'sstap0', '--ip', '10.0.0.2/24', 'extra'], /extra/);
  await usage(['--dev', 'sstap0', '--ip', '10.0.0.2/24', '--help=yes'], /--help/);
});

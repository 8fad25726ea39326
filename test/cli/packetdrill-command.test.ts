import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packetdrillCommand, parsePacketdrillArgs } from '../../src/cli/packetdrill-command.js';
import type { CliIo } from '../../src/cli/cli-io.js';

function makeIo(): CliIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdin: new PassThrough(), stdout, stderr, signal: new AbortController().signal, out: () => out, err: () => err };
}

const RST = `0  < S 0:0(0) win 32792 <mss 1000>
+0 > R. 0:0(0) ack 1 win 0
`;
const WRONG = `0  < S 0:0(0) win 32792 <mss 1000>
+0 > R. 0:0(0) ack 2 win 0
`;
const CODE = `0  < S 0:0(0) win 32792 <mss 1000>
+0 %{ print(1) }%
`;

function scripts(): { dir: string; file(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), 'pd-cli-'));
  return { dir, file: (name, text) => { const p = join(dir, name); writeFileSync(p, text); return p; } };
}

test('all scripts pass: exit 0 and the summary', async () => {
  const s = scripts();
  try {
    const io = makeIo();
    const code = await packetdrillCommand([s.file('a.pkt', RST), s.file('b.pkt', RST)], io);
    assert.equal(code, 0, io.out());
    assert.match(io.out(), /a\.pkt: pass \(2 events/);
    assert.match(io.out(), /\n2 scripts: 2 passed, 0 failed, 0 unsupported\n$/);
  } finally {
    rmSync(s.dir, { recursive: true });
  }
});

test('a failure or an unsupported script makes the exit status 1; the failure shows both packets', async () => {
  const s = scripts();
  try {
    const io = makeIo();
    const code = await packetdrillCommand(['--tolerance_usecs=1000', s.file('ok.pkt', RST), s.file('bad.pkt', WRONG), s.file('py.pkt', CODE), join(s.dir, 'missing.pkt')], io);
    assert.equal(code, 1);
    const out = io.out();
    assert.match(out, /bad\.pkt:2: fail: ack: expected 2 vs actual 1/);
    assert.match(out, /expected: 0\.000000 > R\. 0:0\(0\) ack 2 win 0\n {2}actual: {3}0\.000000 > R\. 0:0\(0\) ack 1 win 0/);
    assert.match(out, /py\.pkt:2: unsupported: /);
    assert.match(out, /missing\.pkt: fail: cannot read the script/);
    assert.match(out, /\n4 scripts: 1 passed, 2 failed, 1 unsupported\n$/);
    const io2 = makeIo();
    assert.equal(await packetdrillCommand([s.file('py2.pkt', CODE)], io2), 1);
    assert.match(io2.out(), /1 script: 0 passed, 0 failed, 1 unsupported/);
  } finally {
    rmSync(s.dir, { recursive: true });
  }
});

test('--ip_version=ipv6 reports every script unsupported, "not supported yet"', async () => {
  const s = scripts();
  try {
    const io = makeIo();
    assert.equal(await packetdrillCommand(['--ip_version=ipv6', s.file('a.pkt', RST)], io), 1);
    assert.match(io.out(), /a\.pkt: unsupported: .*not supported yet/);
  } finally {
    rmSync(s.dir, { recursive: true });
  }
});

test('-v shows the events', async () => {
  const s = scripts();
  try {
    const io = makeIo();
    assert.equal(await packetdrillCommand(['-v', s.file('a.pkt', RST)], io), 0);
    assert.match(io.out(), /0\.000000 < S 0:0\(0\) win 32792 <mss 1000>/);
  } finally {
    rmSync(s.dir, { recursive: true });
  }
});

test('usage mistakes exit 2 and say what is wrong', async () => {
  for (const [argv, why] of [
    [[], /no script given/],
    [['--bogus=1', 'x.pkt'], /unknown option '--bogus'/],
    [['--tolerance_usecs=abc', 'x.pkt'], /needs a number/],
    [['--profile=windows', 'x.pkt'], /linux or freebsd/],
    [['--local_ip=300.1.1.1', 'x.pkt'], /not an IPv4 address/],
  ] as Array<[string[], RegExp]>) {
    const io = makeIo();
    assert.equal(await packetdrillCommand(argv, io), 2, argv.join(' '));
    assert.match(io.err(), why);
  }
  const io = makeIo();
  assert.equal(await packetdrillCommand(['--help'], io), 0);
  assert.match(io.out(), /usage: sockstack packetdrill/);
});

test('flags parse in both --name=value and --name value forms', () => {
  const r = parsePacketdrillArgs(['--mss', '1000', '--remote_ip=10.1.2.3', '--seed=5', '--profile=linux', 'f.pkt']);
  assert.deepEqual(r, { options: { mss: 1000, remoteIp: '10.1.2.3', seed: 5, profile: 'linux' }, files: ['f.pkt'] });
});

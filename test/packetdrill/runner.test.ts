import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runText, runScript, formatResult, summaryLine, type ScriptResult } from '../../src/packetdrill/index.js';
import type { RunOptions } from '../../src/packetdrill/options.js';
import type { Script } from '../../src/packetdrill/ast.js';

async function run(text: string, opts: Partial<RunOptions> = {}): Promise<ScriptResult> {
  return runText(text, 't.pkt', opts);
}

async function passes(text: string, opts: Partial<RunOptions> = {}): Promise<ScriptResult> {
  const r = await run(text, { ...opts, verbose: true });
  assert.equal(r.status, 'pass', formatResult(r, true));
  return r;
}

/** Asserts the script fails at `line` for a reason matching `why`. */
async function failsAt(text: string, line: number, why: RegExp, opts: Partial<RunOptions> = {}): Promise<ScriptResult> {
  const r = await run(text, opts);
  assert.equal(r.status, 'fail', formatResult(r));
  assert.equal(r.line, line, formatResult(r));
  assert.match(r.reason, why);
  return r;
}

async function unsupportedAt(text: string, line: number | undefined, why: RegExp, opts: Partial<RunOptions> = {}): Promise<ScriptResult> {
  const r = await run(text, opts);
  assert.equal(r.status, 'unsupported', formatResult(r));
  assert.equal(r.line, line, formatResult(r));
  assert.match(r.reason, why);
  return r;
}

// A passive open: lines 1-8 (the first line of each script is empty).
const PASSIVE = `
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 32792 <mss 1000,nop,nop,sackOK,nop,wscale 7>
+0  > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>
+.1 < . 1:1(0) ack 1 win 32792
+0  accept(3, ..., ...) = 4
`;

// An active open with a non-blocking connect: lines 1-6.
const ACTIVE = `
0    socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0   fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0   connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0   > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
+.05 < S. 0:0(0) ack 1 win 5792 <mss 1460>
+0   > . 1:1(0) ack 1
`;

// ---- scripts that must pass ---------------------------------------------------------------

test('passive open, data both ways, delayed ACK and an orderly close', async () => {
  const r = await passes(`${PASSIVE}
+0  write(4, ..., 1000) = 1000
+0  > P. 1:1001(1000) ack 1
+.1 < . 1:1(0) ack 1001 win 32792
+0  < P. 1:101(100) ack 1001 win 32792
+0  read(4, ..., 1000) = 100
+.04 > . 1001:1001(0) ack 101
+0  close(4) = 0
+0  > F. 1001:1001(0) ack 101
+.1 < F. 101:101(0) ack 1002 win 32792
+0  > . 1002:1002(0) ack 102
`);
  assert.equal(r.events, 18);
  assert.ok(Math.abs(r.seconds - 0.34) < 1e-9, `ran ${r.seconds} s of virtual time`);
  assert.ok(r.log.some((l) => l.includes('> S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 7>')), r.log.join('\n'));
});

test('active open with a non-blocking connect, SO_ERROR and data', async () => {
  await passes(`${ACTIVE}
+0   getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
+0   write(3, ..., 100) = 100
+0   > P. 1:101(100) ack 1
`);
});

test('a blocking connect returns when the handshake completes', async () => {
  await passes(`
0          socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...0.05  connect(3, ..., ...) = 0
+0         > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
+.05       < S. 0:0(0) ack 1 win 5792 <mss 1460>
+0         > . 1:1(0) ack 1
+0         close(3) = 0
+0         > F. 1:1(0) ack 1
`);
});

test('a blocking accept: started first, woken by the handshake the script injects', async () => {
  await passes(`
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0...0.1 accept(3, ..., ...) = 4
+0  < S 0:0(0) win 32792 <mss 1000>
+0  > S. 0:0(0) ack 1 <mss 1460>
+.1 < . 1:1(0) ack 1 win 32792
+0  getsockopt(4, IPPROTO_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED}, ...) = 0
`);
});

test('a SYN to a closed port gets RST|ACK (RFC 9293 §3.10.7.1)', async () => {
  await passes(`
0  < S 0:0(0) win 32792 <mss 1000>
+0 > R. 0:0(0) ack 1 win 0
`);
});

test('an ACK to a closed port gets a RST with seq = its ack; a SYN in ESTABLISHED a challenge ACK; close with unread data a RST', async () => {
  await passes(`
0  < . 1:1(0) ack 1 win 100
+0 > R 1:1(0)
`);
  await passes(`${PASSIVE}
+0 < S 0:0(0) win 32792 <mss 1000>
+0 > . 1:1(0) ack 1
`);
  await passes(`${PASSIVE}
+0 < P. 1:11(10) ack 1 win 32792
+0 close(4) = 0
+0 > R. 1:1(0) ack 11
`);
});

// Zero-window probes: the RTO after one 100 ms RTT sample is 300 ms, then it doubles.
const ZWP = `${PASSIVE.replace('+.1 < . 1:1(0) ack 1 win 32792', '+.1 < . 1:1(0) ack 1 win 0')}
+0   write(4, ..., 1000) = 1000
+.3  > . 0:0(0) ack 1
+.6  > . 0:0(0) ack 1
+1.2 > . 0:0(0) ack 1
+0   < . 1:1(0) ack 1 win 32792
+0   > P. 1:1001(1000) ack 1
`;

test('zero-window probes come at the RTO and back off, then the data flows', async () => {
  await passes(ZWP);
});

test('the remote ISN is the runner\'s: wrapping sequence numbers change nothing', async () => {
  const text = `${PASSIVE}
+0  < P. 1:101(100) ack 1 win 32792
+.04 > . 1:1(0) ack 101
+0  read(4, ..., 1000) = 100
`;
  for (const remoteIsn of [0, 0xffffffc0, 0x7fffffff]) await passes(text, { remoteIsn });
});

test('absolute times, * and time ranges', async () => {
  await passes(`
0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
0.000 bind(3, ..., ...) = 0
0.000 listen(3, 1) = 0
0.100 < S 0:0(0) win 32792 <mss 1000>
*     > S. 0:0(0) ack 1 <...>
0.200 < . 1:1(0) ack 1 win 32792
0.150~0.250 accept(3, ..., ...) = 4
+0    write(4, ..., 10) = 10
0.150~0.250 > P. 1:11(10) ack 1
`);
});

test('script option lines are honoured (tolerance)', async () => {
  const late = ZWP.replace('+.3  > . 0:0(0) ack 1', '+.29 > . 0:0(0) ack 1');
  await failsAt(late, 12, /timing error/);
  await passes(`--tolerance_usecs=20000\n${late}`);
  await passes(late, { toleranceUsecs: 20000 });
  // --tolerance_percent: 10% of the 290 ms since the previous event covers the 10 ms.
  await passes(late, { tolerancePercent: 10 });
});

test('the same seed gives the same run', async () => {
  const a = await run(ZWP, { seed: 7, verbose: true });
  const b = await run(ZWP, { seed: 7, verbose: true });
  assert.equal(a.status, 'pass');
  assert.deepEqual(a.log, b.log);
});

test('runScript runs a hand-built AST', async () => {
  const script: Script = {
    name: 'ast',
    events: [
      { type: 'packet', line: 1, time: { kind: 'absolute', t: 0 }, direction: 'inbound', packet: { proto: 'tcp', flags: 'S', seqStart: 0, seqEnd: 0, payloadLen: 0, win: 1000 } },
      { type: 'packet', line: 2, time: { kind: 'relative', t: 0 }, direction: 'outbound', packet: { proto: 'tcp', flags: 'R.', seqStart: 0, seqEnd: 0, payloadLen: 0, ack: 1 } },
    ],
  };
  assert.equal((await runScript(script)).status, 'pass');
  const wrong = structuredClone(script);
  (wrong.events[1] as { packet: { ack: number } }).packet.ack = 7;
  const r = await runScript(wrong);
  assert.equal(r.status, 'fail');
  assert.equal(r.line, 2);
});

// ---- scripts that must fail, and do ------------------------------------------------------

test('wrong flags fail at the line, expected and actual side by side', async () => {
  const r = await failsAt(PASSIVE.replace('> S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>', '> S 0:0(0) <mss 1460>'), 7, /flags: expected S vs actual S\./);
  assert.match(r.expected ?? '', /> S 0:0\(0\) <mss 1460>/);
  assert.match(r.actual ?? '', /> S\. 0:0\(0\) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 7>/);
  const text = formatResult(r);
  assert.match(text, /t\.pkt:7: fail: flags/);
  assert.match(text, /\n {2}expected: 0\.000000 > S 0:0\(0\)/);
  assert.match(text, /\n {2}actual: {3}0\.000000 > S\. 0:0\(0\)/);
});

test('a wrong ack fails', async () => {
  await failsAt(PASSIVE.replace('> S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>', '> S. 0:0(0) ack 2 <mss 1460>'), 7, /ack: expected 2 vs actual 1/);
});

test('wrong options and a wrong window fail', async () => {
  await failsAt(PASSIVE.replace('> S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>', '> S. 0:0(0) ack 1 <mss 1460,sackOK>'), 7, /options: expected <mss 1460,sackOK> vs actual <mss 1460,nop,nop,sackOK,nop,wscale 7>/);
  await failsAt(PASSIVE.replace('> S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>', '> S. 0:0(0) ack 1 win 1000 <mss 1460>'), 7, /win: expected 1000 vs actual 65535/);
  await failsAt(PASSIVE.replace('> S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>', '> S. 0:0(0) ack 1'), 7, /options: expected <> vs actual <mss 1460,nop,nop,sackOK,nop,wscale 7>/);
});

test('a missing packet fails', async () => {
  await failsAt(`${PASSIVE}
+0  > P. 1:101(100) ack 1
`, 11, /was not sent/);
});

test('a packet too early fails', async () => {
  await failsAt(ZWP.replace('+.3  > . 0:0(0) ack 1', '+.5  > . 0:0(0) ack 1'), 12, /timing error: expected outbound packet at 0\.600000 s but it happened at 0\.400000 s/);
});

test('a packet too late fails as a timing error', async () => {
  await failsAt(ZWP.replace('+.3  > . 0:0(0) ack 1', '+.2  > . 0:0(0) ack 1'), 12, /timing error: expected outbound packet at 0\.300000 s but it happened at 0\.400000 s/);
});

test('an extra packet before the expected one fails', async () => {
  // The ACK of the SYN-ACK is left out: it is the first thing sockstack sends after it.
  const r = await failsAt(`${ACTIVE.replace('+0   > . 1:1(0) ack 1\n', '')}
+0   write(3, ..., 100) = 100
+0   > P. 1:101(100) ack 1
`, 9, /flags: expected P\. vs actual \.; payload length: expected 100 vs actual 0/);
  assert.match(r.actual ?? '', /> \. 1:1\(0\) ack 1/);
});

test('a wrong errno fails', async () => {
  await failsAt(ACTIVE.replace('= -1 EINPROGRESS', '= -1 EALREADY'), 4, /returned -1 EINPROGRESS.*expected -1 EALREADY/);
  await failsAt(ACTIVE.replace('= -1 EINPROGRESS (Operation now in progress)', '= 0'), 4, /returned -1 EINPROGRESS/);
});

test('a wrong return value fails', async () => {
  await failsAt(PASSIVE.replace('accept(3, ..., ...) = 4', 'accept(3, ..., ...) = 5'), 9, /returned 4; expected 5/);
  await failsAt(`${PASSIVE}
+0  write(4, ..., 1000) = 999
`, 11, /returned 1000; expected 999/);
  await failsAt(`${ACTIVE}
+0   getsockopt(3, SOL_SOCKET, SO_ERROR, [111], [4]) = 0
`, 9, /option value: expected 111 vs actual 0/);
});

test('a call without ... that blocks fails', async () => {
  await failsAt(`
0  socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 accept(3, ..., ...) = 4
`, 5, /blocked, but the line has no end time/);
});

test('a blocking call that returns at the wrong time fails at its line', async () => {
  const text = `
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0...0.3 accept(3, ..., ...) = 4
+0  < S 0:0(0) win 32792 <mss 1000>
+0  > S. 0:0(0) ack 1 <mss 1460>
+.1 < . 1:1(0) ack 1 win 32792
+0  close(3) = 0
`;
  await failsAt(text, 5, /timing error: expected system call return at 0\.300000 s but it happened at 0\.100000 s/);
  await failsAt(text.replace('+.1 < . 1:1(0) ack 1 win 32792\n', ''), 5, /accept\(\) had not returned by 0\.304000 s/);
});

test('an inbound packet without win is a script error (as in packetdrill)', async () => {
  await failsAt('\n0 < S 0:0(0) <mss 1000>\n', 2, /must give its window/);
});

// ---- unsupported ----------------------------------------------------------------------------

test('%{ }% blocks are reported unsupported after the rest passed; a later failure wins', async () => {
  await unsupportedAt(`${PASSIVE}
+0  %{ assert tcpi_rto == 300000 }%
`, 11, /Python/);
  await failsAt(`${PASSIVE}
+0  %{ assert tcpi_rto == 300000 }%
+0  write(4, ..., 10) = 11
`, 12, /expected 11/);
});

test('shell commands other than mapped sysctls are unsupported; mapped ones run', async () => {
  await unsupportedAt('\n0 `echo hello`\n', 2, /shell command/);
  await unsupportedAt('\n0 `sysctl -q net.ipv4.tcp_fack=1`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n', 2, /shell command/);
  await passes('\n0 `sysctl -q net.ipv4.tcp_sack=0`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n');
});

test('unsupported syscalls, symbols, packets and IPv6 are reported, never passed', async () => {
  await unsupportedAt(`${PASSIVE}
+0  ioctl(4, SIOCGSTAMP, [0]) = 0
`, 11, /SIOCGSTAMP/);
  await unsupportedAt(`${PASSIVE}
+0  sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{iov_base=..., iov_len=10}], msg_control(16)=[1], msg_flags=0}, 0) = 10
`, 11, /ancillary data/);
  await unsupportedAt(`${PASSIVE}
+0  select(5, ..., ..., ..., ...) = 0
`, 11, /select/);
  await unsupportedAt(`${PASSIVE}
+0  setsockopt(4, IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE, [1], 4) = 0
`, 11, /TCP_FASTOPEN_NO_COOKIE/);
  await unsupportedAt('\n0 < udp (10)\n', 2, /UDP packet lines/);
  await unsupportedAt('\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n', undefined, /ipv6.*not supported yet/, { ipVersion: 'ipv6' });
  await unsupportedAt('--some_flag=1\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n', 1, /--some_flag/);
});

test('a script that does not parse fails with its position', async () => {
  const r = await run('\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = \n');
  assert.equal(r.status, 'fail');
  assert.match(r.reason, /^parse error: \d+:\d+: expected an expression/);
  assert.equal(typeof r.line, 'number');
});

test('summaryLine counts each status', () => {
  const mk = (status: ScriptResult['status']): ScriptResult => ({ name: 'x', status, reason: '', events: 0, seconds: 0, log: [] });
  assert.equal(summaryLine([mk('pass'), mk('fail'), mk('unsupported'), mk('pass')]), '4 scripts: 2 passed, 1 failed, 1 unsupported');
  assert.equal(summaryLine([mk('pass')]), '1 script: 1 passed, 0 failed, 0 unsupported');
});

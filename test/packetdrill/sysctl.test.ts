import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyProfile, applySysctl, profileConfig, SYSCTL_MAP, type TunableHost } from '../../src/packetdrill/sysctl.js';
import { defaultTcpConfig, type TcpConfig } from '../../src/tcp/config.js';

function fakeHost(): TunableHost {
  return { tcp: { config: defaultTcpConfig() } };
}

/** Asserts `r` is unsupported and its reason mentions every string in `mentions`. */
function assertUnsupported(r: ReturnType<typeof applySysctl>, ...mentions: string[]): void {
  assert.notEqual(r, 'ok', 'expected unsupported');
  assert.ok(typeof r === 'object' && typeof r.unsupported === 'string' && r.unsupported.length > 0);
  for (const m of mentions) assert.ok(r.unsupported.includes(m), `reason '${r.unsupported}' should mention '${m}'`);
}

/**
 * For every key: a value it accepts and the config change expected (an empty object for keys
 * accepted without effect; ok null for read-only keys), and a value it must refuse.
 */
const CASES: Record<string, { ok: string | null; expect: Partial<TcpConfig>; bad: string }> = {
  'net.ipv4.tcp_syn_retries': { ok: '2', expect: { synRetries: 2 }, bad: '0' },
  'net.ipv4.tcp_synack_retries': { ok: '1', expect: { synAckRetries: 1 }, bad: '256' },
  'net.ipv4.tcp_retries1': { ok: '2', expect: { retries1: 2 }, bad: '-1' },
  'net.ipv4.tcp_retries2': { ok: '4', expect: { retries2: 4 }, bad: 'x' },
  'net.ipv4.tcp_fin_timeout': { ok: '5', expect: { finTimeoutMs: 5000 }, bad: '1.5' },
  'net.ipv4.tcp_challenge_ack_limit': { ok: '0x10', expect: { challengeAckLimit: 16 }, bad: '-5' },
  'net.ipv4.tcp_keepalive_time': { ok: '10', expect: { keepIdleS: 10 }, bad: '0' },
  'net.ipv4.tcp_keepalive_intvl': { ok: '3', expect: { keepIntvlS: 3 }, bad: '40000' },
  'net.ipv4.tcp_keepalive_probes': { ok: '4', expect: { keepCnt: 4 }, bad: '128' },
  'net.ipv4.tcp_rmem': { ok: '4096 87380 6291456', expect: { rcvBuf: 87380, rcvBufMax: 6291456 }, bad: '4096 87380' },
  'net.ipv4.tcp_wmem': { ok: '4096\t262144   4194304', expect: { sndBuf: 262144, sndBufMax: 4194304 }, bad: '4096 0 4194304' },
  'net.ipv4.tcp_rto_min_us': { ok: '5000', expect: { rtoMinMs: 5 }, bad: '0' },
  'net.ipv4.tcp_rto_max_ms': { ok: '60000', expect: { rtoMaxMs: 60000 }, bad: '999' },
  'net.ipv4.tcp_slow_start_after_idle': { ok: '0', expect: { slowStartAfterIdle: false }, bad: '2' },
  'net.core.somaxconn': { ok: '16', expect: { somaxconn: 16 }, bad: 'lots' },
  'net.ipv4.tcp_sack': { ok: '0', expect: { sack: false }, bad: '2' },
  'net.ipv4.tcp_dsack': { ok: '0', expect: { dsack: false }, bad: '2' },
  'net.ipv4.tcp_fack': { ok: '0', expect: {}, bad: '1' },
  'net.ipv4.tcp_timestamps': { ok: '0', expect: { timestamps: false }, bad: '2' },
  'net.ipv4.tcp_window_scaling': { ok: '0', expect: { windowScaling: false }, bad: '2' },
  'net.ipv4.tcp_ecn': { ok: '0', expect: {}, bad: '2' },
  'net.ipv4.tcp_mtu_probing': { ok: '1', expect: { mtuProbing: 1 }, bad: '3' },
  'net.ipv4.tcp_base_mss': { ok: '512', expect: { baseMss: 512 }, bad: 'big' },
  'net.ipv4.tcp_mtu_probe_floor': { ok: '64', expect: { mtuProbeFloor: 64 }, bad: '47' },
  'net.ipv4.tcp_probe_interval': { ok: '60', expect: { probeIntervalMs: 60000 }, bad: '0' },
  'net.ipv4.tcp_syncookies': { ok: '0', expect: {}, bad: '1' },
  'net.ipv4.tcp_tw_reuse': { ok: '2', expect: {}, bad: '1' },
  'net.ipv4.tcp_tw_recycle': { ok: '0', expect: {}, bad: '1' },
  'net.ipv4.tcp_fastopen': { ok: '0', expect: {}, bad: '0x3' },
  'net.ipv4.tcp_moderate_rcvbuf': { ok: '0', expect: { moderateRcvBuf: false }, bad: '2' },
  'net.ipv4.tcp_mem': { ok: '1000 2000 3000', expect: { memLimit: 2000 * 4096 }, bad: '1000 2000' },
  'net.ipv4.tcp_frto': { ok: '0', expect: {}, bad: '2' },
  'net.ipv4.tcp_recovery': { ok: '0', expect: { rack: false }, bad: '8' },
  'net.ipv4.tcp_early_retrans': { ok: '2', expect: { tlp: false }, bad: '5' },
  'net.ipv4.tcp_reordering': { ok: '3', expect: {}, bad: '4' },
  'net.ipv4.tcp_abort_on_overflow': { ok: '0', expect: {}, bad: '1' },
  'net.ipv4.tcp_rfc1337': { ok: '0', expect: {}, bad: '1' },
  'net.ipv4.tcp_autocorking': { ok: '0', expect: {}, bad: '1' },
  'net.ipv4.tcp_no_metrics_save': { ok: '1', expect: {}, bad: '0' },
  'net.ipv4.tcp_invalid_ratelimit': { ok: '0', expect: {}, bad: '500' },
  'net.ipv4.tcp_thin_linear_timeouts': { ok: '0', expect: {}, bad: '1' },
  'net.ipv4.tcp_syn_linear_timeouts': { ok: '0', expect: {}, bad: '4' },
  'net.ipv4.tcp_workaround_signed_windows': { ok: '0', expect: {}, bad: '1' },
  'net.ipv4.tcp_shrink_window': { ok: '0', expect: {}, bad: '1' },
  'net.ipv4.tcp_notsent_lowat': { ok: '4294967295', expect: {}, bad: '16384' },
  'net.ipv4.tcp_min_tso_segs': { ok: '10', expect: {}, bad: 'ten' },
  'net.ipv4.tcp_tso_win_divisor': { ok: '3', expect: {}, bad: '' },
  'net.ipv4.tcp_tso_rtt_log': { ok: '9', expect: {}, bad: '9x' },
  'net.ipv4.tcp_pacing_ss_ratio': { ok: '200', expect: {}, bad: '2.0' },
  'net.ipv4.tcp_pacing_ca_ratio': { ok: '120', expect: {}, bad: 'fast' },
  'net.ipv4.tcp_congestion_control': { ok: 'reno', expect: { congestionControl: 'reno' }, bad: 'bbr' },
  'net.ipv4.tcp_available_congestion_control': { ok: null, expect: {}, bad: 'reno cubic' },
  'net.inet.tcp.delayed_ack': { ok: '0', expect: { delayedAck: false }, bad: '3' },
  'net.inet.tcp.delacktime': { ok: '100', expect: { delayedAckMs: 100 }, bad: '501' },
  'net.inet.tcp.msl': { ok: '5000', expect: { timeWaitMs: 10000 }, bad: '0' },
  'net.inet.tcp.rexmit_min': { ok: '30', expect: { rtoMinMs: 30 }, bad: '0' },
  'net.inet.tcp.rexmit_initial': { ok: '3000', expect: { rtoInitialMs: 3000 }, bad: '0' },
  'net.inet.tcp.rexmit_slop': { ok: '200', expect: { rtoSlopMs: 200 }, bad: '-1' },
  'net.inet.tcp.keepidle': { ok: '5000', expect: { keepIdleS: 5 }, bad: '0' },
  'net.inet.tcp.keepintvl': { ok: '1500', expect: { keepIntvlS: 1.5 }, bad: '0' },
  'net.inet.tcp.keepcnt': { ok: '3', expect: { keepCnt: 3 }, bad: '0' },
  'net.inet.tcp.finwait2_timeout': { ok: '1000', expect: { finTimeoutMs: 1000 }, bad: '-1' },
  'net.inet.tcp.mssdflt': { ok: '1220', expect: { defaultMss: 1220 }, bad: '20' },
  'net.inet.tcp.recvspace': { ok: '32768', expect: { rcvBuf: 32768 }, bad: '0' },
  'net.inet.tcp.sendspace': { ok: '16384', expect: { sndBuf: 16384 }, bad: '0' },
  'net.inet.tcp.recvbuf_auto': { ok: '0', expect: { moderateRcvBuf: false }, bad: '2' },
  'net.inet.tcp.recvbuf_max': { ok: '2097152', expect: { rcvBufMax: 2097152 }, bad: '0' },
  'net.inet.tcp.sendbuf_max': { ok: '2097152', expect: { sndBufMax: 2097152 }, bad: '0' },
  'net.inet.tcp.rfc1323': { ok: '1', expect: {}, bad: '0' },
  'net.inet.tcp.sack.enable': { ok: '0', expect: { sack: false }, bad: '2' },
  'net.inet.tcp.ecn.enable': { ok: '0', expect: {}, bad: '2' },
  'net.inet.tcp.syncookies': { ok: '0', expect: {}, bad: '1' },
  'net.inet.tcp.cc.algorithm': { ok: 'newreno', expect: { congestionControl: 'reno' }, bad: 'reno' },
  'kern.ipc.soacceptqueue': { ok: '64', expect: { somaxconn: 64 }, bad: '70000' },
  'kern.ipc.somaxconn': { ok: '32', expect: { somaxconn: 32 }, bad: '-1' },
  'sockstack.tcp_delack_ms': { ok: '100', expect: { delayedAckMs: 100 }, bad: '0' },
  'sockstack.tcp_delayed_ack': { ok: '0', expect: { delayedAck: false }, bad: 'no' },
  'sockstack.tcp_rfc5961': { ok: '0', expect: { rfc5961: false }, bad: '2' },
  'sockstack.tcp_timewait_ms': { ok: '1000', expect: { timeWaitMs: 1000 }, bad: '-1' },
  'sockstack.tcp_init_rcv_wnd': { ok: '14600', expect: { initRcvWnd: 14600 }, bad: '65536' },
  'sockstack.tcp_rto_initial_ms': { ok: '3000', expect: { rtoInitialMs: 3000 }, bad: '0' },
  'sockstack.tcp_rto_slop_ms': { ok: '200', expect: { rtoSlopMs: 200 }, bad: 'x' },
  'sockstack.tcp_default_mss': { ok: '1000', expect: { defaultMss: 1000 }, bad: '47' },
  'sockstack.tcp_ack_batch_bytes': { ok: '0', expect: { ackBatchBytes: 0 }, bad: '-1' },
  'sockstack.tcp_abc_limit_segments': { ok: '2', expect: { abcLimitSegments: 2 }, bad: '65536' },
};

test('every SYSCTL_MAP entry has a test case, a description and a field that exists', () => {
  assert.deepEqual(Object.keys(CASES).sort(), Object.keys(SYSCTL_MAP).sort());
  const fields = Object.keys(defaultTcpConfig());
  for (const [key, e] of Object.entries(SYSCTL_MAP)) {
    assert.ok(e.description.length > 10, `${key} has a description`);
    assert.ok(e.accepts.length > 0, `${key} says what it accepts`);
    if (e.field !== null) assert.ok(fields.includes(e.field), `${key} maps onto an existing field (${e.field})`);
  }
});

for (const [key, c] of Object.entries(CASES)) {
  test(`sysctl ${key}: '${c.ok}' applies, '${c.bad}' is refused naming the key`, () => {
    const h = fakeHost();
    assert.equal(applySysctl(h, c.ok === null ? `sysctl ${key}` : `sysctl -q ${key}="${c.ok}"`), 'ok');
    assert.deepEqual(h.tcp.config, { ...defaultTcpConfig(), ...c.expect });
    const entry = SYSCTL_MAP[key]!;
    for (const f of Object.keys(c.expect)) assert.ok(f === entry.field || entry.alsoSets?.includes(f as keyof TcpConfig), `${key} sets ${f}, a field it documents`);
    const before = { ...h.tcp.config };
    assertUnsupported(applySysctl(h, `sysctl -w ${key}="${c.bad}"`), key);
    assert.deepEqual(h.tcp.config, before, 'a refused value changes nothing');
  });
}

test('congestion control: every registered name, FreeBSD spellings, SACK back on', () => {
  const h = fakeHost();
  assert.equal(h.tcp.config.congestionControl, 'cubic', 'CUBIC is the default, as on Linux');
  assert.equal(applySysctl(h, 'sysctl -q net.ipv4.tcp_congestion_control=reno'), 'ok');
  assert.equal(h.tcp.config.congestionControl, 'reno');
  assert.equal(applySysctl(h, 'echo cubic > /proc/sys/net/ipv4/tcp_congestion_control'), 'ok');
  assert.equal(h.tcp.config.congestionControl, 'cubic');
  assert.equal(applySysctl(h, 'sysctl net.inet.tcp.cc.algorithm=newreno'), 'ok');
  assert.equal(h.tcp.config.congestionControl, 'reno');
  assert.equal(applySysctl(h, 'sysctl net.inet.tcp.cc.algorithm=cubic'), 'ok');
  assert.equal(h.tcp.config.congestionControl, 'cubic');
  assert.equal(applySysctl(h, 'sysctl net.ipv4.tcp_available_congestion_control'), 'ok', 'reading is allowed');
  assert.equal(applySysctl(h, 'sysctl -q net.ipv4.tcp_sack=0 net.ipv4.tcp_dsack=0'), 'ok');
  assert.equal(h.tcp.config.sack || h.tcp.config.dsack, false);
  assert.equal(applySysctl(h, 'sysctl -q net.ipv4.tcp_sack=1 net.ipv4.tcp_dsack=1'), 'ok');
  assert.equal(h.tcp.config.sack && h.tcp.config.dsack, true);
});

test('tcp_window_scaling and tcp_timestamps take 1 back after 0', () => {
  const h = fakeHost();
  assert.equal(applySysctl(h, 'sysctl -q net.ipv4.tcp_window_scaling=0 net.ipv4.tcp_timestamps=0'), 'ok');
  assert.equal(h.tcp.config.windowScaling, false);
  assert.equal(h.tcp.config.timestamps, false);
  assert.equal(applySysctl(h, 'sysctl -q net.ipv4.tcp_window_scaling=1 net.ipv4.tcp_timestamps=1'), 'ok');
  assert.equal(h.tcp.config.windowScaling, true);
  assert.equal(h.tcp.config.timestamps, true);
});

test('command forms: -q, -w, combined flags, several settings, ; and &&, slashes, procfs echo', () => {
  const h = fakeHost();
  const c = h.tcp.config;
  assert.equal(applySysctl(h, 'sysctl -q net.ipv4.tcp_syn_retries=2'), 'ok');
  assert.equal(c.synRetries, 2);
  assert.equal(applySysctl(h, 'sysctl -qw net.ipv4.tcp_synack_retries=1 net.ipv4.tcp_retries2=4'), 'ok');
  assert.equal(c.synAckRetries, 1);
  assert.equal(c.retries2, 4);
  assert.equal(applySysctl(h, 'sysctl -q net.ipv4.tcp_fin_timeout=3; sysctl -q net.ipv4.tcp_keepalive_time=9 && /sbin/sysctl net.ipv4.tcp_keepalive_probes=2'), 'ok');
  assert.equal(c.finTimeoutMs, 3000);
  assert.equal(c.keepIdleS, 9);
  assert.equal(c.keepCnt, 2);
  assert.equal(applySysctl(h, 'sysctl -w net/ipv4/tcp_retries1=1'), 'ok');
  assert.equal(c.retries1, 1);
  assert.equal(applySysctl(h, 'echo 7 > /proc/sys/net/ipv4/tcp_syn_retries'), 'ok');
  assert.equal(c.synRetries, 7);
  assert.equal(applySysctl(h, "echo '4096 1000 8192' >/proc/sys/net/ipv4/tcp_rmem"), 'ok');
  assert.equal(c.rcvBuf, 1000);
  assert.equal(applySysctl(h, 'sysctl net.inet.tcp.delacktime=100'), 'ok', 'FreeBSD form');
  assert.equal(c.delayedAckMs, 100);
});

test('quoting, arithmetic and output to /dev/null, as in Linux selftests', () => {
  const h = fakeHost();
  const c = h.tcp.config;
  assert.equal(applySysctl(h, 'sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))"'), 'ok');
  assert.equal(c.rcvBuf, 540000);
  assert.equal(c.rcvBufMax, 15 * 1024 * 1024);
  assert.equal(applySysctl(h, "sysctl -q net.ipv4.tcp_wmem='4096 262144 4194304'"), 'ok');
  assert.equal(c.sndBuf, 262144);
  assert.equal(applySysctl(h, 'sysctl -q net.ipv4.tcp_wmem="4096 $((256*1024)) 4194304"'), 'ok');
  assert.equal(c.sndBuf, 262144);
  assert.equal(applySysctl(h, 'sysctl -q "net.ipv4.tcp_challenge_ack_limit=$(( (2+3) * 100 ))"'), 'ok');
  assert.equal(c.challengeAckLimit, 500);
  assert.equal(applySysctl(h, 'sysctl -q net.ipv4.tcp_notsent_lowat=4294967295 > /dev/null 2>&1'), 'ok');
  assert.equal(applySysctl(h, 'sysctl -q net.ipv4.tcp_ecn=0 &>/dev/null'), 'ok');
  assert.equal(applySysctl(h, 'sysctl net.ipv4.tcp_sack'), 'ok', 'reading a known key changes nothing');
  assert.deepEqual(c, { ...defaultTcpConfig(), rcvBuf: 540000, rcvBufMax: 15 * 1024 * 1024, sndBuf: 262144, sndBufMax: 4194304, challengeAckLimit: 500 });
});

test('lines that are not sysctls it can honour are reported, naming the key or construct', () => {
  const h = fakeHost();
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_fack=1'), 'net.ipv4.tcp_fack', 'FACK');
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_timestamps=2'), 'net.ipv4.tcp_timestamps', '0 or 1');
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_window_scaling=2'), 'net.ipv4.tcp_window_scaling');
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_syncookies=1'), 'net.ipv4.tcp_syncookies', 'SYN cookies');
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_foo=1'), 'net.ipv4.tcp_foo');
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_congestion_control=bbr'), 'net.ipv4.tcp_congestion_control', 'bbr', 'reno cubic');
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_available_congestion_control=cubic'), 'net.ipv4.tcp_available_congestion_control', 'read-only');
  assertUnsupported(applySysctl(h, 'ip tcp_metrics flush all > /dev/null 2>&1'), "'ip'");
  assertUnsupported(applySysctl(h, 'tc qdisc add dev tun0 root pfifo'), "'tc'");
  assertUnsupported(applySysctl(h, '../common/defaults.sh'), 'defaults.sh');
  assertUnsupported(applySysctl(h, '$xtables -A INPUT -j DROP'), 'variables');
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_syn_retries=$N'), 'variables');
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_syn_retries=`cat f`'), 'substitution');
  assertUnsupported(applySysctl(h, 'sysctl -a | grep tcp'), "'|'");
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_sack=0 || true'), "'|'");
  assertUnsupported(applySysctl(h, 'sysctl -p /etc/sysctl.conf'), '-p');
  assertUnsupported(applySysctl(h, 'sysctl -w net.ipv4.tcp_sack'), 'malformed');
  assertUnsupported(applySysctl(h, 'sysctl -q'), 'without a setting');
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_syn_retries=2 > /tmp/out'), '/tmp/out');
  assertUnsupported(applySysctl(h, 'echo 1 > /proc/sys/net/ipv4/tcp_fack'), 'net.ipv4.tcp_fack');
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_rmem="4096 87380'), 'quote');
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_rmem=4096 87380 6291456'), 'net.ipv4.tcp_rmem');
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_syn_retries=$((2/0))'), 'variables');
  assertUnsupported(applySysctl(h, '   '), 'empty');
  assertUnsupported(applySysctl(h, 'sysctl -q __proto__=1'), '__proto__');
  assert.deepEqual(h.tcp.config, defaultTcpConfig(), 'nothing was applied');
});

test('all or nothing: one refused setting on a line applies none of the others', () => {
  const h = fakeHost();
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_syn_retries=2 net.ipv4.tcp_fack=1'), 'net.ipv4.tcp_fack');
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_syn_retries=2; ip link set dev tun0 up'), "'ip'");
  assertUnsupported(applySysctl(h, 'sysctl -q net.ipv4.tcp_syn_retries=2 && sysctl -q net.ipv4.tcp_recovery=9'), 'net.ipv4.tcp_recovery');
  assert.equal(h.tcp.config.synRetries, defaultTcpConfig().synRetries);
});

test('applySysctl never throws, and an unsupported line never changes the config (property)', () => {
  const alphabet = fc.constantFrom(...'sysctl -qwe net.ipv4.tcp_rmem=01x "\'$(())*+;&|>/<`\\\n\t echo /proc/sys/ 2&1 dev/null abc'.split(''));
  fc.assert(
    fc.property(fc.array(alphabet, { maxLength: 60 }).map((a) => a.join('')), (line) => {
      const h = fakeHost();
      const r = applySysctl(h, line);
      if (r !== 'ok') {
        assert.ok(typeof r.unsupported === 'string' && r.unsupported.length > 0);
        assert.deepEqual(h.tcp.config, defaultTcpConfig());
      }
    }),
    { numRuns: 2000 },
  );
});

test('profiles: linux is the defaults, freebsd is tcp(4)\'s, and each replaces every tunable', () => {
  assert.deepEqual(profileConfig('linux'), defaultTcpConfig());
  const f = profileConfig('freebsd');
  assert.equal(f.delayedAckMs, 100);
  assert.equal(f.rtoMinMs, 30);
  assert.equal(f.rtoSlopMs, 200);
  assert.equal(f.rtoMaxMs, 64_000);
  assert.equal(f.timeWaitMs, 60_000);
  assert.equal(f.retries2, 12);
  assert.equal(f.keepCnt, 8);
  assert.equal(f.rcvBuf, 65_536);
  assert.equal(f.sndBuf, 32_768);
  assert.equal(f.somaxconn, 128);
  assert.equal(f.rcvBufMax, 2_097_152, 'sb_max: FreeBSD offers window scale 6');
  assert.equal(f.windowScaling && f.timestamps, true, 'net.inet.tcp.rfc1323 = 1');
  const h = fakeHost();
  assert.equal(applySysctl(h, 'sysctl -q net.ipv4.tcp_syn_retries=1'), 'ok');
  applyProfile(h, 'freebsd');
  assert.deepEqual(h.tcp.config, f, 'the profile overrides earlier settings');
  const cfg = h.tcp.config;
  applyProfile(h, 'linux');
  assert.equal(h.tcp.config, cfg, 'the same (mutable) config object is updated in place');
  assert.deepEqual(h.tcp.config, defaultTcpConfig());
});

/**
 * Issue 5's must-show against Linux over TAP: both sides negotiate window scale, timestamps and
 * SACK (RFC 7323, RFC 2018), shown from a capture of the handshake in both directions and from
 * TCP_INFO at both ends; and 100 MiB with 2% loss (applied by sockstack to the TAP link, both
 * directions, seeded) goes through in both directions, bytes identical, with SACK blocks on the
 * wire from the receiver and SACK recoveries counted at the sender.
 *
 * The bulk captures keep 128 bytes of each frame (headers only) and are deleted after the test
 * counted what it needs in one tshark pass. Throughput and wall time are diagnostics only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listenTcp, sendAll } from '../../src/apps/tcp-echo.js';
import { AF_INET, IPPROTO_TCP, SHUT_WR, SOCK_STREAM, TCP_INFO } from '../../src/socket/constants.js';
import type { SocketApi } from '../../src/socket/socket-api.js';
import type { TcpInfo } from '../../src/socket/options.js';
import { TCPI_OPT_SACK, TCPI_OPT_TIMESTAMPS, TCPI_OPT_WSCALE } from '../../src/socket/tcp-options.js';
import {
  attachLibraryStack,
  BAD_PACKET_FILTER,
  describeRun,
  linuxTcpInfo,
  nstatDelta,
  requireInterop,
  sha256File,
  tsharkFields,
  tsharkLines,
  useNamespace,
  waitForListener,
  type LibraryStack,
  type LinuxTcpInfo,
} from './netns.js';

const MIB100 = 100 * 1024 * 1024;
const LOSS = { loss: 0.02 };
/** Header bytes kept per frame in the bulk captures: Ethernet 14 + IP 20 + TCP 60 fit. */
const SNAPLEN = 128;
/** Linux's counters worth reporting around a lossy transfer (nstat names). */
const LINUX_COUNTERS = [
  'TcpRetransSegs',
  'TcpExtTCPSackRecovery',
  'TcpExtTCPSACKReneging',
  'TcpExtTCPSACKReorder',
  'TcpExtTCPFastRetrans',
  'TcpExtTCPLostRetransmit',
  'TcpExtTCPTimeouts',
  'TcpExtTCPLossProbes',
  'TcpExtTCPLossProbeRecovery',
  'TcpExtTCPSpuriousRTOs',
  'TcpExtTCPDSACKRecv',
  'TcpExtTCPDSACKOldSent',
  'TcpExtTCPDSACKOfoSent',
  'TcpExtTCPDSACKOfoRecv',
  'TcpExtTCPDSACKRecvSegs',
  'TcpExtTCPDSACKIgnoredOld',
  'TcpExtTCPDSACKIgnoredNoUndo',
  'TcpExtTCPDSACKIgnoredDubious',
  'TcpExtTCPDSACKUndo',
  'TcpExtTCPLossUndo',
  'TcpExtTCPSACKDiscard',
  'TcpExtTCPSackFailures',
  'TcpExtTCPSackRecoveryFail',
  'TcpExtTCPSackShifted',
  'TcpExtTCPSackMerged',
  'TcpExtTCPOFOQueue',
  'TcpExtTCPOFODrop',
] as const;

const fx = useNamespace();
/** SOCKSTACK_INTEROP_KEEP=1 keeps the bulk captures (netns.ts keeps the directory) for a look. */
const dropCapture = (file: string): void => {
  if (process.env.SOCKSTACK_INTEROP_KEEP !== '1') rmSync(file);
};
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Reads to EOF; returns the bytes (small transfers only). */
async function readAll(api: SocketApi, fd: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (;;) {
    const d = await api.read(fd, 65536);
    if (d.length === 0) break;
    parts.push(d);
  }
  return Buffer.concat(parts);
}

/** sockstack's TCP_INFO: the handshake agreed timestamps, SACK and window scaling, both shifts nonzero. */
function assertStackTcpInfo(info: TcpInfo, where: string): void {
  const all = TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE;
  assert.equal(info.tcpi_options & all, all, `${where}: sockstack tcpi_options ${info.tcpi_options} lacks TIMESTAMPS|SACK|WSCALE`);
  assert.ok(info.tcpi_snd_wscale > 0, `${where}: sockstack tcpi_snd_wscale ${info.tcpi_snd_wscale}`);
  assert.ok(info.tcpi_rcv_wscale > 0, `${where}: sockstack tcpi_rcv_wscale ${info.tcpi_rcv_wscale}`);
}

/** Linux's TCP_INFO (ss -ti) agrees, and the shifts cross: Linux's send shift is sockstack's receive shift. */
function assertLinuxTcpInfo(linux: LinuxTcpInfo, mine: TcpInfo, where: string): void {
  assert.ok(linux.raw !== '', `${where}: ss found no connection`);
  assert.ok(linux.ts, `${where}: Linux did not agree on timestamps:\n${linux.raw}`);
  assert.ok(linux.sack, `${where}: Linux did not agree on SACK:\n${linux.raw}`);
  assert.ok(linux.wscale !== null, `${where}: Linux did not agree on window scaling:\n${linux.raw}`);
  assert.deepEqual(linux.wscale, { snd: mine.tcpi_rcv_wscale, rcv: mine.tcpi_snd_wscale }, `${where}: Linux's wscale:snd,rcv against sockstack's shifts`);
}

/**
 * The handshake in the capture: the SYN from `client` and the SYN-ACK from `server` each carry
 * a window scale, a timestamp and SACK-permitted (option kinds 3, 8, 4), and every data segment
 * of the connection on `port` carries a timestamp, from both sides.
 */
async function checkHandshakeCapture(s: LibraryStack, port: number, client: string, server: string): Promise<string> {
  const rows = await tsharkFields(s.pcapFile, `tcp.port == ${port}`, [
    'ip.src',
    'tcp.flags.syn',
    'tcp.flags.ack',
    'tcp.len',
    'tcp.option_kind',
    'tcp.options.wscale.shift',
    'tcp.options.timestamp.tsval',
    'tcp.options.timestamp.tsecr',
  ]);
  const syns = rows.filter((r) => r[1] === '1');
  const syn = syns.filter((r) => r[2] === '0');
  const synAck = syns.filter((r) => r[2] === '1');
  assert.ok(syn.length >= 1 && syn.every((r) => r[0] === client), `the SYNs come from ${client}: ${JSON.stringify(syn)}`);
  assert.ok(synAck.length >= 1 && synAck.every((r) => r[0] === server), `the SYN-ACKs come from ${server}: ${JSON.stringify(synAck)}`);
  for (const [what, r] of [...syn.map((x) => ['SYN', x] as const), ...synAck.map((x) => ['SYN-ACK', x] as const)]) {
    const kinds = r[4]!.split(',');
    assert.ok(kinds.includes('3') && r[5] !== '', `${what} from ${r[0]} carries a window scale: kinds ${r[4]}`);
    assert.ok(kinds.includes('8') && r[6] !== '', `${what} from ${r[0]} carries a timestamp: kinds ${r[4]}`);
    assert.ok(kinds.includes('4'), `${what} from ${r[0]} carries SACK-permitted: kinds ${r[4]}`);
  }
  // RFC 7323 §3.2: once agreed, every segment carries TSopt; data segments from both ends here.
  const data = rows.filter((r) => Number(r[3]) > 0);
  for (const ip of [client, server]) {
    const mine = data.filter((r) => r[0] === ip);
    assert.ok(mine.length > 0, `data segments from ${ip}`);
    const bare = mine.filter((r) => r[6] === '' || r[7] === '');
    assert.deepEqual(bare, [], `data segments from ${ip} without TSval/TSecr`);
  }
  const shifts = `SYN wscale ${syn[0]![5]}, SYN-ACK wscale ${synAck[0]![5]}`;
  return `${rows.length} segments on port ${port}: ${shifts}; ${data.length} data segments, all with timestamps`;
}

test('handshake, Linux nc connects to sockstack: both SYNs carry window scale, timestamps, SACK-permitted; TCP_INFO agrees at both ends', { timeout: 60_000 }, async (t) => {
  if (!requireInterop(t)) return;
  const s = attachLibraryStack(fx.ns);
  const api = s.host.sockets;
  const port = 7001;
  fx.expectCapture(s.pcapFile, 'tcp.options.sack_perm', 'tcp.options.timestamp.tsval', 'tcp.options.wscale.shift');
  const lfd = listenTcp(api, '0.0.0.0', port, 5, 0);
  const nc = fx.ns.sh(`printf 'hello from linux' | nc -N ${s.stackIp} ${port}`, { timeoutMs: 30_000 });
  const [fd] = await api.accept(lfd);
  await api.close(lfd);
  assert.equal(dec(await readAll(api, fd)), 'hello from linux');
  // Both ends still hold the connection (Linux in FIN-WAIT-2, sockstack in CLOSE-WAIT).
  const mine = api.getsockopt(fd, IPPROTO_TCP, TCP_INFO) as TcpInfo;
  const linux = await linuxTcpInfo(fx.ns, port);
  await sendAll(api, fd, enc('hello from sockstack'));
  await api.close(fd);
  const r = await nc;
  assert.equal(r.code, 0, describeRun('nc -N', r));
  assert.equal(r.stdout, 'hello from sockstack');
  assertStackTcpInfo(mine, 'passive open');
  assertLinuxTcpInfo(linux, mine, 'passive open');
  await s.close();
  t.diagnostic(await checkHandshakeCapture(s, port, s.kernelIp, s.stackIp));
  t.diagnostic(`sockstack TCP_INFO: options ${mine.tcpi_options}, snd_wscale ${mine.tcpi_snd_wscale}, rcv_wscale ${mine.tcpi_rcv_wscale}; Linux ss: ${linux.raw.replace(/\s+/g, ' ').slice(0, 200)}`);
});

test('handshake, sockstack connects to Linux nc -l: both SYNs carry window scale, timestamps, SACK-permitted; TCP_INFO agrees at both ends', { timeout: 60_000 }, async (t) => {
  if (!requireInterop(t)) return;
  const s = attachLibraryStack(fx.ns);
  const api = s.host.sockets;
  const port = 7002;
  fx.expectCapture(s.pcapFile, 'tcp.options.sack_perm', 'tcp.options.timestamp.tsval', 'tcp.options.wscale.shift');
  const out = join(fx.ns.dir, 'handshake-active.txt');
  const nc = fx.ns.sh(`printf 'hello from linux' | nc -N -l ${s.kernelIp} ${port} > ${out}`, { timeoutMs: 30_000 });
  await waitForListener(fx.ns, 'tcp', port);
  const fd = api.socket(AF_INET, SOCK_STREAM, 0);
  await api.connect(fd, { address: s.kernelIp, port });
  await sendAll(api, fd, enc('hello from sockstack'));
  // nc -N shuts its side down after its stdin's EOF: read to that EOF, then look at both ends.
  assert.equal(dec(await readAll(api, fd)), 'hello from linux');
  const mine = api.getsockopt(fd, IPPROTO_TCP, TCP_INFO) as TcpInfo;
  const linux = await linuxTcpInfo(fx.ns, port);
  api.shutdown(fd, SHUT_WR);
  await api.close(fd);
  const r = await nc;
  assert.equal(r.code, 0, describeRun('nc -N -l', r));
  assert.equal(readFileSync(out, 'utf8'), 'hello from sockstack');
  assertStackTcpInfo(mine, 'active open');
  assertLinuxTcpInfo(linux, mine, 'active open');
  await s.close();
  t.diagnostic(await checkHandshakeCapture(s, port, s.stackIp, s.kernelIp));
  t.diagnostic(`sockstack TCP_INFO: options ${mine.tcpi_options}, snd_wscale ${mine.tcpi_snd_wscale}, rcv_wscale ${mine.tcpi_rcv_wscale}; Linux ss: ${linux.raw.replace(/\s+/g, ' ').slice(0, 200)}`);
});

let payload: { file: string; sha: string } | null = null;
async function randomFile(): Promise<{ file: string; sha: string }> {
  if (payload) return payload;
  const file = join(fx.ns.dir, 'random-100MiB.bin');
  writeFileSync(file, randomBytes(MIB100));
  payload = { file, sha: await sha256File(file) };
  return payload;
}

interface WireCount {
  frames: number;
  /** Data segments (TCP payload > 0) from the sender. */
  data: number;
  /**
   * Of them, segments ending at or below the highest byte already seen from the sender:
   * retransmissions (the capture sees Linux's frames before sockstack's loss, sockstack's after).
   */
  rexmit: number;
  /** ACKs from the receiver carrying SACK blocks, and of them D-SACKs. */
  sackAcks: number;
  dsackAcks: number;
  /** Segments from the sender that carry SACK blocks (there should be none: it receives no data). */
  senderSacks: number;
  bad: number;
}

/**
 * One pass over a header-only capture of a bulk transfer from `sender` to `receiver`: data
 * segments, retransmissions, SACK and D-SACK blocks per direction; then malformed packets.
 */
async function countWire(file: string, sender: string, receiver: string): Promise<WireCount> {
  const rows = await tsharkFields(file, 'tcp', ['ip.src', 'tcp.seq', 'tcp.len', 'tcp.options.sack_le', 'tcp.options.sack.dsack_le']);
  const c: WireCount = { frames: rows.length, data: 0, rexmit: 0, sackAcks: 0, dsackAcks: 0, senderSacks: 0, bad: 0 };
  // Relative sequence numbers (tshark's default): 100 MiB does not wrap.
  let high = 0;
  for (const r of rows) {
    const [src, seq, len, le, dle] = r;
    if (src === sender) {
      const n = Number(len);
      if (n > 0) {
        c.data++;
        const end = Number(seq) + n;
        if (end <= high) c.rexmit++;
        else high = end;
      }
      if (le !== '') c.senderSacks++;
    } else if (src === receiver) {
      if (le !== '') c.sackAcks++;
      if (dle !== '') c.dsackAcks++;
    }
  }
  c.bad = (await tsharkLines(file, BAD_PACKET_FILTER)).length;
  return c;
}

/** Frames the 2% loss took from each side: the TAP port's are Linux's, the rest sockstack's. */
function lossSplit(s: LibraryStack): { linux: number; sockstack: number; text: string } {
  const seg = s.tap.segment.counters;
  const linux = s.tap.port.counters.txDropped;
  const sockstack = seg.dropLoss - linux;
  return { linux, sockstack, text: `${seg.dropLoss} of ${seg.framesIn} frames lost (${sockstack} sent by sockstack, ${linux} by Linux)` };
}

function rate(bytes: number, ms: number): string {
  return `${((bytes * 8) / (ms * 1000)).toFixed(1)} Mbit/s (${(bytes / 1048576 / (ms / 1000)).toFixed(1)} MiB/s)`;
}

/** The sockstack counters of a lossy transfer, for the report. */
function stackTcpCounters(s: LibraryStack): Record<string, number> {
  const c = s.host.counters.tcp;
  return {
    outSegs: c.outSegs,
    retransSegs: c.retransSegs,
    extTCPSackRecovery: c.extTCPSackRecovery,
    extTCPFastRetrans: c.extTCPFastRetrans,
    extTCPTimeouts: c.extTCPTimeouts,
    extTCPLossProbes: c.extTCPLossProbes,
    extTCPLossProbeRecovery: c.extTCPLossProbeRecovery,
    extTCPSpuriousRTOs: c.extTCPSpuriousRTOs,
    extTCPDSACKRecv: c.extTCPDSACKRecv,
    extTCPDSACKOldSent: c.extTCPDSACKOldSent,
    extTCPDSACKOfoSent: c.extTCPDSACKOfoSent,
    extTCPSACKDiscard: c.extTCPSACKDiscard,
    extTCPSACKReneging: c.extTCPSACKReneging,
    extTCPSackFailures: c.extTCPSackFailures,
    extTCPOFOQueue: c.extTCPOFOQueue,
    extTCPOFODrop: c.extTCPOFODrop,
  };
}

const nonZero = (o: Record<string, number>): string =>
  Object.entries(o)
    .filter(([, v]) => v !== 0)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

test('100 MiB sockstack -> Linux nc -l with 2% loss both ways: bytes identical, Linux SACKs, sockstack recovers by SACK', { timeout: 150_000 }, async (t) => {
  if (!requireInterop(t)) return;
  const { file, sha } = await randomFile();
  const s = attachLibraryStack(fx.ns, { impairments: LOSS, seed: 52, snaplen: SNAPLEN });
  const api = s.host.sockets;
  const port = 7003;
  const out = join(fx.ns.dir, 'received-100MiB.bin');
  const before = await fx.ns.nstat();
  const sink = fx.ns.sh(`nc -l ${s.kernelIp} ${port} < /dev/null > ${out}`, { timeoutMs: 130_000 });
  await waitForListener(fx.ns, 'tcp', port);
  const data = new Uint8Array(readFileSync(file));
  const t0 = performance.now();
  const fd = api.socket(AF_INET, SOCK_STREAM, 0);
  let info: TcpInfo;
  try {
    await api.connect(fd, { address: s.kernelIp, port });
    for (let off = 0; off < data.length; off += 1 << 20) await sendAll(api, fd, data.subarray(off, off + (1 << 20)));
    api.shutdown(fd, SHUT_WR);
    assert.equal((await readAll(api, fd)).length, 0, 'nc -l sent nothing back');
    info = api.getsockopt(fd, IPPROTO_TCP, TCP_INFO) as TcpInfo;
  } finally {
    await api.close(fd);
  }
  const r = await sink;
  const ms = performance.now() - t0;
  assert.equal(r.code, 0, describeRun('nc -l', r));
  const after = await fx.ns.nstat();
  assert.equal(statSync(out).size, MIB100, 'bytes Linux received');
  assert.equal(await sha256File(out), sha, 'SHA-256 of what Linux received');
  rmSync(out);
  const seg = s.tap.segment.counters;
  const lost = lossSplit(s);
  const mine = stackTcpCounters(s);
  const linux = nstatDelta(before, after, LINUX_COUNTERS);
  await s.close();
  const wire = await countWire(s.pcapFile, s.stackIp, s.kernelIp);
  dropCapture(s.pcapFile);
  t.diagnostic(`sockstack -> Linux: 100 MiB in ${ms.toFixed(0)} ms, ${rate(MIB100, ms)}`);
  t.diagnostic(`link: ${lost.text}; wire: ${JSON.stringify(wire)}`);
  t.diagnostic(`sockstack: ${nonZero(mine)}; TCP_INFO total_retrans ${info.tcpi_total_retrans}, rtt ${info.tcpi_rtt} us, cwnd ${info.tcpi_snd_cwnd}, ssthresh ${info.tcpi_snd_ssthresh}`);
  t.diagnostic(`Linux (receiver): ${nonZero(linux)}`);
  assert.ok(seg.dropLoss > 0.01 * seg.framesIn && lost.linux > 0 && lost.sockstack > 0, `the loss acted both ways: ${lost.text}`);
  assertStackTcpInfo(info, 'sockstack sender');
  // SACK in use: the receiver (Linux) puts SACK blocks in its ACKs, and the sender (sockstack)
  // recovers by them (RFC 6675 / RFC 8985) rather than by timeouts alone.
  assert.ok(wire.sackAcks > 0, `ACKs with SACK blocks from Linux: ${JSON.stringify(wire)}`);
  assert.ok(mine.extTCPSackRecovery! > 0, `sockstack entered SACK recovery: ${nonZero(mine)}`);
  assert.ok(mine.retransSegs! > 0, 'sockstack retransmitted');
  // SACK resends the holes, not whole windows: retransmissions stay near the frames lost.
  assert.ok(mine.retransSegs! < 2 * lost.sockstack + 50, `sockstack retransmitted ${mine.retransSegs} segments for ${lost.sockstack} of its frames lost`);
  assert.equal(mine.extTCPSACKDiscard, 0, 'Linux sent no SACK block sockstack had to discard as invalid');
  assert.equal(mine.extTCPSACKReneging, 0, 'sockstack saw no reneging by Linux');
  // RFC 2883: a D-SACK sockstack counts was on the wire from Linux (the capture sees Linux's frames before the loss).
  assert.ok(mine.extTCPDSACKRecv! <= wire.dsackAcks, `sockstack counted ${mine.extTCPDSACKRecv} D-SACKs, Linux sent ${wire.dsackAcks}`);
  assert.equal(wire.bad, 0, 'malformed packets or bad checksums in the capture');
});

test('100 MiB Linux nc -> sockstack with 2% loss both ways: bytes identical, sockstack SACKs, Linux recovers by SACK', { timeout: 150_000 }, async (t) => {
  if (!requireInterop(t)) return;
  const { file, sha } = await randomFile();
  const s = attachLibraryStack(fx.ns, { impairments: LOSS, seed: 25, snaplen: SNAPLEN });
  const api = s.host.sockets;
  const port = 7004;
  const lfd = listenTcp(api, '0.0.0.0', port, 5, 0);
  const before = await fx.ns.nstat();
  const t0 = performance.now();
  const nc = fx.ns.sh(`nc -N ${s.stackIp} ${port} < ${file}`, { timeoutMs: 130_000 });
  const h = createHash('sha256');
  let bytes = 0;
  let info: TcpInfo;
  // An nc that fails to connect ends first: fail with its output instead of waiting on accept.
  const ncFailed = nc.then((x) => {
    throw new Error(describeRun('nc -N ended before sockstack accepted', x));
  });
  ncFailed.catch(() => {});
  const [fd] = await Promise.race([api.accept(lfd), ncFailed]);
  await api.close(lfd);
  try {
    for (;;) {
      const d = await api.read(fd, 65536);
      if (d.length === 0) break;
      h.update(d);
      bytes += d.length;
    }
    info = api.getsockopt(fd, IPPROTO_TCP, TCP_INFO) as TcpInfo;
  } finally {
    await api.close(fd);
  }
  const r = await nc;
  const ms = performance.now() - t0;
  assert.equal(r.code, 0, describeRun('nc -N', r));
  const after = await fx.ns.nstat();
  assert.equal(bytes, MIB100, 'bytes sockstack received');
  assert.equal(h.digest('hex'), sha, 'SHA-256 of what sockstack received');
  const seg = s.tap.segment.counters;
  const lost = lossSplit(s);
  const mine = stackTcpCounters(s);
  const linux = nstatDelta(before, after, LINUX_COUNTERS);
  await s.close();
  const wire = await countWire(s.pcapFile, s.kernelIp, s.stackIp);
  dropCapture(s.pcapFile);
  t.diagnostic(`Linux -> sockstack: 100 MiB in ${ms.toFixed(0)} ms, ${rate(MIB100, ms)}`);
  t.diagnostic(`link: ${lost.text}; wire: ${JSON.stringify(wire)}`);
  t.diagnostic(`sockstack (receiver): ${nonZero(mine)}; TCP_INFO rcv_space ${info.tcpi_rcv_space}, rcv_ssthresh ${info.tcpi_rcv_ssthresh}`);
  t.diagnostic(`Linux (sender): ${nonZero(linux)}`);
  assert.ok(seg.dropLoss > 0.01 * seg.framesIn && lost.linux > 0 && lost.sockstack > 0, `the loss acted both ways: ${lost.text}`);
  assertStackTcpInfo(info, 'sockstack receiver');
  // SACK in use: sockstack's ACKs carry SACK blocks, and Linux recovers by them.
  assert.ok(wire.sackAcks > 0, `ACKs with SACK blocks from sockstack: ${JSON.stringify(wire)}`);
  assert.ok(linux.TcpExtTCPSackRecovery! > 0, `Linux entered SACK recovery: ${nonZero(linux)}`);
  assert.equal(linux.TcpExtTCPSACKReneging, 0, 'sockstack never reneged on a SACK (Linux TcpExtTCPSACKReneging)');
  assert.equal(linux.TcpExtTCPSACKDiscard, 0, 'Linux discarded none of sockstack\'s SACK blocks as invalid');
  // RFC 2883: every D-SACK sockstack sent reports a segment Linux did send twice (else Linux calls it dubious).
  assert.equal(linux.TcpExtTCPDSACKIgnoredDubious, 0, 'Linux found none of sockstack\'s D-SACKs dubious');
  assert.ok(wire.dsackAcks <= mine.extTCPDSACKOldSent! + mine.extTCPDSACKOfoSent!, `D-SACKs on the wire ${wire.dsackAcks}, counted by sockstack ${mine.extTCPDSACKOldSent! + mine.extTCPDSACKOfoSent!}`);
  assert.equal(mine.extTCPOFODrop, 0, 'sockstack dropped no out-of-order segment it could have SACKed');
  assert.equal(wire.bad, 0, 'malformed packets or bad checksums in the capture');
});

test('after the transfers: no kernel error counter moved, and the handshake captures hold only well-formed packets', { timeout: 120_000 }, async (t) => {
  if (!requireInterop(t)) return;
  t.diagnostic(await fx.checkWire());
});

/**
 * Undoing spurious reductions: Eifel (RFC 3522) with timestamps after a timeout that fired
 * while the ACKs were only late, and D-SACK (RFC 2883 §5) when every retransmission of a
 * recovery comes back as a duplicate; cwnd and ssthresh return (RFC 9438 §4.9).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../src/socket/constants.js';
import type { Host } from '../../src/sim/host.js';
import { ACK, type ScriptedPeer, type Seg, sackConnection, scenario, seqAdd } from './harness.js';

type Info = Record<string, number>;
const info = (host: Host, fd: number): Info => host.sockets.getsockopt(fd, C.IPPROTO_TCP, C.TCP_INFO) as unknown as Info;

async function drain(peer: ScriptedPeer, ms: number): Promise<Seg[]> {
  const out: Seg[] = [];
  for (let s = await peer.next(ms); s; s = await peer.next(ms)) out.push(s);
  return out;
}

test('Eifel (RFC 3522): an ACK echoing a TSval from before the timeout undoes it: cwnd and ssthresh come back, nothing more is resent', () =>
  scenario(async ({ net, peer, host }) => {
    const { api, fd, ack, una } = await sackConnection({ net, host, peer }, { rttMs: 40, ts: true });
    await api.write(fd, new Uint8Array(10 * 1448));
    const first = await drain(peer, 5);
    assert.equal(first.length, 10);
    const cwndBefore = info(host, fd).tcpi_snd_cwnd;
    // The ACKs are late: the loss probe and then the timeout fire.
    const late = await drain(peer, 400);
    assert.ok(host.counters.tcp.extTCPTimeouts >= 1, `a timeout fired (sent meanwhile: ${late.length})`);
    assert.equal(info(host, fd).tcpi_snd_cwnd, 1, 'the timeout cut cwnd to one segment');
    // The ACK of the originals arrives: its TSecr is the TSval of the last original segment.
    peer.send({ seq: ack, ack: seqAdd(una, 10 * 1448), flags: ACK, window: 65535, options: { timestamp: { value: 200, echo: first[9]!.options.timestamp!.value } } });
    const after = await drain(peer, 50);
    const i = info(host, fd);
    assert.equal(host.counters.tcp.extTCPSpuriousRTOs, 1);
    assert.equal(host.counters.tcp.extTCPLossUndo, 1);
    assert.ok(i.tcpi_snd_cwnd! >= cwndBefore!, `cwnd ${i.tcpi_snd_cwnd} is back to at least ${cwndBefore}`);
    assert.equal(i.tcpi_ca_state, 0, 'Open again');
    assert.deepEqual(after.filter((s) => s.payload.length > 0), [], 'nothing left to resend');
  }));

test('no undo when the ACK echoes the retransmission: the timeout was real', () =>
  scenario(async ({ net, peer, host }) => {
    const { api, fd, ack, una } = await sackConnection({ net, host, peer }, { rttMs: 40, ts: true });
    await api.write(fd, new Uint8Array(2 * 1448));
    await drain(peer, 5);
    const late = await drain(peer, 400);
    const rtx = late.filter((s) => s.seq === una);
    assert.ok(rtx.length >= 1, 'the head was retransmitted');
    peer.send({ seq: ack, ack: seqAdd(una, 1448), flags: ACK, window: 65535, options: { timestamp: { value: 200, echo: rtx[0]!.options.timestamp!.value } } });
    await drain(peer, 50);
    assert.equal(host.counters.tcp.extTCPSpuriousRTOs, 0);
    assert.equal(host.counters.tcp.extTCPLossUndo, 0);
  }));

test('D-SACK undo (RFC 2883 §5): every retransmission of a recovery reported as a duplicate restores cwnd', () =>
  scenario(async ({ net, peer, host }) => {
    const { api, fd, ack, una } = await sackConnection({ net, host, peer }, { rttMs: 40, ts: true });
    await api.write(fd, new Uint8Array(10 * 1448));
    const first = await drain(peer, 5);
    const tsv = (i: number) => first[i]!.options.timestamp!.value;
    const cwndBefore = info(host, fd).tcpi_snd_cwnd!;
    await net.sleep(40 - 5);
    // Segment 0 is only delayed: the peer SACKs 1..4, so RACK/recovery resends segment 0.
    const sackTo = (hi: number) =>
      peer.send({ seq: ack, ack: una, flags: ACK, window: 65535, options: { timestamp: { value: 300 + hi, echo: tsv(hi - 1) }, sack: [[seqAdd(una, 1448), seqAdd(una, hi * 1448)]] } });
    for (let hi = 2; hi <= 5; hi++) sackTo(hi);
    const rtx = (await drain(peer, 30)).filter((s) => s.seq === una && s.payload.length > 0);
    assert.equal(rtx.length, 1, 'segment 0 resent once');
    assert.ok(info(host, fd).tcpi_snd_cwnd! < cwndBefore, 'recovery cut cwnd');
    // The original segment 0 arrives after all: everything is acknowledged ...
    peer.send({ seq: ack, ack: seqAdd(una, 10 * 1448), flags: ACK, window: 65535, options: { timestamp: { value: 400, echo: tsv(9) } } });
    // ... and the retransmission comes back as a duplicate (D-SACK below the cumulative ACK).
    await net.sleep(1);
    peer.send({ seq: ack, ack: seqAdd(una, 10 * 1448), flags: ACK, window: 65535, options: { timestamp: { value: 401, echo: rtx[0]!.options.timestamp!.value }, sack: [[una, seqAdd(una, 1448)]] } });
    await drain(peer, 20);
    assert.equal(host.counters.tcp.extTCPDSACKRecv, 1);
    assert.equal(host.counters.tcp.extTCPDSACKUndo + host.counters.tcp.extTCPLossUndo, 1, 'undone once');
    assert.ok(info(host, fd).tcpi_snd_cwnd! >= cwndBefore, `cwnd ${info(host, fd).tcpi_snd_cwnd} back to ${cwndBefore}`);
  }));

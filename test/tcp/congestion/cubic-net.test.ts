/**
 * CUBIC on a virtual network: a sockstack host sends a bulk transfer to a scripted peer that
 * acknowledges every segment one round trip (100 ms) after it was sent, drops one segment
 * once, and then keeps acknowledging. TCP_INFO shows cwnd cut to 0.7x of the window at the
 * loss, then coming back along W_cubic(t) = C(t - K)^3 + W_max (RFC 9438 §4.2, §4.6), while a
 * Reno connection over the same script halves and grows by one segment per round trip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../../../src/socket/constants.js';
import type { TcpInfo } from '../../../src/socket/options.js';
import { cubicK, wCubic } from '../../../src/tcp/congestion/cubic.js';
import { ACK, type Seg, scenario, seqAdd } from '../harness.js';

const RTT = 100;
const MSS = 500;

interface Trace {
  /** cwnd (segments) at the end of every round after the loss, with the time (ms) of that round's ACKs. */
  rounds: Array<{ at: number; cwnd: number }>;
  /** cwnd when the segment was lost, and TCP_INFO right after recovery. */
  atLoss: number;
  afterRecovery: TcpInfo;
}

/** Runs the transfer with `cc`; the segment at the start of the round with >= lossAt segments is dropped once. */
async function transfer(cc: string, lossAt: number, roundsAfter: number): Promise<Trace> {
  let trace: Trace | null = null;
  await scenario(async ({ host, peer }) => {
    host.tcp.config.congestionControl = cc;
    const c = await peer.handshakeActive({ mss: MSS, window: 65535 });
    const api = host.sockets;
    api.setsockopt(c.fd, C.SOL_SOCKET, C.SO_SNDBUF, 200_000);
    void api.write(c.fd, new Uint8Array(8_000_000)).catch(() => undefined);
    const info = (): TcpInfo => api.getsockopt(c.fd, C.IPPROTO_TCP, C.TCP_INFO) as TcpInfo;
    // The receiver: in-order data advances rcvNxt, out-of-order data waits (by sequence number).
    let rcvNxt = c.sndNxt;
    const ooo = new Map<number, number>();
    const receive = (s: Seg): void => {
      const end = seqAdd(s.seq, s.payload.length);
      if (((end - rcvNxt) | 0) <= 0) return;
      ooo.set(s.seq, end);
      for (let e = ooo.get(rcvNxt); e !== undefined; e = ooo.get(rcvNxt)) {
        ooo.delete(rcvNxt);
        rcvNxt = e;
      }
    };
    const ack = (): void => peer.send({ seq: c.rcvNxt, ack: rcvNxt, flags: ACK, window: 65535 });
    let dropped = false;
    let atLoss = 0;
    let afterRecovery: TcpInfo | null = null;
    const rounds: Array<{ at: number; cwnd: number }> = [];
    for (let r = 0; r < 200 && rounds.length < roundsAfter; r++) {
      const segs = (await peer.collect(RTT)).filter((s) => s.payload.length > 0);
      assert.ok(segs.length > 0, `round ${r}: the sender sends`);
      for (const [i, s] of segs.entries()) {
        if (!dropped && i === 0 && segs.length >= lossAt) {
          dropped = true;
          atLoss = info().tcpi_snd_cwnd;
          continue; // lost: every later segment of the round brings a duplicate ACK
        }
        receive(s);
        ack();
      }
      if (!dropped) continue;
      const i = info();
      if (afterRecovery === null) {
        if (i.tcpi_ca_state === 0 && ooo.size === 0) afterRecovery = i;
        continue;
      }
      rounds.push({ at: peer.net.now(), cwnd: i.tcpi_snd_cwnd });
    }
    assert.ok(afterRecovery, 'the loss was repaired');
    trace = { rounds, atLoss, afterRecovery };
  });
  return trace!;
}

test('CUBIC after a loss on a virtual network: cwnd = 0.7 * W_max, then back along the cubic curve to W_max at K', async () => {
  const tr = await transfer('cubic', 60, 60);
  const wMax = tr.atLoss;
  assert.ok(wMax >= 60 && wMax <= 130, `the loss came at cwnd ${wMax}`);
  const ss = Math.floor(wMax * 0.7);
  assert.equal(tr.afterRecovery.tcpi_snd_ssthresh, ss, 'ssthresh = 0.7 * cwnd at the loss (RFC 9438 §4.6)');
  assert.ok(Math.abs(tr.afterRecovery.tcpi_snd_cwnd - ss) <= 1, `cwnd ${tr.afterRecovery.tcpi_snd_cwnd} ~ ssthresh after recovery`);
  const K = cubicK(wMax, ss);
  // The epoch began with the first ACK after recovery, one round before the first sample.
  const t0 = tr.rounds[0]!.at - RTT;
  for (const { at, cwnd } of tr.rounds) {
    const t = (at - t0) / 1000;
    if (t > K) break; // past K the Reno-friendly W_est may take over (it passes W_max near there)
    const lo = wCubic(t, K, wMax) - 2;
    const hi = wCubic(t + RTT / 1000, K, wMax) + 1;
    assert.ok(cwnd >= lo && cwnd <= hi, `t=${t.toFixed(1)} s: cwnd ${cwnd} outside W_cubic ${lo.toFixed(1)}..${hi.toFixed(1)}`);
  }
  const atK = tr.rounds.filter(({ at }) => Math.abs((at - t0) / 1000 - K) < 0.25).map((r) => r.cwnd);
  assert.ok(atK.length > 0 && atK.every((w) => Math.abs(w - wMax) <= 2), `back at W_max ${wMax} around K = ${K.toFixed(2)} s: ${atK.join(' ')}`);
  assert.ok(tr.rounds[tr.rounds.length - 1]!.cwnd > wMax, 'and beyond it afterwards');
});

test('the same script with Reno: ssthresh = FlightSize / 2 and one segment per round trip', async () => {
  const tr = await transfer('reno', 60, 20);
  assert.equal(tr.afterRecovery.tcpi_snd_ssthresh, Math.floor(tr.atLoss / 2), 'RFC 5681 eq. 4');
  const w = tr.rounds.map((r) => r.cwnd);
  for (let i = 1; i < w.length; i++) assert.ok(w[i]! - w[i - 1]! <= 1, `Reno grows at most one segment per RTT: ${w.join(' ')}`);
  assert.ok(w[w.length - 1]! - w[0]! >= 15, 'and does grow');
});

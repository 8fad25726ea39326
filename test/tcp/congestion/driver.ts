/**
 * A synthetic sender for congestion-control tests: sequence numbers, a clock, segments in
 * flight with their send times, and one reused CcSample, reporting events the way the TCP
 * sender does (onTransmit per segment, onAck / onDupAck per ACK).
 */
import type { CcSample, CongestionControl } from '../../../src/tcp/congestion/congestion-control.js';
import { seqAdd } from '../../../src/tcp/seq.js';

export class CcDriver {
  readonly s: CcSample = {
    nowMs: 0, sndUna: 0, sndMax: 0, flightSize: 0, ackedBytes: 0, rttMs: undefined, sackedBytes: 0, pipe: 0, sackOk: false,
  };
  /** Send times of the segments in flight, oldest first (whole SMSS segments). */
  readonly sentAt: number[] = [];
  /** Segments sent in all. */
  sent = 0;
  /** How many segments the application still has to send (Infinity: bulk transfer). */
  appSegments = Infinity;

  constructor(readonly cc: CongestionControl, readonly smss: number, start = 1000) {
    this.s.sndUna = this.s.sndMax = start;
  }

  get now(): number {
    return this.s.nowMs;
  }
  /** cwnd in segments. */
  get w(): number {
    return this.cc.cwnd / this.smss;
  }
  get flight(): number {
    return (this.s.sndMax - this.s.sndUna) >>> 0;
  }

  advance(ms: number): void {
    this.s.nowMs += ms;
  }

  sample(acked: number, sacked = 0, rttMs?: number): CcSample {
    const s = this.s;
    s.ackedBytes = acked;
    s.sackedBytes = sacked;
    s.rttMs = rttMs;
    s.flightSize = this.flight;
    if (!s.sackOk) s.pipe = s.flightSize;
    return s;
  }

  /** Sends one segment (new data). */
  sendOne(): void {
    this.s.sndMax = seqAdd(this.s.sndMax, this.smss);
    this.sentAt.push(this.s.nowMs);
    this.sent++;
    this.appSegments--;
    this.cc.onTransmit(this.smss, this.s.nowMs);
  }

  /** Sends while cwnd allows whole segments and the application has data. */
  fill(): number {
    let n = 0;
    while (this.appSegments > 0 && this.flight + this.smss <= this.cc.cwnd) {
      this.sendOne();
      n++;
    }
    return n;
  }

  /** The oldest `segs` segments are cumulatively acknowledged now; the RTT sample is the oldest's. */
  ack(segs = 1, withRtt = true): number {
    const first = this.sentAt.splice(0, segs);
    this.s.sndUna = seqAdd(this.s.sndUna, segs * this.smss);
    const rtt = withRtt && first.length > 0 ? this.s.nowMs - first[first.length - 1]! : undefined;
    return this.cc.onAck(this.sample(segs * this.smss, 0, rtt));
  }

  dup(sacked = 0): number {
    return this.cc.onDupAck(this.sample(0, sacked));
  }

  /**
   * One round trip of an ACK-clocked bulk transfer: `rttMs` after the round began every
   * segment then in flight is acknowledged, one ACK per segment (each with its RTT sample),
   * and the sender refills cwnd after each. Returns cwnd (segments) at the end.
   */
  round(rttMs: number, rttSample = rttMs): number {
    this.fill();
    this.advance(rttMs);
    const n = this.sentAt.length;
    for (let i = 0; i < n; i++) {
      this.sentAt[0] = this.s.nowMs - rttSample;
      this.ack(1);
      this.fill();
    }
    return this.w;
  }
}

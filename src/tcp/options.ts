/**
 * Window scaling and timestamps (RFC 7323): what our SYN offers, what the handshake agrees,
 * the TSval clock, TS.Recent, PAWS and RTT measurement from TSecr. Output and input call
 * these; the endpoint holds the state (wsOk, rcvWscale, sndWscale, tsOk, tsRecent …).
 */
import { TCP_MAX_WINDOW_SCALE, type TcpOptions } from '../wire/tcp.js';
import type { TcpConfig } from './config.js';
import type { TcpEndpoint } from './tcp-endpoint.js';

/** RFC 7323 §5.5: TS.Recent older than 24 days is invalid (Linux TCP_PAWS_24DAYS), in ms. */
export const PAWS_IDLE_MS = 24 * 24 * 3600 * 1000;
/** NOP, NOP, kind 8, length 10, TSval, TSecr. */
const TS_ALIGNED_LEN = 12;
/** The floor of the send MSS (Linux tcp_min_snd_mss, as the layer uses). */
const MIN_DATA_PER_SEGMENT = 48;
/** Linux tcp_rtt_tsopt_us: a TSecr-based RTT above INT_MAX / 1000 ms (~35 min) is not believed. */
const MAX_TS_RTT_MS = Math.floor(0x7fffffff / 1000);

/**
 * Our shift (Linux tcp_select_initial_window): the smallest one with which the largest window
 * the socket may offer (its buffer, or the tcp_rmem[2]-like maximum) fits 16 bits, at most 14
 * (RFC 7323 §2.3).
 */
export function initialWscale(cfg: TcpConfig, rcvBuf: number): number {
  const space = Math.max(rcvBuf, cfg.rcvBufMax);
  let s = 0;
  while (s < TCP_MAX_WINDOW_SCALE && space > 0xffff * 2 ** s) s++;
  return s;
}

/** Our TSval now: a millisecond clock plus the connection's random offset (RFC 7323 §5.4, as Linux). */
export function tsNow(nowMs: number, ep: TcpEndpoint): number {
  return (Math.floor(nowMs) + ep.tsOffset) >>> 0;
}

/**
 * A SYN or SYN-ACK from the peer with `opts`: window scaling and timestamps are in use only when
 * both SYNs carry them (RFC 7323 §2.2, §3.2; SACK-permitted likewise, RFC 2018 §2). `offerWs`
 * is the shift we offer or offered (-1: none), `offerTs` / `offerSack` whether we offer those.
 */
export function negotiate(ep: TcpEndpoint, opts: TcpOptions, offerWs: number, offerTs: boolean, offerSack: boolean, nowMs: number): void {
  // RFC 2018 §2: SACK-permitted in both SYNs.
  ep.sackOk = offerSack && opts.sackPermitted === true;
  ep.wsOk = offerWs >= 0 && opts.windowScale !== undefined;
  ep.rcvWscale = ep.wsOk ? offerWs : 0;
  ep.sndWscale = ep.wsOk ? opts.windowScale! : 0;
  ep.tsOk = offerTs && opts.timestamp !== undefined;
  if (ep.tsOk) {
    ep.tsRecent = opts.timestamp!.value;
    ep.tsRecentStamp = nowMs;
    // Every segment now carries 12 bytes of options: data per segment shrinks by as much
    // (RFC 9293 §3.7.1 "the MSS excludes options"; Linux tcp_sync_mss: 1460 -> 1448).
    ep.sndMss = Math.max(ep.sndMss - TS_ALIGNED_LEN, MIN_DATA_PER_SEGMENT);
  }
}

/** The options of our SYN (no ACK) or SYN-ACK: MSS, then what was offered or agreed (the wire lays them out in Linux's order). */
export function synOptions(ep: TcpEndpoint, synAck: boolean, nowMs: number): TcpOptions {
  const o: TcpOptions = { mss: ep.advMss };
  if (synAck ? ep.sackOk : ep.sackOffered) o.sackPermitted = true;
  if (synAck ? ep.tsOk : ep.tsOffered) o.timestamp = { value: tsNow(nowMs, ep), echo: synAck ? ep.tsRecent : 0 };
  if (synAck ? ep.wsOk : ep.wsOffered >= 0) o.windowScale = synAck ? ep.rcvWscale : ep.wsOffered;
  return o;
}

/**
 * PAWS (RFC 7323 §5.3 R1): a segment whose TSval is older than TS.Recent is a duplicate from an
 * earlier incarnation of the sequence space — unless TS.Recent is more than 24 days old (§5.5).
 * Returns true when the segment is to be dropped. RSTs are the caller's business (never dropped).
 */
export function pawsReject(ep: TcpEndpoint, opts: TcpOptions, nowMs: number): boolean {
  if (!ep.tsOk || opts.timestamp === undefined) return false;
  if (((opts.timestamp.value - ep.tsRecent) | 0) >= 0) return false;
  return nowMs - ep.tsRecentStamp <= PAWS_IDLE_MS;
}

/**
 * RFC 7323 §4.3 (2): an acceptable segment's TSval becomes TS.Recent when it is not older and
 * the segment covers Last.ACK.sent (SEG.SEQ =< Last.ACK.sent); also after 24 idle days (§5.5).
 */
export function updateTsRecent(ep: TcpEndpoint, opts: TcpOptions, seq: number, nowMs: number): void {
  if (!ep.tsOk || opts.timestamp === undefined) return;
  if (((seq - ep.lastAckSent) | 0) > 0) return;
  const v = opts.timestamp.value;
  if (((v - ep.tsRecent) | 0) >= 0 || nowMs - ep.tsRecentStamp > PAWS_IDLE_MS) {
    ep.tsRecent = v;
    ep.tsRecentStamp = nowMs;
  }
}

/**
 * RTTM (RFC 7323 §4.1): the round trip from the TSecr of an ACK, in ms, or -1 when there is
 * none to believe (no TSecr, a zero one, or one from the future / far past, as Linux
 * tcp_rtt_tsopt_us; a sample of 0 counts as 1 ms like there).
 */
export function tsRtt(ep: TcpEndpoint, opts: TcpOptions, nowMs: number): number {
  if (!ep.tsOk || opts.timestamp === undefined || opts.timestamp.echo === 0) return -1;
  const d = (tsNow(nowMs, ep) - opts.timestamp.echo) | 0;
  if (d < 0 || d >= MAX_TS_RTT_MS) return -1;
  return d === 0 ? 1 : d;
}

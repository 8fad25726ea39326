import type { SocketApi } from '../socket/socket-api.js';
import { AF_INET, SOCK_RAW, IPPROTO_ICMP, POLLIN, IPPROTO_IP, IP_TTL } from '../socket/constants.js';
import { SocketError, strerror } from '../stack/errno.js';
import { ICMP_HEADER_LEN, ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED } from '../wire/icmpv4.js';
import { internetChecksum } from '../wire/checksum.js';

/** What ping needs of an AbortSignal (structural: the core has no DOM or Node types). */
export interface PingAbortSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface PingOptions {
  /** Echo requests to send; Infinity = until `signal` aborts (ping without -c). */
  count: number;
  intervalMs: number;
  /** How long to wait for each reply. */
  timeoutMs: number;
  /** Bytes of ICMP data (Linux ping's default is 56). */
  size: number;
  ttl?: number;
  /** Echo identifier (Linux uses the process id). */
  id: number;
  log: (line: string) => void;
  /** -q: only the first line and the statistics, no line per reply. */
  quiet: boolean;
  /** Stops pinging (Ctrl-C): the statistics are still printed, as ping(8) does on SIGINT. */
  signal?: PingAbortSignal;
}

export interface PingResult {
  transmitted: number;
  received: number;
  rtts: number[];
  errors: number;
}

const UNREACH_TEXT = ['Destination Net Unreachable', 'Destination Host Unreachable', 'Destination Protocol Unreachable', 'Destination Port Unreachable', 'Frag needed'];

/** A round-trip time the way iputils prints it: 3 decimals below 1 ms, 2 below 10, 1 below 100, then none. */
export function formatRtt(ms: number): string {
  return ms.toFixed(ms < 1 ? 3 : ms < 10 ? 2 : ms < 100 ? 1 : 0);
}

/** The packet loss like iputils' printf("%g%%"): 0, 100, 33.3333. */
export function formatLoss(transmitted: number, received: number): string {
  if (transmitted === 0) return '0';
  return String(Number(((100 * (transmitted - received)) / transmitted).toPrecision(6)));
}

/**
 * ping(8) over a raw ICMP socket: echo requests (RFC 792) with a checksum we compute,
 * replies read with their IP header (as raw(7) delivers them), output in iputils' format.
 * Each request waits up to `timeoutMs` for its reply before the next one goes out.
 */
export async function ping(api: SocketApi, dst: string, o: Partial<PingOptions> = {}): Promise<PingResult> {
  const opts: PingOptions = { count: 4, intervalMs: 1000, timeoutMs: 1000, size: 56, id: 0x5ab1, log: () => {}, quiet: false, ...o };
  const res: PingResult = { transmitted: 0, received: 0, rtts: [], errors: 0 };
  const signal = opts.signal;
  // One promise that settles on abort, raced against every wait (a blocked poll or sleep).
  let onAbort: () => void = () => {};
  const aborted = new Promise<null>((resolve) => {
    onAbort = () => resolve(null);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  const stopped = (): boolean => signal?.aborted === true;
  const fd = api.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  const start = api.now();
  try {
    if (opts.ttl !== undefined) api.setsockopt(fd, IPPROTO_IP, IP_TTL, opts.ttl);
    opts.log(`PING ${dst} (${dst}) ${opts.size}(${opts.size + 28}) bytes of data.`);
    for (let n = 1; n <= opts.count && !stopped(); n++) {
      // The sequence field is 16 bits (RFC 792); an endless ping wraps like iputils.
      const seq = n & 0xffff;
      const sentAt = api.now();
      // A fresh buffer per request: the stack may still hold the last one (ARP queue, a link delay).
      const msg = new Uint8Array(ICMP_HEADER_LEN + opts.size);
      msg[0] = ICMP_ECHO_REQUEST;
      msg[4] = opts.id >> 8;
      msg[5] = opts.id & 0xff;
      for (let i = ICMP_HEADER_LEN; i < msg.length; i++) msg[i] = i & 0xff;
      msg[6] = seq >> 8;
      msg[7] = seq & 0xff;
      const ck = internetChecksum(msg, 0, msg.length);
      msg[2] = ck >> 8;
      msg[3] = ck & 0xff;
      await api.sendto(fd, msg, 0, { address: dst, port: 0 });
      res.transmitted++;
      const deadline = sentAt + opts.timeoutMs;
      for (;;) {
        const left = deadline - api.now();
        if (left <= 0) break;
        const ready = await Promise.race([api.poll([{ fd, events: POLLIN }], left), aborted]);
        if (ready === null) break;
        const [p] = ready;
        if (!p || !(p.revents! & POLLIN)) break;
        const [pkt, from] = await api.recvfrom(fd, 65535);
        const hl = (pkt[0]! & 0x0f) * 4;
        const type = pkt[hl];
        if (type === ICMP_ECHO_REPLY) {
          const id = (pkt[hl + 4]! << 8) | pkt[hl + 5]!;
          const rseq = (pkt[hl + 6]! << 8) | pkt[hl + 7]!;
          if (id !== opts.id || rseq !== seq) continue;
          const rtt = api.now() - sentAt;
          res.received++;
          res.rtts.push(rtt);
          if (!opts.quiet) opts.log(`${pkt.length - hl} bytes from ${from.address}: icmp_seq=${seq} ttl=${pkt[8]} time=${formatRtt(rtt)} ms`);
          break;
        }
        if (type === ICMP_DEST_UNREACH || type === ICMP_TIME_EXCEEDED) {
          // The quoted datagram must be one of ours: inner ICMP echo with our id.
          const inner = hl + 8;
          const ihl = (pkt[inner]! & 0x0f) * 4;
          const q = inner + ihl;
          if (pkt.length < q + 8 || pkt[q] !== ICMP_ECHO_REQUEST || ((pkt[q + 4]! << 8) | pkt[q + 5]!) !== opts.id) continue;
          res.errors++;
          const text = type === ICMP_TIME_EXCEEDED ? 'Time to live exceeded' : UNREACH_TEXT[pkt[hl + 1]!] ?? `Destination unreachable (code ${pkt[hl + 1]})`;
          if (!opts.quiet) opts.log(`From ${from.address} icmp_seq=${seq} ${text}`);
          break;
        }
      }
      if (n < opts.count && !stopped()) {
        const next = sentAt + opts.intervalMs - api.now();
        if (next > 0) await Promise.race([api.sleep(next), aborted]);
      }
    }
  } catch (e) {
    if (e instanceof SocketError) opts.log(`ping: ${e.syscall}: ${strerror(e.code)}`);
    else throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await api.close(fd);
  }
  // iputils: a blank line, then the summary (also on SIGINT).
  opts.log('');
  opts.log(`--- ${dst} ping statistics ---`);
  opts.log(`${res.transmitted} packets transmitted, ${res.received} received, ${res.errors ? `+${res.errors} errors, ` : ''}${formatLoss(res.transmitted, res.received)}% packet loss, time ${Math.round(api.now() - start)}ms`);
  if (res.rtts.length) {
    // A loop, not Math.min(...rtts): an endless ping may collect more values than a call takes arguments.
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const r of res.rtts) {
      if (r < min) min = r;
      if (r > max) max = r;
      sum += r;
    }
    const avg = sum / res.rtts.length;
    const mdev = Math.sqrt(res.rtts.reduce((a, b) => a + (b - avg) ** 2, 0) / res.rtts.length);
    opts.log(`rtt min/avg/max/mdev = ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)}/${mdev.toFixed(3)} ms`);
  }
  return res;
}

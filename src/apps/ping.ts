import type { SocketApi } from '../socket/socket-api.js';
import { AF_INET, SOCK_RAW, IPPROTO_ICMP, POLLIN, IPPROTO_IP, IP_TTL } from '../socket/constants.js';
import { SocketError } from '../stack/errno.js';
import { ICMP_HEADER_LEN, ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED } from '../wire/icmpv4.js';
import { internetChecksum } from '../wire/checksum.js';

export interface PingOptions {
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
}

export interface PingResult {
  transmitted: number;
  received: number;
  rtts: number[];
  errors: number;
}

const UNREACH_TEXT = ['Destination Net Unreachable', 'Destination Host Unreachable', 'Destination Protocol Unreachable', 'Destination Port Unreachable', 'Frag needed'];

/**
 * ping(8) over a raw ICMP socket: echo requests (RFC 792) with a checksum we compute,
 * replies read with their IP header (as raw(7) delivers them), output in iputils' format.
 */
export async function ping(api: SocketApi, dst: string, o: Partial<PingOptions> = {}): Promise<PingResult> {
  const opts: PingOptions = { count: 4, intervalMs: 1000, timeoutMs: 1000, size: 56, id: 0x5ab1, log: () => {}, ...o };
  const fd = api.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  const res: PingResult = { transmitted: 0, received: 0, rtts: [], errors: 0 };
  const start = api.now();
  try {
    if (opts.ttl !== undefined) api.setsockopt(fd, IPPROTO_IP, IP_TTL, opts.ttl);
    opts.log(`PING ${dst} (${dst}) ${opts.size}(${opts.size + 28}) bytes of data.`);
    for (let seq = 1; seq <= opts.count; seq++) {
      const sentAt = api.now();
      const msg = new Uint8Array(ICMP_HEADER_LEN + opts.size);
      msg[0] = ICMP_ECHO_REQUEST;
      msg[4] = opts.id >> 8;
      msg[5] = opts.id & 0xff;
      msg[6] = seq >> 8;
      msg[7] = seq & 0xff;
      for (let i = ICMP_HEADER_LEN; i < msg.length; i++) msg[i] = i & 0xff;
      const ck = internetChecksum(msg, 0, msg.length);
      msg[2] = ck >> 8;
      msg[3] = ck & 0xff;
      await api.sendto(fd, msg, 0, { address: dst, port: 0 });
      res.transmitted++;
      const deadline = sentAt + opts.timeoutMs;
      for (;;) {
        const left = deadline - api.now();
        if (left <= 0) break;
        const [p] = await api.poll([{ fd, events: POLLIN }], left);
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
          opts.log(`${pkt.length - hl} bytes from ${from.address}: icmp_seq=${seq} ttl=${pkt[8]} time=${rtt.toFixed(rtt < 10 ? 3 : 1)} ms`);
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
          opts.log(`From ${from.address} icmp_seq=${seq} ${text}`);
          break;
        }
      }
      if (seq < opts.count) {
        const next = sentAt + opts.intervalMs - api.now();
        if (next > 0) await api.sleep(next);
      }
    }
  } catch (e) {
    if (e instanceof SocketError) opts.log(`ping: ${e.syscall}: ${e.message}`);
    else throw e;
  } finally {
    await api.close(fd);
  }
  const loss = res.transmitted ? Math.round((100 * (res.transmitted - res.received)) / res.transmitted) : 0;
  opts.log(`--- ${dst} ping statistics ---`);
  opts.log(`${res.transmitted} packets transmitted, ${res.received} received, ${res.errors ? `+${res.errors} errors, ` : ''}${loss}% packet loss, time ${Math.round(api.now() - start)}ms`);
  if (res.rtts.length) {
    const min = Math.min(...res.rtts);
    const max = Math.max(...res.rtts);
    const avg = res.rtts.reduce((a, b) => a + b, 0) / res.rtts.length;
    const mdev = Math.sqrt(res.rtts.reduce((a, b) => a + (b - avg) ** 2, 0) / res.rtts.length);
    opts.log(`rtt min/avg/max/mdev = ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)}/${mdev.toFixed(3)} ms`);
  }
  return res;
}

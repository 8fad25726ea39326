/**
 * ping across a router, with a raw ICMP socket (what ping(8) does).
 * Run: npx tsx examples/ping.ts
 */
import { Network, AF_INET, SOCK_RAW, IPPROTO_ICMP, POLLIN } from '../src/index.js';

const net = new Network({ seed: 7 });
net.segment('left', { latency: 2 });
net.segment('right', { latency: 20 });
const a = net.host('a', { interfaces: [{ segment: 'left', address: '192.168.1.10/24' }], gateway: '192.168.1.1' });
net.router('r', [
  { segment: 'left', address: '192.168.1.1/24' },
  { segment: 'right', address: '172.16.0.1/16' },
]);
net.host('b', { interfaces: [{ segment: 'right', address: '172.16.5.5/16' }], gateway: '172.16.0.1' });

/** One's-complement checksum (RFC 1071): raw ICMP sockets leave it to the program. */
function checksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

await net.run(async () => {
  const s = a.sockets;
  const fd = s.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  for (let seq = 1; seq <= 3; seq++) {
    const echo = new Uint8Array(8 + 32);
    echo.set([8, 0, 0, 0, 0x12, 0x34, 0, seq]); // type 8 = echo request, id 0x1234
    const ck = checksum(echo);
    echo[2] = ck >> 8;
    echo[3] = ck & 0xff;
    const sent = net.now();
    await s.sendto(fd, echo, 0, { address: '172.16.5.5', port: 0 });
    const [ready] = await s.poll([{ fd, events: POLLIN }], 1000);
    if (!(ready!.revents! & POLLIN)) {
      console.log(`icmp_seq=${seq}: no reply`);
      continue;
    }
    const [pkt, from] = await s.recvfrom(fd, 1500); // raw sockets deliver the IP header too
    const ihl = (pkt[0]! & 0x0f) * 4;
    console.log(`${pkt.length - ihl} bytes from ${from.address}: icmp_seq=${pkt[ihl + 7]} ttl=${pkt[8]} time=${(net.now() - sent).toFixed(1)} ms`);
    await net.sleep(1000);
  }
  await s.close(fd);
});

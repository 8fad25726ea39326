// Runs in a browser page: the core (no Node API) on a virtual network, through the web-streams
// sockets and the Berkeley API. The page's #result gets a JSON report.
import { Network, AF_INET, SOCK_DGRAM, POLLIN } from '../../src/index.js';

async function main(): Promise<Record<string, unknown>> {
  const net = new Network({ seed: 5, link: { latency: 2, loss: 0.02 } });
  const server = net.host('server', '10.0.0.2/24');
  const client = net.host('client', '10.0.0.1/24');
  return net.run(async () => {
    // TCP: an echo server on host.listen, a client on host.connect, 256 KiB through it.
    const listener = server.listen({ port: 7 });
    void (async () => {
      for await (const socket of listener) void socket.readable.pipeTo(socket.writable);
    })();
    const conn = client.connect({ hostname: '10.0.0.2', port: 7 });
    const info = await conn.opened;
    const data = new Uint8Array(256 * 1024).map((_, i) => (i * 31) & 0xff);
    const writer = conn.writable.getWriter();
    const writing = writer.write(data).then(() => writer.close());
    const reader = conn.readable.getReader();
    let got = 0;
    let same = true;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (let i = 0; i < value.length; i++) if (value[i] !== data[got + i]) same = false;
      got += value.length;
    }
    await writing;
    await listener.close();
    // UDP through the Berkeley API.
    const s = server.sockets;
    const ufd = s.socket(AF_INET, SOCK_DGRAM, 0);
    s.bind(ufd, { address: '0.0.0.0', port: 9 });
    const udp = client.udpSocket({ remoteAddress: '10.0.0.2', remotePort: 9 });
    await udp.opened;
    const w = udp.writable.getWriter();
    // The link loses 2% of frames and UDP never retransmits: like any UDP client, try again.
    let got1: [Uint8Array, { address: string }] | null = null;
    for (let i = 0; i < 10 && got1 === null; i++) {
      await w.write({ data: new TextEncoder().encode('hello from a browser') });
      const [ready] = await s.poll([{ fd: ufd, events: POLLIN }], 50);
      if (ready!.revents! & POLLIN) got1 = await s.recvfrom(ufd, 100);
    }
    if (got1 === null) throw new Error('no UDP datagram arrived in 10 tries');
    const [msg, from] = got1;
    await udp.close();
    return {
      tcpBytes: got,
      tcpSame: same,
      remote: `${info.remoteAddress}:${info.remotePort}`,
      udp: new TextDecoder().decode(msg),
      udpFrom: from.address,
      virtualMs: Math.round(net.now()),
      retransmits: client.counters.tcp.retransSegs,
      hasProcess: typeof (globalThis as { process?: unknown }).process !== 'undefined',
    };
  });
}

const out = document.getElementById('result')!;
main().then(
  (r) => (out.textContent = JSON.stringify({ ok: true, ...r })),
  (e: unknown) => (out.textContent = JSON.stringify({ ok: false, error: String(e instanceof Error ? e.stack : e) })),
);

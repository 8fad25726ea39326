/**
 * The classic UDP echo server and client of the socket textbooks, on a virtual network.
 * Run: npx tsx examples/udp-echo.ts
 *
 * In your own project import from 'sockstack' instead of '../src/index.js'.
 */
import { Network, AF_INET, SOCK_DGRAM, type SocketApi } from '../src/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The server: bind, then answer every datagram (like the Python server of the reference texts). */
async function server(s: SocketApi, port: number, count: number): Promise<void> {
  const sock = s.socket(AF_INET, SOCK_DGRAM, 0);
  s.bind(sock, { address: '0.0.0.0', port });
  console.log(`UDP Server is listening on 0.0.0.0:${port}`);
  for (let i = 0; i < count; i++) {
    console.log('Waiting for data...');
    const [data, client] = await s.recvfrom(sock, 1024);
    console.log(`Received ${data.length} bytes from ('${client.address}', ${client.port})`);
    console.log(`Data: ${dec.decode(data)}`);
    await s.sendto(sock, enc.encode('Hello from UDP server!'), 0, client);
  }
  await s.close(sock);
}

/** The client: send one datagram, wait for the answer. */
async function client(s: SocketApi, host: string, port: number): Promise<void> {
  const sock = s.socket(AF_INET, SOCK_DGRAM, 0);
  const message = 'Hello from UDP client!';
  console.log(`Sending: ${message}`);
  await s.sendto(sock, enc.encode(message), 0, { address: host, port });
  const [data] = await s.recvfrom(sock, 1024);
  console.log(`Received: ${dec.decode(data)}`);
  await s.close(sock);
}

const net = new Network({ seed: 1, link: { latency: 5 } });
const serverHost = net.host('server', '10.0.0.1/24');
const clientHost = net.host('client', '10.0.0.2/24');

await net.run(async () => {
  const done = server(serverHost.sockets, 8000, 1);
  await client(clientHost.sockets, '10.0.0.1', 8000);
  await done;
});

/**
 * The textbook TCP echo server and client (the Python documentation's server.py and
 * client.py that the socket tutorials quote), translated line by line to sockstack's Berkeley
 * API, on a virtual network. It prints what the Python programs print:
 *
 *   $ python3 server.py                      $ python3 client.py
 *   Connected by ('10.0.0.2', 40123)         Received b'Hello, world'
 *
 * Run: npx tsx examples/tcp-echo.ts
 * In your own project import from 'sockstack' instead of '../src/index.js'.
 */
import { Network, AF_INET, SOCK_STREAM, type SocketApi } from '../src/index.js';

const HOST = '10.0.0.1'; // the server's address (the textbook uses 127.0.0.1)
const PORT = 50007; // an arbitrary non-privileged port

/** Python's sendall(): send() may take less than everything, so loop until it is all queued. */
async function sendall(s: SocketApi, fd: number, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length; ) off += await s.send(fd, data.subarray(off));
}

/** Python's repr() of a bytes object, for printable ASCII and the usual escapes. */
function bytesRepr(b: Uint8Array): string {
  let out = '';
  for (const c of b) {
    if (c === 0x27 || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `b'${out}'`;
}

/** server.py */
async function server(s: SocketApi): Promise<void> {
  const sock = s.socket(AF_INET, SOCK_STREAM, 0); //    with socket.socket(AF_INET, SOCK_STREAM) as s:
  s.bind(sock, { address: HOST, port: PORT }); //         s.bind((HOST, PORT))
  s.listen(sock, 1); //                                   s.listen(1)
  const [conn, addr] = await s.accept(sock); //           conn, addr = s.accept()
  console.log(`Connected by ('${addr.address}', ${addr.port})`); // print('Connected by', addr)
  for (;;) {
    const data = await s.recv(conn, 1024); //             data = conn.recv(1024)
    if (data.length === 0) break; //                      if not data: break
    await sendall(s, conn, data); //                      conn.sendall(data)
  }
  await s.close(conn); //                                 (end of "with conn:")
  await s.close(sock); //                                 (end of "with socket...")
}

/** client.py */
async function client(s: SocketApi): Promise<void> {
  const sock = s.socket(AF_INET, SOCK_STREAM, 0); //    with socket.socket(AF_INET, SOCK_STREAM) as s:
  await s.connect(sock, { address: HOST, port: PORT }); // s.connect((HOST, PORT))
  await sendall(s, sock, new TextEncoder().encode('Hello, world')); // s.sendall(b'Hello, world')
  const data = await s.recv(sock, 1024); //               data = s.recv(1024)
  await s.close(sock);
  console.log('Received', bytesRepr(data)); //            print('Received', repr(data))
}

const net = new Network({ seed: 1, link: { latency: 5 } });
const serverHost = net.host('server', `${HOST}/24`);
const clientHost = net.host('client', '10.0.0.2/24');

await net.run(async () => {
  const done = server(serverHost.sockets); // run the server first: it must be listening
  await client(clientHost.sockets);
  await done;
});

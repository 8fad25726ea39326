// The textbook TCP echo server (server.py of the reference texts), on a sockstack host that
// lives on a Linux TAP device, so the kernel's own programs (nc, curl, python) are its clients.
//
//   sudo ip tuntap add dev sstap0 mode tap user $USER      # once; then no root is needed
//   sudo ip addr add 10.99.0.1/24 dev sstap0 && sudo ip link set sstap0 up
//   npx tsx examples/tap-echo.ts sstap0 10.99.0.2/24
//   echo 'Hello, world' | nc -N 10.99.0.2 50007             # from another terminal
//
// Ctrl-C stops it. Without a persistent device, run it as root and it creates sstap0 itself
// (the device then disappears when the program ends).
// In your own project import from 'sockstack' and 'sockstack/tap' instead of '../src/….js'.
import { Network, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, SocketError } from '../src/index.js';
import { attachTap } from '../src/link/node/index.js';

const [dev = 'sstap0', cidr = '10.99.0.2/24', portText = '50007'] = process.argv.slice(2);
const PORT = Number(portText);

const net = new Network({ clock: 'real' }); // real time: this host talks to the outside world
const host = net.host('echo');
const tap = attachTap(net, host, { dev, ip: cidr });
console.log(`sockstack is ${cidr} on ${tap.device.name}; try: echo hi | nc -N ${cidr.split('/')[0]} ${PORT}`);

const s = host.sockets;
const lfd = s.socket(AF_INET, SOCK_STREAM, 0);
s.setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, 1);
s.bind(lfd, { address: '0.0.0.0', port: PORT });
s.listen(lfd, 5);

let stopping = false;
process.once('SIGINT', () => {
  stopping = true;
  void s.close(lfd); // wakes the pending accept with EBADF
});

while (!stopping) {
  let conn: number, addr: { address: string; port: number };
  try {
    [conn, addr] = await s.accept(lfd);
  } catch (e) {
    if (stopping) break;
    throw e;
  }
  console.log('Connected by', `('${addr.address}', ${addr.port})`);
  // One client at a time, as in server.py: echo until the client closes its side.
  void (async () => {
    try {
      for (;;) {
        const data = await s.recv(conn, 1024);
        if (data.length === 0) break;
        await s.send(conn, data);
      }
    } catch (e) {
      if (!(e instanceof SocketError)) throw e;
      console.log(`connection ended: ${e.code}`);
    } finally {
      await s.close(conn);
    }
  })();
}
await tap.close();
net.close();

// Node's own http server and client, unmodified, on a sockstack network: the one change is
// where `net` comes from. The server host accepts TCP connections through nodeNet(server) and
// hands each to an ordinary http.Server; the client's keep-alive Agent opens its connections
// through nodeNet(client). Swap in `attachTap` (see examples/tap-echo.ts) and the same server
// answers curl from the kernel.
//
//   npx tsx examples/node-http.ts
//
// In your own project import from 'sockstack' and 'sockstack/node' instead of '../src/….js'.
import http from 'node:http';
import { Network } from '../src/index.js';
import { nodeNet } from '../src/node/index.js';

const net = new Network({ clock: 'real', link: { latency: 1 } }); // Node's http runs on real timers
const serverHost = net.host('server', '10.0.0.2/24');
const clientHost = net.host('client', '10.0.0.1/24');

// Server: `import net from 'node:net'` becomes `const net = nodeNet(serverHost)`.
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(`Hello from Node's http on sockstack: you asked for ${req.url}\n`);
});
const snet = nodeNet(serverHost);
// allowHalfOpen, as http.Server's own net.Server: a response may still go out after the client's FIN.
const listener = snet.createServer({ allowHalfOpen: true }, (socket) => server.emit('connection', socket));
await new Promise<void>((resolve) => listener.listen(80, resolve));

// Client: an Agent whose connections are sockstack sockets.
const cnet = nodeNet(clientHost);
class SockstackAgent extends http.Agent {
  override createConnection(options: { host?: string; port?: number }, cb: (err: Error | null, s: unknown) => void) {
    return cnet.createConnection({ host: options.host ?? '10.0.0.2', port: options.port ?? 80 }, cb as () => void);
  }
}
const agent = new SockstackAgent({ keepAlive: true });

for (const path of ['/', '/hello', '/bye']) {
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get({ host: '10.0.0.2', port: 80, path, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve(`${res.statusCode} ${text}`));
      })
      .on('error', reject);
  });
  process.stdout.write(body);
}
console.log(`the client opened ${clientHost.counters.tcp.activeOpens} TCP connection(s) for 3 requests (keep-alive)`);
console.log(serverHost.ss());

agent.destroy();
server.closeAllConnections();
listener.close();
net.close();

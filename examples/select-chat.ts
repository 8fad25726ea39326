/**
 * The select() chat server of the socket textbooks (src/apps/chat-server.ts: one task, one
 * select() over the listening socket and every client) with three clients, over a link that
 * delays every frame by 20 ms and loses 5% of them. TCP repairs the losses; the chat never
 * notices. Run: npx tsx examples/select-chat.ts
 *
 * In your own project import from 'sockstack' instead of '../src/index.js'.
 */
import { Network, chatServer, chatClient, formatAddr, type ChatClient, type Host } from '../src/index.js';

const SEED = 7;
const net = new Network({ seed: SEED, link: { latency: 20, loss: 0.05 } });
const server = net.host('server', '10.0.0.10/24');
const hosts = [net.host('alice', '10.0.0.1/24'), net.host('bob', '10.0.0.2/24'), net.host('carol', '10.0.0.3/24')] as const;
const [alice, bob, carol] = hosts;
const PORT = 5000;

const log = (who: string, line: string): void => console.log(`[${net.now().toFixed(1).padStart(8)} ms] ${who.padEnd(6)} ${line}`);

console.log(`select() chat over a lossy link: 20 ms each way, 5% of frames lost (seed ${SEED})`);
console.log('');

/** Clients still in the chat, and everyone who ever joined (for the summary). */
const clients = new Map<Host, ChatClient>();
const everyone = new Map<Host, ChatClient>();

await net.run(async () => {
  const chat = chatServer(server.sockets, PORT, { log: (l) => log('server', l) });
  log('server', `listening on 10.0.0.10:${PORT}; select() waits on the listening socket`);

  const join = async (h: Host): Promise<ChatClient> => {
    const t0 = net.now();
    const c = await chatClient(h.sockets, '10.0.0.10', PORT, (l) => log(h.name, `<- ${l}`));
    const ms = net.now() - t0;
    // 40 ms is one round trip (plus ARP the first time); a lost SYN costs the 1 s initial RTO.
    log(h.name, `connect() took ${ms.toFixed(0)} ms${ms >= 1000 ? ': a SYN or SYN-ACK was lost and sent again after 1 s' : ''}`);
    clients.set(h, c);
    everyone.set(h, c);
    await c.waitFor('* Welcome');
    return c;
  };
  const say = async (h: Host, text: string): Promise<void> => {
    log(h.name, `-> ${text}`);
    await clients.get(h)!.say(text);
  };
  /** Waits until every client but `except` has a line containing `text`. */
  const heard = async (text: string, ...except: Host[]): Promise<void> => {
    for (const [h, c] of clients) if (!except.includes(h)) await c.waitFor(text);
  };

  const a = await join(alice);
  const b = await join(bob);
  await a.waitFor(`${formatAddr(b.local)} joined`);
  const c = await join(carol);
  await heard(`${formatAddr(c.local)} joined`, carol);

  await say(alice, 'hello, everyone');
  await heard('hello, everyone', alice);

  // A line in two writes: the server buffers the first piece until the newline arrives.
  log('bob', '-> "hi alice, " (half a line)');
  await b.sendRaw(new TextEncoder().encode('hi alice, '));
  await net.sleep(200);
  log('bob', '-> "how is the weather?\\n" (the rest)');
  await b.sendRaw(new TextEncoder().encode('how is the weather?\n'));
  await heard('how is the weather?', bob);

  await say(carol, 'sunny here');
  // A burst: five lines in a row, which must arrive complete and in order despite the loss.
  for (let i = 1; i <= 5; i++) await say(alice, `line ${i} of 5`);
  await heard('line 5 of 5', alice);

  // carol vanishes without a goodbye: SO_LINGER {on, 0} makes close() send a RST. If that RST is
  // lost, the server finds out when it next writes to her (her host answers with another RST).
  log('carol', 'close() with SO_LINGER {l_onoff: 1, l_linger: 0}: RST');
  await c.abort();
  clients.delete(carol);
  await say(bob, 'carol, are you still there?');
  await heard(`${formatAddr(c.local)} left`);

  log('bob', 'shutdown(SHUT_WR), then close() after the server closes too');
  await b.quit();
  clients.delete(bob);
  await heard(`${formatAddr(b.local)} left`);
  await a.quit();
  await chat.stop();
  await chat.done;
});

console.log('');
console.log('What each client received:');
for (const [h, c] of everyone) {
  console.log(`  ${h.name} (${formatAddr(c.local)}):`);
  for (const line of c.received) console.log(`    ${line}`);
}
let retrans = 0;
for (const h of [server, ...hosts]) retrans += h.counters.tcp.retransSegs;
const seg = net.segment();
console.log('');
console.log(`The link lost ${seg.counters.dropLoss} of ${seg.counters.framesIn} frames; TCP retransmitted ${retrans} segments.`);
console.log(`Simulated time: ${(net.now() / 1000).toFixed(2)} s.`);

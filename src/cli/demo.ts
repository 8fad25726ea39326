import { Network } from '../sim/network.js';
import type { Host } from '../sim/host.js';
import { AF_INET, SOCK_DGRAM } from '../socket/constants.js';
import { SocketError } from '../stack/errno.js';
import { ping } from '../apps/ping.js';
import { udpEchoServer, udpRequest } from '../apps/udp-echo.js';

export interface DemoOptions {
  seed: number;
  /** Receives each line of the transcript. */
  out: (line: string) => void;
  /** Record a pcapng of every interface. */
  capture: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * The first thing a new user runs: a small network, the classic UDP programs, a ping across
 * a router, a client that retries over a lossy link, and the socket tables — as a short lesson.
 */
export async function runDemo(o: Partial<DemoOptions> = {}): Promise<{ pcap: Uint8Array | null }> {
  const opts: DemoOptions = { seed: 42, out: (l) => console.log(l), capture: false, ...o };
  const say = opts.out;
  const net = new Network({ seed: opts.seed });
  net.segment('lan', { latency: 1 });
  net.segment('wan', { latency: 10, rate: 10_000_000 });
  const pcap = opts.capture ? net.capture() : null;
  const alice = net.host('alice', { interfaces: [{ segment: 'lan', address: '10.0.0.1/24' }], gateway: '10.0.0.254' });
  const bob = net.host('bob', { interfaces: [{ segment: 'lan', address: '10.0.0.2/24' }], gateway: '10.0.0.254' });
  net.router('router', [
    { segment: 'lan', address: '10.0.0.254/24' },
    { segment: 'wan', address: '10.0.1.254/24' },
  ]);
  const carol = net.host('carol', { interfaces: [{ segment: 'wan', address: '10.0.1.7/24' }], gateway: '10.0.1.254' });
  const t = () => `[${net.now().toFixed(3).padStart(9)} ms]`;
  const at = (who: Host, line: string) => say(`  ${t()} ${who.name.padEnd(5)} ${line}`);
  const note = (line: string) => say(`  ${line}`);

  say(`sockstack demo: a virtual network under virtual time (seed ${opts.seed})`);
  say('');
  say('  alice 10.0.0.1 --+');
  say('                   +-- lan: 1 ms --- router 10.0.0.254 | 10.0.1.254 --- wan: 10 ms, 10 Mbit/s --- carol 10.0.1.7');
  say('  bob   10.0.0.2 --+');
  say('');
  say('Virtual time jumps from one event to the next, so the waits below cost no real time.');

  await net.run(async () => {
    // 1. UDP echo ------------------------------------------------------------
    say('');
    say('1. UDP echo on the LAN');
    note('A datagram socket needs no connection: bob binds port 7 and blocks in recvfrom();');
    note('alice sends one datagram to 10.0.0.2:7 and blocks until the echo comes back.');
    const echo = udpEchoServer(bob.sockets, { address: '0.0.0.0', port: 7 }, (l) => at(bob, l));
    at(bob, `socket(AF_INET, SOCK_DGRAM, 0) = ${echo.fd}; bind(0.0.0.0:7); recvfrom() blocks`);
    const s = alice.sockets;
    const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
    const msg = enc.encode('Hello from UDP client!');
    await s.sendto(fd, msg, 0, { address: '10.0.0.2', port: 7 });
    const local = s.getsockname(fd);
    at(alice, `socket() = ${fd}; sendto(10.0.0.2:7, "Hello from UDP client!") = ${msg.length} bytes`);
    note(`               (the stack bound alice's socket to ephemeral port ${local.port} on the way out)`);
    const t0 = net.now();
    const [reply, from] = await s.recvfrom(fd, 1024);
    at(alice, `recvfrom() = "${dec.decode(reply)}" from ${from.address}:${from.port}`);
    await s.close(fd);
    note(`The round trip took ${(net.now() - t0).toFixed(0)} ms: 1 ms each way on the LAN, plus the wait while alice`);
    note(`resolved bob's MAC address with ARP (${alice.counters.arp.outRequests} request sent) before the datagram could leave.`);

    // 2. ping across the router ------------------------------------------------
    say('');
    say('2. ping across the router');
    note('A raw ICMP socket sends echo requests; the router forwards them (TTL 64 -> 63).');
    await ping(alice.sockets, '10.0.1.7', { count: 3, intervalMs: 1000, log: (l) => note(`    ${l}`) });
    note('The first reply is slower: the router had to resolve carol with ARP.');
    note('A packet with TTL 1 dies at the router, which says so with ICMP time exceeded:');
    await ping(alice.sockets, '10.0.1.7', { count: 1, ttl: 1, log: (l) => note(`    ${l}`) });

    // 3. retries over a lossy link ---------------------------------------------
    say('');
    say('3. UDP over a lossy link: timeouts and retries');
    note('UDP itself never retransmits. The wan now drops 40% of frames, so the client sets');
    note('SO_RCVTIMEO to 500 ms and sends again when recvfrom() times out with EAGAIN.');
    const carolEcho = udpEchoServer(carol.sockets, { address: '0.0.0.0', port: 7 });
    net.segment('wan').setImpairments({ loss: 0.4 });
    let answered = 0;
    for (let i = 1; i <= 4; i++) {
      const question = `question ${i}`;
      note(`alice asks carol "${question}":`);
      const answer = await udpRequest(alice.sockets, { address: '10.0.1.7', port: 7 }, enc.encode(question), {
        timeoutMs: 500,
        attempts: 6,
        log: (l) => at(alice, `  ${l}`),
      });
      if (answer) answered++;
    }
    note(`${answered} of 4 questions answered. Both the request and the echo must survive the loss,`);
    note('and the first packets also wait for ARP, whose own requests can be lost too.');
    const wc = net.segment('wan').counters;
    note(`wan: ${wc.framesIn} frames sent into it, ${wc.dropLoss} lost.`);
    net.segment('wan').setImpairments({ loss: 0 });

    // 4. ECONNREFUSED on a connected UDP socket -----------------------------------
    say('');
    say('4. Nobody home: ICMP port unreachable and ECONNREFUSED');
    note('bob has nothing on port 9999. The send succeeds (UDP cannot know), bob answers with');
    note('ICMP port unreachable, and because the socket is connected the next call reports it.');
    const cfd = s.socket(AF_INET, SOCK_DGRAM, 0);
    await s.connect(cfd, { address: '10.0.0.2', port: 9999 });
    await s.send(cfd, enc.encode('anyone?'));
    at(alice, 'connect(10.0.0.2:9999); send("anyone?") = 7');
    try {
      await s.recv(cfd, 100);
    } catch (e) {
      if (!(e instanceof SocketError)) throw e;
      at(alice, `recv() failed: ${e.code} (errno ${e.errno}) "${e.message}"`);
    }
    note('The socket stays connected (ESTAB below) until it is closed.');

    // 5. tables and counters ----------------------------------------------------
    say('');
    say('5. Who has which socket: ss -uwanp on each host');
    for (const h of [alice, bob, carol]) {
      say(`  ${h.name}:`);
      for (const line of h.ss().split('\n')) note(`  ${line}`);
    }
    say('');
    say('6. What the router saw: nstat');
    for (const line of net.hosts.get('router')!.netstat().split('\n')) note(`  ${line}`);
    await s.close(cfd);
    await echo.stop();
    await carolEcho.stop();
    await echo.done;
    await carolEcho.done;
  });
  say('');
  say(`Done: ${net.now().toFixed(0)} ms of virtual time.${pcap ? ` Captured ${pcap.packetCount} frames.` : ''}`);
  return { pcap: pcap ? pcap.bytes() : null };
}

import { Network } from '../sim/network.js';
import type { Host } from '../sim/host.js';
import { AF_INET, SOCK_DGRAM } from '../socket/constants.js';
import { SocketError } from '../stack/errno.js';
import { ping } from '../apps/ping.js';
import { udpEchoServer, udpRequest } from '../apps/udp-echo.js';
import { formatAddr, tcpEchoClient, tcpEchoServer } from '../apps/tcp-echo.js';
import { chatClient, chatServer, type ChatClient } from '../apps/chat-server.js';
import { traceTcp } from './tcp-trace.js';

export interface DemoOptions {
  seed: number;
  /** Receives each line of the transcript. */
  out: (line: string) => void;
  /** Record a pcapng of every interface. */
  capture: boolean;
}

/** Share of wan frames lost during the traced TCP echo (high, so that the trace shows recovery). */
const ECHO_LOSS = 0.25;
/** Share of wan frames lost during the bulk transfer. */
const BULK_LOSS = 0.05;

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * The first thing a new user runs: a small network, the classic UDP programs, a ping across
 * a router, a client that retries over a lossy link, then TCP: an echo across the router
 * through loss (with a tcpdump-style trace of the handshake, transfer and close), the select()
 * chat server, and the socket tables with their TCP states — as a short lesson.
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
  const t = (at = net.now()) => `[${at.toFixed(3).padStart(9)} ms]`;
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

    // 5. TCP echo across the router, through loss -----------------------------------
    say('');
    say('5. TCP echo across the router, through a lossy WAN');
    note('Now a stream socket. carol serves echo on TCP port 7 (her UDP port 7 is a different');
    note('socket: the protocol is part of the address). Every connection gets its own socket');
    note('from accept() and its own task, like a thread per client. The wan now loses');
    note(`${Math.round(ECHO_LOSS * 100)}% of frames; below, every TCP segment entering the wan is printed the way`);
    note('`tcpdump -n` would (flags: S = SYN, . = ACK, P = PUSH, F = FIN, R = RST; sequence numbers');
    note('absolute on SYNs, then relative to each side\'s random initial sequence number).');
    const wan = net.segment('wan');
    wan.setImpairments({ loss: ECHO_LOSS });
    let echoLog = true;
    const tcpEcho = tcpEchoServer(carol.sockets, 7, { log: (l) => echoLog && at(carol, l) });
    at(carol, `socket(AF_INET, SOCK_STREAM, 0) = ${tcpEcho.fd}; bind(0.0.0.0:7); listen(5); accept() blocks`);
    const retrans0 = alice.counters.tcp.retransSegs + carol.counters.tcp.retransSegs;
    let lostInTrace = 0;
    const stopTrace = traceTcp(
      wan,
      () => net.now(),
      (l, when, lost) => {
        if (lost) lostInTrace++;
        say(`  ${t(when)} wan   ${l}`);
      },
      (sp, dp) => sp === 7 || dp === 7,
    );
    const hello = enc.encode('Hello, world');
    // With this much loss even the handshake can fail (7 SYNs lost in a row: ETIMEDOUT); say so.
    const failed = (who: Host, e: unknown): null => {
      if (!(e instanceof SocketError)) throw e;
      at(who, `failed: ${e.code} "${e.message}"`);
      return null;
    };
    const echoed = await tcpEchoClient(alice.sockets, '10.0.1.7', 7, hello, { log: (l) => at(alice, l) }).catch((e: unknown) => failed(alice, e));
    if (echoed) at(alice, `close(); the echo was "${dec.decode(echoed)}"`);
    // Let the last ACK cross before the trace stops, so the close is complete in the picture.
    await net.sleep(50);
    stopTrace();
    const retrans = alice.counters.tcp.retransSegs + carol.counters.tcp.retransSegs - retrans0;
    note('Reading the trace: SYN, SYN-ACK, ACK is the three-way handshake (each side picks its');
    note('sequence numbers and learns the other\'s, and both announce an MSS of 1500 - 40 bytes);');
    note('then the 12 bytes go one way and come back; then each side sends a FIN: alice first, with');
    note('shutdown(SHUT_WR), then carol when she read EOF and closed.');
    if (lostInTrace === 0) {
      note('This time the wan lost none of these segments, so nothing had to be sent again.');
    } else {
      note(`The wan lost ${lostInTrace} of them. Whoever sent a lost segment got no ACK for it and sent it again when`);
      note('its retransmission timer expired: 1 s for a SYN or SYN-ACK, then the measured round trip time');
      note('plus a margin (at least 200 ms, as Linux), doubling after every further loss. A lost bare ACK');
      note(`is simply repaired by the next one. ${retrans} segment${retrans === 1 ? ' was' : 's were'} retransmitted in all: TCP does by itself`);
      note('what the UDP client of part 3 had to do by hand.');
    }

    // 6. a bigger transfer --------------------------------------------------------------
    say('');
    say(`6. 64 KiB through ${Math.round(BULK_LOSS * 100)}% loss`);
    note('bob echoes a larger message the same way: 45 full-sized segments each way, so some are lost.');
    echoLog = false;
    wan.setImpairments({ loss: BULK_LOSS });
    const big = new Uint8Array(65536);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 8)) & 0xff;
    const b0 = net.now();
    const r0 = bob.counters.tcp.retransSegs + carol.counters.tcp.retransSegs;
    const l0 = wan.counters.dropLoss;
    const back = (await tcpEchoClient(bob.sockets, '10.0.1.7', 7, big, { readSize: 65536 }).catch((e: unknown) => failed(bob, e))) ?? new Uint8Array(0);
    const same = back.length === big.length && back.every((v, i) => v === big[i]);
    note(`bob sent ${big.length} bytes and got ${back.length} back, ${same ? 'identical' : 'DIFFERENT'}, in ${(net.now() - b0).toFixed(0)} ms;`);
    note(`the wan lost ${wan.counters.dropLoss - l0} frames meanwhile and the two ends retransmitted ${bob.counters.tcp.retransSegs + carol.counters.tcp.retransSegs - r0} segments.`);
    note('The application saw none of it: read() returns the bytes in order, or an error, never a gap.');
    echoLog = true;
    wan.setImpairments({ loss: 0 });

    // 7. the select() chat server ---------------------------------------------------------
    say('');
    say('7. A chat server with select()');
    note('One task serves everyone: the listening socket and each client socket sit in select()\'s');
    note('read set; a readable listener means accept(), a readable client means a line (or EOF).');
    note('Each line goes to every other client. carol runs it on port 6667; alice, bob and a');
    note('client on carol herself (that connection never leaves her host) join in.');
    const chat = chatServer(carol.sockets, 6667, { log: (l) => at(carol, `chat: ${l}`) });
    const join = async (h: Host, label: string): Promise<ChatClient> => {
      const c = await chatClient(h.sockets, '10.0.1.7', 6667, (l) => at(h, `${label}<- ${l}`));
      await c.waitFor('* Welcome');
      return c;
    };
    const ca = await join(alice, '');
    const cb = await join(bob, '');
    await ca.waitFor(`${formatAddr(cb.local)} joined`);
    const cc = await join(carol, '(client) ');
    await ca.waitFor(`${formatAddr(cc.local)} joined`);
    await cb.waitFor(`${formatAddr(cc.local)} joined`);
    at(alice, 'says "hello, everyone"');
    await ca.say('hello, everyone');
    await cb.waitFor('hello, everyone');
    await cc.waitFor('hello, everyone');
    note('bob sends his line in two pieces; the server keeps the first until the newline arrives:');
    at(bob, 'sends "hi alice, " (no newline yet)');
    await cb.sendRaw(enc.encode('hi alice, '));
    await net.sleep(100);
    at(bob, 'sends "how is the weather?\\n"');
    await cb.sendRaw(enc.encode('how is the weather?\n'));
    await ca.waitFor('how is the weather?');
    await cc.waitFor('how is the weather?');
    note('carol\'s client leaves abruptly: SO_LINGER {on, 0} makes close() send a RST, and the');
    note('server\'s recv() fails with ECONNRESET, which it survives:');
    await cc.abort();
    await ca.waitFor(`${formatAddr(cc.local)} left`);
    await cb.waitFor(`${formatAddr(cc.local)} left`);

    // 8. tables and counters ------------------------------------------------------------
    say('');
    say('8. Who has which socket: ss -tuanp on each host');
    note('LISTEN: waiting in accept(). ESTAB: connected. TIME-WAIT: alice and bob closed their echo');
    note('connections first, so their side waits 2 x MSL (60 s) for stray segments before the');
    note('address pair may be used again; those rows belong to no process any more.');
    let unacked = false;
    for (const h of [alice, bob, carol]) {
      say(`  ${h.name}:`);
      for (const line of h.ss().split('\n')) note(`  ${line}`);
      unacked ||= h.socketTable().some((r) => r.netid === 'tcp' && r.state !== 'LISTEN' && r.sendQ > 0);
    }
    note('On a listener, Send-Q is the backlog and Recv-Q the connections waiting for accept().');
    if (unacked) note('On a connection, Send-Q counts bytes sent but not yet acknowledged by the peer (or not yet sent).');
    say('');
    say('9. Goodbyes');
    note('bob and alice leave politely: shutdown(SHUT_WR) sends a FIN, the server reads EOF, closes');
    note('its side, and the client\'s read returns EOF too. Then the servers stop.');
    await cb.quit();
    await ca.waitFor(`${formatAddr(cb.local)} left`);
    await ca.quit();
    say('');
    say('10. What the router saw: nstat');
    for (const line of net.hosts.get('router')!.netstat().split('\n')) note(`  ${line}`);
    await chat.stop();
    await chat.done;
    await tcpEcho.stop();
    await tcpEcho.done;
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

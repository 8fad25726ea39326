/**
 * The behaviour of each call of the datagram and raw socket API, pinned under virtual time:
 * descriptors, naming, datagram boundaries, buffers, options, connect/disconnect, shutdown,
 * close, IP_TTL on the wire and raw ICMP.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Network, AF_INET, SOCK_DGRAM, SOCK_RAW, IPPROTO_ICMP, IPPROTO_UDP, IPPROTO_IP, SOL_SOCKET, SO_RCVBUF,
  SO_SNDBUF, SO_ERROR, SO_TYPE, SO_PROTOCOL, SO_DOMAIN, SO_LINGER, IP_TTL, IP_TOS, SHUT_RD, SHUT_WR, SHUT_RDWR,
  MSG_PEEK, MSG_DONTWAIT, F_GETFD, F_SETFD, FD_CLOEXEC, SOCK_CLOEXEC,
} from '../../src/index.js';
import { dec, echoRequest, enc, pair, rejectsErr, throwsErr } from './helpers.js';

describe('descriptors', () => {
  it('start at 3 and reuse the lowest free number', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fds = [0, 1, 2, 3].map(() => s.socket(AF_INET, SOCK_DGRAM, 0));
      assert.deepEqual(fds, [3, 4, 5, 6]);
      await s.close(4);
      await s.close(5);
      assert.equal(s.socket(AF_INET, SOCK_DGRAM, 0), 4);
      assert.equal(s.epoll_create1(), 5);
      assert.equal(s.socket(AF_INET, SOCK_DGRAM, 0), 7);
      // Each process has its own table.
      assert.equal(a.process().sockets.socket(AF_INET, SOCK_DGRAM, 0), 3);
    });
  });

  it('SOCK_CLOEXEC and F_SETFD set the close-on-exec flag', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const x = s.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      const y = s.socket(AF_INET, SOCK_DGRAM, 0);
      assert.equal(s.fcntl(x, F_GETFD), FD_CLOEXEC);
      assert.equal(s.fcntl(y, F_GETFD), 0);
      s.fcntl(y, F_SETFD, FD_CLOEXEC);
      assert.equal(s.fcntl(y, F_GETFD), FD_CLOEXEC);
      assert.equal(s.getsockopt(x, SOL_SOCKET, SO_TYPE), SOCK_DGRAM, 'SO_TYPE has no flag bits');
    });
  });
});

describe('naming', () => {
  it('ephemeral ports come from 32768-60999 and are distinct', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.process({ maxFds: 300 }).sockets;
      const ports = new Set<number>();
      for (let i = 0; i < 200; i++) {
        const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
        if (i % 2) s.bind(fd, { address: '0.0.0.0', port: 0 });
        else await s.sendto(fd, enc('x'), 0, { address: '10.0.0.2', port: 9 });
        const { port } = s.getsockname(fd);
        assert.ok(port >= 32768 && port <= 60999, `port ${port}`);
        ports.add(port);
      }
      assert.equal(ports.size, 200);
    });
  });

  it('getsockname after bind, autobind and connect; getpeername after connect', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      assert.deepEqual(s.getsockname(fd), { address: '0.0.0.0', port: 0 });
      s.bind(fd, { address: '10.0.0.1', port: 5000 });
      assert.deepEqual(s.getsockname(fd), { address: '10.0.0.1', port: 5000 });

      const auto = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.sendto(auto, enc('x'), 0, { address: '10.0.0.2', port: 9 });
      const n = s.getsockname(auto);
      assert.equal(n.address, '0.0.0.0', 'an unconnected socket keeps the wildcard address');
      assert.ok(n.port >= 32768);

      // connect fills in the source address the route picks, and autobinds the port.
      const c = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.connect(c, { address: '10.0.0.2', port: 7 });
      const cn = s.getsockname(c);
      assert.equal(cn.address, '10.0.0.1');
      assert.ok(cn.port >= 32768 && cn.port <= 60999);
      assert.deepEqual(s.getpeername(c), { address: '10.0.0.2', port: 7 });
      // Loopback destinations get a loopback source.
      const l = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.connect(l, { address: '127.0.0.1', port: 7 });
      assert.equal(s.getsockname(l).address, '127.0.0.1');
      // A second connect re-targets the socket; the port stays.
      await s.connect(c, { address: '10.0.0.3', port: 8 });
      assert.deepEqual(s.getpeername(c), { address: '10.0.0.3', port: 8 });
      assert.equal(s.getsockname(c).port, cn.port);
    });
  });

  it('recvfrom reports the sender; the receiver sees the connected source address', async () => {
    const { net, a, b } = pair();
    await net.run(async () => {
      const rx = b.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      b.sockets.bind(rx, { address: '0.0.0.0', port: 7 });
      const fd = a.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      a.sockets.bind(fd, { address: '0.0.0.0', port: 4321 });
      await a.sockets.sendto(fd, enc('ping'), 0, { address: '10.0.0.2', port: 7 });
      const [data, from] = await b.sockets.recvfrom(rx, 100);
      assert.equal(dec(data), 'ping');
      assert.deepEqual(from, { address: '10.0.0.1', port: 4321 });
      // Echo back; the client reads it.
      await b.sockets.sendto(rx, data, 0, from);
      const [back, from2] = await a.sockets.recvfrom(fd, 100);
      assert.equal(dec(back), 'ping');
      assert.deepEqual(from2, { address: '10.0.0.2', port: 7 });
    });
  });
});

describe('datagrams', () => {
  it('MSG_PEEK leaves the datagram queued', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '127.0.0.1', port: 5000 });
      await s.sendto(fd, enc('first'), 0, { address: '127.0.0.1', port: 5000 });
      await s.sendto(fd, enc('second'), 0, { address: '127.0.0.1', port: 5000 });
      const [p1, from] = await s.recvfrom(fd, 100, MSG_PEEK);
      assert.equal(dec(p1), 'first');
      assert.deepEqual(from, { address: '127.0.0.1', port: 5000 });
      assert.equal(dec(await s.recv(fd, 3, MSG_PEEK)), 'fir', 'a short peek does not eat the rest');
      assert.equal(dec(await s.recv(fd, 100)), 'first');
      assert.equal(dec(await s.recv(fd, 100)), 'second');
      await rejectsErr(s.recv(fd, 100, MSG_DONTWAIT), 'EAGAIN', 'recv');
    });
  });

  it('a datagram longer than the recv length is truncated and the rest discarded', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '127.0.0.1', port: 5000 });
      await s.sendto(fd, enc('abcdefghij'), 0, { address: '127.0.0.1', port: 5000 });
      await s.sendto(fd, enc('next'), 0, { address: '127.0.0.1', port: 5000 });
      assert.equal(dec(await s.recv(fd, 4)), 'abcd');
      assert.equal(dec(await s.recv(fd, 100)), 'next', 'the tail efghij is gone');
      // Zero-length datagrams are datagrams too.
      await s.sendto(fd, new Uint8Array(0), 0, { address: '127.0.0.1', port: 5000 });
      const [z, from] = await s.recvfrom(fd, 100);
      assert.equal(z.length, 0);
      assert.equal(from.port, 5000);
    });
  });

  it('recvfrom into a buffer: the datagram lands in it, truncated to its length', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '127.0.0.1', port: 5000 });
      await s.sendto(fd, enc('abcdefghij'), 0, { address: '127.0.0.1', port: 5000 });
      await s.sendto(fd, enc('next'), 0, { address: '127.0.0.1', port: 5000 });
      const buf = new Uint8Array(6);
      const [d, from] = await s.recvfrom(fd, buf, MSG_PEEK);
      assert.equal(d.buffer, buf.buffer);
      assert.equal(dec(d), 'abcdef');
      assert.equal(from.port, 5000);
      assert.equal(dec(await s.recv(fd, buf)), 'abcdef', 'the peek left it queued; the tail ghij is gone');
      assert.equal(dec(await s.read(fd, buf)), 'next');
    });
  });

  it('datagrams past SO_RCVBUF are dropped and counted, never queued without bound', async () => {
    const { net, a, b } = pair();
    await net.run(async () => {
      const rx = b.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      b.sockets.bind(rx, { address: '0.0.0.0', port: 5000 });
      b.sockets.setsockopt(rx, SOL_SOCKET, SO_RCVBUF, 4096);
      const cap = b.sockets.getsockopt(rx, SOL_SOCKET, SO_RCVBUF) as number;
      const tx = a.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      const n = 100;
      for (let i = 0; i < n; i++) await a.sockets.sendto(tx, new Uint8Array(1000).fill(i), 0, { address: '10.0.0.2', port: 5000 });
      await net.sleep(100);
      let got = 0;
      let bytes = 0;
      for (;;) {
        try {
          const d = await b.sockets.recv(rx, 2000, MSG_DONTWAIT);
          assert.equal(d[0], got, 'the first datagrams are kept, in order');
          bytes += d.length;
          got++;
        } catch {
          break;
        }
      }
      const dropped = b.counters.udp.rcvbufErrors;
      assert.ok(got > 0 && got < n, `kept ${got}`);
      // Bounded: at most one datagram past the limit (Linux admits while it is under it).
      assert.ok(bytes <= cap + 1000, `held ${bytes} for SO_RCVBUF ${cap}`);
      assert.equal(got + dropped, n, 'every datagram is either queued or counted as dropped');
      assert.equal(b.counters.udp.inDatagrams, got);
      // Reading made room again.
      await a.sockets.sendto(tx, enc('room'), 0, { address: '10.0.0.2', port: 5000 });
      assert.equal(dec(await b.sockets.recv(rx, 100)), 'room');
    });
  });

  it('a raw socket copy of the IP datagram: IP_TTL is what goes on the wire', async () => {
    const { net, a, b } = pair();
    await net.run(async () => {
      const sniff = b.sockets.socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
      const rx = b.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      b.sockets.bind(rx, { address: '0.0.0.0', port: 5000 });
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.sendto(fd, enc('default'), 0, { address: '10.0.0.2', port: 5000 });
      const d1 = await b.sockets.recv(sniff, 2000);
      assert.equal(d1[0], 0x45);
      assert.equal(d1[8], 64, 'default TTL 64');
      assert.equal(d1[9], IPPROTO_UDP);
      s.setsockopt(fd, IPPROTO_IP, IP_TTL, 7);
      s.setsockopt(fd, IPPROTO_IP, IP_TOS, 0x10);
      assert.equal(s.getsockopt(fd, IPPROTO_IP, IP_TTL), 7);
      await s.sendto(fd, enc('ttl7'), 0, { address: '10.0.0.2', port: 5000 });
      const d2 = await b.sockets.recv(sniff, 2000);
      assert.equal(d2[8], 7);
      assert.equal(d2[1], 0x10, 'IP_TOS too');
      assert.equal(dec(d2.subarray(28)), 'ttl7', 'IP header, UDP header, payload');
      // The UDP socket got both datagrams as well.
      assert.equal(dec(await b.sockets.recv(rx, 100)), 'default');
      assert.equal(dec(await b.sockets.recv(rx, 100)), 'ttl7');
    });
  });

  it('the host default TTL is what IP_TTL reports when unset', async () => {
    const net = new Network({ seed: 5 });
    const h = net.host('h', { address: '10.0.0.1/24', defaultTtl: 99 });
    await net.run(async () => {
      const fd = h.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      assert.equal(h.sockets.getsockopt(fd, IPPROTO_IP, IP_TTL), 99);
    });
  });
});

describe('raw ICMP', () => {
  it('an echo request through a raw socket brings back the echo reply with its IP header', async () => {
    const { net, a, b } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_TYPE), SOCK_RAW);
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_ICMP);
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_DOMAIN), AF_INET);
      const req = echoRequest(0x1234, 1, enc('are you there'));
      assert.equal(await s.sendto(fd, req, 0, { address: '10.0.0.2', port: 0 }), req.length);
      const [pkt, from] = await s.recvfrom(fd, 1500);
      assert.equal(from.address, '10.0.0.2');
      assert.equal(pkt[0], 0x45, 'version 4, IHL 5');
      assert.equal(pkt[9], 1, 'protocol ICMP');
      assert.equal(pkt[20], 0, 'echo reply');
      assert.equal((pkt[24]! << 8) | pkt[25]!, 0x1234, 'same id');
      assert.equal((pkt[26]! << 8) | pkt[27]!, 1, 'same seq');
      assert.equal(dec(pkt.subarray(28)), 'are you there');
      assert.equal(b.counters.icmp.inEchos, 1);
      assert.equal(b.counters.icmp.outEchoReps, 1);
    });
  });

  it('a connected raw socket sends with send() and filters by peer', async () => {
    const net = new Network({ seed: 9 });
    const a = net.host('a', '10.0.0.1/24');
    net.host('b', '10.0.0.2/24');
    net.host('c', '10.0.0.3/24');
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
      await s.connect(fd, { address: '10.0.0.3', port: 0 });
      assert.equal(s.getpeername(fd).address, '10.0.0.3');
      const other = s.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
      await s.sendto(other, echoRequest(1, 1, enc('b')), 0, { address: '10.0.0.2', port: 0 });
      await s.send(fd, echoRequest(1, 2, enc('c')));
      const [pkt, from] = await s.recvfrom(fd, 1500);
      assert.equal(from.address, '10.0.0.3', "b's reply is not delivered to the socket connected to c");
      assert.equal(dec(pkt.subarray(28)), 'c');
      await rejectsErr(s.recv(fd, 1500, MSG_DONTWAIT), 'EAGAIN', 'recv');
      // The unconnected raw socket saw both replies.
      assert.equal(dec((await s.recv(other, 1500)).subarray(28)), 'b');
      assert.equal(dec((await s.recv(other, 1500)).subarray(28)), 'c');
    });
  });
});

describe('options', () => {
  it('SO_RCVBUF and SO_SNDBUF read back doubled like Linux, with floors and the rmem_max cap', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_RCVBUF), 212992, 'rmem_default');
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_SNDBUF), 212992, 'wmem_default');
      s.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 10000);
      s.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, 10000);
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_RCVBUF), 20000);
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_SNDBUF), 20000);
      s.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 1);
      s.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, 1);
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_RCVBUF), 2304, 'SOCK_MIN_RCVBUF');
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_SNDBUF), 4608, 'SOCK_MIN_SNDBUF');
      s.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 10_000_000);
      assert.equal(s.getsockopt(fd, SOL_SOCKET, SO_RCVBUF), 2 * 212992, 'capped at rmem_max, doubled');
    });
  });

  it('SO_LINGER is a struct { l_onoff, l_linger }; a non-struct value is EINVAL', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      assert.deepEqual(s.getsockopt(fd, SOL_SOCKET, SO_LINGER), { l_onoff: 0, l_linger: 0 });
      s.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 5 });
      assert.deepEqual(s.getsockopt(fd, SOL_SOCKET, SO_LINGER), { l_onoff: 1, l_linger: 5 });
      throwsErr(() => s.setsockopt(fd, SOL_SOCKET, SO_LINGER, 1), 'EINVAL', 'setsockopt');
    });
  });

  it('SO_ERROR is 0 on a fresh socket', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const fd = a.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      assert.equal(a.sockets.getsockopt(fd, SOL_SOCKET, SO_ERROR), 0);
    });
  });

  it('a pending error is reported before queued data on UDP (Linux __skb_recv_udp)', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '127.0.0.1', port: 5000 });
      await s.connect(fd, { address: '127.0.0.1', port: 5001 }); // nobody there yet
      await s.send(fd, enc('refused'));
      await net.sleep(10); // the ICMP port unreachable comes back
      // Now the peer appears and sends a datagram, queued behind the error.
      const peer = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(peer, { address: '127.0.0.1', port: 5001 });
      await s.sendto(peer, enc('data'), 0, { address: '127.0.0.1', port: 5000 });
      await net.sleep(10);
      await rejectsErr(s.recv(fd, 100, MSG_DONTWAIT), 'ECONNREFUSED', 'recv');
      assert.equal(dec(await s.recv(fd, 100, MSG_DONTWAIT)), 'data');
    });
  });
});

describe('connect on datagram sockets', () => {
  it('a connected socket only receives from its peer', async () => {
    const net = new Network({ seed: 4 });
    const a = net.host('a', '10.0.0.1/24');
    const b = net.host('b', '10.0.0.2/24');
    const c = net.host('c', '10.0.0.3/24');
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '0.0.0.0', port: 5000 });
      const bfd = b.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      b.sockets.bind(bfd, { address: '0.0.0.0', port: 6000 });
      const cfd = c.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      c.sockets.bind(cfd, { address: '0.0.0.0', port: 6000 });
      const bOther = b.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      b.sockets.bind(bOther, { address: '0.0.0.0', port: 6001 });
      await s.connect(fd, { address: '10.0.0.2', port: 6000 });
      await c.sockets.sendto(cfd, enc('from c'), 0, { address: '10.0.0.1', port: 5000 });
      await b.sockets.sendto(bOther, enc('from b:6001'), 0, { address: '10.0.0.1', port: 5000 });
      await b.sockets.sendto(bfd, enc('from b:6000'), 0, { address: '10.0.0.1', port: 5000 });
      const [d, from] = await s.recvfrom(fd, 100);
      assert.equal(dec(d), 'from b:6000');
      assert.deepEqual(from, { address: '10.0.0.2', port: 6000 });
      await net.sleep(10);
      await rejectsErr(s.recv(fd, 100, MSG_DONTWAIT), 'EAGAIN', 'recv');
      // c's datagram found no socket: c hears ICMP port unreachable.
      assert.ok(a.counters.udp.noPorts >= 2);
    });
  });

  it('connect(fd, null) dissolves the association; an explicitly bound port stays', async () => {
    const { net, a, b } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '0.0.0.0', port: 5000 });
      await s.connect(fd, { address: '10.0.0.2', port: 6000 });
      assert.equal(s.getsockname(fd).address, '10.0.0.1');
      await s.connect(fd, null);
      throwsErr(() => s.getpeername(fd), 'ENOTCONN', 'getpeername');
      assert.deepEqual(s.getsockname(fd), { address: '0.0.0.0', port: 5000 });
      await rejectsErr(s.send(fd, enc('x')), 'EDESTADDRREQ', 'send');
      // Now datagrams from anyone are accepted again.
      const other = b.sockets.socket(AF_INET, SOCK_DGRAM, 0);
      await b.sockets.sendto(other, enc('anyone'), 0, { address: '10.0.0.1', port: 5000 });
      assert.equal(dec(await s.recv(fd, 100)), 'anyone');
    });
  });

  it('connect(fd, null) releases an autobound port (Linux __udp_disconnect)', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.connect(fd, { address: '10.0.0.2', port: 6000 });
      const port = s.getsockname(fd).port;
      await s.connect(fd, null);
      assert.deepEqual(s.getsockname(fd), { address: '0.0.0.0', port: 0 });
      // The port is free for another socket; this one may bind anew.
      const other = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(other, { address: '0.0.0.0', port });
      s.bind(fd, { address: '0.0.0.0', port: 5000 });
      assert.equal(s.getsockname(fd).port, 5000);
    });
  });
});

describe('shutdown and close', () => {
  it('SHUT_RD: recv returns queued data, then an empty array (EOF), and wakes a blocked recv', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '127.0.0.1', port: 5000 });
      await s.connect(fd, { address: '127.0.0.1', port: 5000 });
      const blocked = s.recv(fd, 100);
      await net.sleep(5);
      s.shutdown(fd, SHUT_RD);
      const eof = await blocked;
      assert.ok(eof instanceof Uint8Array);
      assert.equal(eof.length, 0);
      assert.equal((await s.recv(fd, 100)).length, 0, 'EOF again');
      const [d, from] = await s.recvfrom(fd, 100);
      assert.equal(d.length, 0);
      assert.equal(typeof from.address, 'string');
      // Still writable after SHUT_RD.
      assert.equal(await s.send(fd, enc('w')), 1);
    });
  });

  it('SHUT_RD on an unconnected socket still takes effect (and says ENOTCONN), like Linux', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '0.0.0.0', port: 5000 });
      const blocked = s.recv(fd, 100);
      throwsErr(() => s.shutdown(fd, SHUT_RD), 'ENOTCONN', 'shutdown');
      assert.equal((await blocked).length, 0);
    });
  });

  it('SHUT_RDWR: POLLHUP, EOF and EPIPE', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      await s.connect(fd, { address: '10.0.0.2', port: 9 });
      s.shutdown(fd, SHUT_WR);
      const [p1] = await s.poll([{ fd, events: 0x001 }], 0);
      assert.equal(p1!.revents, 0, 'SHUT_WR alone: not readable, no hang-up');
      s.shutdown(fd, SHUT_RDWR);
      const [p2] = await s.poll([{ fd, events: 0x001 | 0x004 }], 0);
      assert.equal(p2!.revents! & 0x011, 0x011, 'POLLIN | POLLHUP');
      assert.equal((await s.recv(fd, 10)).length, 0);
      await rejectsErr(s.send(fd, enc('x')), 'EPIPE', 'send');
    });
  });

  it('close wakes a blocked recv with EBADF and frees the port', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const fd = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(fd, { address: '0.0.0.0', port: 5000 });
      const blocked = s.recvfrom(fd, 100);
      await net.sleep(5);
      await s.close(fd);
      await rejectsErr(blocked, 'EBADF', 'recvfrom');
      const again = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(again, { address: '0.0.0.0', port: 5000 });
      assert.equal(again, fd);
    });
  });
});

describe('loopback and self', () => {
  it('a host talks to itself through its own address and 127.0.0.1', async () => {
    const { net, a } = pair();
    await net.run(async () => {
      const s = a.sockets;
      const srv = s.socket(AF_INET, SOCK_DGRAM, 0);
      s.bind(srv, { address: '0.0.0.0', port: 7 });
      const c = s.socket(AF_INET, SOCK_DGRAM, 0);
      const framesBefore = a.counters.link.outFrames;
      for (const address of ['127.0.0.1', '10.0.0.1']) {
        await s.sendto(c, enc(address), 0, { address, port: 7 });
        const [d, from] = await s.recvfrom(srv, 100);
        assert.equal(dec(d), address);
        assert.equal(from.address, address);
      }
      assert.equal(a.counters.link.outFrames, framesBefore, 'nothing went out on the wire');
    });
  });
});

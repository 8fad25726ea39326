/**
 * Property: random sequences of socket calls with random (often invalid) arguments on random
 * descriptors never throw anything but SocketError, leak no port or raw endpoint once every
 * descriptor is closed, and leave the host able to pass a UDP echo.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Network, SocketError, AF_INET, AF_INET6, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM, SOCK_NONBLOCK, SOCK_CLOEXEC,
  IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_TCP, SOL_SOCKET, IPPROTO_IP, SO_REUSEADDR, SO_BROADCAST, SO_RCVBUF,
  SO_SNDBUF, SO_ERROR, SO_RCVTIMEO, SO_LINGER, IP_TTL, IP_TOS, IP_HDRINCL, TCP_NODELAY, MSG_PEEK, MSG_DONTWAIT,
  F_GETFL, F_SETFL, F_GETFD, F_SETFD, O_NONBLOCK, POLLIN, POLLOUT, EPOLLIN, EPOLLOUT, EPOLLET, EPOLLONESHOT,
  EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, type SocketApi,
} from '../../src/index.js';
import { dec, enc } from './helpers.js';

const junk = fc.oneof(
  fc.constant(null), fc.constant(undefined), fc.string({ maxLength: 6 }), fc.double(), fc.boolean(),
  fc.constant({}), fc.constant([]), fc.integer({ min: -5, max: 70000 }),
);
const fdArb = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 3, max: 9 }) }, { weight: 1, arbitrary: junk });
const addrText = fc.constantFrom(
  '10.0.0.1', '10.0.0.2', '10.0.0.9', '10.0.0.255', '255.255.255.255', '127.0.0.1', '0.0.0.0', '192.0.2.1',
  '::1', '1.2.3', '', 'x.y.z.w', '224.0.0.1',
);
const portArb = fc.oneof(fc.constantFrom(0, 7, 53, 5000, 5001, 1024, 65535), fc.integer({ min: -2, max: 70000 }), junk);
const addrArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ address: addrText, port: portArb }) },
  { weight: 1, arbitrary: junk },
);
const dataArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 3000 }).map((n) => new Uint8Array(n)) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(65508)) },
  { weight: 1, arbitrary: junk },
);
const flagsArb = fc.oneof(fc.constantFrom(0, MSG_DONTWAIT, MSG_PEEK, MSG_PEEK | MSG_DONTWAIT, 1), junk);
const lenArb = fc.oneof(fc.integer({ min: 0, max: 70000 }), junk);
const timeoutArb = fc.constantFrom(0, 1, 10);
const optArb = fc.record({
  level: fc.constantFrom(SOL_SOCKET, IPPROTO_IP, IPPROTO_TCP, 99),
  name: fc.constantFrom(SO_REUSEADDR, SO_BROADCAST, SO_RCVBUF, SO_SNDBUF, SO_ERROR, SO_RCVTIMEO, SO_LINGER, IP_TTL, IP_TOS, IP_HDRINCL, TCP_NODELAY, 77),
  value: fc.oneof(
    fc.integer({ min: -2, max: 300 }),
    fc.record({ tv_sec: fc.integer({ min: -1, max: 2 }), tv_usec: fc.integer({ min: -1, max: 1_000_001 }) }),
    fc.record({ l_onoff: fc.integer({ min: 0, max: 1 }), l_linger: fc.integer({ min: -1, max: 5 }) }),
    junk,
  ),
});

type Op = [string, ...unknown[]];
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constant('socket'), fc.constantFrom(AF_INET, AF_INET, AF_INET6, 1), fc.constantFrom(SOCK_DGRAM, SOCK_DGRAM | SOCK_NONBLOCK, SOCK_DGRAM | SOCK_CLOEXEC, SOCK_RAW, SOCK_STREAM, 9), fc.constantFrom(0, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_TCP, 300)) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('bind'), fdArb, addrArb) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('connect'), fdArb, fc.oneof(addrArb, fc.constant(null))) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('send'), fdArb, dataArb, flagsArb) },
  { weight: 4, arbitrary: fc.tuple(fc.constant('sendto'), fdArb, dataArb, flagsArb, fc.oneof(addrArb, fc.constant(null))) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('write'), fdArb, dataArb) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('recv'), fdArb, lenArb, flagsArb) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('recvfrom'), fdArb, lenArb, flagsArb) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('read'), fdArb, lenArb) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('shutdown'), fdArb, fc.oneof(fc.integer({ min: -1, max: 3 }), junk)) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('close'), fdArb) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('setsockopt'), fdArb, optArb) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('getsockopt'), fdArb, optArb) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('getsockname'), fdArb) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('getpeername'), fdArb) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('fcntl'), fdArb, fc.constantFrom(F_GETFL, F_SETFL, F_GETFD, F_SETFD, 0, 99), fc.oneof(fc.constantFrom(0, O_NONBLOCK, 1), junk)) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('poll'), fc.oneof(fc.array(fc.oneof(fc.record({ fd: fdArb, events: fc.constantFrom(POLLIN, POLLOUT, POLLIN | POLLOUT, 0) }), junk), { maxLength: 4 }), junk), timeoutArb) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('select'), fc.oneof(fc.array(fdArb, { maxLength: 3 }), junk), fc.oneof(fc.array(fdArb, { maxLength: 3 }), junk), timeoutArb) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('epoll_create1'), fc.constantFrom(0, 0, 0o2000000, 5)) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('epoll_ctl'), fdArb, fc.oneof(fc.constantFrom(EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD), junk), fdArb, fc.oneof(fc.record({ events: fc.constantFrom(EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLET, EPOLLIN | EPOLLONESHOT, 0) }), junk)) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('epoll_wait'), fdArb, fc.oneof(fc.integer({ min: -1, max: 4 }), junk), timeoutArb) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('listen'), fdArb) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('accept'), fdArb) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('sleep'), fc.integer({ min: 0, max: 50 })) },
);

/** Invokes one random call; the result (value or promise) is returned untouched. */
function invoke(s: SocketApi, op: Op, net: Network): unknown {
  const [name, ...args] = op;
  const any = s as unknown as Record<string, (...a: unknown[]) => unknown>;
  switch (name) {
    case 'setsockopt':
    case 'getsockopt': {
      const o = args[1] as { level: number; name: number; value: unknown };
      return name === 'setsockopt' ? s.setsockopt(args[0] as number, o.level, o.name, o.value as never) : s.getsockopt(args[0] as number, o.level, o.name);
    }
    case 'sleep':
      return net.sleep(args[0] as number);
    default:
      return any[name]!.apply(s, args);
  }
}

function mustBeSocketError(e: unknown, op: Op): void {
  if (!(e instanceof SocketError)) {
    assert.fail(`${op[0]}(${op.slice(1).map((x) => (x instanceof Uint8Array ? `Uint8Array(${x.length})` : JSON.stringify(x))).join(', ')}) threw a non-SocketError: ${String(e)}`);
  }
  assert.ok(e.errno > 0 && typeof e.syscall === 'string' && e.syscall.length > 0);
}

async function udpEcho(net: Network, client: SocketApi, server: SocketApi, serverAddr: string, port: number): Promise<void> {
  const srv = server.socket(AF_INET, SOCK_DGRAM, 0);
  server.bind(srv, { address: '0.0.0.0', port });
  const c = client.socket(AF_INET, SOCK_DGRAM, 0);
  await client.sendto(c, enc('echo?'), 0, { address: serverAddr, port });
  const [d, from] = await server.recvfrom(srv, 100);
  await server.sendto(srv, d, 0, from);
  const [back] = await client.recvfrom(c, 100);
  assert.equal(dec(back), 'echo?');
  await client.close(c);
  await server.close(srv);
  void net;
}

describe('property: random API calls', () => {
  it('never throw anything but SocketError and leave the host working', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.boolean(), fc.array(opArb, { minLength: 5, maxLength: 40, size: 'max' }), async (seed, privileged, ops) => {
        const net = new Network({ seed });
        const a = net.host('a', '10.0.0.1/24');
        const b = net.host('b', '10.0.0.2/24');
        const proc = privileged ? a.sockets : a.process({ privileged: false, maxFds: 10 }).sockets;
        await net.run(async () => {
          const pending: Array<Promise<void>> = [];
          for (const op of ops) {
            let r: unknown;
            try {
              r = invoke(proc, op, net);
            } catch (e) {
              mustBeSocketError(e, op);
              continue;
            }
            if (r instanceof Promise) {
              const settled = r.then(
                () => {},
                (e: unknown) => mustBeSocketError(e, op),
              );
              pending.push(settled);
              // Let quick calls finish; blocking ones stay pending until their fd is closed.
              await Promise.race([settled, net.sleep(2)]);
            }
          }
          // Closing every descriptor wakes blocked calls (EBADF) and releases every port.
          for (let fd = 0; fd < 16; fd++) await proc.close(fd).catch((e: unknown) => mustBeSocketError(e, ['close', fd]));
          await Promise.all(pending);
          assert.equal(a.udp.endpoints().length, 0, 'no UDP endpoint left in the port table');
          assert.equal(a.raw.endpoints().length, 0, 'no raw endpoint left');
          assert.equal(proc.openSockets().length, 0);
          // The host still works both ways.
          await udpEcho(net, a.sockets, b.sockets, '10.0.0.2', 7);
          await udpEcho(net, b.sockets, a.sockets, '10.0.0.1', 7007);
        });
      }),
      { numRuns: 50, seed: 20240601 },
    );
  });
});

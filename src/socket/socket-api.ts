import { EndpointError, SocketError, type ErrnoCode } from '../stack/errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, type WaitQueue } from '../stack/events.js';
import type { IpHost } from '../stack/ip-host.js';
import type { UdpLayer } from '../udp/udp-layer.js';
import type { RawLayer } from '../raw/raw-layer.js';
import type { TcpLayer } from '../tcp/tcp-layer.js';
import { TcpState } from '../tcp/state.js';
import { URG_VALID } from '../tcp/tcp-endpoint.js';
import { streamAccept, streamClose, streamConnect, streamRecv, streamSend, streamShutdown, type StreamContext } from './stream-calls.js';
import * as C from './constants.js';
import { LINGER_OFF, OpenSocket } from './open-socket.js';
import { fromInet, toInet, type SockAddr } from './sockaddr.js';
import { sleep, timeoDeadline, BlockedCall, BlockedCalls } from './wait.js';
import { isLimitedBroadcast } from '../wire/address.js';
import { EpollInstance, type EpollEvent } from './epoll.js';
import { FdTable } from './fd-table.js';
import { getOption, setOption, type OptionValue } from './options.js';

/** What the socket API needs from its host. */
export interface Transports {
  ip: IpHost;
  udp: UdpLayer;
  raw: RawLayer;
  tcp: TcpLayer;
}

export interface PollFd {
  fd: number;
  events: number;
  revents?: number;
}

export interface ProcessOptions {
  /** Ports below 1024 and raw sockets need privilege (EACCES / EPERM without). */
  privileged: boolean;
  /** RLIMIT_NOFILE: EMFILE beyond it (Linux's usual soft limit, 1024). */
  maxFds: number;
}

type Descriptor = OpenSocket | EpollInstance;

const FIRST_FD = 3; // 0, 1 and 2 are a process's stdin, stdout and stderr

function wrap(e: unknown, syscall: string): unknown {
  if (e instanceof EndpointError) return new SocketError(e.code, syscall, e.detail);
  return e;
}

function checkData(data: unknown, syscall: string): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new SocketError('EFAULT', syscall, 'data must be a Uint8Array');
  return data;
}

const firstOf = <T>(pair: readonly [T, unknown]): T => pair[0];

function checkLength(len: unknown, syscall: string): number {
  if (typeof len !== 'number' || !Number.isInteger(len) || len < 0) throw new SocketError('EINVAL', syscall, 'length must be a non-negative integer');
  return len;
}

/**
 * The Berkeley sockets API of one process on a host. Calls keep their C names and
 * argument order; calls that block in C return Promises, the rest are synchronous.
 * Descriptors are small integers, lowest free first, starting at 3 like a Unix process.
 */
export class SocketApi {
  private readonly fds: FdTable<Descriptor>;
  readonly privileged: boolean;
  readonly maxFds: number;
  /** Calls currently blocked, for deadlock reports (`String(call)` is e.g. "recv(4)"). */
  readonly blocked = new BlockedCalls();

  private readonly stream: StreamContext;

  constructor(
    private readonly t: Transports,
    readonly name: string,
    opts: Partial<ProcessOptions> = {},
  ) {
    this.privileged = opts.privileged ?? true;
    this.maxFds = opts.maxFds ?? 1024;
    this.fds = new FdTable<Descriptor>(FIRST_FD, this.maxFds);
    this.stream = {
      tcp: t.tcp,
      sched: t.ip.scheduler,
      blocked: this.blocked,
      block: (s, mask, deadline, call, fd) => this.block(s, mask, deadline, call, fd),
    };
  }

  // ---- the process's clock -------------------------------------------------

  /** Milliseconds on the host's clock (virtual inside net.run), like clock_gettime(CLOCK_MONOTONIC). */
  now(): number {
    return this.t.ip.scheduler.now();
  }

  /** nanosleep(2) on the host's clock. */
  sleep(ms: number): Promise<void> {
    return sleep(this.t.ip.scheduler, ms);
  }

  // ---- descriptors -------------------------------------------------------

  private allocFd(d: Descriptor, syscall: string): number {
    const fd = this.fds.alloc(d);
    if (fd < 0) throw new SocketError('EMFILE', syscall);
    return fd;
  }

  private descriptor(fd: unknown, syscall: string): Descriptor {
    const d = typeof fd === 'number' ? this.fds.get(fd) : undefined;
    if (!d) throw new SocketError('EBADF', syscall);
    return d;
  }

  private sock(fd: unknown, syscall: string): OpenSocket {
    const d = this.descriptor(fd, syscall);
    if (!(d instanceof OpenSocket)) throw new SocketError('ENOTSOCK', syscall);
    return d;
  }

  /** Open descriptors with their sockets, for the socket table. */
  openSockets(): Array<[number, OpenSocket]> {
    const out: Array<[number, OpenSocket]> = [];
    for (const [fd, d] of this.fds.entries()) if (d instanceof OpenSocket) out.push([fd, d]);
    return out;
  }

  /**
   * Blocks until `s` signals something in `mask` or the absolute `deadline` passes (EAGAIN).
   * The deadline is fixed by the caller once per call, so spurious wake-ups do not restart
   * an SO_RCVTIMEO wait (Linux keeps the remaining timeo across sleeps).
   */
  private block(s: OpenSocket, mask: number, deadline: number, call: string, fd: number): Promise<unknown> {
    let timeout = -1; // none
    if (deadline !== Infinity) {
      timeout = deadline - this.t.ip.scheduler.now();
      if (timeout <= 0) return Promise.reject(new SocketError('EAGAIN', call, 'timed out'));
    }
    return new BlockedCall(this.t.ip.scheduler, s.wait, mask | POLLERR | POLLHUP | POLLNVAL, call, fd, this.blocked).waitOrFail(timeout);
  }

  /**
   * Waits on `queues` until woken or the absolute `deadline` (Infinity = forever), listed in
   * `blocked` meanwhile so a deadlock report can name the call. True when woken.
   */
  private waitBlocked(call: string, fds: number | readonly number[], queues: WaitQueue[], mask: number, deadline: number): Promise<boolean> {
    const left = deadline === Infinity ? -1 : deadline - this.t.ip.scheduler.now();
    return new BlockedCall(this.t.ip.scheduler, queues, mask, call, fds, this.blocked).wait(left);
  }

  // ---- creation and naming -----------------------------------------------

  socket(domain: number, type: number, protocol = 0): number {
    const sys = 'socket';
    const flags = type & (C.SOCK_NONBLOCK | C.SOCK_CLOEXEC);
    const base = type & ~(C.SOCK_NONBLOCK | C.SOCK_CLOEXEC);
    if (domain === C.AF_INET6) throw new SocketError('EAFNOSUPPORT', sys, 'IPv6 is not implemented yet');
    if (domain !== C.AF_INET) throw new SocketError('EAFNOSUPPORT', sys);
    let s: OpenSocket;
    if (base === C.SOCK_DGRAM) {
      if (protocol !== 0 && protocol !== C.IPPROTO_UDP) throw new SocketError('EPROTONOSUPPORT', sys);
      s = new OpenSocket(domain, base, C.IPPROTO_UDP, { kind: 'udp', ep: this.t.udp.create() });
    } else if (base === C.SOCK_RAW) {
      // inet_create looks the protocol up before it checks CAP_NET_RAW.
      if (!Number.isInteger(protocol) || protocol <= 0 || protocol > 255) throw new SocketError('EPROTONOSUPPORT', sys);
      if (!this.privileged) throw new SocketError('EPERM', sys, 'raw sockets need CAP_NET_RAW');
      s = new OpenSocket(domain, base, protocol, { kind: 'raw', ep: this.t.raw.open(protocol) });
    } else if (base === C.SOCK_STREAM) {
      if (protocol !== 0 && protocol !== C.IPPROTO_TCP) throw new SocketError('EPROTONOSUPPORT', sys);
      s = new OpenSocket(domain, base, C.IPPROTO_TCP, { kind: 'tcp', ep: this.t.tcp.create() });
    } else if (base === C.SOCK_SEQPACKET) {
      throw new SocketError('ESOCKTNOSUPPORT', sys);
    } else {
      throw new SocketError('EINVAL', sys, `unknown socket type ${type}`);
    }
    s.nonblocking = (flags & C.SOCK_NONBLOCK) !== 0;
    s.cloexec = (flags & C.SOCK_CLOEXEC) !== 0;
    try {
      return this.allocFd(s, sys);
    } catch (e) {
      this.release(s);
      throw e;
    }
  }

  bind(fd: number, addr: SockAddr): void {
    const sys = 'bind';
    const s = this.sock(fd, sys);
    const a = toInet(addr, sys);
    try {
      const e = s.endpoint;
      if (e.kind === 'udp') this.t.udp.bind(e.ep, a.addr, a.port, this.privileged);
      else if (e.kind === 'tcp') this.t.tcp.bind(e.ep, a.addr, a.port, this.privileged);
      else this.t.raw.bind(e.ep, a.addr);
    } catch (err) {
      throw wrap(err, sys);
    }
  }

  /** listen(2): EOPNOTSUPP on datagram sockets; on TCP the backlog bounds the accept queue. */
  listen(fd: number, backlog = 128): void {
    const sys = 'listen';
    const s = this.sock(fd, sys);
    const e = s.endpoint;
    if (e.kind !== 'tcp') throw new SocketError('EOPNOTSUPP', sys, 'not a stream socket');
    if (typeof backlog !== 'number' || !Number.isFinite(backlog)) throw new SocketError('EINVAL', sys, 'backlog must be a number');
    try {
      this.t.tcp.listen(e.ep, backlog);
    } catch (err) {
      throw wrap(err, sys);
    }
  }

  /**
   * accept(2) / accept4(2): a new descriptor for the next connection and the peer's address.
   * `flags` may hold SOCK_NONBLOCK and SOCK_CLOEXEC; the new socket does not inherit O_NONBLOCK.
   */
  async accept(fd: number, flags = 0): Promise<[number, SockAddr]> {
    const sys = 'accept';
    const s = this.sock(fd, sys);
    if (s.endpoint.kind !== 'tcp') throw new SocketError('EOPNOTSUPP', sys, 'not a stream socket');
    if (flags & ~(C.SOCK_NONBLOCK | C.SOCK_CLOEXEC)) throw new SocketError('EINVAL', sys);
    if (!this.fds.hasRoom()) throw new SocketError('EMFILE', sys);
    const c = await streamAccept(this.stream, s, fd);
    const ns = new OpenSocket(s.domain, s.type, s.protocol, { kind: 'tcp', ep: c });
    ns.nonblocking = (flags & C.SOCK_NONBLOCK) !== 0;
    ns.cloexec = (flags & C.SOCK_CLOEXEC) !== 0;
    ns.keepalive = s.keepalive;
    if (s.linger !== LINGER_OFF) ns.linger = s.linger; // immutable: shared
    let nfd: number;
    try {
      nfd = this.allocFd(ns, sys);
    } catch (err) {
      this.t.tcp.abort(c);
      this.t.tcp.close(c, true);
      throw err;
    }
    return [nfd, fromInet(c.remoteAddr, c.remotePort)];
  }

  /** connect(2). On a datagram socket it sets the default peer; `null` (AF_UNSPEC) dissolves it. */
  async connect(fd: number, addr: SockAddr | null): Promise<void> {
    const sys = 'connect';
    const s = this.sock(fd, sys);
    const e = s.endpoint;
    if (e.kind === 'tcp') return streamConnect(this.stream, s, fd, addr === null ? null : toInet(addr, sys));
    try {
      if (addr === null) {
        if (e.kind === 'udp') this.t.udp.disconnect(e.ep);
        else e.ep.remoteAddr = 0;
        return;
      }
      const a = toInet(addr, sys);
      if (e.kind === 'udp') this.t.udp.connect(e.ep, a.addr, a.port);
      else {
        // Raw sockets connect through ip4_datagram_connect too: route, then the broadcast check.
        const route = this.t.ip.routeTo(a.addr);
        if (!route) throw new EndpointError('ENETUNREACH');
        if ((route.broadcast || isLimitedBroadcast(a.addr)) && !e.ep.broadcast) throw new EndpointError('EACCES', 'broadcast without SO_BROADCAST');
        e.ep.remoteAddr = a.addr;
      }
    } catch (err) {
      throw wrap(err, sys);
    }
  }

  getsockname(fd: number): SockAddr {
    const s = this.sock(fd, 'getsockname');
    const e = s.endpoint;
    if (e.kind === 'udp' || e.kind === 'tcp') return fromInet(e.ep.localAddr, e.ep.localPort);
    return fromInet(e.ep.localAddr, 0);
  }

  getpeername(fd: number): SockAddr {
    const s = this.sock(fd, 'getpeername');
    const e = s.endpoint;
    if (e.kind === 'tcp') {
      // Linux inet_getname: no peer before the SYN-ACK, nor once closed.
      const st = e.ep.state;
      if (e.ep.remotePort === 0 || st === TcpState.CLOSED || st === TcpState.SYN_SENT || st === TcpState.LISTEN) throw new SocketError('ENOTCONN', 'getpeername');
      return fromInet(e.ep.remoteAddr, e.ep.remotePort);
    }
    if (e.kind === 'udp') {
      if (!e.ep.connected) throw new SocketError('ENOTCONN', 'getpeername');
      return fromInet(e.ep.remoteAddr, e.ep.remotePort);
    }
    if (e.ep.remoteAddr === 0) throw new SocketError('ENOTCONN', 'getpeername');
    return fromInet(e.ep.remoteAddr, 0);
  }

  // ---- data ----------------------------------------------------------------

  send(fd: number, data: Uint8Array, flags = 0): Promise<number> {
    return this.doSend('send', fd, data, flags, null);
  }

  sendto(fd: number, data: Uint8Array, flags: number, addr: SockAddr | null): Promise<number> {
    return this.doSend('sendto', fd, data, flags, addr);
  }

  write(fd: number, data: Uint8Array): Promise<number> {
    return this.doSend('write', fd, data, 0, null);
  }

  /** Not async itself (one async frame fewer per stream send); every error is still a rejection. */
  private doSend(sys: string, fd: number, data: Uint8Array, flags: number, addr: SockAddr | null): Promise<number> {
    let s: OpenSocket;
    try {
      s = this.sock(fd, sys);
      if (s.endpoint.kind === 'tcp') {
        checkData(data, sys);
        // tcp_sendmsg ignores a destination address on a stream socket.
        return streamSend(this.stream, s, fd, sys, data, flags);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return this.sendDatagram(s, sys, data, flags, addr);
  }

  private async sendDatagram(s: OpenSocket, sys: string, data: Uint8Array, flags: number, addr: SockAddr | null): Promise<number> {
    // udp_sendmsg / raw_sendmsg: "Mirror BSD error message compatibility".
    if ((flags & C.MSG_OOB) !== 0) throw new SocketError('EOPNOTSUPP', sys, 'MSG_OOB on a datagram socket');
    checkData(data, sys);
    const dst = addr ? toInet(addr, sys) : null;
    const e = s.endpoint as Exclude<typeof s.endpoint, { kind: 'tcp' }>;
    // A datagram looped back is delivered before the call returns (IpHost.beginSend).
    this.t.ip.beginSend();
    try {
      // Datagrams go straight to the link: a UDP or raw send never waits for buffer space here.
      if (e.kind === 'udp') return this.t.udp.sendto(e.ep, data, dst);
      return this.t.raw.sendto(e.ep, data, dst ? dst.addr : null);
    } catch (err) {
      throw wrap(err, sys);
    } finally {
      this.t.ip.endSend();
    }
  }

  /**
   * recv(2). Given a length, resolves to a new array of what arrived; given a buffer, the bytes
   * land in it, as C's recv(fd, buf, len, flags), and it resolves to the view of it filled
   * (the buffer itself when filled whole: no allocation per call). Either way, length 0 means orderly EOF. read and recvfrom alike.
   */
  recv(fd: number, length: number | Uint8Array, flags = 0): Promise<Uint8Array> {
    return this.recvData('recv', fd, length, flags);
  }

  read(fd: number, length: number | Uint8Array): Promise<Uint8Array> {
    return this.recvData('read', fd, length, 0);
  }

  /**
   * recv and read. Not async itself (one async frame fewer per stream receive); every error is
   * still a rejection. The stream path builds no source address (there is nowhere to put it).
   */
  private recvData(sys: string, fd: number, length: number | Uint8Array, flags: number): Promise<Uint8Array> {
    try {
      const s = this.sock(fd, sys);
      const into = length instanceof Uint8Array ? length : null;
      const len = into !== null ? into.length : checkLength(length, sys);
      if (s.endpoint.kind === 'tcp') return streamRecv(this.stream, s, fd, sys, len, flags, into);
      return this.recvDatagram(s, sys, fd, len, flags, into).then(firstOf);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async recvfrom(fd: number, length: number | Uint8Array, flags = 0): Promise<[Uint8Array, SockAddr]> {
    const s = this.sock(fd, 'recvfrom');
    const into = length instanceof Uint8Array ? length : null;
    const len = into !== null ? into.length : checkLength(length, 'recvfrom');
    if (s.endpoint.kind !== 'tcp') return await this.recvDatagram(s, 'recvfrom', fd, len, flags, into);
    const ep = s.endpoint.ep;
    const data = await streamRecv(this.stream, s, fd, 'recvfrom', len, flags, into);
    return [data, fromInet(ep.remoteAddr, ep.remotePort)];
  }

  private async recvDatagram(s: OpenSocket, sys: string, fd: number, length: number, flags: number, into: Uint8Array | null): Promise<[Uint8Array, SockAddr]> {
    if ((flags & C.MSG_OOB) !== 0) throw new SocketError('EINVAL', sys, 'MSG_OOB on a datagram socket');
    const peek = (flags & C.MSG_PEEK) !== 0;
    const dontwait = s.nonblocking || (flags & C.MSG_DONTWAIT) !== 0 || s.rcvTimeoMs < 0;
    const udp = s.endpoint.kind === 'udp';
    const deadline = timeoDeadline(this.t.ip.scheduler, s.rcvTimeoMs);
    const dgram = s.endpoint as Exclude<typeof s.endpoint, { kind: 'tcp' }>;
    for (;;) {
      if (s.closed) throw new SocketError('EBADF', sys);
      const ep = dgram.ep;
      // A pending error (sk_err) is reported before queued data on UDP (Linux __skb_recv_udp
      // checks sock_error first), after it on raw sockets (__skb_recv_datagram).
      if (udp && ep.pendingError) throw new SocketError(this.takeError(s), sys);
      const item = peek ? ep.queue.peek() : ep.queue.shift();
      if (item) {
        // A datagram longer than `length` is truncated; the rest is discarded (MSG_TRUNC semantics).
        const data = item.data.length > length ? item.data.subarray(0, length) : item.data;
        const from = udp ? fromInet(item.meta.addr, item.meta.port) : fromInet(item.meta.addr, 0);
        if (into !== null) {
          into.set(data);
          return [into.subarray(0, data.length), from];
        }
        return [peek ? data.slice() : data, from];
      }
      if (ep.pendingError) throw new SocketError(this.takeError(s), sys);
      // EOF once the queue is empty after SHUT_RD (__skb_wait_for_more_packets: RCV_SHUTDOWN).
      if (ep.shutRead) return [new Uint8Array(0), fromInet(0, 0)];
      if (dontwait) throw new SocketError('EAGAIN', sys);
      await this.block(s, POLLIN, deadline, sys, fd);
    }
  }

  private takeError(s: OpenSocket): ErrnoCode {
    const ep = s.endpoint.ep;
    const err = ep.pendingError!;
    ep.pendingError = null;
    return err;
  }

  // ---- teardown ------------------------------------------------------------

  shutdown(fd: number, how: number): void {
    const sys = 'shutdown';
    const s = this.sock(fd, sys);
    if (how !== C.SHUT_RD && how !== C.SHUT_WR && how !== C.SHUT_RDWR) throw new SocketError('EINVAL', sys);
    if (s.endpoint.kind === 'tcp') {
      streamShutdown(this.stream, s, how);
      return;
    }
    const ep = s.endpoint.ep;
    // Linux inet_shutdown sets the flags even on an unconnected socket, then says ENOTCONN.
    if (how !== C.SHUT_WR) ep.shutRead = true;
    if (how !== C.SHUT_RD) ep.shutWrite = true;
    ep.wait.notify(POLLIN | POLLOUT | POLLHUP);
    const connected = s.endpoint.kind === 'udp' ? s.endpoint.ep.connected : s.endpoint.ep.remoteAddr !== 0;
    if (!connected) throw new SocketError('ENOTCONN', sys);
  }

  async close(fd: number): Promise<void> {
    const d = this.descriptor(fd, 'close');
    this.fds.release(fd);
    if (d instanceof EpollInstance) {
      d.close();
      return;
    }
    if (d.endpoint.kind === 'tcp') {
      d.closed = true;
      d.wait.notify(POLLNVAL | POLLIN | POLLOUT | POLLERR | POLLHUP);
      await streamClose(this.stream, d, fd);
      return;
    }
    this.release(d);
  }

  private release(s: OpenSocket): void {
    s.closed = true;
    const e = s.endpoint;
    if (e.kind === 'udp') this.t.udp.close(e.ep);
    else if (e.kind === 'tcp') this.t.tcp.close(e.ep, true);
    else this.t.raw.close(e.ep);
    // Blocked calls on this socket wake up and fail with EBADF.
    e.ep.wait.notify(POLLNVAL | POLLIN | POLLOUT | POLLERR | POLLHUP);
  }

  // ---- options and modes ---------------------------------------------------

  setsockopt(fd: number, level: number, name: number, value: OptionValue): void {
    const s = this.sock(fd, 'setsockopt');
    setOption(s, level, name, value, this.t);
  }

  getsockopt(fd: number, level: number, name: number): OptionValue {
    const s = this.sock(fd, 'getsockopt');
    return getOption(s, level, name, this.t);
  }

  fcntl(fd: number, cmd: number, arg = 0): number {
    const sys = 'fcntl';
    const d = this.descriptor(fd, sys);
    switch (cmd) {
      case C.F_GETFL:
        return C.O_RDWR | (d instanceof OpenSocket && d.nonblocking ? C.O_NONBLOCK : 0);
      case C.F_SETFL:
        if (d instanceof OpenSocket) d.nonblocking = (arg & C.O_NONBLOCK) !== 0;
        return 0;
      case C.F_GETFD:
        return d.cloexec ? C.FD_CLOEXEC : 0;
      case C.F_SETFD:
        d.cloexec = (arg & C.FD_CLOEXEC) !== 0;
        return 0;
      default:
        throw new SocketError('EINVAL', sys, `unsupported command ${cmd}`);
    }
  }

  /**
   * ioctl(2) on a socket: SIOCINQ/FIONREAD, SIOCOUTQ, SIOCOUTQNSD and SIOCATMARK return their
   * count (Linux tcp_ioctl / udp_ioctl); FIONBIO sets O_NONBLOCK from `arg`. Others: ENOTTY.
   */
  ioctl(fd: number, request: number, arg = 0): number {
    const sys = 'ioctl';
    const d = this.descriptor(fd, sys);
    if (!(d instanceof OpenSocket)) throw new SocketError('ENOTTY', sys);
    if (request === C.FIONBIO) {
      d.nonblocking = arg !== 0;
      return 0;
    }
    const e = d.endpoint;
    if (e.kind === 'tcp') {
      const ep = e.ep;
      const st = ep.state;
      if (request !== C.SIOCATMARK && st === TcpState.LISTEN) throw new SocketError('EINVAL', sys);
      const opening = st === TcpState.SYN_SENT || st === TcpState.SYN_RECEIVED;
      switch (request) {
        case C.SIOCINQ:
          return opening ? 0 : ep.recvBuf.length;
        case C.SIOCOUTQ:
          return opening ? 0 : Math.max(0, ep.sendBuf.length - ((ep.sndUna - ep.sndBufSeq) | 0));
        case C.SIOCOUTQNSD:
          return opening ? 0 : Math.max(0, ep.unsent);
        case C.SIOCATMARK:
          return ep.urgState === URG_VALID && ep.urgInBuffer() && ep.urgSeq === ep.readSeq ? 1 : 0;
      }
    } else if (e.kind === 'udp') {
      if (request === C.SIOCINQ) return e.ep.queue.peek()?.data.length ?? 0;
      if (request === C.SIOCOUTQ) return 0; // datagrams leave at once: nothing waits in a send queue
    }
    throw new SocketError('ENOTTY', sys, `unsupported request 0x${request.toString(16)}`);
  }

  // ---- readiness -----------------------------------------------------------

  private revents(p: PollFd): number {
    if (typeof p.fd === 'number' && p.fd < 0) return 0; // poll(2): negative fds are ignored
    const d = typeof p.fd === 'number' ? this.fds.get(p.fd) : undefined;
    if (!d) return POLLNVAL;
    // POLLERR and POLLHUP are always reported, asked for or not.
    return d.readiness() & (p.events | POLLERR | POLLHUP);
  }

  /** poll(2): resolves with the same entries, `revents` filled in. timeout -1 waits forever. */
  async poll(fds: PollFd[], timeout: number): Promise<PollFd[]> {
    if (!Array.isArray(fds)) throw new SocketError('EFAULT', 'poll');
    if (fds.length > this.maxFds) throw new SocketError('EINVAL', 'poll', 'more entries than RLIMIT_NOFILE');
    // Each entry is a struct pollfd the kernel writes revents into: anything else is a bad address.
    for (const p of fds) if (typeof p !== 'object' || p === null || !Object.isExtensible(p)) throw new SocketError('EFAULT', 'poll', 'entries must be { fd, events }');
    const deadline = timeout >= 0 ? this.t.ip.scheduler.now() + timeout : Infinity;
    for (;;) {
      let ready = 0;
      for (const p of fds) {
        p.revents = this.revents(p);
        if (p.revents) ready++;
      }
      const left = deadline - this.t.ip.scheduler.now();
      if (ready > 0 || left <= 0) return fds;
      const queues = [];
      for (const p of fds) {
        const d = typeof p.fd === 'number' && p.fd >= 0 ? this.fds.get(p.fd) : undefined;
        if (d) queues.push(d.wait);
      }
      await this.waitBlocked('poll', fds.map((p) => p.fd), queues, 0xffffffff, deadline);
    }
  }

  /**
   * select(2) over fd lists: resolves to [readable, writable, exceptional].
   * timeout in ms; null or negative waits forever.
   */
  async select(
    readfds: number[] | null,
    writefds: number[] | null,
    exceptfds: number[] | null,
    timeout: number | null,
  ): Promise<[number[], number[], number[]]> {
    // A null set is an empty one, as a NULL fd_set pointer in C; anything else is a bad address.
    const set = (v: unknown): number[] => {
      if (v === null || v === undefined) return [];
      if (!Array.isArray(v)) throw new SocketError('EFAULT', 'select', 'fd sets must be arrays of descriptors');
      return v as number[];
    };
    readfds = set(readfds);
    writefds = set(writefds);
    exceptfds = set(exceptfds);
    const all = new Map<number, number>();
    for (const fd of readfds) all.set(fd, (all.get(fd) ?? 0) | POLLIN);
    for (const fd of writefds) all.set(fd, (all.get(fd) ?? 0) | POLLOUT);
    for (const fd of exceptfds) all.set(fd, (all.get(fd) ?? 0) | C.POLLPRI);
    for (const fd of all.keys()) this.descriptor(fd, 'select'); // EBADF up front, as select(2) does
    const res = await this.poll([...all].map(([fd, events]) => ({ fd, events })), timeout === null || timeout < 0 ? -1 : timeout);
    const r: number[] = [];
    const w: number[] = [];
    const x: number[] = [];
    for (const p of res) {
      const ev = p.revents ?? 0;
      // select reports errors and hang-ups as readable (and writable when asked).
      if (readfds.includes(p.fd) && ev & (POLLIN | POLLERR | POLLHUP)) r.push(p.fd);
      if (writefds.includes(p.fd) && ev & (POLLOUT | POLLERR)) w.push(p.fd);
      if (exceptfds.includes(p.fd) && ev & C.POLLPRI) x.push(p.fd);
    }
    return [r, w, x];
  }

  epoll_create1(flags = 0): number {
    if (flags & ~C.EPOLL_CLOEXEC) throw new SocketError('EINVAL', 'epoll_create1');
    const ep = new EpollInstance();
    ep.cloexec = (flags & C.EPOLL_CLOEXEC) !== 0;
    return this.allocFd(ep, 'epoll_create1');
  }

  epoll_ctl(epfd: number, op: number, fd: number, event?: EpollEvent): void {
    const sys = 'epoll_ctl';
    // Linux do_epoll_ctl: EBADF for either descriptor before EINVAL for the wrong kind.
    const ep = this.descriptor(epfd, sys);
    const target = this.descriptor(fd, sys);
    if (!(ep instanceof EpollInstance)) throw new SocketError('EINVAL', sys, 'not an epoll descriptor');
    if (target === ep) throw new SocketError('EINVAL', sys, 'an epoll instance cannot watch itself');
    if (target instanceof EpollInstance) throw new SocketError('EPERM', sys, 'nested epoll is not supported');
    const code: ErrnoCode | null = ep.ctl(op, fd, target, event);
    if (code) throw new SocketError(code, sys);
  }

  async epoll_wait(epfd: number, maxevents: number, timeout: number): Promise<EpollEvent[]> {
    const sys = 'epoll_wait';
    const ep = this.descriptor(epfd, sys);
    if (!(ep instanceof EpollInstance)) throw new SocketError('EINVAL', sys);
    if (!Number.isInteger(maxevents) || maxevents <= 0) throw new SocketError('EINVAL', sys);
    const deadline = timeout >= 0 ? this.t.ip.scheduler.now() + timeout : Infinity;
    for (;;) {
      const out = ep.harvest(maxevents);
      const left = deadline - this.t.ip.scheduler.now();
      if (out.length || left <= 0) return out;
      await this.waitBlocked('epoll_wait', epfd, [ep.wait], 0xffffffff, deadline);
    }
  }
}

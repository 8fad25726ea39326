/**
 * Syscall lines onto sockstack's Berkeley API (packetdrill's run_system_call.c): arguments
 * are evaluated (symbols, `|`, htons, inet_addr, `[int]`, structs), the call is made on
 * `host.sockets`, and its outcome is compared with the line's `= value` / `= -1 ERRNO`.
 *
 * Descriptors are literal: sockstack's first descriptor is 3, like a Unix process's, so a
 * script's `socket(...) = 3` names fd 3 directly. `...` as an address means the script's
 * context: bind() to the local address and --bind_port, connect() to the remote address and
 * --connect_port. Buffers are `...` (filler bytes; read() checks only the count). Anything the
 * runner cannot map is reported as unsupported, never guessed.
 */
import type { Expr, SyscallEvent } from './ast.js';
import type { SocketApi, PollFd } from '../socket/socket-api.js';
import type { SockAddr } from '../socket/sockaddr.js';
import type { EpollEvent } from '../socket/epoll.js';
import type { OptionValue } from '../socket/options.js';
import { SocketError } from '../stack/errno.js';
import * as C from '../socket/constants.js';
import { TcpState } from '../tcp/state.js';
import { utf8Encode } from '../apps/utf8.js';

/** A line the runner cannot honour. */
export class Unsupported extends Error {}

/** `...` */
const ANY: unique symbol = Symbol('...');
/** `&name`: an out-parameter (a class, so that it never looks like a struct). */
class Ref {
  constructor(readonly name: string) {}
}
type Struct = { [field: string]: Val };
type Val = number | string | typeof ANY | Val[] | Struct | Ref;

/** Symbolic constants a script may use: sockstack's Linux values, plus aliases and TCP states. */
const SYMBOLS: Map<string, number> = (() => {
  const m = new Map<string, number>();
  for (const [k, v] of Object.entries(C)) if (typeof v === 'number') m.set(k, v);
  const tcpStates: Record<string, number> = {
    TCP_ESTABLISHED: TcpState.ESTABLISHED, TCP_SYN_SENT: TcpState.SYN_SENT, TCP_SYN_RECV: TcpState.SYN_RECEIVED,
    TCP_FIN_WAIT1: TcpState.FIN_WAIT_1, TCP_FIN_WAIT2: TcpState.FIN_WAIT_2, TCP_TIME_WAIT: TcpState.TIME_WAIT,
    TCP_CLOSE: TcpState.CLOSED, TCP_CLOSE_WAIT: TcpState.CLOSE_WAIT, TCP_LAST_ACK: TcpState.LAST_ACK,
    TCP_LISTEN: TcpState.LISTEN, TCP_CLOSING: TcpState.CLOSING,
  };
  for (const [k, v] of Object.entries(tcpStates)) m.set(k, v);
  m.set('NULL', 0);
  return m;
})();

/** errno spellings that name the same Linux value. */
const ERRNO_ALIASES: Record<string, string> = { EWOULDBLOCK: 'EAGAIN', ENOTSUP: 'EOPNOTSUPP', EDEADLOCK: 'EDEADLK' };
export const normErrno = (e: string): string => ERRNO_ALIASES[e] ?? e;

function evaluate(e: Expr): Val {
  switch (e.kind) {
    case 'int': return e.value;
    case 'string': return e.value;
    case 'ellipsis': return ANY;
    case 'symbol': {
      const v = SYMBOLS.get(e.name);
      if (v === undefined) throw new Unsupported(`unknown or unsupported symbol ${e.name}`);
      return v;
    }
    case 'or': {
      let v = 0;
      for (const o of e.operands) v |= num(evaluate(o), 'an operand of |');
      return v >>> 0;
    }
    case 'binary': {
      const l = num(evaluate(e.left), `the left side of ${e.op}`);
      const r = num(evaluate(e.right), `the right side of ${e.op}`);
      return e.op === '+' ? l + r : l - r;
    }
    case 'array': return e.items.map(evaluate);
    case 'struct': {
      const o: Struct = {};
      for (const f of e.fields) o[f.name.replace(/^\./, '')] = evaluate(f.value);
      return o;
    }
    case 'addressOf': return new Ref(e.name);
    case 'call': {
      const args = e.args.map(evaluate);
      switch (e.name) {
        case 'htons': case 'htonl': case 'ntohs': case 'ntohl': return num(args[0], `${e.name}()`);
        case 'inet_addr': case 'inet_pton': {
          const a = args[args.length - 1];
          if (typeof a !== 'string') throw new Unsupported(`${e.name}() needs a string`);
          return a;
        }
        case 'sizeof': return 0; // sizes are never needed: the API takes objects
        default: throw new Unsupported(`${e.name}() in an argument`);
      }
    }
  }
}

function num(v: Val | undefined, what: string): number {
  if (typeof v !== 'number') throw new Unsupported(`${what} must be a number`);
  return v;
}

const isAny = (v: Val | undefined): boolean => v === ANY || v === undefined;
const isRef = (v: Val | undefined): v is Ref => v instanceof Ref;
const isStruct = (v: Val | undefined): v is Struct => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Ref);

/** What the runner's context supplies to calls. */
export interface SyscallContext {
  api: SocketApi;
  localAddress: string;
  remoteAddress: string;
  bindPort: number;
  connectPort: number;
  /** Told when a socket starts listening on `port`. */
  onListen(port: number): void;
  /** Told when connect() starts toward `address:port`. */
  onConnect(address: string, port: number): void;
}

/** What a call did: its return value, or the errno it failed with; plus out-parameter mismatches. */
export type Outcome =
  | { ret: number; mismatch?: string }
  | { errno: string; detail: string }
  | { thrown: string };

const fd = (v: Val | undefined, what = 'the descriptor'): number => num(v, what);

function sockaddr(v: Val | undefined, dflt: SockAddr, what: string): SockAddr {
  if (isAny(v) || isRef(v)) return dflt;
  if (!isStruct(v)) throw new Unsupported(`${what}: an address must be ... or {sa_family, sin_port, sin_addr}`);
  const fam = v['sa_family'] ?? v['sin_family'];
  if (fam !== undefined && fam !== C.AF_INET && fam !== ANY) throw new Unsupported(`${what}: only AF_INET addresses`);
  const port = v['sin_port'];
  const addr = v['sin_addr'];
  return {
    port: port === undefined || port === ANY ? dflt.port : num(port, 'sin_port'),
    address: addr === undefined || addr === ANY ? dflt.address : typeof addr === 'string' ? addr : ipFromNumber(num(addr, 'sin_addr')),
  };
}

/** `sin_addr=0` style numbers (INADDR_ANY) in network order as written. */
function ipFromNumber(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Filler for writes: the string the script gave (cut or zero-padded to n), else zeros. */
function payload(buf: Val | undefined, n: number): Uint8Array {
  const out = new Uint8Array(n);
  if (typeof buf === 'string') out.set(utf8Encode(buf).subarray(0, n));
  return out;
}

/** An int socket-option value: `[1]`, `1`, `{l_onoff=…}` or `{tv_sec=…}` objects. */
function optionValue(v: Val | undefined): OptionValue {
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return v[0];
  if (typeof v === 'number') return v;
  if (isStruct(v)) {
    if ('l_onoff' in v) return { l_onoff: num(v['l_onoff'], 'l_onoff'), l_linger: num(v['l_linger'], 'l_linger') };
    if ('tv_sec' in v) return { tv_sec: num(v['tv_sec'], 'tv_sec'), tv_usec: num(v['tv_usec'] ?? 0, 'tv_usec') };
  }
  throw new Unsupported('this socket option value (only [int], {l_onoff, l_linger} and {tv_sec, tv_usec})');
}

/** Compares a getsockopt result with the script's `[v]` or `{field=v}`; a mismatch or null. */
function compareOption(expected: Val | undefined, got: OptionValue): string | null {
  if (isAny(expected) || isRef(expected)) return null;
  const want = Array.isArray(expected) && expected.length === 1 ? expected[0] : expected;
  if (typeof want === 'number') {
    const g = typeof got === 'boolean' ? (got ? 1 : 0) : got;
    return g === want ? null : `option value: expected ${want} vs actual ${JSON.stringify(g)}`;
  }
  if (isStruct(want) && typeof got === 'object') {
    const g = got as unknown as Record<string, unknown>;
    for (const [k, w] of Object.entries(want)) {
      if (w === ANY) continue;
      if (!(k in g)) throw new Unsupported(`getsockopt field ${k}`);
      if (g[k] !== w) return `${k}: expected ${String(w)} vs actual ${String(g[k])}`;
    }
    return null;
  }
  throw new Unsupported('this getsockopt value form');
}

async function pollCall(api: SocketApi, a: Val[]): Promise<Outcome> {
  const list = a[0];
  if (!Array.isArray(list)) throw new Unsupported('poll() needs an array of {fd, events, revents}');
  const entries = list.map((e): { fd: number; events: number; revents: Val | undefined } => {
    if (!isStruct(e)) throw new Unsupported('poll() entries must be structs');
    return { fd: num(e['fd'], 'pollfd.fd'), events: num(e['events'] ?? 0, 'pollfd.events'), revents: e['revents'] };
  });
  const fds: PollFd[] = entries.map((e) => ({ fd: e.fd, events: e.events }));
  const res = await api.poll(fds, num(a[2], 'the poll timeout'));
  let ready = 0;
  let mismatch: string | undefined;
  res.forEach((p, i) => {
    if (p.revents) ready++;
    const want = entries[i]!.revents;
    if (want !== undefined && want !== ANY && num(want, 'revents') !== (p.revents ?? 0) && !mismatch) {
      mismatch = `revents of fd ${p.fd}: expected 0x${num(want, 'revents').toString(16)} vs actual 0x${(p.revents ?? 0).toString(16)}`;
    }
  });
  return mismatch ? { ret: ready, mismatch } : { ret: ready };
}

function epollEvent(v: Val | undefined, target: number): EpollEvent | undefined {
  if (isAny(v)) return undefined;
  if (!isStruct(v)) throw new Unsupported('epoll_event must be {events, fd|u32|u64}');
  const data = v['fd'] ?? v['u32'] ?? v['u64'] ?? v['ptr'];
  return { events: num(v['events'], 'epoll_event.events'), data: data === undefined || data === ANY ? target : num(data, 'epoll_event data') };
}

async function epollWaitCall(api: SocketApi, a: Val[]): Promise<Outcome> {
  const res = await api.epoll_wait(fd(a[0]), num(a[2], 'maxevents'), num(a[3], 'the epoll_wait timeout'));
  const want: Val[] = isAny(a[1]) ? [] : Array.isArray(a[1]) ? a[1] : [a[1]!];
  for (let i = 0; i < Math.min(want.length, res.length); i++) {
    const w = want[i];
    if (!isStruct(w)) throw new Unsupported('epoll_wait events must be {events, fd}');
    const g = res[i]!;
    if (w['events'] !== undefined && w['events'] !== ANY && num(w['events'], 'events') !== g.events) {
      return { ret: res.length, mismatch: `event ${i}: expected events 0x${num(w['events'], 'events').toString(16)} vs actual 0x${g.events.toString(16)}` };
    }
    const data = w['fd'] ?? w['u32'] ?? w['u64'];
    if (data !== undefined && data !== ANY && data !== g.data) return { ret: res.length, mismatch: `event ${i}: expected data ${String(data)} vs actual ${String(g.data)}` };
  }
  return { ret: res.length };
}

/** The bytes an iovec array describes: `[{iov_base=..., iov_len=1000}, …]`. */
function iovLength(v: Val | undefined, what: string): number {
  if (!Array.isArray(v)) throw new Unsupported(`${what} must be an array of {iov_base, iov_len}`);
  let n = 0;
  for (const e of v) {
    if (!isStruct(e)) throw new Unsupported(`${what} entries must be {iov_base, iov_len}`);
    n += num(e['iov_len'], 'iov_len');
  }
  return n;
}

/** A msghdr: `{msg_name(...)=..., msg_iov(1)=[{...}], msg_flags=0}` (the parser splits name(N) into two fields). */
function msghdr(v: Val | undefined, what: string): { len: number; name: Val | undefined } {
  if (!isStruct(v)) throw new Unsupported(`${what} needs a msghdr struct`);
  for (const k of Object.keys(v)) {
    if (k === 'msg_control' || k === 'msg_controllen') {
      if (!isAny(v[k]) && v[k] !== 0) throw new Unsupported(`${what} with ancillary data (msg_control)`);
    }
  }
  return { len: iovLength(v['msg_iov'], `${what} msg_iov`), name: v['msg_name'] };
}

/** The ioctl out-value `[N]` a script expects, compared with what sockstack returned. */
function ioctlOutcome(expected: Val | undefined, got: number): number | Outcome {
  if (isAny(expected) || isRef(expected)) return 0;
  const want = Array.isArray(expected) && expected.length === 1 ? expected[0] : expected;
  if (typeof want !== 'number') throw new Unsupported('this ioctl argument form (only [int])');
  return want === got ? 0 : { ret: 0, mismatch: `ioctl value: expected ${want} vs actual ${got}` };
}

type Handler = (a: Val[], cx: SyscallContext) => number | Outcome | Promise<number | Outcome>;

const HANDLERS: Record<string, Handler> = {
  socket: (a, cx) => cx.api.socket(isAny(a[0]) ? C.AF_INET : num(a[0], 'domain'), num(a[1], 'type'), isAny(a[2]) ? 0 : num(a[2], 'protocol')),
  bind: (a, cx) => {
    cx.api.bind(fd(a[0]), sockaddr(a[1], { address: cx.localAddress, port: cx.bindPort }, 'bind'));
    return 0;
  },
  listen: (a, cx) => {
    cx.api.listen(fd(a[0]), num(a[1], 'backlog'));
    cx.onListen(cx.api.getsockname(fd(a[0])).port);
    return 0;
  },
  accept: async (a, cx) => (await cx.api.accept(fd(a[0])))[0],
  accept4: async (a, cx) => (await cx.api.accept(fd(a[0]), isAny(a[3]) ? 0 : num(a[3], 'flags')))[0],
  connect: async (a, cx) => {
    const to = sockaddr(a[1], { address: cx.remoteAddress, port: cx.connectPort }, 'connect');
    cx.onConnect(to.address, to.port);
    await cx.api.connect(fd(a[0]), to);
    return 0;
  },
  read: async (a, cx) => (await cx.api.read(fd(a[0]), num(a[2], 'the length'))).length,
  recv: async (a, cx) => (await cx.api.recv(fd(a[0]), num(a[2], 'the length'), isAny(a[3]) ? 0 : num(a[3], 'flags'))).length,
  recvfrom: async (a, cx) => (await cx.api.recvfrom(fd(a[0]), num(a[2], 'the length'), isAny(a[3]) ? 0 : num(a[3], 'flags')))[0].length,
  write: (a, cx) => cx.api.write(fd(a[0]), payload(a[1], num(a[2], 'the length'))),
  send: (a, cx) => cx.api.send(fd(a[0]), payload(a[1], num(a[2], 'the length')), isAny(a[3]) ? 0 : num(a[3], 'flags')),
  sendto: (a, cx) =>
    cx.api.sendto(fd(a[0]), payload(a[1], num(a[2], 'the length')), isAny(a[3]) ? 0 : num(a[3], 'flags'),
      isAny(a[4]) ? null : sockaddr(a[4], { address: cx.remoteAddress, port: cx.connectPort }, 'sendto')),
  close: async (a, cx) => {
    await cx.api.close(fd(a[0]));
    return 0;
  },
  shutdown: (a, cx) => {
    cx.api.shutdown(fd(a[0]), num(a[1], 'how'));
    return 0;
  },
  setsockopt: (a, cx) => {
    cx.api.setsockopt(fd(a[0]), num(a[1], 'level'), num(a[2], 'option'), optionValue(a[3]));
    return 0;
  },
  getsockopt: (a, cx) => {
    const got = cx.api.getsockopt(fd(a[0]), num(a[1], 'level'), num(a[2], 'option'));
    const mismatch = compareOption(a[3], got);
    return mismatch ? { ret: 0, mismatch } : 0;
  },
  getsockname: (a, cx) => {
    cx.api.getsockname(fd(a[0]));
    return 0;
  },
  getpeername: (a, cx) => {
    cx.api.getpeername(fd(a[0]));
    return 0;
  },
  fcntl: (a, cx) => cx.api.fcntl(fd(a[0]), num(a[1], 'cmd'), isAny(a[2]) ? 0 : num(a[2], 'arg')),
  poll: (a, cx) => pollCall(cx.api, a),
  ioctl: (a, cx) => {
    const req = num(a[1], 'the ioctl request');
    if (req === C.FIONBIO) {
      const v = a[2];
      cx.api.ioctl(fd(a[0]), req, num(Array.isArray(v) ? v[0] : v, 'the FIONBIO value'));
      return 0;
    }
    return ioctlOutcome(a[2], cx.api.ioctl(fd(a[0]), req));
  },
  writev: (a, cx) => cx.api.write(fd(a[0]), payload(ANY, iovLength(a[1], 'writev'))),
  readv: async (a, cx) => (await cx.api.read(fd(a[0]), iovLength(a[1], 'readv'))).length,
  sendmsg: (a, cx) => {
    const m = msghdr(a[1], 'sendmsg');
    const flags = isAny(a[2]) ? 0 : num(a[2], 'flags');
    const to = isAny(m.name) || m.name === 0 ? null : sockaddr(m.name, { address: cx.remoteAddress, port: cx.connectPort }, 'sendmsg');
    return cx.api.sendto(fd(a[0]), payload(ANY, m.len), flags, to);
  },
  recvmsg: async (a, cx) => {
    const m = msghdr(a[1], 'recvmsg');
    return (await cx.api.recvfrom(fd(a[0]), m.len, isAny(a[2]) ? 0 : num(a[2], 'flags')))[0].length;
  },
  epoll_create: (a, cx) => {
    if (num(a[0], 'size') <= 0) throw new SocketError('EINVAL', 'epoll_create');
    return cx.api.epoll_create1(0);
  },
  epoll_create1: (a, cx) => cx.api.epoll_create1(isAny(a[0]) ? 0 : num(a[0], 'flags')),
  epoll_ctl: (a, cx) => {
    const target = fd(a[2]);
    cx.api.epoll_ctl(fd(a[0]), num(a[1], 'op'), target, epollEvent(a[3], target));
    return 0;
  },
  epoll_wait: (a, cx) => epollWaitCall(cx.api, a),
};

/** Names the runner maps (for documentation and tests). */
export const SUPPORTED_SYSCALLS: readonly string[] = Object.keys(HANDLERS);

/**
 * Starts the call of `ev` at once (synchronously, so that it begins at the current virtual
 * time) and returns its outcome as a promise. Throws Unsupported before starting anything
 * when the line cannot be mapped.
 */
export function startSyscall(ev: SyscallEvent, cx: SyscallContext): Promise<Outcome> {
  const h = Object.prototype.hasOwnProperty.call(HANDLERS, ev.name) ? HANDLERS[ev.name] : undefined;
  if (!h) throw new Unsupported(`syscall ${ev.name}() is not supported`);
  const args = ev.args.map(evaluate);
  expectedOf(ev); // validates the expected result before the call has side effects
  const settle = (v: number | Outcome): Outcome => (typeof v === 'number' ? { ret: v } : v);
  const fail = (e: unknown): Outcome => {
    if (e instanceof Unsupported) throw e;
    if (e instanceof SocketError) return { errno: e.code, detail: e.message };
    return { thrown: e instanceof Error ? e.message : String(e) };
  };
  try {
    const r = h(args, cx);
    if (r instanceof Promise) return r.then(settle, fail);
    return Promise.resolve(settle(r));
  } catch (e) {
    return Promise.resolve(fail(e));
  }
}

/** The line's expectation: a value (or any) and an errno. */
function expectedOf(ev: SyscallEvent): { value: number | null; errno: string | null } {
  const v = evaluate(ev.result);
  if (v !== ANY && typeof v !== 'number') throw new Unsupported('the expected result must be a number or ...');
  return { value: v === ANY ? null : v, errno: ev.errno ? normErrno(ev.errno) : null };
}

const describeOutcome = (o: Outcome): string =>
  'ret' in o ? `returned ${o.ret}` : 'errno' in o ? `returned -1 ${o.errno} (${o.detail})` : `threw ${o.thrown}`;

/** Compares an outcome with the line's `= …`; a mismatch description or null. */
export function checkOutcome(ev: SyscallEvent, o: Outcome): string | null {
  const want = expectedOf(ev);
  const wantText = `${want.value ?? '...'}${want.errno ? ` ${want.errno}` : ''}`;
  if ('thrown' in o) return `${ev.name}() ${describeOutcome(o)}; expected ${wantText}`;
  if ('errno' in o) {
    if (want.errno === o.errno && (want.value === null || want.value === -1)) return null;
    return `${ev.name}() ${describeOutcome(o)}; expected ${wantText}`;
  }
  if (want.errno !== null || (want.value !== null && want.value !== o.ret)) return `${ev.name}() ${describeOutcome(o)}; expected ${wantText}`;
  if (o.mismatch) return `${ev.name}(): ${o.mismatch}`;
  return null;
}

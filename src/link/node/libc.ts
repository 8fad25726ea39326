/**
 * The few libc calls the TAP driver needs and Node does not offer (ioctl, poll, eventfd),
 * made through koffi so that no C compiler is needed on the user's machine. koffi is an
 * optional dependency: it is loaded on first use, with a clear error when it is missing.
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';

export interface Libc {
  /** ioctl(2) with a pointer argument; returns -1 and sets errno on failure. */
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  socket(domain: number, type: number, protocol: number): number;
  close(fd: number): number;
  eventfd(initval: number, flags: number): number;
  poll(fds: Uint8Array, nfds: number, timeoutMs: number): number;
  read(fd: number, buf: Uint8Array, count: number): number;
  write(fd: number, buf: Uint8Array, count: number): number;
  errno(): number;
}

interface KoffiLike {
  load(path: string): { func(def: string): (...args: unknown[]) => number };
  errno(): number;
}

let cached: Libc | null = null;

/** Loads libc through koffi once per thread. Throws an Error that says how to install koffi. */
export function loadLibc(): Libc {
  if (cached) return cached;
  let koffi: KoffiLike;
  try {
    koffi = createRequire(import.meta.url)('koffi') as KoffiLike;
  } catch (e) {
    throw new Error(
      `the TAP driver needs the 'koffi' package to make ioctl calls (npm install koffi): ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const lib = koffi.load('libc.so.6');
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, ...)');
  const socket = lib.func('int socket(int domain, int type, int protocol)');
  const close = lib.func('int close(int fd)');
  const eventfd = lib.func('int eventfd(unsigned int initval, int flags)');
  const poll = lib.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)');
  const read = lib.func('long read(int fd, _Out_ uint8_t *buf, unsigned long count)');
  const write = lib.func('long write(int fd, const uint8_t *buf, unsigned long count)');
  cached = {
    ioctl: (fd, request, arg) => ioctl(fd, request, 'uint8_t *', arg),
    socket: (d, t, p) => socket(d, t, p),
    close: (fd) => close(fd),
    eventfd: (v, f) => eventfd(v, f),
    poll: (fds, n, t) => poll(fds, n, t),
    read: (fd, buf, n) => read(fd, buf, n),
    write: (fd, buf, n) => write(fd, buf, n),
    errno: () => koffi.errno(),
  };
  return cached;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));

/** 'EPERM' for 1, and so on; 'errno N' when unknown. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

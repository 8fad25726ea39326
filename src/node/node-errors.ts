import { getSystemErrorMap } from 'node:util';
import type { SocketError } from '../stack/errno.js';

/** An ErrnoException with the address fields Node's net and dgram errors carry. */
export interface NodeSystemError extends NodeJS.ErrnoException {
  address?: string;
  port?: number;
  hostname?: string;
}

/** libuv's text for an errno (negative), e.g. 'address already in use'; the C text as a fallback. */
function uvMessage(errno: number, fallback: string): string {
  const entry = getSystemErrorMap().get(errno);
  return entry ? entry[1] : fallback.charAt(0).toLowerCase() + fallback.slice(1);
}

/**
 * A SocketError as Node reports a failed system call: `code` ('ECONNREFUSED'), `errno`
 * negative as libuv's (-111), `syscall`, `address`, `port`, and Node's message.
 * Node words them two ways, and so do we: a server's `listen` goes through
 * UVExceptionWithHostPort (`listen EADDRINUSE: address already in use 0.0.0.0:80`), every
 * other call (connect, bind, send…) through ExceptionWithHostPort
 * (`connect ECONNREFUSED 10.0.0.2:80`).
 */
export function nodeError(e: SocketError, syscall: string, address?: string, port?: number): NodeJS.ErrnoException {
  const errno = -e.errno;
  let details = '';
  if (port !== undefined && port > 0) details = ` ${address}:${port}`;
  else if (address) details = ` ${address}`;
  const head = syscall === 'listen' ? `${syscall} ${e.code}: ${uvMessage(errno, e.message)}` : `${syscall} ${e.code}`;
  const err: NodeSystemError = new Error(head + details);
  err.errno = errno;
  err.code = e.code;
  err.syscall = syscall;
  if (address !== undefined) err.address = address;
  if (port !== undefined && port > 0) err.port = port;
  return err;
}

/** libuv's UV_EAI_NONAME: what Node's errno is for a name that does not resolve. */
const EAI_NONAME = -3008;

/** A failed name lookup, as Node's dns reports it: `getaddrinfo ENOTFOUND name`. */
export function notFoundError(hostname: string): NodeJS.ErrnoException {
  const err: NodeSystemError = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  err.errno = EAI_NONAME;
  err.code = 'ENOTFOUND';
  err.syscall = 'getaddrinfo';
  err.hostname = hostname;
  return err;
}

/** IPv6 is not in the stack yet: a clear error, never a silent fallback to IPv4. */
export function ipv6Error(what: string, syscall?: string): NodeJS.ErrnoException {
  const err: NodeSystemError = new Error(`${syscall ? `${syscall} ` : ''}EAFNOSUPPORT: ${what}: IPv6 is not implemented in sockstack yet (IPv4 only)`);
  err.errno = -97;
  err.code = 'EAFNOSUPPORT';
  if (syscall) err.syscall = syscall;
  return err;
}

/** Node's argument errors (ERR_INVALID_ARG_TYPE, ERR_SOCKET_BAD_PORT…): a TypeError/RangeError with `code`. */
export function argError(kind: 'type' | 'range' | 'plain', code: string, message: string): Error & { code: string } {
  const Ctor = kind === 'type' ? TypeError : kind === 'range' ? RangeError : Error;
  const err = new Ctor(message) as Error & { code: string };
  err.code = code;
  return err;
}

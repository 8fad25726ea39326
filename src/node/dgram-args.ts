import { Buffer } from 'node:buffer';
import { isIPv4, isIPv6 } from 'node:net';
import { inspect } from 'node:util';
import { SocketError, type ErrnoCode } from '../stack/errno.js';
import { argError, ipv6Error, nodeError, notFoundError } from './node-errors.js';

/**
 * Argument handling for node:dgram over sockstack: Node's validation rules and error texts
 * (ERR_SOCKET_BAD_PORT, ERR_INVALID_ARG_TYPE…), buffer lists, and the name lookup.
 */

/** dns.lookup's shape, as dgram calls it: (hostname, 4, callback). */
export type LookupFunction = (hostname: string, family: number, callback: (err: NodeJS.ErrnoException | null, address?: string, family?: number) => void) => void;

/** How Node's messages name a received value ("type number (0)", "an instance of Array"…). */
export function received(v: unknown): string {
  if (v === null || v === undefined) return `Received ${String(v)}`;
  if (typeof v === 'function') return `Received function ${v.name || '<anonymous>'}`;
  if (typeof v === 'object') {
    const name = (v as { constructor?: { name?: string } }).constructor?.name;
    return name ? `Received an instance of ${name}` : `Received ${inspect(v, { depth: -1 })}`;
  }
  let shown = inspect(v, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `Received type ${typeof v} (${shown})`;
}

/** Node's validatePort: a number or numeric string in range; 0 only when allowed. */
export function validatePort(port: unknown, name = 'Port', allowZero = true): number {
  const n = typeof port === 'string' && port.trim().length > 0 ? Number(port) : port;
  if (typeof n !== 'number' || n !== n >>> 0 || n > 0xffff || (n === 0 && !allowZero)) {
    throw argError('range', 'ERR_SOCKET_BAD_PORT', `${name} should be ${allowZero ? '>=' : '>'} 0 and < 65536. ${received(port)}.`);
  }
  return n | 0;
}

export function validateString(v: unknown, name: string): asserts v is string {
  if (typeof v !== 'string') throw argError('type', 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type string. ${received(v)}`);
}

export function validateNumber(v: unknown, name: string): asserts v is number {
  if (typeof v !== 'number') throw argError('type', 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type number. ${received(v)}`);
}

/** Node's validateUint32, for the buffer-size options. */
export function validateUint32(v: unknown, name: string): void {
  if (typeof v !== 'number') throw argError('type', 'ERR_INVALID_ARG_TYPE', `The "${name}" property must be of type number. ${received(v)}`);
  if (!Number.isInteger(v)) throw argError('range', 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be an integer. Received ${v}`);
  if (v < 0 || v > 0xffffffff) throw argError('range', 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be >= 0 && <= 4294967295. Received ${v}`);
}

const BUFFER_TYPES = 'of type string or an instance of Buffer, TypedArray, or DataView';

/** One message argument as bytes (a view, not a copy), or null when it is not a string or view. */
function asBuffer(v: unknown): Buffer | null {
  if (typeof v === 'string') return Buffer.from(v);
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return null;
}

/** send(msg, offset, length, …): the slice of `msg` Node sends, with its range errors. */
export function sliceBuffer(msg: unknown, offset: unknown, length: unknown): Buffer {
  const buf = asBuffer(msg);
  if (!buf) throw argError('type', 'ERR_INVALID_ARG_TYPE', `The "buffer" argument must be ${BUFFER_TYPES}. ${received(msg)}`);
  const off = Number(offset) >>> 0;
  const len = Number(length) >>> 0;
  if (off > buf.byteLength) throw argError('range', 'ERR_BUFFER_OUT_OF_BOUNDS', '"offset" is outside of buffer bounds');
  if (off + len > buf.byteLength) throw argError('range', 'ERR_BUFFER_OUT_OF_BOUNDS', '"length" is outside of buffer bounds');
  return buf.subarray(off, off + len);
}

/** The message as the list of pieces one datagram gathers (sendmsg's iovec). */
export function bufferList(msg: unknown): Buffer[] {
  if (!Array.isArray(msg)) {
    const b = asBuffer(msg);
    if (!b) throw argError('type', 'ERR_INVALID_ARG_TYPE', `The "buffer" argument must be ${BUFFER_TYPES}. ${received(msg)}`);
    return [b];
  }
  const out: Buffer[] = [];
  for (const piece of msg) {
    const b = asBuffer(piece);
    if (!b) throw argError('type', 'ERR_INVALID_ARG_TYPE', `The "buffer list arguments" argument must be ${BUFFER_TYPES}. ${received(msg)}`);
    out.push(b);
  }
  return out;
}

/**
 * The resolver sockstack has: IPv4 literals and 'localhost'; IPv6 is a clear EAFNOSUPPORT and
 * any other name fails as Node's dns does (ENOTFOUND). Asynchronous, as dns.lookup is.
 */
export const defaultLookup: LookupFunction = (hostname, _family, callback) => {
  process.nextTick(() => {
    if (hostname.toLowerCase() === 'localhost') callback(null, '127.0.0.1', 4);
    else if (isIPv4(hostname)) callback(null, hostname, 4);
    else if (isIPv6(hostname)) callback(ipv6Error(`'${hostname}' is an IPv6 address`, 'getaddrinfo'));
    else callback(notFoundError(hostname));
  });
};

/** A stack error as Node words it for `syscall`; anything else passes through. */
export function toNodeError(e: unknown, syscall: string, address?: string, port?: number): unknown {
  return e instanceof SocketError ? nodeError(e, syscall, address, port) : e;
}

/** An ErrnoException for a call that fails before reaching the stack (Node's ErrnoException). */
export function errnoError(code: ErrnoCode, syscall: string): NodeJS.ErrnoException {
  return nodeError(new SocketError(code, syscall), syscall);
}

/** Node's ERR_SOCKET_BUFFER_SIZE, a SystemError carrying libuv's failure. */
export function bufferSizeError(recv: boolean, code: ErrnoCode, uvText: string): Error {
  const syscall = recv ? 'uv_recv_buffer_size' : 'uv_send_buffer_size';
  const errno = -new SocketError(code, syscall).errno;
  const err = new Error(`Could not get or set buffer size: ${syscall} returned ${code} (${uvText})`) as Error & Record<string, unknown>;
  err.name = 'SystemError';
  err.code = 'ERR_SOCKET_BUFFER_SIZE';
  err.errno = errno;
  err.syscall = syscall;
  err.info = { errno, code, message: uvText, syscall };
  return err;
}

/** Multicast needs IGMP, which the stack does not have yet: say so instead of pretending. */
export function multicastError(method: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${method} ENOSYS: multicast is not implemented in sockstack yet (no IGMP)`);
  err.code = 'ENOSYS';
  err.errno = -38;
  err.syscall = method;
  return err;
}

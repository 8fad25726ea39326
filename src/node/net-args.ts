import { argError } from './node-errors.js';

/** Options of connect()/createConnection() that this module understands (Node's names). */
export interface ConnectOptions {
  port?: number | string;
  host?: string;
  /** Unix domain socket path: not supported (sockstack has no AF_UNIX). */
  path?: string | null;
  localAddress?: string;
  localPort?: number;
  family?: number;
  hints?: number;
  lookup?: import('./address.js').LookupFunction;
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  allowHalfOpen?: boolean;
  signal?: AbortSignal;
  [other: string]: unknown;
}

export interface ListenOptions {
  port?: number | string;
  host?: string;
  backlog?: number;
  exclusive?: boolean;
  path?: string;
  ipv6Only?: boolean;
  signal?: AbortSignal;
  [other: string]: unknown;
}

type Callback = (...args: unknown[]) => void;

/** Node's isPipeName: a string that is not a non-negative number names a pipe. */
function isPipeName(v: unknown): v is string {
  return typeof v === 'string' && !(Number(v) >= 0);
}

/**
 * Node's normalizeArgs for connect: (options[, cb]), (path[, cb]), (port[, host][, cb]).
 * Returns the options object and the callback, if any.
 */
export function normalizeConnectArgs(args: unknown[]): [ConnectOptions, Callback | null] {
  if (args.length === 0) return [{}, null];
  const last = args[args.length - 1];
  const cb = typeof last === 'function' ? (last as Callback) : null;
  const a0 = args[0];
  let options: ConnectOptions;
  if (typeof a0 === 'object' && a0 !== null) options = a0 as ConnectOptions;
  else if (isPipeName(a0)) options = { path: a0 };
  else {
    options = { port: a0 as number };
    if (args.length > 1 && typeof args[1] === 'string') options.host = args[1];
  }
  return [options, cb];
}

/** Node's listen overloads: (options[, cb]), ([port[, host[, backlog]]][, cb]), (port, backlog[, cb]). */
export function normalizeListenArgs(args: unknown[]): [ListenOptions, Callback | null] {
  const last = args[args.length - 1];
  const cb = typeof last === 'function' ? (last as Callback) : null;
  const rest = cb ? args.slice(0, -1) : args;
  const a0 = rest[0];
  if (typeof a0 === 'object' && a0 !== null) return [a0 as ListenOptions, cb];
  if (isPipeName(a0)) return [{ path: a0 }, cb];
  const options: ListenOptions = {};
  if (a0 !== undefined && a0 !== null) options.port = a0 as number;
  if (typeof rest[1] === 'string') options.host = rest[1];
  // Node: the backlog is the first number after the port (listen(port, backlog) works too).
  const backlog = typeof rest[1] === 'number' ? rest[1] : typeof rest[2] === 'number' ? rest[2] : undefined;
  if (backlog !== undefined) options.backlog = backlog;
  return [options, cb];
}

/** Node's validatePort: an integer (or numeric string) 0-65535, else ERR_SOCKET_BAD_PORT. */
export function validatePort(port: unknown, name = 'Port', allowZero = true): number {
  const ok =
    (typeof port === 'number' || (typeof port === 'string' && port.trim().length !== 0)) &&
    +port === +port >>> 0 &&
    +port <= 0xffff &&
    (allowZero || +port !== 0);
  if (!ok) throw argError('range', 'ERR_SOCKET_BAD_PORT', `${name} should be >= 0 and < 65536. Received ${describe(port)}.`);
  return +port;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `type string ('${v}')`;
  if (typeof v === 'number') return `type number (${v})`;
  return v === null ? 'null' : `type ${typeof v}`;
}

/** Node's getTimerDuration for setTimeout(ms): a finite number >= 0. */
export function timerDuration(ms: unknown): number {
  if (typeof ms !== 'number') throw argError('type', 'ERR_INVALID_ARG_TYPE', `The "msecs" argument must be of type number. Received ${describe(ms)}`);
  if (!(ms >= 0) || !Number.isFinite(ms)) throw argError('range', 'ERR_OUT_OF_RANGE', `The value of "msecs" is out of range. It must be a non-negative finite number. Received ${ms}`);
  return ms;
}

/** sockstack has no Unix domain sockets: a `path` is a clear error, not a TCP fallback. */
export function noUnixSockets(path: string): Error {
  return argError('plain', 'ERR_INVALID_ARG_VALUE', `sockstack has no Unix domain sockets (AF_UNIX): cannot use path '${path}'; use a port and an IPv4 host`);
}

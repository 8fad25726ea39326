import type { Host } from '../sim/host.js';
import { isIP, isIPv4, isIPv6 } from './address.js';
import type { ConnectOptions } from './net-args.js';
import { Server as BaseServer, type ServerOptions } from './net-server.js';
import { Socket as BaseSocket, type NetContext, type SocketOptions } from './net-socket.js';

export type { ConnectOptions, ListenOptions } from './net-args.js';
export type { ServerOptions, DropInfo } from './net-server.js';
export type { SocketOptions, AddressInfo } from './net-socket.js';
export type { LookupFunction } from './address.js';
export { BaseSocket as NetSocket, BaseServer as NetServer };

type ConnectionListener = (socket: BaseSocket) => void;

/** Options of nodeNet itself. */
export interface NodeNetOptions {
  /**
   * Speak for an unprivileged process of the host (binding below port 1024 is then EACCES,
   * as for a normal user). Default: the host's privileged process, `host.sockets`.
   */
  privileged?: boolean;
}

/** The surface of node:net, bound to one sockstack host. */
export interface NodeNet {
  /** `new net.Socket([options])`: a Duplex on this host, not yet connected. */
  readonly Socket: new (options?: SocketOptions) => BaseSocket;
  /** `new net.Server([options][, connectionListener])`. */
  readonly Server: new (options?: ServerOptions | ConnectionListener, connectionListener?: ConnectionListener) => BaseServer;
  createServer(options?: ServerOptions | ConnectionListener, connectionListener?: ConnectionListener): BaseServer;
  connect(options: ConnectOptions, connectListener?: () => void): BaseSocket;
  connect(port: number | string, host?: string, connectListener?: () => void): BaseSocket;
  connect(port: number | string, connectListener?: () => void): BaseSocket;
  createConnection(options: ConnectOptions, connectListener?: () => void): BaseSocket;
  createConnection(port: number | string, host?: string, connectListener?: () => void): BaseSocket;
  createConnection(port: number | string, connectListener?: () => void): BaseSocket;
  isIP(input: string): number;
  isIPv4(input: string): boolean;
  isIPv6(input: string): boolean;
  /** The host this module speaks for (a sockstack extra). */
  readonly host: Host;
}

/**
 * Node's `net` module over a sockstack host: swap `import net from 'node:net'` for
 * `const net = nodeNet(host)` and a Node program's TCP runs on the virtual network (or a TAP
 * device). IPv4 only; no Unix domain sockets; names resolve through a `lookup` option
 * ('localhost' and IPv4 literals need none).
 *
 * To serve an http.Server, tls.Server or tls.TLSSocket from it, emit 'connection' with each
 * socket of `createServer({ allowHalfOpen: true }, …)`: http.Server's own net.Server is
 * half-open too, so the protocol above decides when our side ends (a socket that ended itself
 * at the peer's FIN would cut off a response still being written).
 */
export function nodeNet(host: Host, opts: NodeNetOptions = {}): NodeNet {
  const api = opts.privileged === false ? host.process({ privileged: false, name: `${host.name}/node` }).sockets : host.sockets;
  const cx: NetContext = { host, api, sched: host.scheduler };

  class Socket extends BaseSocket {
    constructor(options?: SocketOptions) {
      super(cx, options);
    }
  }
  class Server extends BaseServer {
    constructor(options?: ServerOptions | ConnectionListener, connectionListener?: ConnectionListener) {
      super(cx, options, connectionListener);
    }
  }

  function connect(...args: unknown[]): BaseSocket {
    const first = args[0];
    const options = typeof first === 'object' && first !== null ? (first as ConnectOptions) : {};
    const socket = new Socket(options as SocketOptions);
    return (socket.connect as (...a: unknown[]) => BaseSocket)(...args);
  }

  return {
    Socket,
    Server,
    createServer: (options?: ServerOptions | ConnectionListener, listener?: ConnectionListener) => new Server(options, listener),
    connect: connect as NodeNet['connect'],
    createConnection: connect as NodeNet['createConnection'],
    isIP,
    isIPv4,
    isIPv6,
    host,
  };
}

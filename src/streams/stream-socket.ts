import type { SocketApi } from '../socket/socket-api.js';
import { AF_INET, SHUT_RD, SHUT_WR, SOCK_STREAM, SOL_SOCKET, SO_LINGER } from '../socket/constants.js';
import { SocketStreams, resolveHostname, toBytes } from './socket-streams.js';

/** Where to connect: Cloudflare's SocketAddress. */
export interface StreamAddress {
  hostname: string;
  port: number;
}

/** A connection's two ends, as `opened` reports them. */
export interface StreamSocketInfo {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

/**
 * A TCP connection as two web streams (Cloudflare's `connect()` socket, Direct Sockets' TCPSocket).
 * `readable` ends at the peer's FIN; `writable.close()` sends ours (shutdown SHUT_WR) and the
 * readable still reads; `writable.abort()` resets the connection. `closed` settles when both
 * directions are done, and rejects with the stack's SocketError (ECONNRESET…) on failure.
 */
export interface StreamSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly opened: Promise<StreamSocketInfo>;
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** 'host:port' (Cloudflare accepts this form too) or { hostname, port }; TypeError when neither. */
export function parseStreamAddress(address: string | StreamAddress): StreamAddress {
  if (typeof address === 'string') {
    const i = address.lastIndexOf(':');
    const port = i > 0 ? Number(address.slice(i + 1)) : NaN;
    if (i <= 0 || !/^\d+$/.test(address.slice(i + 1)) || port > 65535) throw new TypeError(`'${address}' is not of the form host:port`);
    return { hostname: address.slice(0, i), port };
  }
  if (typeof address !== 'object' || address === null || typeof address.hostname !== 'string') {
    throw new TypeError('the address must be { hostname, port } or a "host:port" string');
  }
  const { port } = address;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`port must be an integer 0-65535, got ${String(port)}`);
  return { hostname: address.hostname, port };
}

class TcpStreamSocket extends SocketStreams<StreamSocketInfo, Uint8Array, Uint8Array> implements StreamSocket {
  constructor(api: SocketApi, fd: number, opening: (self: TcpStreamSocket) => Promise<void>) {
    super(api, fd, (chunk) => chunk.byteLength);
    this.begin(opening(this).then(() => this.info()));
  }

  private info(): StreamSocketInfo {
    const local = this.api.getsockname(this.fd);
    const remote = this.api.getpeername(this.fd);
    return { remoteAddress: remote.address, remotePort: remote.port, localAddress: local.address, localPort: local.port };
  }

  protected async receive(max: number): Promise<Uint8Array | null> {
    const data = await this.api.recv(this.fd, max);
    return data.length === 0 ? null : data;
  }

  protected async transmit(chunk: Uint8Array): Promise<void> {
    const bytes = toBytes(chunk, 'StreamSocket.writable');
    // A blocking send returns once every byte is in the send buffer: that is the write's backpressure.
    if (bytes.length > 0) await this.api.send(this.fd, bytes);
  }

  protected endWrite(): void {
    this.api.shutdown(this.fd, SHUT_WR);
  }

  protected endRead(): void {
    this.api.shutdown(this.fd, SHUT_RD);
  }

  protected arrangeReset(fd: number): void {
    // SO_LINGER {1, 0}: close(2) sends an RST instead of a FIN (RFC 9293 §3.10.4 ABORT).
    this.api.setsockopt(fd, SOL_SOCKET, SO_LINGER, { l_onoff: 1, l_linger: 0 });
  }
}

/**
 * Opens a TCP connection on `api` and returns its stream socket at once; `opened` settles when
 * the handshake does (rejecting with ECONNREFUSED, ETIMEDOUT… as connect(2) would).
 */
export function connectStream(api: SocketApi, address: string | StreamAddress): StreamSocket {
  const { hostname, port } = parseStreamAddress(address);
  let fd = -1;
  let early: unknown = null;
  try {
    fd = api.socket(AF_INET, SOCK_STREAM, 0);
  } catch (e) {
    early = e; // EMFILE: reported through opened, like every other failure
  }
  return new TcpStreamSocket(api, fd, () => (early !== null ? Promise.reject(early) : api.connect(fd, { address: resolveHostname(hostname), port })));
}

/** Wraps a descriptor accept() returned: already open. */
export function acceptedStream(api: SocketApi, fd: number): StreamSocket {
  return new TcpStreamSocket(api, fd, () => Promise.resolve());
}

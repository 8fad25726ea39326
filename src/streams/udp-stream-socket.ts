import type { SocketApi } from '../socket/socket-api.js';
import { AF_INET, SHUT_RD, SOCK_DGRAM } from '../socket/constants.js';
import { MAX_UDP_PAYLOAD } from '../udp/udp-layer.js';
import { SocketStreams, resolveHostname, toBytes } from './socket-streams.js';

/**
 * Direct Sockets' UDPSocket options. With `remoteAddress`/`remotePort` the socket is connected:
 * it talks to that peer only and messages carry no address. Without them it is bound (to
 * `localAddress`, default 0.0.0.0, and `localPort`, default an ephemeral one) and every message
 * names its peer.
 */
export interface UdpSocketOptions {
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
}

/** A datagram received, with its sender. */
export interface UdpMessage {
  data: Uint8Array;
  remoteAddress: string;
  remotePort: number;
}

/** A datagram to send; the address is required on a bound socket and refused on a connected one. */
export interface UdpOutgoingMessage {
  data: Uint8Array;
  remoteAddress?: string;
  remotePort?: number;
}

export interface UdpSocketInfo {
  localAddress: string;
  localPort: number;
  remoteAddress?: string;
  remotePort?: number;
}

/**
 * A UDP socket as two web streams of datagrams. The readable pulls (recvfrom) only while its
 * queue has room, so a reader that stops reading leaves datagrams to the socket's receive queue,
 * which drops the excess as UDP does. `writable.close()` just ends writing (UDP has no FIN).
 */
export interface UdpStreamSocket {
  readonly readable: ReadableStream<UdpMessage>;
  readonly writable: WritableStream<UdpOutgoingMessage>;
  readonly opened: Promise<UdpSocketInfo>;
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

function checkPort(port: unknown, what: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`${what} must be an integer 0-65535, got ${String(port)}`);
  return port;
}

class UdpStreams extends SocketStreams<UdpSocketInfo, UdpMessage, UdpOutgoingMessage> implements UdpStreamSocket {
  private readonly connected: boolean;

  constructor(api: SocketApi, opts: UdpSocketOptions) {
    // Each datagram weighs its length (at least 1, so empty ones count too) against the high-water mark.
    super(api, -1, (m) => Math.max(1, m.data.byteLength));
    if (typeof opts !== 'object' || opts === null) throw new TypeError('udpSocket() takes { localAddress?, localPort?, remoteAddress?, remotePort? }');
    this.connected = opts.remoteAddress !== undefined || opts.remotePort !== undefined;
    if (this.connected) {
      if (typeof opts.remoteAddress !== 'string') throw new TypeError('a connected UDP socket needs remoteAddress as well as remotePort');
      checkPort(opts.remotePort, 'remotePort');
    }
    if (opts.localPort !== undefined) checkPort(opts.localPort, 'localPort');
    this.begin(this.open(opts));
  }

  private async open(o: UdpSocketOptions): Promise<UdpSocketInfo> {
    this.fd = this.api.socket(AF_INET, SOCK_DGRAM, 0);
    // A connected socket binds only when asked; connect() picks the source address and port otherwise.
    if (!this.connected || o.localAddress !== undefined || o.localPort !== undefined) {
      this.api.bind(this.fd, { address: resolveHostname(o.localAddress ?? '0.0.0.0'), port: o.localPort ?? 0 });
    }
    if (this.connected) await this.api.connect(this.fd, { address: resolveHostname(o.remoteAddress!), port: o.remotePort! });
    const local = this.api.getsockname(this.fd);
    if (!this.connected) return { localAddress: local.address, localPort: local.port };
    const remote = this.api.getpeername(this.fd);
    return { localAddress: local.address, localPort: local.port, remoteAddress: remote.address, remotePort: remote.port };
  }

  protected async receive(): Promise<UdpMessage> {
    const [data, from] = await this.api.recvfrom(this.fd, MAX_UDP_PAYLOAD);
    return { data, remoteAddress: from.address, remotePort: from.port };
  }

  protected async transmit(m: UdpOutgoingMessage): Promise<void> {
    if (typeof m !== 'object' || m === null) throw new TypeError('UdpStreamSocket.writable takes { data, remoteAddress?, remotePort? }');
    const data = toBytes(m.data, 'UdpStreamSocket.writable');
    const named = m.remoteAddress !== undefined || m.remotePort !== undefined;
    if (this.connected) {
      if (named) throw new TypeError('a connected UDP socket sends to its peer only: leave remoteAddress and remotePort out');
      await this.api.send(this.fd, data);
      return;
    }
    if (typeof m.remoteAddress !== 'string') throw new TypeError('a bound UDP socket needs remoteAddress and remotePort on every message');
    await this.api.sendto(this.fd, data, 0, { address: resolveHostname(m.remoteAddress), port: checkPort(m.remotePort, 'remotePort') });
  }

  protected endWrite(): void {
    // UDP has nothing to tell the peer.
  }

  protected endRead(): void {
    // A blocked recvfrom returns at once (EOF after SHUT_RD); the flag is set even when unconnected.
    try {
      this.api.shutdown(this.fd, SHUT_RD);
    } catch {
      // ENOTCONN on a bound socket, after setting the flag as Linux does
    }
  }

  protected arrangeReset(): void {
    // No reset in UDP.
  }
}

/** Opens a UDP socket on `api` in connected or bound mode; errors show in `opened`. */
export function udpStreamSocket(api: SocketApi, opts: UdpSocketOptions = {}): UdpStreamSocket {
  return new UdpStreams(api, opts);
}

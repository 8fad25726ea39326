import { DatagramEndpoint } from '../stack/datagram-endpoint.js';

export { DEFAULT_RCVBUF, DEFAULT_SNDBUF, type PeerAddr } from '../stack/datagram-endpoint.js';

/** One UDP socket's protocol state (RFC 768): ports and binding options on top of the datagram state. */
export class UdpEndpoint extends DatagramEndpoint {
  localPort = 0;
  remotePort = 0;
  /** The local address was chosen by bind() (not filled in by connect()). */
  boundAddr = false;
  /** The port was chosen by bind() with a non-zero port (Linux SOCK_BINDPORT_LOCK). */
  boundPort = false;
  reuseAddr = false;
  reusePort = false;

  get connected(): boolean {
    return this.remotePort !== 0 || this.remoteAddr !== 0;
  }
}

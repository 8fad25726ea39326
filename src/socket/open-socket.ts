import type { UdpEndpoint } from '../udp/udp-endpoint.js';
import type { RawEndpoint } from '../raw/raw-layer.js';
import type { WaitQueue } from '../stack/events.js';
import type { TcpEndpoint } from '../tcp/tcp-endpoint.js';

/** The protocol object behind a descriptor. */
export type Endpoint = { kind: 'udp'; ep: UdpEndpoint } | { kind: 'raw'; ep: RawEndpoint } | { kind: 'tcp'; ep: TcpEndpoint };

/**
 * An open socket (the "open file description"): the endpoint plus the per-socket
 * settings that live above the protocol (blocking mode, timeouts, stored options).
 */
export class OpenSocket {
  nonblocking = false;
  cloexec = false;
  /** SO_RCVTIMEO / SO_SNDTIMEO in ms; 0 = block forever, negative = never wait. */
  rcvTimeoMs = 0;
  sndTimeoMs = 0;
  keepalive = false;
  linger = { l_onoff: 0, l_linger: 0 };
  closed = false;
  /** A stream connect() is under way or finished unseen (Linux SS_CONNECTING): the next connect() reports it. */
  connecting = false;

  constructor(
    readonly domain: number,
    readonly type: number,
    readonly protocol: number,
    readonly endpoint: Endpoint,
  ) {}

  get wait(): WaitQueue {
    return this.endpoint.ep.wait;
  }

  readiness(): number {
    return this.endpoint.ep.readiness();
  }
}

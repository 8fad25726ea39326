/**
 * The classic small Internet services over a SocketApi: echo (RFC 862), discard (RFC 863),
 * chargen (RFC 864) and daytime (RFC 867) on TCP and UDP, and a small HTTP/1.1 server on TCP.
 * Each TCP service is the textbook concurrent server: an accept loop spawning a task per
 * connection, so one slow or failing client never holds up, nor ends, the others.
 */
import type { SocketApi } from '../socket/socket-api.js';
import type { SockAddr } from '../socket/sockaddr.js';
import { AF_INET, SOCK_DGRAM, SHUT_RDWR } from '../socket/constants.js';
import { SocketError } from '../stack/errno.js';
import { listenTcp, formatAddr } from './tcp-echo.js';
import { ServiceConn, type ServiceContext } from './service-conn.js';
import { classicService, type ServiceImpl } from './classic-services.js';
import { httpService } from './http-server.js';

export type ServiceName = 'echo' | 'discard' | 'chargen' | 'daytime' | 'http';

/** The well-known ports (IANA; the RFCs name them). */
export const SERVICE_PORTS: Readonly<Record<ServiceName, number>> = Object.freeze({ echo: 7, discard: 9, daytime: 13, chargen: 19, http: 80 });

const NAMES: readonly ServiceName[] = ['echo', 'discard', 'chargen', 'daytime', 'http'];

export interface ServiceSpec {
  name: ServiceName;
  port: number;
}

function isServiceName(s: string): s is ServiceName {
  return (NAMES as readonly string[]).includes(s);
}

/**
 * 'echo:7', 'http:8080', or a bare 'echo' (its well-known port). Throws an Error naming the
 * known services, or the valid port range.
 */
export function parseServiceSpec(text: string): ServiceSpec {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  if (!isServiceName(name)) {
    throw new Error(`unknown service '${name}' in '${text}': the services are ${NAMES.join(', ')} (as NAME or NAME:PORT)`);
  }
  if (colon < 0) return { name, port: SERVICE_PORTS[name] };
  const p = text.slice(colon + 1);
  const port = /^[0-9]{1,5}$/.test(p) ? Number(p) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new Error(`bad port '${p}' in '${text}': a port is an integer from 1 to 65535`);
  return { name, port };
}

export interface ServiceOptions {
  /** Bind address, default '0.0.0.0' (INADDR_ANY). */
  address?: string;
  /** One line per connection (TCP), datagram (UDP) or request (http); default none. */
  log?: (line: string) => void;
  /** daytime's and http's clock (tests inject a fixed date); default () => new Date(). */
  now?: () => Date;
  /** Shown on the http page; default 'sockstack'. */
  hostname?: string;
}

export interface ServiceStats {
  /** TCP connections accepted. */
  connections: number;
  /** Payload bytes received and sent, TCP and UDP. */
  bytesIn: number;
  bytesOut: number;
  /** UDP datagrams received. */
  datagrams: number;
  /** HTTP requests answered. */
  requests: number;
}

export interface RunningService {
  readonly spec: ServiceSpec;
  /** Live counters, updated in place. */
  readonly stats: ServiceStats;
  readonly protocols: ('tcp' | 'udp')[];
  /**
   * Stops accepting, closes the listening and UDP sockets, shuts the live connections down
   * (each task then ends and closes its own descriptor), and resolves when every loop has
   * ended. Idempotent.
   */
  close(): Promise<void>;
}

/** listen() backlog: Linux's classic SOMAXCONN. */
const BACKLOG = 128;
/** The largest UDP payload over IPv4 (65535 - 20 - 8). */
const MAX_DATAGRAM = 65507;

function describe(e: unknown): string {
  if (e instanceof SocketError) return e.code;
  return `internal error: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * Starts one service on spec.port (TCP, and UDP for the four classic ones). Throws the
 * SocketError of the failing call (EADDRINUSE, EACCES…) synchronously; nothing stays open then.
 */
export function startService(api: SocketApi, spec: ServiceSpec, o: ServiceOptions = {}): RunningService {
  if (!isServiceName(spec.name)) throw new Error(`unknown service '${String(spec.name)}': the services are ${NAMES.join(', ')}`);
  const name = spec.name;
  const address = o.address ?? '0.0.0.0';
  const log = o.log ?? (() => {});
  const now = o.now ?? (() => new Date());
  const stats: ServiceStats = { connections: 0, bytesIn: 0, bytesOut: 0, datagrams: 0, requests: 0 };
  const conns = new Set<ServiceConn>();
  const cx: ServiceContext = { name, stats, log, now, hostname: o.hostname ?? 'sockstack', conns };
  const impl: ServiceImpl = name === 'http' ? httpService() : classicService(name, now);

  const lfd = listenTcp(api, address, spec.port, BACKLOG, 0);
  let ufd = -1;
  if (impl.udp) {
    try {
      ufd = api.socket(AF_INET, SOCK_DGRAM, 0);
      // No SO_REUSEADDR on UDP: on Linux it would let a second server share the port silently.
      api.bind(ufd, { address, port: spec.port });
    } catch (e) {
      if (ufd >= 0) void api.close(ufd);
      void api.close(lfd);
      throw e;
    }
  }

  let stopping = false;
  const tasks = new Set<Promise<void>>();

  /** One connection, served to its end; the only place its descriptor is closed. */
  const serve = async (c: ServiceConn): Promise<void> => {
    let reason: string | null;
    try {
      reason = await impl.tcp(c);
    } catch (e) {
      reason = describe(e); // ECONNRESET, EPIPE…: this connection ends, the service goes on
    }
    conns.delete(c);
    c.closed = true;
    await api.close(c.fd).catch(() => {});
    if (reason !== null) log(`${name} tcp ${c.who}: ${c.bytesIn} bytes in, ${c.bytesOut} out (${reason})`);
  };

  const acceptLoop = (async () => {
    while (!stopping) {
      let fd: number;
      let peer: SockAddr;
      try {
        [fd, peer] = await api.accept(lfd);
      } catch (e) {
        if (stopping) return; // our close() closed the listener: EBADF
        if (e instanceof SocketError && (e.code === 'ECONNABORTED' || e.code === 'EMFILE' || e.code === 'ENOBUFS' || e.code === 'ENOMEM')) {
          log(`${name} tcp: accept() failed: ${e.code}; still listening`);
          if (e.code !== 'ECONNABORTED') await api.sleep(100); // out of descriptors: do not spin
          continue;
        }
        log(`${name} tcp: accept() failed: ${describe(e)}; no longer accepting`);
        return;
      }
      if (stopping) {
        await api.close(fd).catch(() => {});
        return;
      }
      stats.connections++;
      const c = new ServiceConn(api, fd, peer, cx);
      conns.add(c);
      const t = serve(c);
      tasks.add(t);
      void t.then(() => tasks.delete(t));
    }
  })();

  const udp = impl.udp;
  const udpLoop = (async () => {
    if (!udp) return;
    while (!stopping) {
      let data: Uint8Array;
      let from: SockAddr;
      try {
        [data, from] = await api.recvfrom(ufd, MAX_DATAGRAM);
      } catch (e) {
        if (stopping || !(e instanceof SocketError) || e.code === 'EBADF') return;
        continue; // a pending ICMP error reported here: taken, so the next call waits again
      }
      if (stopping) return; // the descriptor is closed (its number may be reused): do not answer
      stats.datagrams++;
      stats.bytesIn += data.length;
      const reply = udp(data);
      let out = 0;
      let note = '';
      if (reply) {
        try {
          out = await api.sendto(ufd, reply, 0, from);
          stats.bytesOut += out;
        } catch (e) {
          note = ` (${describe(e)})`;
        }
      }
      log(`${name} udp ${formatAddr(from)}: ${data.length} bytes in, ${out} out${note}`);
    }
  })();

  let closing: Promise<void> | null = null;
  return {
    spec: { name, port: spec.port },
    stats,
    protocols: udp ? ['tcp', 'udp'] : ['tcp'],
    close() {
      closing ??= (async () => {
        stopping = true;
        const closes = [api.close(lfd).catch(() => {})];
        if (ufd >= 0) closes.push(api.close(ufd).catch(() => {}));
        for (const c of conns) {
          try {
            api.shutdown(c.fd, SHUT_RDWR); // wakes the task: reads see EOF, sends fail with EPIPE
          } catch {
            // ENOTCONN: already reset; the task is on its way out
          }
        }
        await Promise.all(closes);
        await acceptLoop;
        await udpLoop;
        while (tasks.size > 0) await Promise.all([...tasks]);
      })();
      return closing;
    },
  };
}

/** All five on their well-known ports. */
export const DEFAULT_SERVICES: readonly ServiceSpec[] = Object.freeze(
  (['echo', 'discard', 'daytime', 'chargen', 'http'] as const).map((name) => Object.freeze({ name, port: SERVICE_PORTS[name] })),
);

/** Starts each service; if one fails, those already started are closed and the error thrown. */
export function startServices(api: SocketApi, specs: readonly ServiceSpec[], o: ServiceOptions = {}): { services: RunningService[]; close(): Promise<void> } {
  const services: RunningService[] = [];
  try {
    for (const spec of specs) services.push(startService(api, spec, o));
  } catch (e) {
    for (const s of services) void s.close(); // their sockets are released synchronously
    throw e;
  }
  return {
    services,
    close: async () => {
      await Promise.all(services.map((s) => s.close()));
    },
  };
}

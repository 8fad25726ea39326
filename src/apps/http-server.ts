/**
 * The http service: a small HTTP/1.1 server (RFC 9110, RFC 9112) good enough for curl, browsers
 * and keep-alive clients. GET and HEAD of `/` (an HTML page) and `/ss` (plain-text counters);
 * 404 for other paths, 405 for other methods. Requests on one connection are answered in order
 * (pipelining), bodies are read and discarded (Content-Length or chunked).
 */
import { SHUT_WR, SOL_SOCKET, SO_RCVTIMEO } from '../socket/constants.js';
import { SocketError } from '../stack/errno.js';
import { utf8Encode } from './utf8.js';
import { ChunkedDiscarder, parseHead, type RequestHead } from './http-request.js';
import type { ServiceConn } from './service-conn.js';
import { READ_SIZE, type ServiceImpl } from './classic-services.js';

/** An idle keep-alive connection (or a stalled request) is closed after this long. */
export const HTTP_IDLE_MS = 30_000;
/** How long a closing connection keeps reading what the client still sends (lingeringClose). */
export const HTTP_LINGER_MS = 2_000;

const REASONS: Record<number, string> = {
  100: 'Continue',
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  431: 'Request Header Fields Too Large',
  505: 'HTTP Version Not Supported',
};

const DAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** IMF-fixdate (RFC 9110 §5.6.7): "Sat, 21 Nov 2026 14:05:01 GMT". */
export function httpDate(d: Date): string {
  return `${DAY[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MON[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} GMT`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

interface Answer {
  status: number;
  type: string;
  body: string;
  extra?: string;
}

const text = (status: number, extra?: string): Answer => ({ status, type: 'text/plain; charset=utf-8', body: `${status} ${REASONS[status]}\n`, ...(extra ? { extra } : {}) });

/** The page for `/`. */
function homePage(c: ServiceConn, when: Date, nth: number): string {
  const h = escapeHtml(c.cx.hostname);
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>sockstack on ${h}</title></head>
<body>
<h1>Hello from ${h}</h1>
<p>This page was served by sockstack, a TCP/IP stack written in TypeScript, on host <b>${h}</b>.</p>
<p>You are ${escapeHtml(c.peer.address)} port ${c.peer.port}; this is request ${nth} on your connection.</p>
<p>Time: ${httpDate(when)}</p>
<p><a href="/ss">/ss</a>: this service's counters and connections.</p>
</body>
</html>
`;
}

/** The page for `/ss`: the service's own counters and its live connections. */
function ssPage(c: ServiceConn): string {
  const s = c.cx.stats;
  const rows = [...c.cx.conns].map((x) => `  ${x.who}  ${x.bytesIn} bytes in, ${x.bytesOut} out${x === c ? '  (you)' : ''}`);
  return `sockstack http on ${c.cx.hostname}
requests ${s.requests + 1}, connections ${s.connections}, bytes in ${s.bytesIn}, bytes out ${s.bytesOut}
connections being served:
${rows.join('\n')}
`;
}

/** GET and HEAD only (RFC 9110 §15.5.6: 405 carries Allow). */
function route(head: RequestHead, c: ServiceConn, when: Date, nth: number): Answer {
  if (head.method !== 'GET' && head.method !== 'HEAD') return text(405, 'Allow: GET, HEAD\r\n');
  if (head.path === '/') return { status: 200, type: 'text/html; charset=utf-8', body: homePage(c, when, nth) };
  if (head.path === '/ss') return { status: 200, type: 'text/plain; charset=utf-8', body: ssPage(c) };
  return text(404);
}

/**
 * Builds the response bytes. Content-Length always (also on HEAD: the length GET would have,
 * RFC 9110 §8.6); Connection: close when we close, keep-alive for a persistent 1.0 client.
 */
function render(a: Answer, when: Date, o: { headOnly: boolean; close: boolean; minor: number }): { bytes: Uint8Array; bodyLength: number } {
  const body = utf8Encode(a.body);
  let conn = '';
  if (o.close) conn = 'Connection: close\r\n';
  else if (o.minor === 0) conn = 'Connection: keep-alive\r\n';
  const head =
    `HTTP/1.1 ${a.status} ${REASONS[a.status]}\r\n` +
    `Date: ${httpDate(when)}\r\nServer: sockstack\r\n` +
    `Content-Type: ${a.type}\r\nContent-Length: ${body.length}\r\nCache-Control: no-store\r\n${a.extra ?? ''}${conn}\r\n`;
  const h = utf8Encode(head);
  if (o.headOnly) return { bytes: h, bodyLength: body.length };
  const out = new Uint8Array(h.length + body.length);
  out.set(h);
  out.set(body, h.length);
  return { bytes: out, bodyLength: body.length };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const CONTINUE = utf8Encode('HTTP/1.1 100 Continue\r\n\r\n');

/**
 * RFC 9112 §9.6 tear-down: we close, but the client may still be sending (the rest of a
 * request we refused, pipelined requests). Closing with unread bytes makes TCP reset the
 * connection (RFC 1122 §4.2.2.13; Linux tcp_close), and a reset can reach the client before it
 * has read our response, which it then loses. So: half-close, then read and discard until the
 * client's FIN, for HTTP_LINGER_MS in all (Apache's and nginx's lingering close; a client
 * trickling bytes does not extend it).
 */
async function lingeringClose(c: ServiceConn): Promise<void> {
  const end = c.api.now() + HTTP_LINGER_MS;
  try {
    c.api.shutdown(c.fd, SHUT_WR);
    for (let left = HTTP_LINGER_MS; left > 0; left = end - c.api.now()) {
      // SO_RCVTIMEO bounds one recv: each gets what is left of the total.
      const ms = Math.ceil(left);
      c.api.setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: Math.floor(ms / 1000), tv_usec: (ms % 1000) * 1000 });
      if ((await c.recv(READ_SIZE)).length === 0) break;
    }
  } catch (e) {
    // Timed out, reset or already gone: the connection is closed either way. Anything else is a bug.
    if (!(e instanceof SocketError)) throw e;
  }
}

/** One connection: requests answered one after another until close, EOF or a bad request. */
async function serveHttp(c: ServiceConn): Promise<string | null> {
  const r = await serveRequests(c);
  if (r === CLOSING) {
    await lingeringClose(c);
    return null;
  }
  return r;
}

/** serveRequests() answered with Connection: close. */
const CLOSING = 'closing';

/** Requests answered one after another until close (CLOSING), EOF (null) or an idle timeout. */
async function serveRequests(c: ServiceConn): Promise<string | null> {
  const { api, fd, cx } = c;
  api.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, { tv_sec: HTTP_IDLE_MS / 1000, tv_usec: 0 });
  let buf: Uint8Array = new Uint8Array(0);
  let nth = 0;
  /** Reads more into buf; false at EOF. */
  const more = async (): Promise<boolean> => {
    const d = await c.recv(READ_SIZE);
    if (d.length === 0) return false;
    buf = concat(buf, d);
    return true;
  };
  const answer = async (a: Answer, head: RequestHead | null, close: boolean): Promise<void> => {
    const when = cx.now();
    const res = render(a, when, { headOnly: head?.method === 'HEAD', close, minor: head?.minor ?? 1 });
    await c.sendAll(res.bytes);
    cx.stats.requests++;
    const line = head ? `${head.method} ${head.target} ${head.version}` : '-';
    cx.log(`http ${c.who} "${line}" ${a.status} ${res.bodyLength}`);
  };
  try {
    for (;;) {
      let r = parseHead(buf);
      while (r.kind === 'incomplete') {
        // EOF between requests, or inside an unfinished head: nothing to answer.
        if (!(await more())) return null;
        r = parseHead(buf);
      }
      if (r.kind === 'error') {
        await answer(text(r.status), null, true); // the stream is out of sync: close (RFC 9112 §9.6)
        return CLOSING;
      }
      const head = r.head;
      buf = buf.subarray(r.consumed);
      nth++;
      const allowed = head.method === 'GET' || head.method === 'HEAD';
      if (head.expectContinue && head.body.kind !== 'none') {
        // RFC 9110 §10.1.1: a final status instead of 100 when we will refuse; then close
        // rather than read a body the client may not send.
        if (!allowed) {
          await answer(route(head, c, cx.now(), nth), head, true);
          return CLOSING;
        }
        await c.sendAll(CONTINUE);
      }
      // Read and discard the body, so the next request starts where it should.
      if (head.body.kind === 'length') {
        let left = head.body.length;
        for (;;) {
          const n = Math.min(left, buf.length);
          buf = buf.subarray(n);
          left -= n;
          if (left === 0) break;
          if (!(await more())) return null;
        }
      } else if (head.body.kind === 'chunked') {
        const body = new ChunkedDiscarder();
        for (;;) {
          const used = body.feed(buf, 0);
          if (typeof used === 'string') {
            await answer(text(400), head, true);
            return CLOSING;
          }
          buf = buf.subarray(used);
          if (body.done) break;
          if (!(await more())) return null;
        }
      }
      await answer(route(head, c, cx.now(), nth), head, !head.keepAlive);
      if (!head.keepAlive) return CLOSING;
    }
  } catch (e) {
    // SO_RCVTIMEO ran out: an idle keep-alive connection, or a stalled request.
    if (e instanceof SocketError && e.code === 'EAGAIN') return 'idle timeout';
    throw e;
  }
}

export function httpService(): ServiceImpl {
  return { tcp: serveHttp, udp: null };
}

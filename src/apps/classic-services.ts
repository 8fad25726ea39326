/**
 * The four classic small services, each over TCP and UDP as its RFC defines both:
 * echo (RFC 862), discard (RFC 863), chargen (RFC 864) and daytime (RFC 867).
 */
import { MSG_DONTWAIT } from '../socket/constants.js';
import { SocketError } from '../stack/errno.js';
import type { ServiceConn } from './service-conn.js';

/**
 * One service's behaviour: `tcp` serves one accepted connection to its end and returns the
 * reason for the log line (null: the handler logged for itself); `udp` answers one datagram
 * (null: no answer). The framework in services.ts owns sockets, counting and closing.
 */
export interface ServiceImpl {
  tcp(c: ServiceConn): Promise<string | null>;
  udp: ((data: Uint8Array) => Uint8Array | null) | null;
}

/** Bytes asked for per recv(): 64 KiB, so echo streams at the speed of the link. */
export const READ_SIZE = 65536;

// ---- echo (RFC 862) -------------------------------------------------------------------------

/** TCP echo: send back whatever arrives until the client's EOF; then our close() sends the FIN. */
async function echoTcp(c: ServiceConn): Promise<string> {
  for (;;) {
    const data = await c.recv(READ_SIZE);
    if (data.length === 0) return 'EOF';
    await c.sendAll(data);
  }
}

// ---- discard (RFC 863) ----------------------------------------------------------------------

/** Reads and drops everything until EOF ("simply throw away any data it receives"). */
async function discardTcp(c: ServiceConn): Promise<string> {
  for (;;) {
    const data = await c.recv(READ_SIZE);
    if (data.length === 0) return 'EOF';
  }
}

// ---- chargen (RFC 864) ----------------------------------------------------------------------

/** The 95 printable ASCII characters, ' ' (32) to '~' (126). */
const PRINTABLE = 95;
/** RFC 864's suggested pattern: 72 characters per line, then CR LF. */
export const CHARGEN_LINE_CHARS = 72;
export const CHARGEN_LINE_BYTES = CHARGEN_LINE_CHARS + 2;

/** Line `i` of the pattern: 72 printable characters starting at the (i mod 95)th, CR LF. */
export function chargenLine(i: number): Uint8Array {
  const out = new Uint8Array(CHARGEN_LINE_BYTES);
  const first = i % PRINTABLE;
  for (let k = 0; k < CHARGEN_LINE_CHARS; k++) out[k] = 32 + ((first + k) % PRINTABLE);
  out[CHARGEN_LINE_CHARS] = 13;
  out[CHARGEN_LINE_CHARS + 1] = 10;
  return out;
}

/**
 * Whole cycles of the 95-line pattern (7030 bytes each), 9 of them (63270 bytes, under 64 KiB):
 * sending this buffer again and again continues the pattern seamlessly. Built on first use.
 */
let cycles: Uint8Array | null = null;
function chargenCycles(): Uint8Array {
  if (cycles) return cycles;
  const one = PRINTABLE * CHARGEN_LINE_BYTES;
  const buf = new Uint8Array(9 * one);
  for (let i = 0; i < PRINTABLE; i++) buf.set(chargenLine(i), i * CHARGEN_LINE_BYTES);
  for (let k = 1; k < 9; k++) buf.copyWithin(k * one, 0, one);
  cycles = buf;
  return buf;
}

/**
 * TCP chargen: the pattern until the client goes away (its RST makes send fail with EPIPE or
 * ECONNRESET). Data the client sends is read and thrown away, as the RFC says, so its data
 * never fills our receive window nor turns our close into an RST.
 */
async function chargenTcp(c: ServiceConn): Promise<string> {
  const drain = (async () => {
    try {
      while (!c.closed) if ((await c.recv(READ_SIZE)).length === 0) return;
    } catch {
      // the connection ended (or the sender closed it): nothing to drop any more
    }
  })();
  void drain; // ends with the connection: its pending recv fails with EBADF once we close
  const buf = chargenCycles();
  for (;;) await c.sendAll(buf);
}

/** Lines per UDP chargen answer: 6 x 74 = 444 bytes, within the RFC's "between 0 and 512". */
export const CHARGEN_UDP_LINES = 6;

/**
 * UDP chargen answers each datagram with one datagram of pattern. The RFC suggests a random
 * length up to 512; we choose a fixed, deterministic one: the next 6 lines, continuing where
 * this service's previous answer stopped, so successive answers show the rotation.
 */
function chargenUdp(): (data: Uint8Array) => Uint8Array {
  let line = 0;
  return () => {
    const out = new Uint8Array(CHARGEN_UDP_LINES * CHARGEN_LINE_BYTES);
    for (let k = 0; k < CHARGEN_UDP_LINES; k++) out.set(chargenLine(line + k), k * CHARGEN_LINE_BYTES);
    line = (line + CHARGEN_UDP_LINES) % PRINTABLE;
    return out;
  };
}

// ---- daytime (RFC 867) ----------------------------------------------------------------------

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * The RFC 867 line in the RFC's own suggested form (its example "Weekday, Month Day, Year
 * Time-Zone"), in UTC: "Saturday, November 21, 2026 14:05:01-UTC\r\n".
 */
export function daytimeLine(d: Date): string {
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]}, ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${time}-UTC\r\n`;
}

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0x7f;
  return out;
}

/**
 * TCP daytime: the line, then close. What the client sent is thrown away (RFC 867) — read
 * without waiting first, so that unread data does not turn our close into an RST.
 */
async function daytimeTcp(c: ServiceConn): Promise<string> {
  await c.sendAll(ascii(daytimeLine(c.cx.now())));
  try {
    while ((await c.recv(READ_SIZE, MSG_DONTWAIT)).length > 0);
  } catch (e) {
    if (!(e instanceof SocketError)) throw e; // EAGAIN: nothing (more) to throw away
  }
  return 'sent the time';
}

// ---- the table ----------------------------------------------------------------------------

export type ClassicName = 'echo' | 'discard' | 'chargen' | 'daytime';

/** A fresh instance of a classic service (UDP chargen keeps its own position in the pattern). */
export function classicService(name: ClassicName, now: () => Date): ServiceImpl {
  switch (name) {
    case 'echo':
      return { tcp: echoTcp, udp: (data) => data }; // RFC 862: "send back the data"
    case 'discard':
      return { tcp: discardTcp, udp: () => null }; // RFC 863: no answer
    case 'chargen':
      return { tcp: chargenTcp, udp: chargenUdp() };
    case 'daytime':
      return { tcp: daytimeTcp, udp: () => ascii(daytimeLine(now())) };
  }
}

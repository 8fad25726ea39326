/**
 * HTTP/1.x request parsing for the small http service (RFC 9112 message syntax, RFC 9110
 * semantics): the request head (request line and header fields) and the framing of its body.
 * Pure functions over bytes: bad input gives a typed error value with the status to answer.
 */

/** Request line + header fields are limited to 8 KiB; more is 431 (RFC 6585 §5). */
export const MAX_HEAD = 8192;

export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

export interface RequestHead {
  method: string;
  target: string;
  /** The target's path without the query: '/x' from '/x?y' or 'http://h/x?y'; '*' or '' otherwise. */
  path: string;
  /** 'HTTP/1.1' */
  version: string;
  /** The minor version (the major is 1: others are answered 505). */
  minor: number;
  /** Field names lowercased, values with surrounding whitespace removed, in order. */
  headers: Array<[string, string]>;
  /** Whether the connection persists after the answer (RFC 9112 §9.3). */
  keepAlive: boolean;
  body: BodyFraming;
  /** `Expect: 100-continue` (RFC 9110 §10.1.1). */
  expectContinue: boolean;
}

export type HeadResult =
  | { kind: 'incomplete' }
  | { kind: 'request'; head: RequestHead; consumed: number }
  | { kind: 'error'; status: 400 | 431 | 505; reason: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VERSION = /^HTTP\/([0-9])\.([0-9])$/;
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*(.*)$/;
/** Field values: no control characters but HT (RFC 9110 §5.5; obs-text is allowed). */
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
/** Request targets are visible ASCII (RFC 9112 §3.2, RFC 3986 characters). */
const BAD_TARGET = /[^\x21-\x7e]/;

const bad = (reason: string): HeadResult => ({ kind: 'error', status: 400, reason });

/** Where the head ends (just past its empty line), -1 if not yet in buf, -2 if over the limit. */
function headEnd(buf: Uint8Array, start: number): number {
  const stop = Math.min(buf.length, start + MAX_HEAD);
  for (let i = start; i < stop; i++) {
    if (buf[i] !== 10) continue;
    // A line ends at LF (a preceding CR is part of CRLF); an empty line ends the head.
    if (buf[i + 1] === 10) return i + 2;
    if (buf[i + 1] === 13 && buf[i + 2] === 10) return i + 3;
  }
  return buf.length - start >= MAX_HEAD ? -2 : -1;
}

function latin1(buf: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i += 4096) s += String.fromCharCode(...buf.subarray(i, Math.min(to, i + 4096)));
  return s;
}

/** Comma-separated list elements, lowercased (RFC 9110 §5.6.1), over every field line of `name`. */
function listOf(headers: Array<[string, string]>, name: string): string[] {
  const out: string[] = [];
  for (const [n, v] of headers) {
    if (n !== name) continue;
    for (const part of v.split(',')) {
      const t = part.trim().toLowerCase();
      if (t) out.push(t);
    }
  }
  return out;
}

/**
 * Parses the request head at the start of `buf`. Empty lines before the request line are
 * skipped (RFC 9112 §2.2); LF alone is accepted as a line end, a bare CR is not.
 */
export function parseHead(buf: Uint8Array): HeadResult {
  let start = 0;
  while (start < buf.length && (buf[start] === 10 || (buf[start] === 13 && buf[start + 1] === 10))) start += buf[start] === 10 ? 1 : 2;
  if (start >= buf.length || (buf[start] === 13 && start + 1 >= buf.length)) {
    return start > MAX_HEAD ? { kind: 'error', status: 431, reason: 'too many empty lines' } : { kind: 'incomplete' };
  }
  const end = headEnd(buf, start);
  if (end === -1) return { kind: 'incomplete' };
  if (end === -2) return { kind: 'error', status: 431, reason: `request head longer than ${MAX_HEAD} bytes` };
  const lines = latin1(buf, start, end).split('\n');
  lines.length -= 2; // the empty line and what follows its LF
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    lines[i] = l.endsWith('\r') ? l.slice(0, -1) : l;
    if (lines[i]!.includes('\r')) return bad('bare CR in the request head');
  }

  // request-line = method SP request-target SP HTTP-version (RFC 9112 §3)
  const parts = lines[0]!.split(' ');
  if (parts.length !== 3) return bad('malformed request line');
  const [method, target, version] = parts as [string, string, string];
  const v = VERSION.exec(version);
  if (!v) return bad('malformed HTTP version');
  if (v[1] !== '1') return { kind: 'error', status: 505, reason: `${version} is not supported` };
  const minor = Number(v[2]);
  if (!TOKEN.test(method)) return bad('malformed method');
  if (target === '' || BAD_TARGET.test(target)) return bad('malformed request target');
  let path: string;
  const abs = ABSOLUTE.exec(target);
  if (target.startsWith('/')) path = target;
  else if (abs) path = abs[1] || '/';
  else if (target === '*' && method === 'OPTIONS') path = '*';
  else if (method === 'CONNECT') path = '';
  else return bad('malformed request target');
  const q = path.search(/[?#]/);
  if (q >= 0) path = path.slice(0, q);

  // field-line = field-name ":" OWS field-value OWS (RFC 9112 §5)
  const headers: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith(' ') || l.startsWith('\t')) return bad('obsolete line folding'); // RFC 9112 §5.2
    const colon = l.indexOf(':');
    // No whitespace between name and colon (RFC 9112 §5.1: MUST reject with 400).
    if (colon <= 0 || !TOKEN.test(l.slice(0, colon))) return bad('malformed header field');
    const value = l.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (BAD_VALUE.test(value)) return bad('control character in a header field');
    headers.push([l.slice(0, colon).toLowerCase(), value]);
  }

  // RFC 9112 §3.2: a 1.1 request without exactly one Host is answered 400.
  const hosts = headers.filter(([n]) => n === 'host').length;
  if (hosts > 1 || (minor >= 1 && hosts === 0)) return bad(hosts > 1 ? 'more than one Host' : 'no Host header');

  // RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive".
  const conn = listOf(headers, 'connection');
  let keepAlive = conn.includes('close') ? false : minor >= 1 || conn.includes('keep-alive');

  // Body framing, RFC 9112 §6.3.
  let body: BodyFraming = { kind: 'none' };
  const te = listOf(headers, 'transfer-encoding');
  const cl = listOf(headers, 'content-length');
  if (headers.some(([n]) => n === 'transfer-encoding')) {
    // Item 3: with Content-Length too, framing is ambiguous (request smuggling): reject.
    if (cl.length > 0) return bad('both Transfer-Encoding and Content-Length');
    // Item 4: chunked must be the final coding, else the length cannot be known.
    if (te[te.length - 1] !== 'chunked') return bad('Transfer-Encoding without final chunked');
    body = { kind: 'chunked' };
    // RFC 9112 §6.1: a 1.0 message with Transfer-Encoding has faulty framing: close after it.
    if (minor === 0) keepAlive = false;
  } else if (cl.length > 0) {
    // Item 5: one value (repeated identical values are allowed), digits only.
    if (cl.some((x) => x !== cl[0]) || !/^[0-9]{1,15}$/.test(cl[0]!)) return bad('invalid Content-Length');
    const length = Number(cl[0]);
    if (length > 0) body = { kind: 'length', length };
  }
  const expectContinue = listOf(headers, 'expect').includes('100-continue');
  return { kind: 'request', head: { method, target, path, version, minor, headers, keepAlive, body, expectContinue }, consumed: end };
}

const SIZE = 0;
const DATA = 1;
const DATA_END = 2;
const TRAILER = 3;
const DONE = 4;

/** Longest chunk-size line (with extensions) and trailer section we accept. */
const MAX_LINE = 4096;

/**
 * Reads a chunked body (RFC 9112 §7.1) to its end, discarding the data: the http service
 * accepts chunked request bodies but has no use for their contents.
 */
export class ChunkedDiscarder {
  private state = SIZE;
  private left = 0;
  private line = '';
  private trailerBytes = 0;

  get done(): boolean {
    return this.state === DONE;
  }

  /**
   * Consumes bytes of buf from `off`; returns how many were used (the rest belongs to the next
   * request once done), or an error text for a malformed body.
   */
  feed(buf: Uint8Array, off: number): number | string {
    let i = off;
    while (i < buf.length && this.state !== DONE) {
      if (this.state === DATA) {
        const n = Math.min(this.left, buf.length - i);
        i += n;
        this.left -= n;
        if (this.left === 0) this.state = DATA_END;
        continue;
      }
      const b = buf[i++]!;
      if (b !== 10) {
        this.line += String.fromCharCode(b);
        if (this.line.length > MAX_LINE) return 'chunk line too long';
        continue;
      }
      const l = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
      this.line = '';
      const err = this.endLine(l);
      if (err) return err;
    }
    return i - off;
  }

  private endLine(l: string): string | null {
    switch (this.state) {
      case SIZE: {
        // chunk-size [ chunk-ext ] CRLF; extensions are ignored (§7.1.1).
        const m = /^([0-9A-Fa-f]{1,12})[ \t]*(;.*)?$/.exec(l);
        if (!m) return 'malformed chunk size';
        this.left = parseInt(m[1]!, 16);
        this.state = this.left === 0 ? TRAILER : DATA;
        return null;
      }
      case DATA_END:
        if (l !== '') return 'chunk data longer than its size';
        this.state = SIZE;
        return null;
      default: // TRAILER: field lines until the empty line (§7.1.2), ignored
        this.trailerBytes += l.length + 2;
        if (this.trailerBytes > MAX_HEAD) return 'trailer section too long';
        if (l === '') this.state = DONE;
        return null;
    }
  }
}

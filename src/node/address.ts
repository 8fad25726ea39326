import { isIP, isIPv4, isIPv6 } from 'node:net';
import { ipv6Error, notFoundError } from './node-errors.js';

/**
 * Address text the way Node's net classifies it. These are pure functions of a string, so
 * Node's own (the exact rules: no leading zeros in IPv4, zone ids in IPv6…) are the right ones.
 */
export { isIP, isIPv4, isIPv6 };

/** What dns.lookup's callback receives (one address, or all of them with `all: true`). */
export type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | Array<{ address: string; family: number }>, family?: number) => void;

/** A user's `lookup` option: the signature of dns.lookup. */
export type LookupFunction = (hostname: string, options: { family: number; hints: number; all: boolean }, callback: LookupCallback) => void;

/**
 * Resolves `host` to an IPv4 address for connect/listen. The stack has no resolver: 'localhost'
 * is 127.0.0.1, other names go to the user's `lookup` (dns.lookup's signature) or fail like
 * Node's (ENOTFOUND, syscall getaddrinfo). Calls back asynchronously, as dns.lookup does; an
 * IPv6 answer is an EAFNOSUPPORT error (IPv4 only), never skipped in silence.
 */
export function lookupIPv4(host: string, lookup: LookupFunction | undefined, hints: number, cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  if (!lookup) {
    process.nextTick(() => {
      if (host.toLowerCase() === 'localhost') cb(null, '127.0.0.1', 4);
      else cb(notFoundError(host), '', 4);
    });
    return;
  }
  let called = false;
  // Asked on the next tick (dns.lookup answers later anyway): a lookup that answers at once
  // would otherwise emit 'lookup' before the caller of connect() could listen for it.
  const answer: LookupCallback = (err, address, family) => {
    if (called) return;
    called = true;
    if (err) return cb(err, '', 4);
    // A lookup that answers as with `all: true` anyway: take its first IPv4 address.
    if (Array.isArray(address)) {
      const v4 = address.find((a) => a.family === 4 || isIPv4(a.address));
      if (!v4) return cb(ipv6Error(`${host} resolved to IPv6 only`, 'connect'), '', 6);
      return cb(null, v4.address, 4);
    }
    if (family === 6 || isIPv6(address)) return cb(ipv6Error(`${host} resolved to ${address}`, 'connect'), address, 6);
    if (!isIPv4(address)) return cb(notFoundError(host), '', 4);
    cb(null, address, 4);
  };
  process.nextTick(() => {
    try {
      lookup(host, { family: 4, hints, all: false }, answer);
    } catch (e) {
      answer(e instanceof Error ? e : new Error(String(e)), '');
    }
  });
}

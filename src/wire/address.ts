/**
 * IPv4 and Ethernet MAC addresses. An IPv4 address is an unsigned 32-bit number
 * (host order value of the big-endian wire bytes) everywhere in the stack; a MAC is 6 bytes.
 */

/**
 * Parses a dotted quad exactly as Linux/glibc `inet_pton(AF_INET)` does: four decimal parts
 * 0-255, no sign, no leading zeros ('01.2.3.4' is rejected), no shorthand ('10.1'),
 * nothing else around it. Returns null when the text is not such an address.
 */
export function parseIPv4(text: string): number | null {
  const n = text.length;
  if (n < 7 || n > 15) return null;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return null; // leading zero, as inet_pton
      part = part * 10 + (c - 48);
      if (part > 255) return null;
      digits++;
    } else if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return null;
    }
  }
  if (digits === 0 || dots !== 3) return null;
  return value * 256 + part;
}

/** Dotted-quad text of an address (uint32; a negative int32 is read as its uint32). */
export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/**
 * Parses 'a.b.c.d/p' (p a decimal 0-32 without leading zeros); a bare address means /32.
 * The address is kept as written (host part included), as `ip addr add` takes it.
 */
export function parseCidr(text: string): { address: number; prefix: number } | null {
  const slash = text.indexOf('/');
  if (slash < 0) {
    const address = parseIPv4(text);
    return address === null ? null : { address, prefix: 32 };
  }
  const address = parseIPv4(text.slice(0, slash));
  if (address === null) return null;
  const p = text.slice(slash + 1);
  if (p.length === 0 || p.length > 2 || (p.length === 2 && p.charCodeAt(0) === 48)) return null;
  let prefix = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    prefix = prefix * 10 + (c - 48);
  }
  return prefix > 32 ? null : { address, prefix };
}

/** The netmask of a prefix length as uint32 (0 -> 0.0.0.0, 32 -> 255.255.255.255); clamped to 0-32. */
export function prefixMask(prefix: number): number {
  if (!(prefix > 0)) return 0;
  if (prefix >= 32) return 0xffffffff;
  return (0xffffffff << (32 - prefix)) >>> 0;
}

/** The network address: `addr` with its host bits cleared. */
export function networkOf(addr: number, prefix: number): number {
  return (addr & prefixMask(prefix)) >>> 0;
}

/**
 * The directed broadcast address: `addr` with all host bits set (RFC 919/922). For /31 and
 * /32 this is plain arithmetic; RFC 3021 /31 links have no broadcast, callers decide.
 */
export function broadcastOf(addr: number, prefix: number): number {
  return (addr | ~prefixMask(prefix)) >>> 0;
}

/** 224.0.0.0/4, class D (RFC 5771). */
export function isMulticastIPv4(addr: number): boolean {
  return addr >>> 28 === 0xe;
}

/** 255.255.255.255, the limited broadcast (RFC 919, RFC 1122 §3.2.1.3(c)). */
export function isLimitedBroadcast(addr: number): boolean {
  return addr >>> 0 === 0xffffffff;
}

/** 127.0.0.0/8 (RFC 1122 §3.2.1.3(g)). */
export function isLoopbackIPv4(addr: number): boolean {
  return addr >>> 24 === 127;
}

/** 0.0.0.0, "this host" / INADDR_ANY (RFC 1122 §3.2.1.3(a)). */
export function isUnspecifiedIPv4(addr: number): boolean {
  return addr >>> 0 === 0;
}

/**
 * 240.0.0.0/4, class E, reserved (RFC 1112 §4). Like Linux's IN_BADCLASS this includes
 * 255.255.255.255: test isLimitedBroadcast first where broadcast is acceptable.
 */
export function isClassE(addr: number): boolean {
  return addr >>> 28 === 0xf;
}

// ---- MAC addresses ----

/** ff:ff:ff:ff:ff:ff. Shared: never write into it. */
export const BROADCAST_MAC: Uint8Array = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses six two-digit hex bytes separated by ':' (or all by '-'), any letter case.
 * Returns a new 6-byte array, or null.
 */
export function parseMac(text: string): Uint8Array | null {
  if (text.length !== 17) return null;
  const sep = text.charCodeAt(2);
  if (sep !== 58 /* : */ && sep !== 45 /* - */) return null;
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const p = i * 3;
    if (i > 0 && text.charCodeAt(p - 1) !== sep) return null;
    const hi = hexNibble(text.charCodeAt(p));
    const lo = hexNibble(text.charCodeAt(p + 1));
    if (hi < 0 || lo < 0) return null;
    mac[i] = (hi << 4) | lo;
  }
  return mac;
}

const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push(i.toString(16).padStart(2, '0'));

/** 'aa:bb:cc:dd:ee:ff' (lower case) of the 6 bytes at `off`. */
export function formatMac(bytes: Uint8Array, off = 0): string {
  return `${HEX2[bytes[off]]}:${HEX2[bytes[off + 1]]}:${HEX2[bytes[off + 2]]}:${HEX2[bytes[off + 3]]}:${HEX2[bytes[off + 4]]}:${HEX2[bytes[off + 5]]}`;
}

/** True when the 6 bytes at a[aOff] equal those at b[bOff]. */
export function macEquals(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  return (
    a[aOff] === b[bOff] &&
    a[aOff + 1] === b[bOff + 1] &&
    a[aOff + 2] === b[bOff + 2] &&
    a[aOff + 3] === b[bOff + 3] &&
    a[aOff + 4] === b[bOff + 4] &&
    a[aOff + 5] === b[bOff + 5]
  );
}

/** True for ff:ff:ff:ff:ff:ff at `off`. */
export function isBroadcastMac(buf: Uint8Array, off = 0): boolean {
  return (buf[off] & buf[off + 1] & buf[off + 2] & buf[off + 3] & buf[off + 4] & buf[off + 5]) === 0xff;
}

/** True when the I/G bit (least significant bit of the first byte) is set: multicast, broadcast included (IEEE 802.3 §3.2.3). */
export function isMulticastMac(buf: Uint8Array, off = 0): boolean {
  return (buf[off] & 1) === 1;
}

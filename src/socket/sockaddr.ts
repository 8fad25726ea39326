import { SocketError } from '../stack/errno.js';
import { formatIPv4, parseIPv4 } from '../wire/address.js';

/** A socket address as the API takes and returns it: the family follows the address text. */
export interface SockAddr {
  address: string;
  port: number;
}

/** Parses an AF_INET socket address; EAFNOSUPPORT for IPv6 text, EINVAL for anything malformed. */
export function toInet(sa: unknown, syscall: string): { addr: number; port: number } {
  if (typeof sa !== 'object' || sa === null) throw new SocketError('EFAULT', syscall, 'address must be { address, port }');
  const { address, port } = sa as Partial<SockAddr>;
  if (typeof address !== 'string') throw new SocketError('EINVAL', syscall, 'address must be a string');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SocketError('EINVAL', syscall, `port must be an integer 0-65535, got ${String(port)}`);
  }
  if (address.includes(':')) throw new SocketError('EAFNOSUPPORT', syscall, `${address} is not an IPv4 address`);
  const addr = parseIPv4(address);
  if (addr === null) throw new SocketError('EINVAL', syscall, `'${address}' is not a dotted-quad IPv4 address`);
  return { addr, port };
}

export function fromInet(addr: number, port: number): SockAddr {
  return { address: formatIPv4(addr), port };
}

import type { ErrnoCode } from './errno.js';

/**
 * Linux icmp_err_convert: errno for each destination-unreachable code, and whether the
 * error is "hard" (reported on a connected socket without IP_RECVERR).
 */
export const ICMP_UNREACH_ERRNO: ReadonlyArray<[ErrnoCode, boolean]> = [
  ['ENETUNREACH', false], ['EHOSTUNREACH', false], ['ENOPROTOOPT', true], ['ECONNREFUSED', true],
  ['EMSGSIZE', true], ['EOPNOTSUPP', false], ['ENETUNREACH', true], ['EHOSTDOWN', true],
  ['ENONET', true], ['ENETUNREACH', true], ['EHOSTUNREACH', true], ['ENETUNREACH', false],
  ['EHOSTUNREACH', false], ['EHOSTUNREACH', true], ['EHOSTUNREACH', true], ['EHOSTUNREACH', true],
];

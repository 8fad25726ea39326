/**
 * The runner's options: packetdrill's command-line flags (its config.c) with packetdrill's
 * defaults, plus the seed of the simulated network.
 */
import { parseCidr, parseIPv4 } from '../wire/address.js';

export interface RunOptions {
  /** 'ipv4' (default) or 'ipv6' (not supported yet: every script is reported unsupported). */
  ipVersion: 'ipv4' | 'ipv6';
  /** Timing slack for every event, in microseconds (packetdrill default 4000). */
  toleranceUsecs: number;
  /** Extra slack as a percentage of the script time since the previous event (default 0). */
  tolerancePercent: number;
  /** The sockstack host's address in CIDR form (default 192.168.0.1/24; a bare address gets /24). */
  localIp: string;
  /** The address the simulated remote peer uses (default 192.0.2.1). */
  remoteIp: string;
  /**
   * The path MSS: when given and --mtu is not, the device MTU is mss + 40 (IPv4 + TCP headers),
   * so sockstack advertises this MSS on its SYNs.
   */
  mss: number | null;
  /** The device MTU (null: --mss + 40 when --mss is given, else 1500). */
  mtu: number | null;
  /** Tunable defaults of a stack whose scripts should run unchanged ('linux' | 'freebsd'), or none. */
  profile: 'linux' | 'freebsd' | null;
  /** Seed of the simulated network (ISNs, ports). */
  seed: number;
  /** The port `bind(fd, ..., ...)` uses (packetdrill --bind_port, default 8080). */
  bindPort: number;
  /** The port `connect(fd, ..., ...)` uses (packetdrill --connect_port, default 8080). */
  connectPort: number;
  /** The remote ISN the runner adds to every inbound script sequence number (null: from the seed). */
  remoteIsn: number | null;
  /** Verbose: every injected and sniffed packet goes into the result's log. */
  verbose: boolean;
}

export const DEFAULT_OPTIONS: RunOptions = {
  ipVersion: 'ipv4',
  toleranceUsecs: 4000,
  tolerancePercent: 0,
  localIp: '192.168.0.1/24',
  remoteIp: '192.0.2.1',
  mss: null,
  mtu: null,
  profile: null,
  seed: 1,
  bindPort: 8080,
  connectPort: 8080,
  remoteIsn: null,
  verbose: false,
};

/** The options with defaults filled in, or a message saying which value is wrong. */
export function resolveOptions(o: Partial<RunOptions> = {}): RunOptions | { error: string } {
  const r: RunOptions = { ...DEFAULT_OPTIONS, ...o };
  const local = r.localIp.includes('/') ? r.localIp : `${r.localIp}/24`;
  if (!parseCidr(local)) return { error: `--local_ip: '${r.localIp}' is not an IPv4 address` };
  r.localIp = local;
  if (parseIPv4(r.remoteIp) === null) return { error: `--remote_ip: '${r.remoteIp}' is not an IPv4 address` };
  const int = (v: number, lo: number, hi: number): boolean => Number.isInteger(v) && v >= lo && v <= hi;
  if (!(r.toleranceUsecs >= 0)) return { error: `--tolerance_usecs must be a non-negative number` };
  if (!(r.tolerancePercent >= 0)) return { error: `--tolerance_percent must be a non-negative number` };
  if (r.mss !== null && !int(r.mss, 88, 65495)) return { error: `--mss must be an integer 88-65495` };
  if (r.mtu !== null && !int(r.mtu, 128, 65535)) return { error: `--mtu must be an integer 128-65535` };
  if (!int(r.bindPort, 1, 65535) || !int(r.connectPort, 1, 65535)) return { error: 'ports must be 1-65535' };
  if (r.remoteIsn !== null && !int(r.remoteIsn, 0, 0xffffffff)) return { error: 'the remote ISN must be a uint32' };
  if (!Number.isInteger(r.seed)) return { error: `--seed must be an integer` };
  return r;
}

/** The device MTU the options imply (--mtu, else --mss + 40 when only --mss is given, else 1500). */
export function deviceMtu(o: RunOptions): number {
  if (o.mtu !== null) return o.mtu;
  return o.mss !== null ? o.mss + 40 : 1500;
}

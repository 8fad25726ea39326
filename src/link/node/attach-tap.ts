/**
 * Puts a sockstack host on a Linux TAP device: open (or create) the device, bridge it into a
 * segment of its own whose impairments apply to the TAP's frames in both directions (this is
 * how loss, delay and reordering reach a kernel without netem), and attach the host to that
 * segment with an address.
 */
import type { Network } from '../../sim/network.js';
import type { Host } from '../../sim/host.js';
import type { Impairments, Segment, SegmentPort } from '../segment.js';
import { PcapngWriter, tapToPcap } from '../pcapng.js';
import { TapDevice, type TapOptions } from './tap-device.js';
import { wallClock } from './wall-clock.js';

export interface AttachTapOptions {
  /** TAP device name; created if absent (and removed again on close). */
  dev: string;
  /** The host's address on the TAP link in CIDR form, e.g. '10.0.0.2/24'. */
  ip: string;
  /** Default gateway for the host (usually the kernel side's address). */
  gateway?: string;
  /** Loss, delay, reordering… applied by sockstack to frames in both directions. */
  impairments?: Partial<Impairments>;
  /** sockstack's MAC on the link (default: random, locally administered). */
  mac?: Uint8Array;
  /** Bring the device up (default true). */
  up?: boolean;
  /** Interface name inside the host (default eth<N>). */
  ifname?: string;
}

export interface TapAttachment {
  readonly device: TapDevice;
  readonly segment: Segment;
  /** The segment port the TAP is bridged through (its counters count the kernel's frames). */
  readonly port: SegmentPort;
  /**
   * Records both directions of the TAP link into `writer` (a new one by default), with
   * wall-clock timestamps. Returns the writer.
   */
  capture(writer?: PcapngWriter): PcapngWriter;
  /** Closes the device (a device we created disappears). */
  close(): Promise<void>;
}

export function attachTap(net: Network, host: Host, o: AttachTapOptions): TapAttachment {
  const topts: TapOptions = { name: o.dev };
  if (o.mac) topts.mac = o.mac;
  if (o.up !== undefined) topts.up = o.up;
  const device = TapDevice.open(topts);
  try {
    const segment = net.segment(`tap:${device.name}`, { mtu: device.mtu, ...o.impairments });
    const port = net.bridge(device, segment, device.kernelMac);
    net.attach(host, segment, o.ip, o.ifname, device.mac);
    if (o.gateway) host.setGateway(o.gateway);
    return {
      device,
      segment,
      port,
      capture(writer = new PcapngWriter()) {
        tapToPcap(writer, port, wallClock, { name: device.name });
        return writer;
      },
      close: () => device.close(),
    };
  } catch (e) {
    void device.close();
    throw e;
  }
}

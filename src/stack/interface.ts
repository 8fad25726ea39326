import type { NetDevice } from './device.js';
import { prefixMask, broadcastOf, formatIPv4, formatMac } from '../wire/address.js';

/** An IPv4 address on an interface (one per interface for now; aliases come with IPv6 work). */
export class Interface {
  readonly mask: number;
  readonly network: number;
  readonly broadcast: number;
  up = true;

  constructor(
    readonly index: number,
    readonly name: string,
    readonly device: NetDevice,
    readonly address: number,
    readonly prefix: number,
  ) {
    this.mask = prefixMask(prefix);
    this.network = (address & this.mask) >>> 0;
    this.broadcast = prefix >= 31 ? 0xffffffff : broadcastOf(address, prefix);
  }

  get mac(): Uint8Array {
    return this.device.mac;
  }
  get mtu(): number {
    return this.device.mtu;
  }
  get offload(): boolean {
    return this.device.checksumOffload === true;
  }

  /** True when `addr` is on this interface's subnet. */
  onLink(addr: number): boolean {
    return ((addr & this.mask) >>> 0) === this.network;
  }

  /** `ip addr`-style one-liner. */
  describe(): string {
    return `${this.name}: ${formatIPv4(this.address)}/${this.prefix} brd ${formatIPv4(this.broadcast)} ether ${formatMac(this.mac)} mtu ${this.mtu}${this.up ? '' : ' DOWN'}`;
  }
}

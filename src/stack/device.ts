/**
 * The host's view of a network device (an Ethernet port). Links (in-memory segments,
 * TAP devices, pcap wrappers) implement it; the host attaches an Interface to it.
 *
 * Ownership: `transmit(frame)` hands the frame to the device, which may keep it; the
 * caller must not touch it afterwards. A received frame passed to the receive handler
 * is owned by the receiver from then on: a host recycles the buffers of frames it built
 * (storage/frame-pool.ts) once it has processed them.
 */
export interface NetDevice {
  readonly name: string;
  /** 6-byte MAC address. */
  readonly mac: Uint8Array;
  /** Largest IP datagram the link carries (the Ethernet payload), e.g. 1500. */
  readonly mtu: number;
  /** Sends one complete Ethernet frame (header included, no FCS). */
  transmit(frame: Uint8Array): void;
  /** Installs the function that receives every frame arriving on this device. */
  setReceiver(receiver: (frame: Uint8Array) => void): void;
  /**
   * True when frames need no UDP/TCP checksums computed, and no checksums verified, on this
   * device (like Linux loopback's checksum offload). The IP header checksum is still
   * written on output, as Linux does. Optional; false when absent.
   */
  readonly checksumOffload?: boolean;
}

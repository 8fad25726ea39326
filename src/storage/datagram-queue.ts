/**
 * A FIFO of datagrams bounded by the bytes it holds (a UDP or raw socket's receive queue,
 * SO_RCVBUF). A datagram that does not fit is refused, never queued without bound.
 */
/**
 * What each queued datagram costs beyond its payload, in the spirit of Linux charging an
 * skb's truesize (buffer + struct sk_buff, 768 bytes for a small datagram on x86-64). It also
 * bounds a flood of empty datagrams, which carry no payload to count.
 */
export const DATAGRAM_OVERHEAD = 768;

export class DatagramQueue<M> {
  private items: Array<{ data: Uint8Array; meta: M }> = [];
  private head = 0;
  /** Payload bytes queued (what recv can return). */
  private held = 0;
  /** Bytes charged against the capacity: payload + overhead per datagram. */
  private charged = 0;

  constructor(public capacity: number) {}

  /** Payload bytes queued. */
  get bytes(): number {
    return this.held;
  }
  /** Bytes charged against the capacity (payload plus per-datagram overhead). */
  get chargedBytes(): number {
    return this.charged;
  }
  get length(): number {
    return this.items.length - this.head;
  }

  /**
   * Queues a datagram; false (and nothing kept) when the queue is already over capacity.
   * Linux __udp_enqueue_schedule_skb admits any datagram while the bytes already held are
   * at most sk_rcvbuf, so one datagram may take the queue past the limit.
   */
  push(data: Uint8Array, meta: M): boolean {
    if (this.charged > this.capacity) return false;
    this.items.push({ data, meta });
    this.held += data.length;
    this.charged += data.length + DATAGRAM_OVERHEAD;
    return true;
  }

  peek(): { data: Uint8Array; meta: M } | undefined {
    return this.items[this.head];
  }

  shift(): { data: Uint8Array; meta: M } | undefined {
    if (this.head >= this.items.length) return undefined;
    const it = this.items[this.head]!;
    this.items[this.head] = undefined as never;
    this.head++;
    this.held -= it.data.length;
    this.charged -= it.data.length + DATAGRAM_OVERHEAD;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return it;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.held = 0;
    this.charged = 0;
  }
}

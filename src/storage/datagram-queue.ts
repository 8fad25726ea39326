/**
 * A FIFO of datagrams bounded by the bytes it holds (a UDP or raw socket's receive queue,
 * SO_RCVBUF). A datagram that does not fit is refused, never queued without bound.
 */
export class DatagramQueue<M> {
  private items: Array<{ data: Uint8Array; meta: M }> = [];
  private head = 0;
  private held = 0;

  constructor(public capacity: number) {}

  get bytes(): number {
    return this.held;
  }
  get length(): number {
    return this.items.length - this.head;
  }

  /** Queues a datagram; false (and nothing kept) when it would exceed the capacity. */
  push(data: Uint8Array, meta: M): boolean {
    // Like Linux, admit a datagram while the queue is under its limit, and count the
    // datagram's own size toward it (sk_rmem_alloc + truesize > sk_rcvbuf drops).
    if (this.held + data.length > this.capacity && this.length > 0) return false;
    if (data.length > this.capacity) return false;
    this.items.push({ data, meta });
    this.held += data.length;
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
  }
}

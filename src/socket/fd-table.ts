/**
 * A process's descriptor table: lowest free descriptor first (POSIX), in O(log n) per open and
 * close. Slots above the highest ever used are handed out in order; freed ones wait in a
 * min-heap, as Linux finds the first zero bit of its open-fds bitmap.
 */
export class FdTable<T> {
  private readonly slots: Array<T | undefined> = [];
  /** Free descriptors below `top`, smallest first. */
  private readonly free: number[] = [];
  /** The next never-used descriptor. */
  private top: number;
  private open = 0;

  constructor(
    readonly first: number,
    readonly limit: number,
  ) {
    this.top = first;
  }

  get size(): number {
    return this.open;
  }

  get(fd: number): T | undefined {
    return this.slots[fd];
  }

  /** Whether alloc() would succeed (EMFILE otherwise). */
  hasRoom(): boolean {
    return this.free.length > 0 || this.top < this.limit;
  }

  /** Stores `value` at the lowest free descriptor and returns it, or -1 when the table is full. */
  alloc(value: T): number {
    let fd: number;
    if (this.free.length > 0) fd = this.popFree();
    else if (this.top < this.limit) fd = this.top++;
    else return -1;
    this.slots[fd] = value;
    this.open++;
    return fd;
  }

  /** Frees `fd`; false if it was not open. */
  release(fd: number): boolean {
    if (this.slots[fd] === undefined) return false;
    this.slots[fd] = undefined;
    this.open--;
    if (fd === this.top - 1) {
      // Closing the newest descriptor lowers the high-water mark (over any free slots below it,
      // whose heap entries become stale: popFree drops them).
      do this.top--;
      while (this.top > this.first && this.slots[this.top - 1] === undefined);
    } else {
      this.pushFree(fd);
    }
    return true;
  }

  /** Open descriptors in ascending order. */
  *entries(): IterableIterator<[number, T]> {
    for (let fd = this.first; fd < this.top; fd++) {
      const v = this.slots[fd];
      if (v !== undefined) yield [fd, v];
    }
  }

  private pushFree(fd: number): void {
    const h = this.free;
    let i = h.length;
    h.push(fd);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= fd) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = fd;
  }

  /** Smallest free descriptor. Heap entries at or above `top` are stale (the mark dropped below them). */
  private popFree(): number {
    const fd = this.popMin();
    if (fd < this.top) return fd;
    this.free.length = 0; // the minimum is stale, so every entry is
    return this.top++;
  }

  private popMin(): number {
    const h = this.free;
    const min = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && h[r]! < h[l]! ? r : l;
        if (h[c]! >= last) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return min;
  }
}

import type { SocketApi } from '../socket/socket-api.js';
import { SocketError } from '../stack/errno.js';

/** Bytes a readable asks recv for at most, and the readable's high-water mark (bytes queued unread). */
export const READ_CHUNK = 65536;
export const READABLE_HIGH_WATER_MARK = 65536;

/**
 * A promise with its settle functions. It is marked handled at birth: a socket whose `opened` or
 * `closed` nobody awaits must not crash a Node process with an unhandled rejection; whoever
 * awaits it still gets the error. Settling twice is a no-op, as for any promise.
 */
export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (v: T) => void;
  reject!: (e: unknown) => void;
  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.promise.catch(() => {});
  }
}

/** A chunk for a byte sink: any BufferSource, viewed as bytes without a copy. */
export function toBytes(chunk: unknown, what: string): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError(`${what} takes a Uint8Array (or another ArrayBufferView or an ArrayBuffer), got ${chunk === null ? 'null' : typeof chunk}`);
}

/** Host names the stack can reach without a resolver: IPv4 literals, and localhost (the loopback). */
export function resolveHostname(hostname: string): string {
  return hostname === 'localhost' ? '127.0.0.1' : hostname;
}

/**
 * The life of a socket seen through a readable and a writable stream (the shape of Cloudflare's
 * connect() and the Direct Sockets API): `opened` settles once the socket is usable, the readable
 * pulls from the socket only while its queue wants more (backpressure reaches the protocol), a
 * write resolves once the stack has taken the bytes, and `closed` settles when both directions are
 * done (the descriptor is closed then) or rejects with the first error, which also errors both
 * streams. Subclasses supply the protocol's receive, transmit and half-closes.
 */
export abstract class SocketStreams<Info, R, W> {
  readonly readable: ReadableStream<R>;
  readonly writable: WritableStream<W>;
  private readonly openD = new Deferred<Info>();
  private readonly closeD = new Deferred<void>();
  private rc: ReadableStreamDefaultController<R> | null = null;
  private wc: WritableStreamDefaultController | null = null;
  private readDone = false;
  private writeDone = false;
  /** close(), a failure or both directions finishing: no further stream or socket activity. */
  private ended = false;
  private failure: unknown = null;
  /** Resolves true once opened, false if opening failed or the socket ended first. */
  private ready: Promise<boolean> = Promise.resolve(false);
  /** Close with an RST (SO_LINGER {1, 0}) when the descriptor goes: writable.abort(). */
  private resetOnRelease = false;

  protected constructor(
    protected readonly api: SocketApi,
    /** The descriptor; -1 once released. */
    protected fd: number,
    size: (chunk: R) => number,
  ) {
    this.readable = new ReadableStream<R>(
      {
        start: (c) => {
          this.rc = c;
        },
        pull: (c) => this.pull(c),
        cancel: () => this.cancelRead(),
      },
      { highWaterMark: READABLE_HIGH_WATER_MARK, size },
    );
    this.writable = new WritableStream<W>({
      start: (c) => {
        this.wc = c;
      },
      write: (chunk) => this.write(chunk),
      close: () => this.closeWrite(),
      abort: (reason) => this.abortWrite(reason),
    });
  }

  get opened(): Promise<Info> {
    return this.openD.promise;
  }

  get closed(): Promise<void> {
    return this.closeD.promise;
  }

  /** Starts the socket's life: `opening` resolves with the socket's addresses or rejects with why not. */
  protected begin(opening: Promise<Info>): void {
    this.ready = opening.then(
      (info) => {
        if (this.ended) return false;
        this.openD.resolve(info);
        return true;
      },
      (e: unknown) => {
        this.fail(e);
        return false;
      },
    );
  }

  /** Up to `max` more from the socket; null at the end of the stream. */
  protected abstract receive(max: number): Promise<R | null>;
  /** Hands one chunk to the stack; resolves when the stack has taken it. */
  protected abstract transmit(chunk: W): Promise<void>;
  /** The writable closed: no more data this way (TCP: FIN). */
  protected abstract endWrite(): void;
  /** The readable was cancelled: nothing more is wanted from the peer. */
  protected abstract endRead(): void;
  /** Makes the coming close an abortive one (TCP: RST); no-op where there is no such thing. */
  protected abstract arrangeReset(fd: number): void;

  private async pull(c: ReadableStreamDefaultController<R>): Promise<void> {
    if (!(await this.ready)) return;
    let item: R | null;
    try {
      // The queue's free room bounds the read: bytes stay in the socket (and its window) until wanted.
      item = await this.receive(Math.max(1, Math.min(c.desiredSize ?? 1, READ_CHUNK)));
    } catch (e) {
      this.fail(e);
      return;
    }
    if (this.ended || this.readDone) return; // closed or cancelled meanwhile: the data has nowhere to go
    if (item === null) {
      this.readDone = true;
      c.close();
      this.maybeFinish();
      return;
    }
    c.enqueue(item);
  }

  private cancelRead(): void {
    if (this.readDone || this.ended) return;
    this.readDone = true;
    try {
      this.endRead();
    } catch {
      // the other direction still decides how the socket ends
    }
    this.maybeFinish();
  }

  private async write(chunk: W): Promise<void> {
    if (!(await this.ready)) throw this.failure ?? new SocketError('EBADF', 'send', 'the socket is closed');
    try {
      await this.transmit(chunk);
    } catch (e) {
      // A chunk the sink refuses (a TypeError) or a stack error: either way the socket is done.
      this.fail(e);
      throw e;
    }
  }

  private async closeWrite(): Promise<void> {
    if (!(await this.ready)) throw this.failure ?? new SocketError('EBADF', 'shutdown', 'the socket is closed');
    try {
      this.endWrite();
    } catch (e) {
      this.fail(e);
      throw e;
    }
    this.writeDone = true;
    this.maybeFinish();
  }

  private abortWrite(reason: unknown): void {
    this.resetOnRelease = true;
    this.fail(reason ?? new SocketError('ECONNRESET', 'send', 'the writable was aborted'));
  }

  /** Both directions finished normally: the descriptor goes, `closed` resolves. */
  private maybeFinish(): void {
    if (!this.readDone || !this.writeDone || this.ended) return;
    this.ended = true;
    void this.release().then(() => this.closeD.resolve());
  }

  /** The first error ends everything: both streams error with it, `opened` and `closed` reject. */
  protected fail(e: unknown): void {
    if (this.ended) return; // errors after the end are echoes of the teardown (EBADF)
    this.ended = true;
    this.failure = e;
    this.rc?.error(e);
    this.wc?.error(e);
    this.openD.reject(e);
    this.closeD.reject(e);
    void this.release();
  }

  /**
   * Closes the socket now, whatever the streams are doing (Cloudflare's close()): the readable
   * ends after what it already queued, the writable errors, the descriptor is closed (as close(2):
   * a FIN, or an RST when received data was never read). Resolves once closed.
   */
  async close(): Promise<void> {
    if (this.ended) {
      await this.closeD.promise.catch(() => {});
      return;
    }
    this.ended = true;
    const err = new SocketError('EBADF', 'close', 'the socket was closed');
    this.openD.reject(new SocketError('ECONNABORTED', 'connect', 'the socket was closed before it opened'));
    if (!this.readDone) {
      this.readDone = true;
      try {
        this.rc?.close();
      } catch {
        // already closed or errored by the stream itself
      }
    }
    this.wc?.error(err);
    await this.release();
    this.closeD.resolve();
  }

  private async release(): Promise<void> {
    const fd = this.fd;
    if (fd < 0) return;
    this.fd = -1;
    try {
      if (this.resetOnRelease) this.arrangeReset(fd);
      await this.api.close(fd);
    } catch {
      // already gone: nothing left to release
    }
  }
}

/**
 * A minimal ambient declaration of the WHATWG Streams globals the core uses (src/streams).
 * Only for tsconfig.core.json, which has no DOM and no Node types: the main build takes the real
 * declarations from @types/node (or the DOM), and the emitted .d.ts refers to the global types.
 * Keep it to what src/streams calls.
 */

interface ReadableStreamDefaultController<R = any> {
  readonly desiredSize: number | null;
  close(): void;
  enqueue(chunk: R): void;
  error(e?: any): void;
}

interface ReadableStream<R = any> {
  readonly locked: boolean;
  cancel(reason?: any): Promise<void>;
}

declare var ReadableStream: {
  prototype: ReadableStream;
  new <R = any>(
    source?: {
      start?(controller: ReadableStreamDefaultController<R>): any;
      pull?(controller: ReadableStreamDefaultController<R>): void | PromiseLike<void>;
      cancel?(reason?: any): void | PromiseLike<void>;
    },
    strategy?: { highWaterMark?: number; size?(chunk: R): number },
  ): ReadableStream<R>;
};

interface WritableStreamDefaultController {
  error(e?: any): void;
}

interface WritableStream<W = any> {
  readonly locked: boolean;
  abort(reason?: any): Promise<void>;
  close(): Promise<void>;
}

declare var WritableStream: {
  prototype: WritableStream;
  new <W = any>(
    sink?: {
      start?(controller: WritableStreamDefaultController): any;
      write?(chunk: W, controller: WritableStreamDefaultController): void | PromiseLike<void>;
      close?(): void | PromiseLike<void>;
      abort?(reason?: any): void | PromiseLike<void>;
    },
    strategy?: { highWaterMark?: number; size?(chunk: W): number },
  ): WritableStream<W>;
};

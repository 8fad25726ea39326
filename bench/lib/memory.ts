/** Heap and RSS after full collections (needs node --expose-gc). */

export interface MemSample {
  heapUsed: number;
  rss: number;
  /** ArrayBuffer backing stores live outside the V8 heap; counted separately. */
  arrayBuffers: number;
}

export function hasGc(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

export function settle(): MemSample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run node with --expose-gc (the bench runner does)');
  // Twice: the first pass may only free what a finalizer or weak reference then lets go.
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, arrayBuffers: m.arrayBuffers };
}

/**
 * Runs `fn` from a microtask. queueMicrotask (every browser and Node) queues the job alone;
 * a resolved promise's then() would allocate a promise and a reaction per call, and the stack
 * queues one or two per segment. The core compiles without DOM or Node types, hence the lookup.
 */
const queue = (globalThis as { queueMicrotask?: (fn: () => void) => void }).queueMicrotask;
const RESOLVED = Promise.resolve();

export function microtask(fn: () => void): void {
  if (queue !== undefined) queue(fn);
  else void RESOLVED.then(fn);
}

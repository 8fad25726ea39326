/**
 * The TAP driver's reader thread. It waits in poll(2) on the TAP descriptor and an eventfd
 * (the stop signal), reads every frame ready into one batch buffer and hands the batch to the
 * main thread. Reading here keeps Node's event loop and libuv's thread pool free.
 *
 * Flow control: at most `maxBatches` batches are in flight; the main thread decrements the
 * shared counter as it consumes them. When the limit is reached this thread stops reading and
 * the kernel's own queue (txqueuelen) holds or drops frames, as a slow NIC would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadLibc } from './libc.js';
import { CTL_INFLIGHT, CTL_STOP, type ReaderData, type FrameBatch } from './tap-protocol.js';

const POLLIN = 0x1;
const EAGAIN = 11;
const EINTR = 4;

function run(data: ReaderData): void {
  const libc = loadLibc();
  const ctl = new Int32Array(data.control);
  const pfds = new Uint8Array(16);
  const pv = new DataView(pfds.buffer);
  pv.setInt32(0, data.fd, true);
  pv.setInt16(4, POLLIN, true);
  pv.setInt32(8, data.wakeFd, true);
  pv.setInt16(12, POLLIN, true);
  const drain = new Uint8Array(8);
  let buf = new ArrayBuffer(data.batchBytes);
  let lens: number[] = [];
  let used = 0;

  while (Atomics.load(ctl, CTL_STOP) === 0) {
    const inflight = Atomics.load(ctl, CTL_INFLIGHT);
    if (inflight >= data.maxBatches) {
      Atomics.wait(ctl, CTL_INFLIGHT, inflight, 100);
      continue;
    }
    pv.setInt16(6, 0, true);
    pv.setInt16(14, 0, true);
    const n = libc.poll(pfds, 2, -1);
    if (n < 0) {
      if (libc.errno() === EINTR) continue;
      parentPort!.postMessage({ error: `poll failed: errno ${libc.errno()}` });
      return;
    }
    if (pv.getInt16(14, true) !== 0) libc.read(data.wakeFd, drain, 8);
    if (pv.getInt16(6, true) === 0) continue;
    // Read until the queue is empty or the batch cannot take a frame of the largest size.
    for (;;) {
      if (data.batchBytes - used < data.maxFrame) break;
      const r = libc.read(data.fd, new Uint8Array(buf, used, data.maxFrame), data.maxFrame);
      if (r < 0) {
        const e = libc.errno();
        if (e === EAGAIN || e === EINTR) break;
        // EFAULT/EBADFD: the device was deleted under us; stop quietly and say why.
        parentPort!.postMessage({ error: `read from the TAP device failed: errno ${e}` });
        return;
      }
      if (r === 0) break;
      lens.push(r);
      used += (r + 7) & ~7; // keep frames 8-byte aligned within the batch
    }
    if (lens.length > 0) {
      Atomics.add(ctl, CTL_INFLIGHT, 1);
      const batch: FrameBatch = { buffer: buf, lengths: lens };
      parentPort!.postMessage(batch, [buf]);
      buf = new ArrayBuffer(data.batchBytes);
      lens = [];
      used = 0;
    }
  }
}

run(workerData as ReaderData);

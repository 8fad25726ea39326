/** What the TAP driver's main side and its reader thread share. */

/** Index in the control Int32Array: non-zero asks the reader to stop. */
export const CTL_STOP = 0;
/** Index in the control Int32Array: batches posted and not yet consumed. */
export const CTL_INFLIGHT = 1;

export interface ReaderData {
  fd: number;
  wakeFd: number;
  /** SharedArrayBuffer of two Int32 slots (CTL_STOP, CTL_INFLIGHT). */
  control: SharedArrayBuffer;
  /** Bytes reserved per read: the largest frame the device can hand us. */
  maxFrame: number;
  batchBytes: number;
  maxBatches: number;
}

/** Frames laid out back to back in `buffer`, each starting at an 8-byte boundary. */
export interface FrameBatch {
  buffer: ArrayBuffer;
  lengths: number[];
}

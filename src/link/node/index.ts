/** sockstack/tap: Linux TAP devices for Node (Node-only; the core never imports this). */
export { TapDevice, TapError, type TapOptions, type TapCounters } from './tap-device.js';
export { attachTap, type AttachTapOptions, type TapAttachment } from './attach-tap.js';

/**
 * sockstack/node: Node's `net` and `dgram` modules over a sockstack host, so unmodified Node
 * code (http, tls, ws, undici…) runs on a virtual network or a TAP device. Node-only.
 */
export { nodeNet, type NodeNet, type NodeNetOptions, NetSocket, NetServer } from './net.js';
export { nodeDgram, type NodeDgram } from './dgram.js';

/** The wire formats: stateless parse/emit of packets (see DESIGN.md, src/wire). */
export * from './error.js';
export * from './checksum.js';
export * from './address.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv4.js';
export * from './icmpv4.js';
export * from './udp.js';

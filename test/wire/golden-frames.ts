/**
 * Golden frames captured from Linux (kernel 6.18, iputils ping 20221126, glibc resolver):
 * two network namespaces joined by a veth pair, 10.9.0.1 (52:54:00:12:34:01) and
 * 10.9.0.2 (52:54:00:12:34:02); 10.9.0.2 routes to 10.9.1.0/24 over a link with MTU 1000.
 * TX checksum offload was turned off (ethtool -K tx off) so every checksum on the wire is the
 * real one; tshark confirmed all IP/ICMP/UDP checksums good. Captured with tshark on
 * 10.9.0.1's interface; hex copied verbatim from the pcapng.
 */

/** Hex text (whitespace ignored) to bytes. */
export function hex(text: string): Uint8Array {
  const s = text.replace(/\s+/g, '');
  if (s.length % 2 !== 0 || /[^0-9a-fA-F]/.test(s)) throw new Error(`bad hex fixture: ${s.slice(0, 20)}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes to compact lower-case hex, for readable assertion failures. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** ARP request, broadcast: "who has 10.9.0.2? tell 10.9.0.1" (42 bytes; veth does not pad to 60). */
export const ARP_REQUEST_FRAME = hex(
  'ffff ffff ffff 5254 0012 3401 0806 0001' +
  '0800 0604 0001 5254 0012 3401 0a09 0001' +
  '0000 0000 0000 0a09 0002',
);

/** ARP reply: "10.9.0.2 is at 52:54:00:12:34:02". */
export const ARP_REPLY_FRAME = hex(
  '5254 0012 3401 5254 0012 3402 0806 0001' +
  '0800 0604 0002 5254 0012 3402 0a09 0002' +
  '5254 0012 3401 0a09 0001',
);

/** ICMP echo request from `ping -c 1 10.9.0.2`: id 0x1252, seq 1, DF, ttl 64; 56 data bytes =
 * a 16-byte struct timeval (little-endian) then 0x10..0x37. */
export const PING_REQUEST_FRAME = hex(
  '5254 0012 3402 5254 0012 3401 0800 4500' +
  '0054 bf1d 4000 4001 6777 0a09 0001 0a09' +
  '0002 0800 8dc9 1252 0001 e82e 016b 0000' +
  '0000 ac76 0300 0000 0000 1011 1213 1415' +
  '1617 1819 1a1b 1c1d 1e1f 2021 2223 2425' +
  '2627 2829 2a2b 2c2d 2e2f 3031 3233 3435' +
  '3637',
);

/** The kernel's echo reply to it (IP id 0x7b20, DF clear, same ICMP id, seq and data). */
export const PING_REPLY_FRAME = hex(
  '5254 0012 3401 5254 0012 3402 0800 4500' +
  '0054 7b20 0000 4001 eb74 0a09 0002 0a09' +
  '0001 0000 95c9 1252 0001 e82e 016b 0000' +
  '0000 ac76 0300 0000 0000 1011 1213 1415' +
  '1617 1819 1a1b 1c1d 1e1f 2021 2223 2425' +
  '2627 2829 2a2b 2c2d 2e2f 3031 3233 3435' +
  '3637',
);

/** DNS query over UDP from glibc (`getent ahostsv4 example.com`): 10.9.0.1:54563 -> 10.9.0.2:53,
 * A example.com, id 0xd670. UDP length 37 (odd). */
export const DNS_QUERY_FRAME = hex(
  '5254 0012 3402 5254 0012 3401 0800 4500' +
  '0039 0de7 4000 4011 18b9 0a09 0001 0a09' +
  '0002 d523 0035 0025 7058 d670 0100 0001' +
  '0000 0000 0000 0765 7861 6d70 6c65 0363' +
  '6f6d 0000 0100 01',
);

/** The ICMP port unreachable (type 3 code 3) 10.9.0.2 sent for that query (no DNS server), tos 0xc0,
 * quoting the whole 57-byte IP datagram. */
export const PORT_UNREACH_FRAME = hex(
  '5254 0012 3401 5254 0012 3402 0800 45c0' +
  '0055 7b21 0000 4001 eab2 0a09 0002 0a09' +
  '0001 0303 1148 0000 0000 4500 0039 0de7' +
  '4000 4011 18b9 0a09 0001 0a09 0002 d523' +
  '0035 0025 7058 d670 0100 0001 0000 0000' +
  '0000 0765 7861 6d70 6c65 0363 6f6d 0000' +
  '0100 01',
);

/** Echo request with ttl 1 (`ping -c 1 -t 1 10.9.1.5`), routed via 10.9.0.2. */
export const TTL_PING_FRAME = hex(
  '5254 0012 3402 5254 0012 3401 0800 4500' +
  '0054 82a6 4000 0101 e1eb 0a09 0001 0a09' +
  '0105 0800 143f 136b 0001 002f 016b 0000' +
  '0000 09e8 0600 0000 0000 1011 1213 1415' +
  '1617 1819 1a1b 1c1d 1e1f 2021 2223 2425' +
  '2627 2829 2a2b 2c2d 2e2f 3031 3233 3435' +
  '3637',
);

/** ICMP time exceeded in transit (type 11 code 0) from router 10.9.0.2, quoting the whole 84-byte
 * datagram above. */
export const TIME_EXCEEDED_FRAME = hex(
  '5254 0012 3401 5254 0012 3402 0800 45c0' +
  '0070 815a 0000 4001 e45e 0a09 0002 0a09' +
  '0001 0b00 f4ff 0000 0000 4500 0054 82a6' +
  '4000 0101 e1eb 0a09 0001 0a09 0105 0800' +
  '143f 136b 0001 002f 016b 0000 0000 09e8' +
  '0600 0000 0000 1011 1213 1415 1617 1819' +
  '1a1b 1c1d 1e1f 2021 2223 2425 2627 2829' +
  '2a2b 2c2d 2e2f 3031 3233 3435 3637',
);

/** ICMP fragmentation needed (type 3 code 4, next-hop MTU 1000, RFC 1191) from router 10.9.0.2 for
 * `ping -M do -s 1200 10.9.1.5` (a 1228-byte DF datagram); Linux quotes up to 576 bytes in all. */
export const FRAG_NEEDED_FRAME = hex(
  '5254 0012 3401 5254 0012 3402 0800 45c0' +
  '0240 815b 0000 4001 e28d 0a09 0002 0a09' +
  '0001 0304 73e1 0000 03e8 4500 04cc 0000' +
  '4000 4001 211a 0a09 0001 0a09 0105 0800' +
  '7be9 136c 0001 002f 016b 0000 0000 91f2' +
  '0600 0000 0000 1011 1213 1415 1617 1819' +
  '1a1b 1c1d 1e1f 2021 2223 2425 2627 2829' +
  '2a2b 2c2d 2e2f 3031 3233 3435 3637 3839' +
  '3a3b 3c3d 3e3f 4041 4243 4445 4647 4849' +
  '4a4b 4c4d 4e4f 5051 5253 5455 5657 5859' +
  '5a5b 5c5d 5e5f 6061 6263 6465 6667 6869' +
  '6a6b 6c6d 6e6f 7071 7273 7475 7677 7879' +
  '7a7b 7c7d 7e7f 8081 8283 8485 8687 8889' +
  '8a8b 8c8d 8e8f 9091 9293 9495 9697 9899' +
  '9a9b 9c9d 9e9f a0a1 a2a3 a4a5 a6a7 a8a9' +
  'aaab acad aeaf b0b1 b2b3 b4b5 b6b7 b8b9' +
  'babb bcbd bebf c0c1 c2c3 c4c5 c6c7 c8c9' +
  'cacb cccd cecf d0d1 d2d3 d4d5 d6d7 d8d9' +
  'dadb dcdd dedf e0e1 e2e3 e4e5 e6e7 e8e9' +
  'eaeb eced eeef f0f1 f2f3 f4f5 f6f7 f8f9' +
  'fafb fcfd feff 0001 0203 0405 0607 0809' +
  '0a0b 0c0d 0e0f 1011 1213 1415 1617 1819' +
  '1a1b 1c1d 1e1f 2021 2223 2425 2627 2829' +
  '2a2b 2c2d 2e2f 3031 3233 3435 3637 3839' +
  '3a3b 3c3d 3e3f 4041 4243 4445 4647 4849' +
  '4a4b 4c4d 4e4f 5051 5253 5455 5657 5859' +
  '5a5b 5c5d 5e5f 6061 6263 6465 6667 6869' +
  '6a6b 6c6d 6e6f 7071 7273 7475 7677 7879' +
  '7a7b 7c7d 7e7f 8081 8283 8485 8687 8889' +
  '8a8b 8c8d 8e8f 9091 9293 9495 9697 9899' +
  '9a9b 9c9d 9e9f a0a1 a2a3 a4a5 a6a7 a8a9' +
  'aaab acad aeaf b0b1 b2b3 b4b5 b6b7 b8b9' +
  'babb bcbd bebf c0c1 c2c3 c4c5 c6c7 c8c9' +
  'cacb cccd cecf d0d1 d2d3 d4d5 d6d7 d8d9' +
  'dadb dcdd dedf e0e1 e2e3 e4e5 e6e7 e8e9' +
  'eaeb eced eeef f0f1 f2f3 f4f5 f6f7 f8f9' +
  'fafb fcfd feff 0001 0203 0405 0607',
);

/** Echo request from `ping -c 1 -s 57 10.9.0.2`: 65-byte ICMP message (odd length). */
export const ODD_PING_REQUEST_FRAME = hex(
  '5254 0012 3402 5254 0012 3401 0800 4500' +
  '0055 c884 4000 4001 5e0f 0a09 0001 0a09' +
  '0002 0800 1728 136d 0001 002f 016b 0000' +
  '0000 cefc 0600 0000 0000 1011 1213 1415' +
  '1617 1819 1a1b 1c1d 1e1f 2021 2223 2425' +
  '2627 2829 2a2b 2c2d 2e2f 3031 3233 3435' +
  '3637 38',
);

/** Its echo reply. */
export const ODD_PING_REPLY_FRAME = hex(
  '5254 0012 3401 5254 0012 3402 0800 4500' +
  '0055 815c 0000 4001 e537 0a09 0002 0a09' +
  '0001 0000 1f28 136d 0001 002f 016b 0000' +
  '0000 cefc 0600 0000 0000 1011 1213 1415' +
  '1617 1819 1a1b 1c1d 1e1f 2021 2223 2425' +
  '2627 2829 2a2b 2c2d 2e2f 3031 3233 3435' +
  '3637 38',
);

/**
 * The classic IPv4 header example (Wikipedia, "Internet checksum" / "IPv4 header checksum"):
 * 192.168.0.1 -> 192.168.0.199, UDP, total length 115, DF, ttl 64, checksum 0xb861.
 */
export const WIKIPEDIA_IPV4_HEADER = hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');

/** Every captured frame, for the fuzz-style "never throws" properties. */
export const ALL_FRAMES: readonly Uint8Array[] = [
  ARP_REQUEST_FRAME,
  ARP_REPLY_FRAME,
  PING_REQUEST_FRAME,
  PING_REPLY_FRAME,
  DNS_QUERY_FRAME,
  PORT_UNREACH_FRAME,
  TTL_PING_FRAME,
  TIME_EXCEEDED_FRAME,
  FRAG_NEEDED_FRAME,
  ODD_PING_REQUEST_FRAME,
  ODD_PING_REPLY_FRAME,
];

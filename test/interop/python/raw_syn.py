# A test fixture (not from the reference texts): sends one TCP SYN over a raw socket from the
# namespace to DST:DPORT (a closed sockstack port) with a chosen checksum, and prints what came
# back: "RST ack=N seq_plus_1=M" or "no answer".
#   usage: raw_syn.py SRC DST DPORT MODE
#   MODE ffff: the sequence number is chosen so the checksum computes to 0x0000, and 0xFFFF is
#              sent instead: the other zero of one's complement, which a receiver must accept
#              (RFC 1624 section 3; Linux itself sends it, skb_checksum_help's CSUM_MANGLED_0).
#   MODE bad:  the same segment with a wrong checksum (0x1234), which a receiver must drop.
import socket
import struct
import sys

src, dst, dport, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sport = 40001


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def segment(seq, check):
    return struct.pack('!HHIIBBHHH', sport, dport, seq, 0, 5 << 4, 0x02, 65535, check, 0)


pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, socket.IPPROTO_TCP, 20)
seq = 1000
while csum(pseudo + segment(seq, 0)) != 0:
    seq += 1
check = 0xffff if mode == 'ffff' else 0x1234
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.settimeout(2.0)
s.sendto(segment(seq, check), (dst, 0))
try:
    while True:
        pkt, (frm, _) = s.recvfrom(65535)
        ihl = (pkt[0] & 15) * 4
        sp, dp, rseq, rack, off, flags = struct.unpack('!HHIIBB', pkt[ihl:ihl + 14])
        if frm == dst and sp == dport and dp == sport and flags & 0x04:
            print('RST ack=%d seq_plus_1=%d' % (rack, (seq + 1) & 0xffffffff))
            break
except socket.timeout:
    print('no answer')

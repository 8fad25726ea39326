/**
 * The packetdrill script parser: every construct of the script language as real scripts use
 * it, the errors it reports (with positions), and two properties: garbage never throws, and
 * printing then re-parsing a generated script gives the same AST.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseScript } from '../../src/packetdrill/parser.js';
import { formatEvent, formatExpr, formatPacket, formatScript } from '../../src/packetdrill/print.js';
import type {
  Expr, IcmpPacketSpec, ParseError, PacketEvent, Script, ScriptEvent, SyscallEvent, TcpOptionSpec, TcpPacketSpec,
  TimeSpec, UdpPacketSpec,
} from '../../src/packetdrill/ast.js';

function ok(text: string): Script {
  const r = parseScript(text, 'test.pkt');
  if ('errors' in r) assert.fail(`unexpected errors: ${JSON.stringify(r.errors)}`);
  return r.script;
}
function errs(text: string): ParseError[] {
  const r = parseScript(text, 'test.pkt');
  if ('script' in r) assert.fail(`expected errors, parsed: ${JSON.stringify(r.script.events)}`);
  return r.errors;
}
/** The single event of a one-line script. */
function one(text: string): ScriptEvent {
  const s = ok(text);
  assert.equal(s.events.length, 1);
  return s.events[0]!;
}
function sys(text: string): SyscallEvent {
  const e = one(text);
  assert.equal(e.type, 'syscall');
  return e as SyscallEvent;
}
function pkt(text: string): PacketEvent {
  const e = one(text);
  assert.equal(e.type, 'packet');
  return e as PacketEvent;
}
function tcp(text: string): TcpPacketSpec {
  const p = pkt(text).packet;
  assert.equal(p.proto, 'tcp');
  return p as TcpPacketSpec;
}
/** The first argument of `+0 f(ARG) = 0`. */
function arg(src: string): Expr {
  return sys(`+0 f(${src}) = 0`).args[0]!;
}
const int = (value: number): Expr => ({ kind: 'int', value });
const sym = (name: string): Expr => ({ kind: 'symbol', name });
const ANY: Expr = { kind: 'ellipsis' };

describe('lexical structure', () => {
  it('skips // and /* */ comments and blank lines, counting lines', () => {
    const s = ok('// header comment\n\n/* a\n block */ 0 close(3) = 0 // trailing\n\n\n+1 close(4) = 0\n');
    assert.deepEqual(s.events.map((e) => e.line), [4, 7]);
    assert.equal(s.name, 'test.pkt');
  });

  it('reads CRLF files the same as LF files', () => {
    const lf = ok('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0) <mss 1460>\n');
    const crlf = ok('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\r\n+0 > S 0:0(0) <mss 1460>\r\n');
    assert.deepEqual(crlf, lf);
  });

  it('reports an unterminated block comment, string, command and code block', () => {
    assert.match(errs('0 close(3) = 0\n/* never closed')[0]!.message, /unterminated comment/);
    const e = errs('0 write(3, "abc, 3) = 3\n');
    assert.equal(e[0]!.line, 1);
    assert.equal(e[0]!.column, 12);
    assert.match(e[0]!.message, /unterminated string/);
    assert.match(errs('0 `sysctl -a\n')[0]!.message, /backtick/);
    assert.match(errs('0 %{ print 1 \n')[0]!.message, /'\}%'/);
  });

  it('reports an unknown character with its position', () => {
    const e = errs('0 close(3) = 0\n+0 close(3) = 0 $\n');
    assert.equal(e.length, 1);
    assert.deepEqual([e[0]!.line, e[0]!.column], [2, 17]);
    assert.match(e[0]!.message, /expected the end of the line, found '\$'/);
  });

  it('reports a line that does not start with a time', () => {
    const e = errs('close(3) = 0\n');
    assert.deepEqual([e[0]!.line, e[0]!.column], [1, 1]);
    assert.match(e[0]!.message, /expected a time in seconds/);
  });
});

describe('times', () => {
  const time = (src: string): TimeSpec => one(`${src} close(3) = 0`).time;
  it('absolute, relative and any', () => {
    assert.deepEqual(time('0'), { kind: 'absolute', t: 0 });
    assert.deepEqual(time('0.1'), { kind: 'absolute', t: 0.1 });
    assert.deepEqual(time('.1'), { kind: 'absolute', t: 0.1 });
    assert.deepEqual(time('2'), { kind: 'absolute', t: 2 });
    assert.deepEqual(time('+0'), { kind: 'relative', t: 0 });
    assert.deepEqual(time('+.1'), { kind: 'relative', t: 0.1 });
    assert.deepEqual(time('+0.250'), { kind: 'relative', t: 0.25 });
    assert.deepEqual(time('*'), { kind: 'any' });
  });

  it('ranges', () => {
    assert.deepEqual(pkt('0.1~0.2 > . 1:1(0) ack 1').time, {
      kind: 'range', start: { kind: 'absolute', t: 0.1 }, end: { kind: 'absolute', t: 0.2 },
    });
    assert.deepEqual(pkt('+0.1~+0.3 > . 1:1(0) ack 1').time, {
      kind: 'range', start: { kind: 'relative', t: 0.1 }, end: { kind: 'relative', t: 0.3 },
    });
  });

  it('blocking calls put the return time into end, on the same base as the start', () => {
    const a = sys('+0...0.2 accept(3, ..., ...) = 4');
    assert.deepEqual(a.time, { kind: 'relative', t: 0 });
    assert.deepEqual(a.end, { kind: 'relative', t: 0.2 });
    const b = sys('0.1...0.3 read(4, ..., 10) = 10');
    assert.deepEqual(b.time, { kind: 'absolute', t: 0.1 });
    assert.deepEqual(b.end, { kind: 'absolute', t: 0.3 });
    // packetdrill also accepts spaces around the dots.
    assert.deepEqual(sys('+.002 ... 0.052 connect(4, ..., ...) = 0').end, { kind: 'relative', t: 0.052 });
    assert.equal(sys('+0 close(3) = 0').end, undefined);
  });

  it('rejects malformed times', () => {
    assert.match(errs('0.3~0.1 > . 1:1(0)')[0]!.message, /backwards/);
    assert.match(errs('0.1~+0.3 > . 1:1(0)')[0]!.message, /both ends/);
    assert.match(errs('* < S 0:0(0)')[0]!.message, /outbound packets/);
    assert.match(errs('0.1~0.2 `echo`')[0]!.message, /outbound packets/);
    assert.match(errs('*...0.2 accept(3, ..., ...) = 4')[0]!.message, /plain start time/);
    assert.match(errs('0.5...0.2 accept(3, ..., ...) = 4')[0]!.message, /before it starts/);
    assert.match(errs('+0...+0.2 accept(3, ..., ...) = 4')[0]!.message, /after '\.\.\.'/);
    assert.match(errs('0x10 close(3) = 0')[0]!.message, /expected a time/);
    assert.match(errs('-1 close(3) = 0')[0]!.message, /expected a time/);
    assert.match(errs('+0...0.2 > S 0:0(0)')[0]!.message, /system call after the blocking/);
  });
});

describe('system calls', () => {
  it('results: int, negative int, ... and -1 ERRNO (text)', () => {
    assert.deepEqual(sys('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3').result, int(3));
    assert.deepEqual(sys('0 read(3, ..., 10) = ...').result, ANY);
    const e = sys('+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)');
    assert.deepEqual(e.result, int(-1));
    assert.equal(e.errno, 'EINPROGRESS');
    assert.equal(e.errnoText, 'Operation now in progress');
    const f = sys("+0 bind(3, ..., ...) = -1 EADDRNOTAVAIL (Can't assign\n   requested address)");
    assert.equal(f.errnoText, "Can't assign requested address");
    const g = sys('+0 read(3, ..., 10) = -1 EAGAIN');
    assert.equal(g.errno, 'EAGAIN');
    assert.equal(g.errnoText, undefined);
    assert.equal(sys('+0 getpid() = 1').args.length, 0);
    // In the result a call has its '(' right after the name; with a space it is a note.
    const h = sys('+0 f() = X (some note)');
    assert.deepEqual([h.result, h.errnoText], [sym('X'), 'some note']);
    assert.deepEqual(sys('+0 f() = g(1)').result, { kind: 'call', name: 'g', args: [int(1)] });
  });

  it('the whole event: name, args, line', () => {
    const e = sys('\n\n  +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0');
    assert.deepEqual(e, {
      type: 'syscall', line: 3, time: { kind: 'relative', t: 0 }, name: 'setsockopt',
      args: [int(3), sym('SOL_SOCKET'), sym('SO_REUSEADDR'), { kind: 'array', items: [int(1)] }, int(4)],
      result: int(0),
    });
  });

  it('integers: decimal, hex, negative', () => {
    assert.deepEqual(arg('1000'), int(1000));
    assert.deepEqual(arg('0xffffffff'), int(0xffffffff));
    assert.deepEqual(arg('0X1f'), int(31));
    assert.deepEqual(arg('-22'), int(-22));
    assert.deepEqual(arg('-0'), int(0));
  });

  it('strings with C escapes', () => {
    assert.deepEqual(arg('"GET / HTTP/1.1\\r\\n"'), { kind: 'string', value: 'GET / HTTP/1.1\r\n' });
    assert.deepEqual(arg('"a\\tb\\\\c\\"d\\x41\\101\\0"'), { kind: 'string', value: 'a\tb\\c"dAA\0' });
    assert.deepEqual(arg('"ab" "cd"'), { kind: 'string', value: 'abcd' });
    assert.match(errs('+0 f("\\q") = 0')[0]!.message, /unknown escape '\\q'/);
  });

  it('symbols of every family, and A|B', () => {
    for (const name of ['AF_INET', 'SOCK_STREAM', 'IPPROTO_TCP', 'SOL_SOCKET', 'SO_LINGER', 'TCP_NODELAY', 'O_NONBLOCK',
      'F_SETFL', 'MSG_PEEK', 'POLLIN', 'EPOLLET', 'SHUT_RDWR', 'EAGAIN']) {
      assert.deepEqual(arg(name), sym(name));
    }
    assert.deepEqual(arg('O_RDWR|O_NONBLOCK'), { kind: 'or', operands: [sym('O_RDWR'), sym('O_NONBLOCK')] });
    assert.deepEqual(arg('POLLIN | POLLOUT | 0x8'), { kind: 'or', operands: [sym('POLLIN'), sym('POLLOUT'), int(8)] });
  });

  it('arrays, &var, calls, sizeof, +/- and parentheses', () => {
    assert.deepEqual(arg('[1000]'), { kind: 'array', items: [int(1000)] });
    assert.deepEqual(arg('[]'), { kind: 'array', items: [] });
    assert.deepEqual(arg('&addrlen'), { kind: 'addressOf', name: 'addrlen' });
    assert.deepEqual(arg('htons(80)'), { kind: 'call', name: 'htons', args: [int(80)] });
    assert.deepEqual(arg('inet_addr("192.0.2.1")'), { kind: 'call', name: 'inet_addr', args: [{ kind: 'string', value: '192.0.2.1' }] });
    assert.deepEqual(arg('sizeof(int)'), { kind: 'call', name: 'sizeof', args: [sym('int')] });
    assert.deepEqual(arg('X + 1 - 2'), {
      kind: 'binary', op: '-', left: { kind: 'binary', op: '+', left: sym('X'), right: int(1) }, right: int(2),
    });
    assert.deepEqual(arg('(A|B)'), { kind: 'or', operands: [sym('A'), sym('B')] });
  });

  it('structs with and without dots', () => {
    assert.deepEqual(arg('{.fd=3, .events=POLLIN, .revents=0}'), {
      kind: 'struct', fields: [{ name: 'fd', value: int(3) }, { name: 'events', value: sym('POLLIN') }, { name: 'revents', value: int(0) }],
    });
    assert.deepEqual(arg('{l_onoff=1, l_linger=0}'), {
      kind: 'struct', fields: [{ name: 'l_onoff', value: int(1) }, { name: 'l_linger', value: int(0) }],
    });
    assert.deepEqual(arg('{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}'), {
      kind: 'struct', fields: [
        { name: 'sa_family', value: sym('AF_INET') },
        { name: 'sin_port', value: { kind: 'call', name: 'htons', args: [int(8080)] } },
        { name: 'sin_addr', value: { kind: 'call', name: 'inet_addr', args: [{ kind: 'string', value: '192.0.2.1' }] } },
      ],
    });
  });

  it('poll and epoll shapes spanning lines', () => {
    const e = sys(`+0...0.010 poll([{fd=3,
                     events=POLLIN|POLLOUT|POLLERR,
                     revents=POLLOUT}], 1, 100) = 1`);
    assert.deepEqual(e.args[0], {
      kind: 'array', items: [{
        kind: 'struct', fields: [
          { name: 'fd', value: int(3) },
          { name: 'events', value: { kind: 'or', operands: [sym('POLLIN'), sym('POLLOUT'), sym('POLLERR')] } },
          { name: 'revents', value: sym('POLLOUT') },
        ],
      }],
    });
    assert.deepEqual(sys('+0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0').args[1], {
      kind: 'struct', fields: [{ name: 'events', value: int(0) }, { name: 'ptr', value: int(0) }],
    });
  });

  it('msghdr and iovec: name(N)=value becomes name and namelen fields; unnamed items get the name ""', () => {
    const e = sys(`+.01...0.020 sendmsg(4, {msg_name(...)=...,
                          msg_iov(2)=[{..., 500},{..., 1000}],
                          msg_flags=0}, MSG_NOSIGNAL|MSG_FASTOPEN) = 1500`);
    const iov = (n: number): Expr => ({ kind: 'struct', fields: [{ name: '', value: ANY }, { name: '', value: int(n) }] });
    assert.deepEqual(e.args[1], {
      kind: 'struct', fields: [
        { name: 'msg_name', value: ANY },
        { name: 'msg_namelen', value: ANY },
        { name: 'msg_iov', value: { kind: 'array', items: [iov(500), iov(1000)] } },
        { name: 'msg_iovlen', value: int(2) },
        { name: 'msg_flags', value: int(0) },
      ],
    });
    assert.deepEqual(e.end, { kind: 'relative', t: 0.02 });
    assert.match(errs('+0 f({msg_iov(1, 2)=[]}) = 0')[0]!.message, /one length/);
  });

  it('reports what was expected in a malformed call', () => {
    assert.match(errs('+0 close(3 = 0')[0]!.message, /expected ',' or '\)' in the arguments of close\(\), found '='/);
    assert.match(errs('+0 close(3)')[0]!.message, /expected '=' and the expected result/);
    assert.match(errs('+0 close 3 = 0')[0]!.message, /expected '\(' after the system call name 'close', found '3'/);
    assert.match(errs('+0 close(3) = 0 eagain')[0]!.message, /errno name/);
    assert.match(errs('+0 f(0.5) = 0')[0]!.message, /expected an integer, found '0.5'/);
    assert.match(errs('+0 f({a=1 b=2}) = 0')[0]!.message, /expected ',' or '\}' in a struct/);
    assert.match(errs('+0 f([1 2]) = 0')[0]!.message, /expected ',' or '\]' in an array/);
    assert.match(errs('+0 f(&3) = 0')[0]!.message, /a name after '&'/);
    assert.match(errs('+0 f(,) = 0')[0]!.message, /expected an expression/);
    assert.match(errs('+0 f(1) = -1 EAGAIN (no end')[0]!.message, /unterminated note/);
    assert.match(errs('+0 f(99999999999999999999) = 0')[0]!.message, /too large/);
  });
});

describe('TCP packets', () => {
  it('every flag spelling', () => {
    for (const f of ['S', 'S.', '.', 'P.', 'F.', 'R', 'R.', 'FP.', 'SEW', 'U.', 'SEWA', 'WA.', 'P.6', '.5']) {
      assert.equal(tcp(`+0 > ${f} 1:1(0)`).flags, f, f);
    }
    assert.equal(tcp('+0 > - 1:1(0)').flags, '');
    assert.match(errs('+0 > SX 0:0(0)')[0]!.message, /expected TCP flags/);
    assert.match(errs('+0 > 0:0(0)')[0]!.message, /port numbers|expected a packet/);
  });

  it('the whole event with seq, ack, win, urg and options', () => {
    const e = pkt('+.1 < S. 0:0(0) ack 1 win 32792 urg 5 <mss 1000,sackOK,TS val 100 ecr 0,nop,wscale 7>');
    assert.deepEqual(e, {
      type: 'packet', line: 1, time: { kind: 'relative', t: 0.1 }, direction: 'inbound',
      packet: {
        proto: 'tcp', flags: 'S.', seqStart: 0, seqEnd: 0, payloadLen: 0, ack: 1, win: 32792, urg: 5,
        options: [{ kind: 'mss', value: 1000 }, { kind: 'sackOK' }, { kind: 'TS', val: 100, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', value: 7 }],
      },
    });
    const p = tcp('+0 > P. 1:201(200) ack 1');
    assert.deepEqual(p, { proto: 'tcp', flags: 'P.', seqStart: 1, seqEnd: 201, payloadLen: 200, ack: 1 });
    assert.equal('options' in p, false);
  });

  it('option lists: <...>, sack blocks, nop/eol, unknown options kept as other', () => {
    assert.equal(tcp('+0 > S. 0:0(0) ack 1 <...>').options, null);
    assert.deepEqual(tcp('+0 > . 1:1(0) ack 1 <sack 1:101 201:301>').options, [{ kind: 'sack', blocks: [[1, 101], [201, 301]] }]);
    assert.deepEqual(tcp('+0 > . 1:1(0) ack 1 <nop,nop,TS val 1 ecr 2>').options, [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'TS', val: 1, ecr: 2 }]);
    assert.deepEqual(tcp('+0 > . 1:1(0) <eol>').options, [{ kind: 'eol' }]);
    assert.deepEqual(tcp('+0 < S. 1:1(0) ack 1 <mss 1460,FO abcd1234,nop,ECN e0b 1  ceb 0 e1b 1,FO>').options, [
      { kind: 'mss', value: 1460 }, { kind: 'other', text: 'FO abcd1234' }, { kind: 'nop' },
      { kind: 'other', text: 'ECN e0b 1 ceb 0 e1b 1' }, { kind: 'other', text: 'FO' },
    ]);
  });

  it('ECN brackets', () => {
    assert.equal(tcp('+0 > [noecn] SEWA 0:0(0)').ecn, 'noecn');
    assert.equal(tcp('+0 < [ce] SW. 0:0(0) ack 1').ecn, 'ce');
    assert.equal(tcp('+0 > [ect0] .6 101:101(0) ack 101').ecn, 'ect0');
    assert.equal(tcp('+0 > (ect1) . 1:1(0)').ecn, 'ect1');
    assert.match(errs('+0 > [tos 0x2] . 1:1(0)')[0]!.message, /'tos' .* not supported/);
    assert.match(errs('+0 > [bogus] . 1:1(0)')[0]!.message, /expected an ECN codepoint/);
  });

  it('validation: start:end(len) must agree, values in range, <...> outbound only', () => {
    const e = errs('0 close(3) = 0\n+0 < P. 1:101(50) ack 1 win 257\n');
    assert.deepEqual([e[0]!.line, e[0]!.column], [2, 9]);
    assert.match(e[0]!.message, /inconsistent sequence numbers: 1:101 spans 100 bytes but the length is 50/);
    assert.match(errs('+0 > S 0:0(0) <mss 70000>')[0]!.message, /MSS 70000 is out of range/);
    assert.match(errs('+0 > S 0:0(0) win 65536')[0]!.message, /window 65536 is out of range/);
    assert.match(errs('+0 > S 0:0(0) ack 4294967296')[0]!.message, /ack number/);
    assert.match(errs('+0 < S 0:0(0) <...>')[0]!.message, /outbound packets/);
    assert.match(errs('+0 > S 0:0(0) ack 1 ack 2')[0]!.message, /written twice/);
    assert.match(errs('+0 > S 0:0(0) <mss 1460 nop>')[0]!.message, /expected ',' or '>'/);
    assert.match(errs('+0 > S 0:0(0) <TS 1 2>')[0]!.message, /expected 'val'/);
    assert.match(errs('+0 > S 0:0(0) <,>')[0]!.message, /expected a TCP option/);
    assert.match(errs('+0 > S 0:0 ack 1')[0]!.message, /expected '\(' in 'start:end\(length\)'/);
    assert.match(errs('+0 > ipv4 1.1.1.1 > 2.2.2.2: S 0:0(0)')[0]!.message, /encapsulation/);
  });
});

describe('UDP and ICMP packets', () => {
  it('udp (len)', () => {
    assert.deepEqual(pkt('+0 < udp (100)').packet, { proto: 'udp', payloadLen: 100 });
    assert.match(errs('+0 < udp [100]')[0]!.message, /expected '\('/);
    assert.match(errs('+0 < udp (100')[0]!.message, /expected '\)'/);
    assert.match(errs('+0 < udp 100')[0]!.message, /port numbers/);
    assert.match(errs('+0 < [ce] udp (1)')[0]!.message, /ECN can only be written on TCP/);
  });

  it('icmp words with an optional quoted header', () => {
    assert.deepEqual(pkt('+0 > icmp unreachable port_unreachable').packet, { proto: 'icmp', words: ['unreachable', 'port_unreachable'] });
    assert.deepEqual(pkt('+0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]').packet, {
      proto: 'icmp', words: ['unreachable', 'frag_needed', 'mtu', '1200'],
      quoted: { proto: 'tcp', flags: '', seqStart: 1, seqEnd: 1461, payloadLen: 1460 },
    });
    assert.deepEqual(pkt('+0 > icmp unreachable port_unreachable [udp (10)]').packet, {
      proto: 'icmp', words: ['unreachable', 'port_unreachable'], quoted: { proto: 'udp', payloadLen: 10 },
    });
    // The words stop at the end of the line: the next line is the next event.
    const s = ok('+0 < icmp echo_reply\n+0 close(3) = 0\n');
    assert.deepEqual((s.events[0] as PacketEvent).packet, { proto: 'icmp', words: ['echo_reply'] });
    assert.equal(s.events.length, 2);
    assert.match(errs('+0 < icmp\n')[0]!.message, /expected an ICMP type/);
    assert.match(errs('+0 < icmp unreachable [1:2(5)]')[0]!.message, /inconsistent/);
    assert.match(errs('+0 < icmp unreachable [raw (5)]')[0]!.message, /quoted header/);
  });
});

describe('commands, code blocks and options', () => {
  it('backtick commands, timed or not, over several lines', () => {
    const s = ok('`../common/defaults.sh\nsysctl -q net.ipv4.tcp_rmem="4096 87380 6291456"\n`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n'
      + '+0 `sysctl -q net.ipv4.tcp_timestamps=0`\n`/tmp/restore.sh`\n');
    assert.deepEqual(s.events[0], {
      type: 'command', line: 1, time: { kind: 'relative', t: 0 },
      command: '../common/defaults.sh\nsysctl -q net.ipv4.tcp_rmem="4096 87380 6291456"\n',
    });
    assert.equal(s.events[1]!.line, 4);
    assert.deepEqual(s.events[2], { type: 'command', line: 5, time: { kind: 'relative', t: 0 }, command: 'sysctl -q net.ipv4.tcp_timestamps=0' });
    assert.deepEqual(s.events[3], { type: 'command', line: 6, time: { kind: 'relative', t: 0 }, command: '/tmp/restore.sh' });
  });

  it('%{ }% blocks over several lines', () => {
    const s = ok('0 %{ assert tcpi_rto == 1000000, tcpi_rto }%\n+.1 %{\nx = 1\nassert x == 1\n}%\n+0 close(3) = 0\n');
    assert.deepEqual(s.events[0], { type: 'code', line: 1, time: { kind: 'absolute', t: 0 }, code: 'assert tcpi_rto == 1000000, tcpi_rto' });
    assert.deepEqual(s.events[1], { type: 'code', line: 2, time: { kind: 'relative', t: 0.1 }, code: 'x = 1\nassert x == 1' });
    assert.equal(s.events[2]!.line, 6);
  });

  it('--option lines before the first event', () => {
    const s = ok('// options\n--tolerance_usecs=10000\n--ip_version=ipv4 --local_ip=192.168.0.1\n--define="X=1 2"\n--verbose\n0 close(3) = 0\n');
    assert.deepEqual(s.options, [
      { line: 2, name: 'tolerance_usecs', value: '10000' },
      { line: 3, name: 'ip_version', value: 'ipv4' },
      { line: 3, name: 'local_ip', value: '192.168.0.1' },
      { line: 4, name: 'define', value: 'X=1 2' },
      { line: 5, name: 'verbose' },
    ]);
    assert.equal('options' in ok('0 close(3) = 0'), false);
    assert.match(errs('0 close(3) = 0\n--mss=1000\n')[0]!.message, /before the first event/);
  });
});

describe('error reporting', () => {
  it('reports several errors in one run, each on its own line, and goes on after each', () => {
    const e = errs([
      '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
      '+0 bind(3, ..., ... = 0', // line 2: missing ')'
      '+0 listen(3, 1) = 0',
      '+0 < S 0:0(10) win 1000', // line 4: bad seq
      '+0 > S. 0:0(0) ack 1 <mss 1460>',
      'oops', // line 6: no time
      '+0 accept(3, ..., ...) = 4',
    ].join('\n'));
    assert.deepEqual(e.map((x) => x.line), [2, 4, 6]);
    assert.equal(e[0]!.column, 21);
  });

  it('caps the number of errors', () => {
    const e = errs('x\n'.repeat(500));
    assert.ok(e.length <= 51);
    assert.match(e[e.length - 1]!.message, /too many errors/);
  });
});

describe('printing', () => {
  it('formatPacket writes packets as scripts do', () => {
    assert.equal(formatPacket(tcp('+0 > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,sack 1:2 3:4,TS val 5 ecr 6,eol,wscale 7,FO ab>')),
      'S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,sack 1:2 3:4,TS val 5 ecr 6,eol,wscale 7,FO ab>');
    assert.equal(formatPacket(tcp('+0 > [ect0] P.6 1:101(100) urg 3 <...>')), '[ect0] P.6 1:101(100) urg 3 <...>');
    assert.equal(formatPacket(tcp('+0 > - 1:1(0)')), '- 1:1(0)');
    assert.equal(formatPacket({ proto: 'udp', payloadLen: 12 }), 'udp (12)');
    assert.equal(formatPacket({ proto: 'icmp', words: ['unreachable', 'frag_needed', 'mtu', '1200'], quoted: { proto: 'tcp', flags: '', seqStart: 1, seqEnd: 11, payloadLen: 10 } }),
      'icmp unreachable frag_needed mtu 1200 [1:11(10)]');
  });

  it('formatEvent and formatExpr', () => {
    assert.equal(formatEvent(sys('+.1...0.3 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0}, 0) = 10')),
      '+0.1...0.3 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0}, 0) = 10');
    assert.equal(formatEvent(sys('*   connect(3, ..., ...) = -1 ECONNREFUSED (Connection   refused)')),
      '* connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)');
    assert.equal(formatExpr(arg('"a\\x01\\"b\\n"')), '"a\\001\\"b\\n"');
    assert.equal(formatExpr(arg('A - (B - 1) + (C|D)')), 'A - (B - 1) + (C|D)');
    assert.equal(formatEvent({ type: 'code', line: 1, time: { kind: 'absolute', t: 1e-7 }, code: 'x' }), '0.0000001 %{ x }%');
  });
});

// ---- properties ----

const word = fc.stringMatching(/^[a-z_][a-z0-9_]{0,7}$/);
const upperWord = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/);
const secs = fc.integer({ min: 0, max: 100_000 }).map((k) => k / 1000);
const plainTime = fc.oneof(
  secs.map((t): TimeSpec => ({ kind: 'absolute', t })),
  secs.map((t): TimeSpec => ({ kind: 'relative', t })),
);
const anyTime: fc.Arbitrary<TimeSpec> = fc.oneof(
  plainTime,
  fc.constant<TimeSpec>({ kind: 'any' }),
  fc.tuple(fc.boolean(), secs, secs).map(([rel, a, b]): TimeSpec => {
    const kind = rel ? 'relative' : 'absolute';
    return { kind: 'range', start: { kind, t: Math.min(a, b) }, end: { kind, t: Math.max(a, b) } };
  }),
);

const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -(2 ** 31), max: 2 ** 32 }).map((value): Expr => ({ kind: 'int', value })),
    fc.string({ unit: 'binary', maxLength: 8 }).map((value): Expr => ({ kind: 'string', value })),
    fc.constant<Expr>({ kind: 'ellipsis' }),
    upperWord.map((name): Expr => ({ kind: 'symbol', name })),
    word.map((name): Expr => ({ kind: 'addressOf', name })),
    fc.array(tie('expr'), { minLength: 2, maxLength: 3 }).map((operands): Expr => ({ kind: 'or', operands })),
    fc.array(tie('expr'), { maxLength: 3 }).map((items): Expr => ({ kind: 'array', items })),
    fc.array(fc.record({ name: fc.oneof(fc.constant(''), word), value: tie('expr') }), { maxLength: 4 })
      .map((fields): Expr => ({ kind: 'struct', fields })),
    fc.tuple(word, fc.array(tie('expr'), { maxLength: 2 })).map(([name, args]): Expr => ({ kind: 'call', name, args })),
    fc.tuple(fc.constantFrom<'+' | '-'>('+', '-'), tie('expr'), tie('expr'))
      .map(([op, left, right]): Expr => ({ kind: 'binary', op, left, right })),
  ),
}));

const tcpOption: fc.Arbitrary<TcpOptionSpec> = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((value): TcpOptionSpec => ({ kind: 'mss', value })),
  fc.constant<TcpOptionSpec>({ kind: 'nop' }),
  fc.constant<TcpOptionSpec>({ kind: 'eol' }),
  fc.constant<TcpOptionSpec>({ kind: 'sackOK' }),
  fc.integer({ min: 0, max: 14 }).map((value): TcpOptionSpec => ({ kind: 'wscale', value })),
  fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 }).map((blocks): TcpOptionSpec => ({ kind: 'sack', blocks })),
  fc.tuple(fc.nat(), fc.nat()).map(([val, ecr]): TcpOptionSpec => ({ kind: 'TS', val, ecr })),
  fc.constantFrom('FO', 'FO abcd1234', 'md5 00ff', 'ECN e0b 1 ceb 0 e1b 1', 'exp-tfo')
    .map((text): TcpOptionSpec => ({ kind: 'other', text })),
);

function tcpSpec(outbound: boolean): fc.Arbitrary<TcpPacketSpec> {
  return fc.record({
    flags: fc.constantFrom('S', 'S.', '.', 'P.', 'F.', 'R', 'R.', 'FP.', 'SEW', 'U.', '', 'P.6', '.5', 'SEWA'),
    seqStart: fc.nat(),
    payloadLen: fc.integer({ min: 0, max: 0xffff }),
    ack: fc.option(fc.nat(), { nil: undefined }),
    win: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
    urg: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
    options: fc.oneof(
      fc.constant(undefined),
      fc.array(tcpOption, { minLength: 1, maxLength: 5 }),
      ...(outbound ? [fc.constant(null)] : []),
    ),
    ecn: fc.option(fc.constantFrom('noecn', 'ect0', 'ect1', 'ce'), { nil: undefined }),
  }).map((r) => {
    const seqStart = Math.min(r.seqStart, 0xffffffff - r.payloadLen);
    const p: TcpPacketSpec = { proto: 'tcp', flags: r.flags, seqStart, seqEnd: seqStart + r.payloadLen, payloadLen: r.payloadLen };
    // Only the fields that were "written": absent, not undefined, like the parser's output.
    if (r.ack !== undefined) p.ack = r.ack;
    if (r.win !== undefined) p.win = r.win;
    if (r.urg !== undefined) p.urg = r.urg;
    if (r.options !== undefined) p.options = r.options;
    if (r.ecn !== undefined) p.ecn = r.ecn;
    return p;
  });
}
const udpSpec = fc.integer({ min: 0, max: 0xffff }).map((payloadLen): UdpPacketSpec => ({ proto: 'udp', payloadLen }));
const icmpSpec = fc.tuple(
  fc.array(fc.oneof(word, fc.nat({ max: 99999 }).map(String)), { minLength: 1, maxLength: 4 }),
  fc.option(fc.oneof(udpSpec, fc.tuple(fc.nat({ max: 1e6 }), fc.nat({ max: 0xffff })).map(([s, l]): TcpPacketSpec => (
    { proto: 'tcp', flags: '', seqStart: s, seqEnd: s + l, payloadLen: l }))), { nil: undefined }),
).map(([words, quoted]): IcmpPacketSpec => (quoted ? { proto: 'icmp', words, quoted } : { proto: 'icmp', words }));

const event: fc.Arbitrary<ScriptEvent> = fc.oneof(
  // Syscalls: any time, or a plain time with a blocking end.
  fc.record({
    time: anyTime, name: word, args: fc.array(expr, { maxLength: 4 }), result: expr,
    errno: fc.option(fc.stringMatching(/^E[A-Z]{2,10}$/), { nil: undefined }),
    errnoText: fc.option(fc.array(fc.stringMatching(/^[A-Za-z']{1,8}$/), { minLength: 1, maxLength: 4 }).map((w) => w.join(' ')), { nil: undefined }),
    blockFor: fc.option(secs, { nil: undefined }),
  }).map((r): ScriptEvent => {
    const e: SyscallEvent = { type: 'syscall', line: 0, time: r.time, name: r.name, args: r.args, result: r.result };
    if (r.errno !== undefined) e.errno = r.errno;
    if (r.errnoText !== undefined) e.errnoText = r.errnoText;
    if (r.blockFor !== undefined && (r.time.kind === 'absolute' || r.time.kind === 'relative')) {
      e.end = { kind: r.time.kind, t: r.time.t + r.blockFor };
    }
    return e;
  }),
  fc.tuple(anyTime, fc.oneof(tcpSpec(true), udpSpec, icmpSpec))
    .map(([time, packet]): ScriptEvent => ({ type: 'packet', line: 0, time, direction: 'outbound', packet })),
  fc.tuple(plainTime, fc.oneof(tcpSpec(false), udpSpec, icmpSpec))
    .map(([time, packet]): ScriptEvent => ({ type: 'packet', line: 0, time, direction: 'inbound', packet })),
  fc.tuple(plainTime, fc.string({ maxLength: 30 }).map((s) => s.replace(/[`\\]/g, '')))
    .map(([time, command]): ScriptEvent => ({ type: 'command', line: 0, time, command })),
  fc.tuple(plainTime, fc.string({ maxLength: 30 }).map((s) => s.replace(/\}%/g, '').trim()))
    .filter(([, code]) => !code.endsWith('}') && !code.startsWith('%')) // `}}%` / `%{%...` would fuse with the delimiters
    .map(([time, code]): ScriptEvent => ({ type: 'code', line: 0, time, code })),
);

const script: fc.Arbitrary<Script> = fc.record({
  events: fc.array(event, { maxLength: 8 }),
  options: fc.array(fc.record({ name: word, value: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }) }), { maxLength: 3 }),
}).map(({ events, options }) => {
  const s: Script = { name: 'gen.pkt', events };
  if (options.length > 0) {
    s.options = options.map((o) => (o.value === undefined ? { line: 0, name: o.name } : { line: 0, name: o.name, value: o.value }));
  }
  return s;
});

/** The AST without line numbers (the printer decides the layout). */
function withoutLines(s: Script): unknown {
  return JSON.parse(JSON.stringify(s, (k, v: unknown) => (k === 'line' ? undefined : v)));
}

describe('properties', () => {
  it('printing then parsing a generated script gives the same AST', () => {
    fc.assert(fc.property(script, (s) => {
      const text = formatScript(s);
      const r = parseScript(text, 'gen.pkt');
      if ('errors' in r) throw new Error(`${JSON.stringify(r.errors)}\n${text}`);
      assert.deepEqual(withoutLines(r.script), withoutLines(s));
      // And the line numbers the parser records are where the printer put each event.
      const lines = text.split('\n');
      for (const e of r.script.events) {
        const at = lines[e.line - 1]!;
        assert.ok(at.startsWith(formatEvent(e).split('\n')[0]!), `line ${e.line}: ${at}`);
      }
    }), { numRuns: 400 });
  });

  const vocabulary = fc.constantFrom(
    '0', '+0', '+.1', '*', '~', '...', '<', '>', 'S.', '.', '0:0(0)', '1:11(10)', 'ack', 'win', 'urg', '<mss', '1460', ',', 'nop>',
    'TS', 'val', 'ecr', 'sack', '1:2', '<...>', '[', ']', '(', ')', '{', '}', '=', '|', '&', '-', '-1', 'EAGAIN', 'socket',
    'htons(80)', '"str', '"ok"', '`', '`cmd`', '%{', '}%', '/*', '*/', '//', '\n', '\r\n', ' ', 'icmp', 'udp', '[noecn]',
    '--opt=1', 'msg_iov(1)=', '.fd=', '0x', '0xff', '\\', '\u00e9', '\ud83d\ude00', '\ud800',
  );
  it('random garbage never throws and every error has a position and a message', () => {
    const garbage = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.array(vocabulary, { maxLength: 60 }).map((a) => a.join('')),
      fc.array(vocabulary, { maxLength: 60 }).map((a) => a.join(' ')),
    );
    fc.assert(fc.property(garbage, (text) => {
      const r = parseScript(text, 'junk');
      if ('errors' in r) {
        assert.ok(r.errors.length > 0);
        for (const e of r.errors) {
          assert.ok(e.line >= 1 && e.column >= 1 && e.message.length > 0, JSON.stringify(e));
          assert.doesNotMatch(e.message, /internal parser error/);
        }
      } else {
        assert.ok(Array.isArray(r.script.events));
      }
    }), { numRuns: 2000 });
  });

  it('a valid script with one character deleted or inserted never throws', () => {
    fc.assert(fc.property(script, fc.nat(), fc.constantFrom('', '(', ')', '<', '>', ':', ',', '"', '`', '{', '+', '\n'),
      (s, at, ins) => {
        const text = formatScript(s);
        const i = text.length === 0 ? 0 : at % text.length;
        const r = parseScript(text.slice(0, i) + ins + text.slice(i + 1), 'mutant');
        if ('errors' in r) for (const e of r.errors) assert.doesNotMatch(e.message, /internal parser error/);
      }), { numRuns: 500 });
  });
});

/**
 * The syntax tree of a packetdrill script (github.com/google/packetdrill, its parser.y and
 * README): what the parser produces and the runner executes. Every node keeps its source line
 * so that reports can point at it.
 */

/** When an event happens, as written at the start of its line. */
export type TimeSpec =
  /** `0.100`: seconds since the script started. */
  | { kind: 'absolute'; t: number }
  /** `+0.1`: seconds after the previous event's time. */
  | { kind: 'relative'; t: number }
  /** `*`: any time (only for packets and non-blocking calls). */
  | { kind: 'any' }
  /** `0.1~0.2` or `+0.1~+0.2`: any time within the range (both ends resolved like `start`). */
  | { kind: 'range'; start: TimeSpec; end: TimeSpec };

/** A syscall line may say when it returns: `+0...0.2 accept(...)` = starts at +0, returns at 0.2. */
export interface EventBase {
  line: number;
  time: TimeSpec;
  /** For blocking syscalls (`START...END`): when the call is expected to return. */
  end?: TimeSpec;
}

/** An argument or return expression of a syscall line. */
export type Expr =
  | { kind: 'int'; value: number }
  /** `"GET / HTTP/1.1\r\n"` with C escapes decoded. */
  | { kind: 'string'; value: string }
  /** `...`: anything (an argument we do not check or do not supply). */
  | { kind: 'ellipsis' }
  /** A symbolic constant such as `AF_INET`, `O_NONBLOCK`, `TCP_NODELAY`, `EAGAIN`. */
  | { kind: 'symbol'; name: string }
  /** `A|B|C` */
  | { kind: 'or'; operands: Expr[] }
  /** `[1000]`, `[{...}, {...}]` */
  | { kind: 'array'; items: Expr[] }
  /** `{.fd=3, .events=POLLIN}` or `{l_onoff=1, l_linger=0}`: fields by name (the dot is optional). */
  | { kind: 'struct'; fields: Array<{ name: string; value: Expr }> }
  /** `&addr`, `&addrlen`, `&optval`: an out-parameter named by the script (value not checked). */
  | { kind: 'addressOf'; name: string }
  /** `htons(8080)`, `inet_addr("192.0.2.1")`, `sizeof(...)` style calls inside arguments. */
  | { kind: 'call'; name: string; args: Expr[] }
  /** `{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}` parses as a struct. */
  | { kind: 'binary'; op: '+' | '-'; left: Expr; right: Expr };

/** `connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)` */
export interface SyscallEvent extends EventBase {
  type: 'syscall';
  name: string;
  args: Expr[];
  /** The expected return value (an int, or `...` for anything). */
  result: Expr;
  /** The expected errno name when the result is -1 (`EINPROGRESS`); the text in parentheses is informative. */
  errno?: string;
  errnoText?: string;
}

/** A TCP option inside `<...>`. */
export type TcpOptionSpec =
  | { kind: 'mss'; value: number }
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackOK' }
  /** `sack 1:1001 2001:3001` */
  | { kind: 'sack'; blocks: Array<[number, number]> }
  /** `TS val 100 ecr 0`; either may be `...`-less numbers only. */
  | { kind: 'TS'; val: number; ecr: number }
  /** Fast Open and other options by number: `FO abcd`, `exp-tfo`… kept raw. */
  | { kind: 'other'; text: string };

export interface TcpPacketSpec {
  proto: 'tcp';
  /** Flag letters as written: S, F, P, R, U (URG), E (ECE), W (CWR), and `.` for ACK. */
  flags: string;
  /** `start:end(len)` in script-relative sequence numbers; len = end - start. */
  seqStart: number;
  seqEnd: number;
  payloadLen: number;
  /** `ack N` if written. */
  ack?: number;
  /** `win N` if written (outbound: checked only if written). */
  win?: number;
  /** `urg N` if written. */
  urg?: number;
  /** `<...>` options as written; null when the whole list is `<...>` (any options). Absent: no options expected/sent. */
  options?: TcpOptionSpec[] | null;
  /** `[noecn]`, `[ect0]`, `[ce]`… IP ECN field if written. */
  ecn?: string;
}

export interface UdpPacketSpec {
  proto: 'udp';
  /** `udp (100)`: payload length. */
  payloadLen: number;
}

export interface IcmpPacketSpec {
  proto: 'icmp';
  /** `icmp unreachable frag_needed mtu 1200 [1:1461(1460)]` and similar: kept as words. */
  words: string[];
  /** The quoted TCP/UDP header in brackets, if any, as its own packet spec. */
  quoted?: TcpPacketSpec | UdpPacketSpec;
}

/** `< S 0:0(0) win 32792 <mss 1000>` (inbound, injected) or `> S. 0:0(0) ack 1 <...>` (outbound, expected). */
export interface PacketEvent extends EventBase {
  type: 'packet';
  direction: 'inbound' | 'outbound';
  packet: TcpPacketSpec | UdpPacketSpec | IcmpPacketSpec;
}

/** `` `sysctl -q net.ipv4.tcp_timestamps=0` `` : executed only when it maps onto a tunable. */
export interface CommandEvent extends EventBase {
  type: 'command';
  command: string;
}

/** `%{ print tcpi_rto }%`: a Python block (never run; reported as unsupported). */
export interface CodeEvent extends EventBase {
  type: 'code';
  code: string;
}

export type ScriptEvent = SyscallEvent | PacketEvent | CommandEvent | CodeEvent;

/** Option lines at the top of a script (`--tolerance_usecs=10000`); options normally come from the command line. */
export interface Script {
  /** The file name or a label, for reports. */
  name: string;
  events: ScriptEvent[];
  /**
   * `--name=value` lines before the first event (packetdrill's grammar allows them, and scripts
   * such as blocking-write.pkt use them): for the runner to honour or report. Absent when none.
   */
  options?: ScriptOption[];
}

/** `--tolerance_usecs=10000` (value '10000') or `--flag` (no value). */
export interface ScriptOption {
  line: number;
  name: string;
  value?: string;
}

/** A parse failure with its position. The parser returns these, never throws. */
export interface ParseError {
  line: number;
  column: number;
  message: string;
}

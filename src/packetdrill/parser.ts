/**
 * The packetdrill script parser: tokens (lexer.ts) -> Script (ast.ts). Recursive descent over
 * the grammar of packetdrill's parser.y, restricted to what sockstack can run (no IP/GRE/MPLS
 * encapsulation, no fuzzing, ECN words only in `[...]`). Never throws: every problem becomes a
 * ParseError with its line and column and what was expected; after an error the parser skips
 * to the next line and goes on, so one run reports several mistakes.
 */
import type {
  Expr, IcmpPacketSpec, PacketEvent, ParseError, Script, ScriptEvent, ScriptOption, SyscallEvent,
  TcpOptionSpec, TcpPacketSpec, TimeSpec, UdpPacketSpec,
} from './ast.js';
import { lex } from './lexer.js';
import type { Token } from './lexer.js';

/** Parses a whole script. `name` labels the script in reports (usually its file name). */
export function parseScript(text: string, name: string): { script: Script } | { errors: ParseError[] } {
  try {
    return new Parser(text, name).run();
  } catch (e) {
    // Defence in depth: a bug here must not throw out of the parser.
    return { errors: [{ line: 1, column: 1, message: `internal parser error: ${e instanceof Error ? e.message : String(e)}` }] };
  }
}

/** Thrown (after the error is recorded) to abandon the current event. */
class Bail {}
const BAIL = new Bail();

const MAX_ERRORS = 50;
const U16 = 0xffff;
const U32 = 0xffffffff;
/** TCP flag letters packetdrill knows: FIN SYN RST PSH URG ECE CWR and A (AE, AccECN). */
const TCP_FLAG_RE = /^[FSRPUEWA]+$/;
/** `[noecn]` and friends: the IP ECN codepoint written on a TCP packet line. */
const ECN_WORDS = new Set(['noecn', 'ect0', 'ect1', 'ect01', 'ce']);
const ERRNO_RE = /^E[A-Z0-9]+$/;
const EXPECT_EXPR = 'an expression (a number, "string", ..., SYMBOL, call(...), [array], {struct} or &name)';

class Parser {
  private readonly toks: Token[];
  private pos = 0;
  private inResult = false;
  private readonly errors: ParseError[] = [];

  constructor(private readonly src: string, private readonly name: string) {
    const r = lex(src);
    this.toks = r.tokens;
    for (const e of r.errors) this.errors.push(e);
  }

  run(): { script: Script } | { errors: ParseError[] } {
    const events: ScriptEvent[] = [];
    const options: ScriptOption[] = [];
    while (this.peek().kind !== 'eof') {
      if (this.errors.length >= MAX_ERRORS) {
        const t = this.peek();
        this.errors.push({ line: t.line, column: t.column, message: 'too many errors; giving up' });
        break;
      }
      const startPos = this.pos;
      try {
        const t = this.peek();
        if (t.kind === 'option') {
          // packetdrill's opt_options: `--name[=value]` lines before the first event.
          this.next();
          if (events.length > 0) this.report(t, `option --${t.text} must come before the first event`);
          const opt: ScriptOption = { line: t.line, name: t.text };
          if (t.optionValue !== undefined) opt.value = t.optionValue;
          options.push(opt);
        } else if (t.kind === 'backtick') {
          // packetdrill's init/cleanup command: a command without a time runs right after the
          // previous event (at the start for the first line).
          this.next();
          events.push({ type: 'command', line: t.line, time: { kind: 'relative', t: 0 }, command: t.text });
        } else {
          events.push(this.event());
        }
        const after = this.peek();
        if (after.kind !== 'eof' && !after.first && !(t.kind === 'option' && after.kind === 'option')) this.fail(after, `expected the end of the line, found ${describe(after)}`);
      } catch (e) {
        if (e !== BAIL) throw e;
        this.resync(startPos);
      }
    }
    if (this.errors.length > 0) {
      this.errors.sort((a, b) => a.line - b.line || a.column - b.column);
      return { errors: this.errors };
    }
    const script: Script = { name: this.name, events };
    if (options.length > 0) script.options = options;
    return { script };
  }

  // ---- token helpers ----

  private peek(k = 0): Token {
    const i = this.pos + k;
    return this.toks[i < this.toks.length ? i : this.toks.length - 1]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private isPunct(t: Token, ch: string): boolean {
    return t.kind === 'punct' && t.text === ch;
  }

  private isWord(t: Token, w: string): boolean {
    return t.kind === 'word' && t.text === w;
  }

  /** Records an error and keeps going (semantic problems: the line still parses). */
  private report(t: Token, message: string): void {
    this.errors.push({ line: t.line, column: t.column, message });
  }

  /** Records an error and abandons the current event. */
  private fail(t: Token, message: string): never {
    this.report(t, message);
    throw BAIL;
  }

  private expectPunct(ch: string, what?: string): Token {
    const t = this.peek();
    if (!this.isPunct(t, ch)) this.fail(t, `expected '${ch}'${what ? ` ${what}` : ''}, found ${describe(t)}`);
    return this.next();
  }

  private expectWord(w: string, what: string): Token {
    const t = this.peek();
    if (!this.isWord(t, w)) this.fail(t, `expected '${w}' ${what}, found ${describe(t)}`);
    return this.next();
  }

  /** A non-negative decimal or hex integer no larger than `max`. */
  private uint(what: string, max: number): number {
    const t = this.peek();
    if (t.kind !== 'number' || t.isFloat) this.fail(t, `expected ${what} (an integer), found ${describe(t)}`);
    this.next();
    if (t.value > max) this.report(t, `${what} ${t.text} is out of range (0..${max})`);
    return t.value;
  }

  /** Skips to the first token that starts a line after the failed event's first token. */
  private resync(startPos: number): void {
    let j = Math.max(this.pos, startPos + 1);
    const last = this.toks.length - 1;
    while (j < last && !this.toks[j]!.first) j++;
    this.pos = Math.min(j, last);
  }

  // ---- events ----

  private event(): ScriptEvent {
    this.inResult = false;
    const first = this.peek();
    const time = this.time();
    let end: TimeSpec | undefined;
    if (this.peek().kind === 'ellipsis') {
      const dots = this.next();
      end = this.endTime(time, dots);
    }
    const t = this.peek();
    let ev: ScriptEvent;
    if (end !== undefined) {
      if (t.kind !== 'word') this.fail(t, `expected a system call after the blocking time range, found ${describe(t)}`);
      ev = this.syscall(first.line, time);
      ev.end = end;
      return ev;
    }
    if (this.isPunct(t, '<') || this.isPunct(t, '>')) {
      ev = this.packet(first.line, time);
    } else if (t.kind === 'backtick') {
      this.next();
      ev = { type: 'command', line: first.line, time, command: t.text };
    } else if (t.kind === 'code') {
      this.next();
      ev = { type: 'code', line: first.line, time, code: t.text };
    } else if (t.kind === 'word') {
      const u = this.peek(1);
      if (!this.isPunct(u, '(')) this.fail(u, `expected '(' after the system call name '${t.text}', found ${describe(u)}`);
      ev = this.syscall(first.line, time);
    } else {
      this.fail(t, `expected a packet ('<' or '>'), a system call, a \`command\` or a %{ code }% block after the time, found ${describe(t)}`);
    }
    // packetdrill: `*` and time ranges say when something outbound may happen; what the script
    // does itself (inject, run a command) needs one definite time.
    if (time.kind === 'any' || time.kind === 'range') {
      const inbound = ev.type === 'packet' && ev.direction === 'inbound';
      if (inbound || ev.type === 'command' || ev.type === 'code') {
        this.report(first, `a ${time.kind === 'any' ? "'*' time" : 'time range'} can only be used with outbound packets and system calls`);
      }
    }
    return ev;
  }

  /** `0.1`, `+0.1`, `*`, `0.1~0.2`, `+0.1~+0.2`. */
  private time(): TimeSpec {
    const t = this.peek();
    if (this.isPunct(t, '*')) {
      this.next();
      return { kind: 'any' };
    }
    const start = this.timeValue();
    if (!this.isPunct(this.peek(), '~')) return start;
    const tilde = this.next();
    const end = this.timeValue();
    if (start.kind !== end.kind) {
      this.report(tilde, "both ends of a time range must be relative ('+0.1~+0.2') or both absolute ('0.1~0.2')");
    } else if (end.t < start.t) {
      this.report(tilde, 'time range is backwards: its end is before its start');
    }
    return { kind: 'range', start, end };
  }

  private timeValue(): { kind: 'absolute' | 'relative'; t: number } {
    let t = this.peek();
    let relative = false;
    if (this.isPunct(t, '+')) {
      relative = true;
      this.next();
      t = this.peek();
    }
    if (t.kind !== 'number' || /^0[xX]/.test(t.text)) {
      this.fail(t, `expected a time in seconds (such as 0, 0.1, .1, +0.1 or *), found ${describe(t)}`);
    }
    this.next();
    return { kind: relative ? 'relative' : 'absolute', t: t.value };
  }

  /** The `END` of `START...END`: seconds on the same base as the start (packetdrill opt_end_time). */
  private endTime(start: TimeSpec, dots: Token): TimeSpec {
    const t = this.peek();
    if (t.kind !== 'number' || /^0[xX]/.test(t.text)) {
      this.fail(t, `expected the time the blocking call returns after '...', found ${describe(t)}`);
    }
    this.next();
    if (start.kind !== 'absolute' && start.kind !== 'relative') {
      this.fail(dots, "a blocking call ('START...END') needs a plain start time, not '*' or a range");
    }
    if (t.value < start.t) this.report(t, `blocking call returns (${t.text}) before it starts`);
    return { kind: start.kind, t: t.value };
  }

  // ---- system calls ----

  private syscall(line: number, time: TimeSpec): SyscallEvent {
    const nameTok = this.next(); // a word, checked by the caller
    this.expectPunct('(', `after the system call name '${nameTok.text}'`);
    const args: Expr[] = [];
    if (!this.isPunct(this.peek(), ')')) {
      for (;;) {
        args.push(this.expr());
        const t = this.peek();
        if (this.isPunct(t, ',')) { this.next(); continue; }
        if (this.isPunct(t, ')')) break;
        this.fail(t, `expected ',' or ')' in the arguments of ${nameTok.text}(), found ${describe(t)}`);
      }
    }
    this.next();
    this.expectPunct('=', `and the expected result after ${nameTok.text}(...)`);
    // In the result, `NAME (text)` is a symbol and a note, so a call needs its '(' right after the name.
    this.inResult = true;
    const result = this.expr();
    this.inResult = false;
    const ev: SyscallEvent = { type: 'syscall', line, time, name: nameTok.text, args, result };
    let t = this.peek();
    if (t.kind === 'word' && !t.first) {
      if (!ERRNO_RE.test(t.text)) this.report(t, `expected an errno name such as EAGAIN after the result, found '${t.text}'`);
      ev.errno = t.text;
      this.next();
      t = this.peek();
    }
    if (this.isPunct(t, '(') && !t.first) ev.errnoText = this.note();
    return ev;
  }

  /** `(free text)` after a result: the raw text, whitespace collapsed. */
  private note(): string {
    const open = this.next();
    let depth = 1;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') this.fail(open, "unterminated note: expected ')'");
      this.next();
      if (this.isPunct(t, '(')) depth++;
      else if (this.isPunct(t, ')') && --depth === 0) {
        return this.src.slice(open.end, t.start).replace(/\s+/g, ' ').trim();
      }
    }
  }

  // ---- expressions ----

  private expr(): Expr {
    const first = this.addExpr();
    if (!this.isPunct(this.peek(), '|')) return first;
    const operands: Expr[] = [first];
    while (this.isPunct(this.peek(), '|')) {
      this.next();
      operands.push(this.addExpr());
    }
    return { kind: 'or', operands };
  }

  private addExpr(): Expr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      // A '+' that starts a line is the next event's relative time (`= 3` / `+0 close(3)`).
      if ((!this.isPunct(t, '+') && !this.isPunct(t, '-')) || t.first) return left;
      this.next();
      const right = this.unary();
      left = { kind: 'binary', op: t.text as '+' | '-', left, right };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (this.isPunct(t, '-') && this.peek(1).kind === 'number') {
      this.next();
      const v = this.int();
      return { kind: 'int', value: v === 0 ? 0 : -v };
    }
    return this.primary();
  }

  private int(): number {
    const t = this.peek();
    if (t.kind !== 'number' || t.isFloat) this.fail(t, `expected an integer, found ${describe(t)}`);
    this.next();
    if (!Number.isSafeInteger(t.value)) this.report(t, `integer ${t.text} is too large (above 2^53)`);
    return t.value;
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'number':
        return { kind: 'int', value: this.int() };
      case 'string': {
        // Adjacent strings concatenate, as in C.
        let value = '';
        while (this.peek().kind === 'string') value += this.next().text;
        return { kind: 'string', value };
      }
      case 'ellipsis':
        this.next();
        return { kind: 'ellipsis' };
      case 'word': {
        this.next();
        const open = this.peek();
        if (!this.isPunct(open, '(') || (this.inResult && open.start !== t.end)) return { kind: 'symbol', name: t.text };
        this.next();
        const args: Expr[] = [];
        if (!this.isPunct(this.peek(), ')')) {
          for (;;) {
            args.push(this.expr());
            const u = this.peek();
            if (this.isPunct(u, ',')) { this.next(); continue; }
            if (this.isPunct(u, ')')) break;
            this.fail(u, `expected ',' or ')' in ${t.text}(...), found ${describe(u)}`);
          }
        }
        this.next();
        return { kind: 'call', name: t.text, args };
      }
      case 'punct':
        if (t.text === '&') {
          this.next();
          const w = this.peek();
          if (w.kind !== 'word') this.fail(w, `expected a name after '&', found ${describe(w)}`);
          this.next();
          return { kind: 'addressOf', name: w.text };
        }
        if (t.text === '[') return this.array();
        if (t.text === '{') return this.struct();
        if (t.text === '(') {
          this.next();
          const e = this.expr();
          this.expectPunct(')', 'to close the parenthesis');
          return e;
        }
        break;
      default:
        break;
    }
    this.fail(t, `expected ${EXPECT_EXPR}, found ${describe(t)}`);
  }

  private array(): Expr {
    this.next();
    const items: Expr[] = [];
    if (this.isPunct(this.peek(), ']')) {
      this.next();
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.expr());
      const t = this.next();
      if (this.isPunct(t, ']')) return { kind: 'array', items };
      if (!this.isPunct(t, ',')) this.fail(t, `expected ',' or ']' in an array, found ${describe(t)}`);
    }
  }

  /**
   * `{.fd=3, .events=POLLIN}`, `{l_onoff=1, l_linger=0}`, `{..., 1000}` (unnamed items get the
   * name ''), and msghdr's `msg_iov(1)=[...]`, which becomes two fields as in C's struct msghdr:
   * `msg_iov=[...]` then `msg_iovlen=1` (likewise `msg_name(...)=...` -> msg_name, msg_namelen).
   */
  private struct(): Expr {
    this.next();
    const fields: Array<{ name: string; value: Expr }> = [];
    if (this.isPunct(this.peek(), '}')) {
      this.next();
      return { kind: 'struct', fields };
    }
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, '.')) {
        this.next();
        const w = this.peek();
        if (w.kind !== 'word') this.fail(w, `expected a field name after '.', found ${describe(w)}`);
        this.next();
        this.expectPunct('=', `after the field name '${w.text}'`);
        fields.push({ name: w.text, value: this.expr() });
      } else if (t.kind === 'word' && this.isPunct(this.peek(1), '=')) {
        this.next();
        this.next();
        fields.push({ name: t.text, value: this.expr() });
      } else {
        const e = this.expr();
        if (e.kind === 'call' && this.isPunct(this.peek(), '=')) {
          if (e.args.length !== 1) this.fail(t, `expected one length in ${e.name}(N)=..., found ${e.args.length}`);
          this.next();
          fields.push({ name: e.name, value: this.expr() });
          fields.push({ name: `${e.name}len`, value: e.args[0]! });
        } else {
          fields.push({ name: '', value: e });
        }
      }
      const u = this.next();
      if (this.isPunct(u, '}')) return { kind: 'struct', fields };
      if (!this.isPunct(u, ',')) this.fail(u, `expected ',' or '}' in a struct, found ${describe(u)}`);
    }
  }

  // ---- packets ----

  private packet(line: number, time: TimeSpec): PacketEvent {
    const dir = this.next();
    const direction = dir.text === '<' ? 'inbound' : 'outbound';
    let ecn: string | undefined;
    let ecnTok: Token | undefined;
    let t = this.peek();
    if (this.isPunct(t, '[') || this.isPunct(t, '(')) {
      ecnTok = t;
      ecn = this.ipInfo();
      t = this.peek();
    }
    if (t.kind === 'word' && /^(ipv4|ipv6|gre|GREv0|mpls)$/.test(t.text)) {
      this.fail(t, `encapsulation ('${t.text} ...:') is not supported`);
    }
    let packet: TcpPacketSpec | UdpPacketSpec | IcmpPacketSpec;
    if (this.isWord(t, 'udp') || this.isWord(t, 'icmp')) {
      if (ecnTok) this.report(ecnTok, 'ECN can only be written on TCP packet lines');
      packet = t.text === 'udp' ? this.udp() : this.icmp();
    } else {
      packet = this.tcp(direction);
      if (ecn !== undefined) packet.ecn = ecn;
    }
    return { type: 'packet', line, time, direction, packet };
  }

  /** `[noecn]`, `[ect0]`, `(ce)`…: the IP ECN field. */
  private ipInfo(): string {
    const open = this.next();
    const close = open.text === '[' ? ']' : ')';
    const w = this.peek();
    if (w.kind !== 'word' || !ECN_WORDS.has(w.text)) {
      const unsupported = w.kind === 'word' && /^(tos|ttl|flowlabel)$/.test(w.text);
      this.fail(w, unsupported
        ? `IP field '${w.text}' in packet lines is not supported`
        : `expected an ECN codepoint (noecn, ect0, ect1, ect01 or ce), found ${describe(w)}`);
    }
    this.next();
    this.expectPunct(close, 'after the ECN codepoint');
    return w.text;
  }

  private udp(): UdpPacketSpec {
    this.next();
    const t = this.peek();
    if (t.kind === 'number') this.fail(t, 'port numbers in packet lines are not supported');
    this.expectPunct('(', "and the payload length after 'udp'");
    const payloadLen = this.uint('UDP payload length', U16);
    this.expectPunct(')', 'after the UDP payload length');
    return { proto: 'udp', payloadLen };
  }

  /** `icmp unreachable frag_needed mtu 1200 [1:1461(1460)]`: words to the end of the line + quoted header. */
  private icmp(): IcmpPacketSpec {
    this.next();
    const words: string[] = [];
    for (;;) {
      const t = this.peek();
      if (t.first || (t.kind !== 'word' && t.kind !== 'number')) break;
      words.push(t.text);
      this.next();
    }
    if (words.length === 0) this.fail(this.peek(), `expected an ICMP type (such as unreachable) after 'icmp', found ${describe(this.peek())}`);
    const spec: IcmpPacketSpec = { proto: 'icmp', words };
    const t = this.peek();
    if (this.isPunct(t, '[') && !t.first) {
      this.next();
      const u = this.peek();
      if (this.isWord(u, 'udp')) {
        spec.quoted = this.udp();
      } else if (u.kind === 'number') {
        const seq = this.seq();
        spec.quoted = { proto: 'tcp', flags: '', seqStart: seq.start, seqEnd: seq.end, payloadLen: seq.len };
      } else {
        this.fail(u, `expected the quoted header ('start:end(len)' or 'udp (len)') after '[', found ${describe(u)}`);
      }
      this.expectPunct(']', 'after the quoted header');
    }
    return spec;
  }

  private tcp(direction: 'inbound' | 'outbound'): TcpPacketSpec {
    const flags = this.flags();
    const seq = this.seq();
    const spec: TcpPacketSpec = { proto: 'tcp', flags, seqStart: seq.start, seqEnd: seq.end, payloadLen: seq.len };
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'word' || (t.text !== 'ack' && t.text !== 'win' && t.text !== 'urg')) break;
      this.next();
      if (spec[t.text as 'ack' | 'win' | 'urg'] !== undefined) this.report(t, `'${t.text}' is written twice`);
      if (t.text === 'ack') spec.ack = this.uint('ack number', U32);
      else if (t.text === 'win') spec.win = this.uint('window', U16);
      else spec.urg = this.uint('urgent pointer', U16);
    }
    const t = this.peek();
    if (this.isPunct(t, '<')) {
      spec.options = this.tcpOptions();
      if (spec.options === null && direction === 'inbound') {
        this.report(t, "'<...>' (any options) can only be used with outbound packets");
      }
    }
    const u = this.peek();
    if (this.isPunct(u, '{') && !u.first) this.fail(u, 'packet fuzzing parameters {...} are not supported');
    return spec;
  }

  /** `S`, `S.`, `.`, `P.`, `FP.`, `SEW`, `-` (none), AccECN `P.6` / `.6`. */
  private flags(): string {
    const t = this.peek();
    if (this.isPunct(t, '-')) {
      this.next();
      return '';
    }
    let flags = '';
    if (t.kind === 'word') {
      if (!TCP_FLAG_RE.test(t.text)) {
        this.fail(t, `expected TCP flags (letters of FSRPUEWA, then '.' for ACK), found '${t.text}'`);
      }
      flags = t.text;
      this.next();
    }
    const d = this.peek();
    if (this.isPunct(d, '.')) {
      flags += '.';
      this.next();
    } else if (d.kind === 'number' && /^\.[0-7]$/.test(d.text)) {
      flags += d.text; // ACK plus the AccECN ACE counter
      this.next();
    } else if (flags === '') {
      this.fail(d, `expected a packet: TCP flags (such as S, S., ., P., F., R), 'udp' or 'icmp', found ${describe(d)}`);
    }
    return flags;
  }

  /** `start:end(len)`, checking end - start = len (packetdrill does). */
  private seq(): { start: number; end: number; len: number } {
    const first = this.peek();
    if (first.kind !== 'number' || first.isFloat) {
      this.fail(first, `expected sequence numbers 'start:end(length)', found ${describe(first)}`);
    }
    const start = this.uint('start sequence number', U32);
    this.expectPunct(':', "in 'start:end(length)'");
    const end = this.uint('end sequence number', U32);
    this.expectPunct('(', "in 'start:end(length)'");
    const len = this.uint('payload length', U16);
    this.expectPunct(')', "in 'start:end(length)'");
    if (end - start !== len) {
      this.report(first, `inconsistent sequence numbers: ${start}:${end} spans ${end - start} bytes but the length is ${len}`);
    }
    return { start, end, len };
  }

  /** `<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>` or `<...>` (null: any options). */
  private tcpOptions(): TcpOptionSpec[] | null {
    this.next();
    if (this.peek().kind === 'ellipsis') {
      this.next();
      this.expectPunct('>', "after '<...'");
      return null;
    }
    const list: TcpOptionSpec[] = [];
    for (;;) {
      list.push(this.tcpOption());
      const t = this.next();
      if (this.isPunct(t, '>')) return list;
      if (!this.isPunct(t, ',')) this.fail(t, `expected ',' or '>' in the TCP options, found ${describe(t)}`);
    }
  }

  private tcpOption(): TcpOptionSpec {
    const t = this.peek();
    if (t.kind === 'word') {
      switch (t.text) {
        case 'nop': this.next(); return { kind: 'nop' };
        case 'eol': this.next(); return { kind: 'eol' };
        case 'sackOK': this.next(); return { kind: 'sackOK' };
        case 'mss': this.next(); return { kind: 'mss', value: this.uint('MSS', U16) };
        case 'wscale': this.next(); return { kind: 'wscale', value: this.uint('window scale shift', 0xff) };
        case 'TS': {
          this.next();
          this.expectWord('val', "after 'TS'");
          const val = this.uint('TS val', U32);
          this.expectWord('ecr', 'after the TS value');
          return { kind: 'TS', val, ecr: this.uint('TS ecr', U32) };
        }
        case 'sack': {
          this.next();
          const blocks: Array<[number, number]> = [];
          do {
            const left = this.uint('SACK block start', U32);
            this.expectPunct(':', "in the SACK block 'start:end'");
            blocks.push([left, this.uint('SACK block end', U32)]);
          } while (this.peek().kind === 'number');
          return { kind: 'sack', blocks };
        }
        default:
          break;
      }
    }
    // Anything else (FO abcd, md5 ..., ECN e0b 1 ...): kept as written up to ',' or '>'.
    let last: Token | undefined;
    for (;;) {
      const u = this.peek();
      if (u.kind === 'eof' || this.isPunct(u, ',') || this.isPunct(u, '>') || this.isPunct(u, '<') || (u.first && last)) break;
      last = this.next();
    }
    if (!last) this.fail(t, `expected a TCP option (mss, nop, wscale, sackOK, sack, TS, eol, ...), found ${describe(t)}`);
    return { kind: 'other', text: this.src.slice(t.start, last.end).replace(/\s+/g, ' ') };
  }
}

/** How a token reads in an error message. */
function describe(t: Token): string {
  switch (t.kind) {
    case 'eof': return 'the end of the file';
    case 'string': return `"${t.text.length > 20 ? `${t.text.slice(0, 20)}...` : t.text}"`;
    case 'backtick': return 'a `command`';
    case 'code': return 'a %{ code }% block';
    case 'option': return `option --${t.text}`;
    default: return `'${t.text}'`;
  }
}

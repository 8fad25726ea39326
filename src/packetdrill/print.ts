/**
 * Prints the packetdrill AST back as script text. Parsing the output gives the same AST
 * (property-tested), so reports can show an expected packet exactly as a script would write it;
 * `formatPacket` also renders packets the runner saw, for side-by-side comparisons.
 */
import type {
  Expr, IcmpPacketSpec, Script, ScriptEvent, TcpOptionSpec, TcpPacketSpec, TimeSpec, UdpPacketSpec,
} from './ast.js';

/** Seconds without exponent notation (the lexer reads only plain decimals). */
export function formatSeconds(t: number): string {
  const s = String(t);
  if (!/e/i.test(s)) return s;
  return t.toFixed(9).replace(/\.?0+$/, '');
}

export function formatTime(t: TimeSpec): string {
  switch (t.kind) {
    case 'any': return '*';
    case 'absolute': return formatSeconds(t.t);
    case 'relative': return `+${formatSeconds(t.t)}`;
    case 'range': return `${formatTime(t.start)}~${formatTime(t.end)}`;
  }
}

/** A C string literal: quotes, backslashes and control characters escaped. */
export function formatString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    // Three octal digits always: `\0` followed by a digit would otherwise read differently.
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'int': return String(e.value);
    case 'string': return formatString(e.value);
    case 'ellipsis': return '...';
    case 'symbol': return e.name;
    case 'addressOf': return `&${e.name}`;
    case 'call': return `${e.name}(${e.args.map(formatExpr).join(', ')})`;
    case 'array': return `[${e.items.map(formatExpr).join(', ')}]`;
    case 'or': return e.operands.map((o) => (o.kind === 'or' ? `(${formatExpr(o)})` : formatExpr(o))).join('|');
    case 'binary': {
      // `|` binds looser than `+`/`-`, and both are left-associative.
      const l = e.left.kind === 'or' ? `(${formatExpr(e.left)})` : formatExpr(e.left);
      const r = e.right.kind === 'or' || e.right.kind === 'binary' ? `(${formatExpr(e.right)})` : formatExpr(e.right);
      return `${l} ${e.op} ${r}`;
    }
    case 'struct': {
      const parts: string[] = [];
      const f = e.fields;
      for (let i = 0; i < f.length; i++) {
        const { name, value } = f[i]!;
        const next = f[i + 1];
        if (name !== '' && next && next.name === `${name}len`) {
          // msghdr style: `msg_iov(1)=[...]` stands for msg_iov and msg_iovlen.
          parts.push(`${name}(${formatExpr(next.value)})=${formatExpr(value)}`);
          i++;
        } else {
          parts.push(name === '' ? formatExpr(value) : `${name}=${formatExpr(value)}`);
        }
      }
      return `{${parts.join(', ')}}`;
    }
  }
}

export function formatTcpOption(o: TcpOptionSpec): string {
  switch (o.kind) {
    case 'mss': return `mss ${o.value}`;
    case 'nop': return 'nop';
    case 'eol': return 'eol';
    case 'wscale': return `wscale ${o.value}`;
    case 'sackOK': return 'sackOK';
    case 'sack': return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`;
    case 'TS': return `TS val ${o.val} ecr ${o.ecr}`;
    case 'other': return o.text;
  }
}

/**
 * A packet as a script line writes it after the direction: `S. 0:0(0) ack 1 win 65535 <mss 1460>`,
 * `udp (100)`, `icmp unreachable port_unreachable [1:1(0)]`.
 */
export function formatPacket(spec: TcpPacketSpec | UdpPacketSpec | IcmpPacketSpec): string {
  switch (spec.proto) {
    case 'udp': return `udp (${spec.payloadLen})`;
    case 'icmp': {
      let s = `icmp ${spec.words.join(' ')}`;
      const q = spec.quoted;
      if (q) s += q.proto === 'udp' ? ` [udp (${q.payloadLen})]` : ` [${q.seqStart}:${q.seqEnd}(${q.payloadLen})]`;
      return s;
    }
    case 'tcp': {
      let s = spec.ecn !== undefined ? `[${spec.ecn}] ` : '';
      s += `${spec.flags === '' ? '-' : spec.flags} ${spec.seqStart}:${spec.seqEnd}(${spec.payloadLen})`;
      if (spec.ack !== undefined) s += ` ack ${spec.ack}`;
      if (spec.win !== undefined) s += ` win ${spec.win}`;
      if (spec.urg !== undefined) s += ` urg ${spec.urg}`;
      if (spec.options === null) s += ' <...>';
      else if (spec.options && spec.options.length > 0) s += ` <${spec.options.map(formatTcpOption).join(',')}>`;
      return s;
    }
  }
}

/** One event as a script line (commands and code blocks may span lines). */
export function formatEvent(e: ScriptEvent): string {
  let time = formatTime(e.time);
  if (e.end !== undefined && e.end.kind !== 'any' && e.end.kind !== 'range') time += `...${formatSeconds(e.end.t)}`;
  switch (e.type) {
    case 'syscall': {
      let s = `${time} ${e.name}(${e.args.map(formatExpr).join(', ')}) = ${formatExpr(e.result)}`;
      if (e.errno !== undefined) s += ` ${e.errno}`;
      if (e.errnoText !== undefined) s += ` (${e.errnoText})`;
      return s;
    }
    case 'packet': return `${time} ${e.direction === 'inbound' ? '<' : '>'} ${formatPacket(e.packet)}`;
    case 'command': return `${time} \`${e.command}\``;
    case 'code': return `${time} %{ ${e.code} }%`;
  }
}

/** A whole script: option lines, then one event per line. */
export function formatScript(s: Script): string {
  const lines: string[] = [];
  for (const o of s.options ?? []) {
    if (o.value === undefined) lines.push(`--${o.name}`);
    else lines.push(`--${o.name}=${/[\s"]/.test(o.value) ? formatString(o.value) : o.value}`);
  }
  for (const e of s.events) lines.push(formatEvent(e));
  return `${lines.join('\n')}\n`;
}

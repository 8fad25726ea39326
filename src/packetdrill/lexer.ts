/**
 * The packetdrill script lexer: text -> tokens with line and column. The token set follows
 * packetdrill's lexer.l in spirit (numbers, words, strings, `...`, backtick commands, `%{ }%`
 * code, `--option` lines, single-character punctuation); keywords are plain words here and the
 * parser gives them meaning by context. Never throws: a malformed string, comment, command or
 * code block becomes a LexError and lexing goes on.
 */

export type TokenKind =
  /** Decimal or hex integer, or a decimal with a fraction (`0.1`, `.1`): see `isFloat`. */
  | 'number'
  /** `[A-Za-z0-9_]+` that is not a number: AF_INET, S, sackOK, abcd1234. */
  | 'word'
  /** `"..."` with C escapes decoded into `text`. */
  | 'string'
  /** `` `...` ``: the raw command between the backticks. */
  | 'backtick'
  /** `%{ ... }%`: the code, trimmed. */
  | 'code'
  /** `--name` or `--name=value`: `text` is the name, `value` the value. */
  | 'option'
  /** `...` */
  | 'ellipsis'
  /** Any other single non-space character: `< > ( ) [ ] { } , = | & + - * ~ : .` and strays. */
  | 'punct'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** The source text of the token (for strings, commands and code: the decoded content). */
  text: string;
  /** For numbers: the value. */
  value: number;
  /** For numbers: written with a fraction (`0.1`, `.5`) rather than as an integer. */
  isFloat: boolean;
  /** For options: the value after `=`, if any. */
  optionValue?: string;
  /** 1-based position of the first character. */
  line: number;
  column: number;
  /** Line of the last character (commands and code may span lines). */
  endLine: number;
  /** Offsets into the source: [start, end). */
  start: number;
  end: number;
  /** True when no earlier token ends on this token's line: the token starts a line. */
  first: boolean;
}

export interface LexError {
  line: number;
  column: number;
  message: string;
}

const CH_NL = 10;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
function isWordChar(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isSpace(c: number): boolean {
  // Space, tab, CR (CRLF files), LF, vertical tab, form feed.
  return c === 32 || c === 9 || c === 13 || c === CH_NL || c === 11 || c === 12;
}

/** C escape letters and the characters they stand for. */
const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v', '?': '?', e: '\x1b',
};

/** Splits `src` into tokens; the last token is always `eof`. */
export function lex(src: string): { tokens: Token[]; errors: LexError[] } {
  const tokens: Token[] = [];
  const errors: LexError[] = [];
  const n = src.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let lastTokenEndLine = 0;

  const push = (kind: TokenKind, text: string, start: number, startLine: number, startCol: number, extra?: Partial<Token>): void => {
    const tok: Token = {
      kind, text, value: 0, isFloat: false, line: startLine, column: startCol, endLine: line, start, end: i,
      first: startLine > lastTokenEndLine, ...extra,
    };
    tokens.push(tok);
    lastTokenEndLine = line;
  };
  /** Advances over src[i], keeping the line count. */
  const advance = (): void => {
    if (src.charCodeAt(i) === CH_NL) {
      line++;
      lineStart = i + 1;
    }
    i++;
  };

  while (i < n) {
    const c = src.charCodeAt(i);
    if (isSpace(c)) {
      advance();
      continue;
    }
    const start = i;
    const startLine = line;
    const startCol = i - lineStart + 1;
    const c1 = i + 1 < n ? src.charCodeAt(i + 1) : -1;

    // Comments: `// ...` to end of line, `/* ... */`.
    if (c === 47 /* / */ && c1 === 47) {
      while (i < n && src.charCodeAt(i) !== CH_NL) i++;
      continue;
    }
    if (c === 47 && c1 === 42 /* * */) {
      const close = src.indexOf('*/', i + 2);
      if (close < 0) {
        errors.push({ line: startLine, column: startCol, message: "unterminated comment: expected '*/'" });
        while (i < n) advance();
        break;
      }
      while (i < close + 2) advance();
      continue;
    }
    // `%{ code }%` (multi-line).
    if (c === 37 /* % */ && c1 === 123 /* { */) {
      const close = src.indexOf('}%', i + 2);
      if (close < 0) {
        errors.push({ line: startLine, column: startCol, message: "unterminated code block: expected '}%'" });
        while (i < n) advance();
        break;
      }
      const body = src.slice(i + 2, close).trim();
      while (i < close + 2) advance();
      push('code', body, start, startLine, startCol);
      continue;
    }
    // `` `command` `` (multi-line; a backslash escapes the next character, kept raw).
    if (c === 96 /* ` */) {
      let j = i + 1;
      while (j < n && src.charCodeAt(j) !== 96) j += src.charCodeAt(j) === 92 ? 2 : 1;
      if (j >= n) {
        errors.push({ line: startLine, column: startCol, message: 'unterminated command: expected a closing backtick' });
        while (i < n) advance();
        break;
      }
      const body = src.slice(i + 1, j);
      while (i <= j) advance();
      push('backtick', body, start, startLine, startCol);
      continue;
    }
    // `"string"` with C escapes; a string ends at the end of its line at the latest.
    if (c === 34 /* " */) {
      const r = readString(src, i + 1);
      if (r.error) errors.push({ line: startLine, column: startCol + (r.errorAt - i), message: r.error });
      i = r.end;
      push('string', r.text, start, startLine, startCol);
      continue;
    }
    // `...`
    if (c === 46 /* . */ && c1 === 46 && src.charCodeAt(i + 2) === 46) {
      i += 3;
      push('ellipsis', '...', start, startLine, startCol);
      continue;
    }
    // `--name[=value]` option lines (value: a quoted string or a run of non-space characters).
    if (c === 45 /* - */ && c1 === 45 && i + 2 < n && isWordChar(src.charCodeAt(i + 2))) {
      let j = i + 2;
      while (j < n && isWordChar(src.charCodeAt(j))) j++;
      const name = src.slice(i + 2, j);
      let value: string | undefined;
      if (src.charCodeAt(j) === 61 /* = */) {
        j++;
        if (src.charCodeAt(j) === 34) {
          const r = readString(src, j + 1);
          if (r.error) errors.push({ line: startLine, column: startCol + (r.errorAt - i), message: r.error });
          value = r.text;
          j = r.end;
        } else {
          const vs = j;
          while (j < n && !isSpace(src.charCodeAt(j))) j++;
          value = src.slice(vs, j);
        }
      }
      i = j;
      push('option', name, start, startLine, startCol, value === undefined ? {} : { optionValue: value });
      continue;
    }
    // Numbers and words. A run of word characters is a number when it is all digits (with an
    // optional `.digits` fraction) or `0x` + hex digits; otherwise it is a word (`abcd1234`).
    if (isWordChar(c) || (c === 46 && isDigit(c1))) {
      let j = i;
      while (j < n && isWordChar(src.charCodeAt(j))) j++;
      const run = src.slice(i, j);
      if (/^[0-9]*$/.test(run)) {
        let isFloat = false;
        if (src.charCodeAt(j) === 46 && isDigit(src.charCodeAt(j + 1))) {
          isFloat = true;
          j++;
          while (j < n && isDigit(src.charCodeAt(j))) j++;
          // `1.5abc` is not a number; take the letters along so the parser reports the whole thing.
          if (j < n && isWordChar(src.charCodeAt(j))) {
            while (j < n && isWordChar(src.charCodeAt(j))) j++;
            i = j;
            push('word', src.slice(start, j), start, startLine, startCol);
            continue;
          }
        }
        const text = src.slice(i, j);
        i = j;
        push('number', text, start, startLine, startCol, { value: Number(text), isFloat });
        continue;
      }
      i = j;
      if (/^0[xX][0-9a-fA-F]+$/.test(run) && run.length > 2 && isHexDigit(run.charCodeAt(2))) {
        push('number', run, start, startLine, startCol, { value: parseInt(run.slice(2), 16) });
      } else {
        push('word', run, start, startLine, startCol);
      }
      continue;
    }
    // Anything else is a one-character token (a surrogate pair counts as one character).
    const cp = src.codePointAt(i) ?? c;
    i += cp > 0xffff ? 2 : 1;
    push('punct', String.fromCodePoint(cp), start, startLine, startCol);
  }
  const col = i - lineStart + 1;
  tokens.push({
    kind: 'eof', text: '', value: 0, isFloat: false, line, column: col, endLine: line, start: n, end: n,
    first: line > lastTokenEndLine,
  });
  return { tokens, errors };
}

/** Reads a string body starting after its opening quote; `end` is past the closing quote. */
function readString(src: string, from: number): { text: string; end: number; error?: string; errorAt: number } {
  const n = src.length;
  let out = '';
  let i = from;
  let error: string | undefined;
  let errorAt = 0;
  while (true) {
    if (i >= n || src.charCodeAt(i) === CH_NL) {
      // Reported at the opening quote, where the mistake most likely is.
      return { text: out, end: i, error: error ?? 'unterminated string: expected \'"\' before the end of the line', errorAt: error ? errorAt : from - 1 };
    }
    const ch = src[i]!;
    if (ch === '"') return error ? { text: out, end: i + 1, error, errorAt } : { text: out, end: i + 1, errorAt: 0 };
    if (ch !== '\\') {
      out += ch;
      i++;
      continue;
    }
    const e = src[i + 1];
    if (e === undefined || e === '\n') {
      i++;
      continue;
    }
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i += 2;
    } else if (e === 'x') {
      // \xHH: one or two hex digits.
      let j = i + 2;
      while (j < i + 4 && j < n && isHexDigit(src.charCodeAt(j))) j++;
      if (j === i + 2) {
        if (!error) { error = "bad escape '\\x': expected hex digits"; errorAt = i; }
        i += 2;
      } else {
        out += String.fromCharCode(parseInt(src.slice(i + 2, j), 16));
        i = j;
      }
    } else if (e >= '0' && e <= '7') {
      // \ooo: one to three octal digits.
      let j = i + 1;
      while (j < i + 4 && j < n && src[j]! >= '0' && src[j]! <= '7') j++;
      out += String.fromCharCode(parseInt(src.slice(i + 1, j), 8) & 0xff);
      i = j;
    } else {
      if (!error) { error = `unknown escape '\\${e}' in string`; errorAt = i; }
      out += e;
      i += 2;
    }
  }
}

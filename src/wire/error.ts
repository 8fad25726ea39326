/**
 * The typed error every parser in src/wire returns (never throws) for bad input
 * (DESIGN principle 4). Callers test `instanceof WireError` and count the drop by `kind`.
 */
export type WireErrorKind = 'truncated' | 'malformed' | 'bad-version' | 'bad-checksum' | 'unsupported';

export class WireError {
  constructor(
    readonly kind: WireErrorKind,
    readonly message: string,
  ) {}

  toString(): string {
    return `WireError(${this.kind}): ${this.message}`;
  }
}

/** Results of running scripts, and their text form. */

export type ScriptStatus = 'pass' | 'fail' | 'unsupported';

export interface ScriptResult {
  /** The script's name (its file name). */
  name: string;
  status: ScriptStatus;
  /** The line that failed or could not be honoured (absent on pass, or for whole-script reasons). */
  line?: number;
  /** Why it failed or is unsupported ('' on pass). */
  reason: string;
  /** For a packet mismatch: the expected line and what sockstack sent, both in script terms, with times. */
  expected?: string;
  actual?: string;
  /** Events executed before the script ended. */
  events: number;
  /** Virtual seconds the script ran. */
  seconds: number;
  /** With the verbose option: every event, injected and sniffed packet, in order. */
  log: string[];
}

/** Seconds as packetdrill prints them: `0.100000`. */
export const secs = (ms: number): string => (ms / 1000).toFixed(6);

/** One script's report: a line, and for a packet mismatch the expected and actual packets one above the other. */
export function formatResult(r: ScriptResult, verbose = false): string {
  const out: string[] = [];
  if (verbose) for (const l of r.log) out.push(`  ${l}`);
  const where = r.line !== undefined ? `${r.name}:${r.line}` : r.name;
  if (r.status === 'pass') out.push(`${r.name}: pass (${r.events} events, ${r.seconds.toFixed(3)} s)`);
  else out.push(`${where}: ${r.status}: ${r.reason}`);
  if (r.expected !== undefined || r.actual !== undefined) {
    out.push(`  expected: ${r.expected ?? '(nothing)'}`);
    out.push(`  actual:   ${r.actual ?? '(nothing)'}`);
  }
  return out.join('\n');
}

/** `N scripts: P passed, F failed, U unsupported` */
export function summaryLine(results: readonly ScriptResult[]): string {
  const n = (s: ScriptStatus): number => results.filter((r) => r.status === s).length;
  return `${results.length} script${results.length === 1 ? '' : 's'}: ${n('pass')} passed, ${n('fail')} failed, ${n('unsupported')} unsupported`;
}

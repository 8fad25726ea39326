/**
 * The packetdrill-compatible script runner as a library: parse a script (parser.ts) and run it
 * against a fresh sockstack host under virtual time (runner.ts).
 *
 *   const r = await runText(text, 'syn-ack.pkt', { toleranceUsecs: 10000 });
 *   if (r.status !== 'pass') console.log(formatResult(r));
 */
import { parseScript } from './parser.js';
import { runScript } from './runner.js';
import type { RunOptions } from './options.js';
import type { ScriptResult } from './report.js';

export { runScript } from './runner.js';
export { parseScript } from './parser.js';
export { DEFAULT_OPTIONS, resolveOptions, type RunOptions } from './options.js';
export { formatResult, summaryLine, type ScriptResult, type ScriptStatus } from './report.js';
export { SUPPORTED_SYSCALLS } from './syscalls.js';
export type { Script } from './ast.js';

/** Parses and runs `text`; a script that does not parse fails with its first errors (line:column). */
export async function runText(text: string, name: string, options: Partial<RunOptions> = {}): Promise<ScriptResult> {
  const parsed = parseScript(text, name);
  if ('errors' in parsed) {
    const first = parsed.errors[0];
    return {
      name,
      status: 'fail',
      line: first?.line,
      reason: `parse error: ${parsed.errors.slice(0, 5).map((e) => `${e.line}:${e.column}: ${e.message}`).join('; ')}`,
      events: 0,
      seconds: 0,
      log: [],
    };
  }
  return runScript(parsed.script, options);
}

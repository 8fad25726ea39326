/**
 * The conformance corpus: every script under test/packetdrill/scripts/ must pass against
 * sockstack. Scripts under test/packetdrill/pending/ state correct behaviour that sockstack does
 * not have yet (their first line says what it does instead); they must still fail, so that a fix
 * is noticed and the script moves into the corpus.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runText, formatResult } from '../../src/packetdrill/index.js';

const ROOT = new URL('.', import.meta.url).pathname;

function scripts(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...scripts(p));
    else if (name.endsWith('.pkt')) out.push(p);
  }
  return out;
}

describe('packetdrill corpus (test/packetdrill/scripts)', () => {
  const files = scripts(join(ROOT, 'scripts'));
  it('has scripts', () => assert.ok(files.length > 0));
  for (const file of files) {
    const name = relative(ROOT, file);
    it(name, async () => {
      const r = await runText(readFileSync(file, 'utf8'), name);
      assert.equal(r.status, 'pass', formatResult(r, true));
    });
  }
});

describe('pending scripts (test/packetdrill/pending) still fail as documented', () => {
  for (const file of scripts(join(ROOT, 'pending'))) {
    const name = relative(ROOT, file);
    it(name, async () => {
      const text = readFileSync(file, 'utf8');
      assert.match(text.split('\n')[0] ?? '', /^\/\/ PENDING: \S/, 'the first line says what sockstack does instead');
      const r = await runText(text, name);
      assert.equal(r.status, 'fail', `now ${r.status}: move it into scripts/ if sockstack was fixed\n${formatResult(r, true)}`);
    });
  }
});

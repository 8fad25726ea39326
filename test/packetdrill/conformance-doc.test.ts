import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('docs/conformance.md links the packetdrill scripts as they are (node scripts/conformance-scripts.mjs)', () => {
  const r = spawnSync(process.execPath, ['scripts/conformance-scripts.mjs', '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

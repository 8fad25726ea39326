import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('docs/packetdrill.md lists the sysctl keys as SYSCTL_MAP has them (scripts/packetdrill-docs.mts)', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/packetdrill-docs.mts', '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

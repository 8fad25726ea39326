import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../bench/lib/report.js';
import { BENCHMARKS } from '../../bench/registry.js';

// The runner end to end on tiny workloads (--smoke): it must build, run every benchmark in its
// own process, and print one valid JSON report. No figure is judged here (no timing assertions).
test('bench runner: --smoke --json runs every benchmark and emits a valid JSON report', { timeout: 240_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'sockstack-bench-test-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--json', '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, `runner failed:\n${r.stderr.slice(-3000)}`);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.schema, 'sockstack-bench/1');
    assert.equal(report.mode, 'smoke');
    assert.match(report.build.loadedFrom, /tsc|tsx/);
    assert.equal(typeof report.machine.cpu, 'string');
    assert.ok(report.machine.cores >= 1);
    assert.equal(report.machine.node, process.version);
    assert.deepEqual(report.benchmarks.map((b) => b.name), BENCHMARKS.map((b) => b.name));
    for (const e of report.benchmarks) {
      assert.notEqual(e.status, 'error', `${e.name}: ${e.error}`);
      assert.ok(['met', 'missed', 'n/a'].includes(e.status), `${e.name}: status ${e.status}`);
      assert.ok(e.sockstack && Number.isFinite(e.sockstack.median) && e.sockstack.median > 0, `${e.name}: sockstack figure`);
      assert.ok(e.sockstack!.min <= e.sockstack!.median && e.sockstack!.median <= e.sockstack!.max);
      if (e.peer) {
        assert.ok(Number.isFinite(e.peer.median) && e.peer.median > 0, `${e.name}: peer figure`);
        assert.ok(Math.abs(e.ratio! - e.sockstack!.median / e.peer.median) < 1e-9, `${e.name}: ratio`);
      } else assert.equal(e.ratio, null);
    }
    // The scale benchmark at smoke size opened everything it was asked to, and says it was scaled down.
    const scale = report.benchmarks.find((b) => b.name === 'tcp-scale')!;
    assert.equal(scale.sockstack!.median, scale.workload.connections);
    assert.equal(scale.status, 'n/a');
    assert.ok(scale.notes.some((n) => n.includes('scaled down')));
    // Both files were written, and the table names every benchmark and a status.
    const saved = JSON.parse(readFileSync(join(out, 'smoke.json'), 'utf8')) as Report;
    assert.equal(saved.benchmarks.length, report.benchmarks.length);
    const table = readFileSync(join(out, 'smoke.txt'), 'utf8');
    for (const b of BENCHMARKS) assert.match(table, new RegExp(`^${b.name} `, 'm'));
    assert.ok(!existsSync(join(out, 'latest.json')), 'a smoke run must not overwrite the record');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('bench runner: an unknown option is a usage error (exit 2), --list names every benchmark', () => {
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--bogus'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown option --bogus/);
  const list = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--list'], { encoding: 'utf8' });
  assert.equal(list.status, 0);
  for (const b of BENCHMARKS) assert.match(list.stdout, new RegExp(`^${b.name} `, 'm'));
});

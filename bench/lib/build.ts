import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Build {
  /** file: URL of the compiled index.js, or null to load the sources through tsx. */
  url: string | null;
  dir: string | null;
  loadedFrom: string;
  /** tsc diagnostics (files other people are editing may not type-check yet; tsc emits anyway). */
  tscErrors: number;
}

/** Compiles src/ with tsc into a temporary directory: the benchmarks measure that JavaScript. */
export function buildStack(log: (s: string) => void): Build {
  const dir = mkdtempSync(join(tmpdir(), 'sockstack-bench-'));
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const r = spawnSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', dir, '--declaration', 'false', '--sourceMap', 'false', '--noEmitOnError', 'false'],
    { cwd: root, encoding: 'utf8' },
  );
  const errors = (r.stdout.match(/error TS\d+/g) ?? []).length;
  if (!existsSync(join(dir, 'index.js'))) {
    log(`bench: tsc produced no build (${errors} errors); measuring the sources through tsx instead\n${r.stdout}`);
    rmSync(dir, { recursive: true, force: true });
    return { url: null, dir: null, loadedFrom: 'TypeScript sources through tsx (tsc build failed)', tscErrors: errors };
  }
  if (errors) log(`bench: tsc reported ${errors} type errors (emitted anyway):\n${r.stdout}`);
  // The compiled files are ES modules, as in the package.
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  return { url: pathToFileURL(join(dir, 'index.js')).href, dir, loadedFrom: 'compiled by tsc', tscErrors: errors };
}


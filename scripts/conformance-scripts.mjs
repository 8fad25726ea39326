#!/usr/bin/env node
// Links each RFC 9293 requirement row of docs/conformance.md to the packetdrill scripts that
// show it: a script shows a requirement when its header comment cites that RFC 9293 section
// (or a subsection of it). Rewrites the table's last column "Scripts"; --check only reports
// whether the document is up to date (the test suite runs it that way).
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const DOC = 'docs/conformance.md';
const ROOT = 'test/packetdrill/scripts';
const SHOWN = 3;

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.pkt')) out.push(p);
  }
  return out;
}

/** RFC 9293 sections a script's header cites: each § belongs to the RFC named last before it. */
function sectionsOf(file) {
  const header = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('//')) break;
    header.push(line.slice(2));
  }
  const secs = new Set();
  let rfc = null;
  for (const m of header.join(' ').matchAll(/RFC\s*(\d+)|§\s*(\d+(?:\.\d+)*)/g)) {
    if (m[1]) rfc = m[1];
    else if (rfc === '9293') secs.add(m[2]);
  }
  return secs;
}

const scripts = walk(ROOT).map((f) => ({ file: f, secs: sectionsOf(f) }));
const covers = (sec, s) => [...s.secs].some((x) => x === sec || x.startsWith(`${sec}.`));

const lines = readFileSync(DOC, 'utf8').split('\n');
const out = lines.map((line) => {
  if (line.startsWith('| ID |')) return `${line.replace(/ Scripts \|$/, '').replace(/\|$/, '').trimEnd()} | Scripts |`;
  if (/^\|---/.test(line)) return '|---|---|---|---|---|---|';
  const row = /^\| (MUST|SHLD|MAY|REC)-\d+ \|/.test(line);
  if (!row) return line;
  const cells = line.split(' | ');
  if (cells.length === 6) cells.pop(); // an existing Scripts column: recompute it
  const secs = [...cells[1].matchAll(/§(\d+(?:\.\d+)*)/g)].map((m) => m[1]);
  const hits = scripts.filter((s) => secs.some((sec) => covers(sec, s)));
  const links = hits.slice(0, SHOWN).map((s) => `[${relative(ROOT, s.file).replace(/\.pkt$/, '')}](../${s.file})`);
  const more = hits.length > SHOWN ? ` and ${hits.length - SHOWN} more` : '';
  const last = cells[cells.length - 1].replace(/ \|$/, '');
  cells[cells.length - 1] = last;
  return `${cells.join(' | ')} | ${hits.length ? links.join(', ') + more : '—'} |`;
});
const text = out.join('\n');
if (process.argv.includes('--check')) {
  if (text !== readFileSync(DOC, 'utf8')) {
    console.error(`${DOC} is out of date: run node scripts/conformance-scripts.mjs`);
    process.exit(1);
  }
} else {
  writeFileSync(DOC, text);
  const linked = out.filter((l) => /^\| (MUST|SHLD|MAY|REC)-\d+ \|/.test(l) && !l.endsWith('| — |')).length;
  console.log(`${DOC}: ${linked} requirement rows linked to scripts (${scripts.length} scripts)`);
}

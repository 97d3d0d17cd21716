#!/usr/bin/env node
// publint and `attw --pack` on every published package, then the browser-bundle check of the entries
// meant for browsers (check-browser-entries.mjs) and the export budgets of the main entries
// (count-exports.mjs); fails on any problem.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
for (const dir of readdirSync(join(root, 'packages'))) {
  const cwd = join(root, 'packages', dir);
  const { name, private: isPrivate } = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
  if (isPrivate) continue;
  console.log(`\n== ${name}`);
  execFileSync(bin('publint'), ['--strict'], { cwd, stdio: 'inherit' });
  execFileSync(bin('attw'), ['--pack', '.', '--profile', 'node16'], { cwd, stdio: 'inherit' });
}
for (const check of ['check-browser-entries.mjs', 'count-exports.mjs']) execFileSync(process.execPath, [join(root, 'scripts', check)], { stdio: 'inherit' });

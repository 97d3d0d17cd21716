#!/usr/bin/env node
// publint and `attw --pack` on every published package; fails on any problem.
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

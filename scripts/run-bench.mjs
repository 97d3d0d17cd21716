#!/usr/bin/env node
// Runs every benchmark under bench/ (or those named on the command line) against the built packages.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const benchDir = resolve(import.meta.dirname, '..', 'bench');
const wanted = process.argv.slice(2);
const all = readdirSync(benchDir).filter((f) => f.endsWith('.bench.mjs'));
const unknown = wanted.filter((w) => !all.includes(w) && !all.includes(`${w}.bench.mjs`));
if (unknown.length) {
  console.error(`unknown benchmark(s) ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
const chosen = wanted.length ? all.filter((f) => wanted.includes(f) || wanted.includes(f.replace('.bench.mjs', ''))) : all;
for (const file of chosen) {
  console.log(`\n== ${file}`);
  execFileSync(process.execPath, [join(benchDir, file)], { stdio: 'inherit' });
}

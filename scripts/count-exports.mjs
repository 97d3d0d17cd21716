#!/usr/bin/env node
// Counts the names each package entry exports (values at run time, types from
// its .d.ts) and fails when a main entry holds more values than its budget:
// every exported name is a semver promise, and the main entries hold what the
// guides use (docs/guides/architecture.md, "Public API in tiers"). Reads the
// built dist/ (`pnpm build` first); `--json` prints the counts as JSON.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/** Values a main entry may export at most. */
export const VALUE_BUDGETS = { '@seg/core': 120, '@seg/deeplab': 70, '@seg/msrc': 40 };

const root = resolve(import.meta.dirname, '..');

/** `{ entry, values, types, budget }` for every entry of every published package. */
export async function countExports() {
  const entries = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const pkgDir = join(root, 'packages', dir);
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    if (pkg.private) continue;
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target !== 'string') entries.push({ entry: `${pkg.name}${subpath.slice(1)}`, js: join(pkgDir, target.import.default), dts: join(pkgDir, target.import.types) });
    }
  }
  // One program for every declaration file: the names a .d.ts exports, less those that are values, are its types.
  const program = ts.createProgram(
    entries.map((e) => e.dts),
    { skipLibCheck: true, noEmit: true },
  );
  const checker = program.getTypeChecker();
  const rows = [];
  for (const { entry, js, dts } of entries) {
    const values = new Set(Object.keys(await import(pathToFileURL(js).href)).filter((n) => n !== 'default'));
    const symbol = checker.getSymbolAtLocation(program.getSourceFile(dts));
    const types = symbol ? checker.getExportsOfModule(symbol).filter((s) => !values.has(s.name)).length : 0;
    rows.push({ entry, values: values.size, types, budget: VALUE_BUDGETS[entry] });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await countExports();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows, null, 2));
  } else {
    console.log('entry'.padEnd(24), 'values'.padStart(7), 'types'.padStart(7), 'budget'.padStart(7));
    for (const r of rows) console.log(r.entry.padEnd(24), String(r.values).padStart(7), String(r.types).padStart(7), String(r.budget ?? '').padStart(7));
  }
  const over = rows.filter((r) => r.budget !== undefined && r.values > r.budget);
  for (const r of over) console.error(`${r.entry} exports ${r.values} values, over its budget of ${r.budget}: move plumbing to a subpath or stop exporting it`);
  if (over.length > 0) process.exit(1);
}

#!/usr/bin/env node
// Proves that the entries meant for browsers are safe to bundle: bundles each
// built entry for the browser with esbuild, following every static import
// through @seg/* packages and dependencies, and fails when one reaches a Node
// built-in or a package that cannot be bundled for the browser (a native
// addon). Specifiers imported at run time from a variable (optional peers,
// loaded on first use) are not followed, as in any bundler.
//
// Every subpath a package exports is listed below as browser-safe or
// Node-only, so a new entry cannot be added without deciding which it is.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const ENTRIES = {
  '@seg/core': { browser: ['.', './kernels', './internals'], node: [] },
  // Dataset layouts are read from disk with a native image decoder; class names and palettes are for pages too.
  '@seg/datasets': { browser: ['./classes'], node: ['.', './msrc'] },
  '@seg/deeplab': { browser: ['.'], node: ['./node'] },
  // The dataset adapter reads MSRC folders and decodes images with a native addon; its palette is for pages.
  '@seg/msrc': { browser: ['./palette'], node: ['.'] },
};

const root = resolve(import.meta.dirname, '..');
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
// tfjs is what the packages are written for (a peer in every browser app); bundling it only slows the check.
const external = ['@tensorflow/*'];

/** What stops a browser bundle of `entry`: each Node built-in it reaches (with its importer), or the bundler's errors. */
async function browserProblems(entry) {
  const found = [];
  const plugin = {
    name: 'node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!builtins.has(args.path)) return undefined;
        found.push(`${args.path} (imported by ${relative(root, args.importer)})`);
        return { path: args.path, external: true };
      });
    },
  };
  try {
    await build({ entryPoints: [entry], bundle: true, write: false, platform: 'browser', format: 'esm', logLevel: 'silent', external, plugins: [plugin] });
  } catch (e) {
    found.push(...e.errors.map((m) => `${m.text} (in ${m.location?.file ?? '?'})`));
  }
  return found;
}

let failed = false;
const fail = (message) => {
  failed = true;
  console.error(message);
};
for (const dir of readdirSync(join(root, 'packages'))) {
  const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  const listed = ENTRIES[pkg.name];
  if (!listed) {
    fail(`${pkg.name}: not listed in scripts/check-browser-entries.mjs; say which of its entries are for browsers`);
    continue;
  }
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath === './package.json') continue;
    const name = `${pkg.name}${subpath.slice(1)}`;
    if (listed.node.includes(subpath)) continue;
    if (!listed.browser.includes(subpath)) {
      fail(`${name}: not listed in scripts/check-browser-entries.mjs as a browser or Node-only entry`);
      continue;
    }
    const problems = await browserProblems(join(root, 'packages', dir, target.import.default));
    if (problems.length === 0) console.log(`${name}: bundles for the browser without Node modules`);
    else fail(`${name}: a browser bundle of it breaks; it reaches:\n  ${problems.join('\n  ')}`);
  }
}
if (failed) process.exit(1);

#!/usr/bin/env node
// Packs the published packages into one folder, as npm would publish them
// (`pnpm pack` turns `workspace:^` into the version): what `pnpm pack:all` writes
// for installing from a clone before a release exists, and what the consumer test installs.
//
//   node scripts/pack-packages.mjs [dir]   (default dist-packs/; run `pnpm build` first)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');

/** The published packages, each's folder under packages/: core first, which the others depend on. */
export const PACKED = ['core', 'datasets', 'msrc', 'deeplab'];

/** The tarball `pnpm pack` writes for packages/<dir>: @seg/core 1.2.3 -> seg-core-1.2.3.tgz. */
function tarballName(dir) {
  const { name, version } = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

/**
 * Packs every package of {@link PACKED} into `dest` (created if missing; earlier
 * tarballs of these packages removed first, so only the current versions remain).
 *
 * @returns The tarballs' absolute paths, in {@link PACKED}'s order.
 */
export function packPackages(dest) {
  mkdirSync(dest, { recursive: true });
  for (const f of readdirSync(dest)) if (/^seg-(core|datasets|msrc|deeplab)-.*\.tgz$/.test(f)) rmSync(join(dest, f));
  return PACKED.map((dir) => {
    execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: join(root, 'packages', dir), stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = join(dest, tarballName(dir));
    if (!existsSync(tarball)) throw new Error(`pnpm pack in packages/${dir} did not write ${tarball}`);
    return tarball;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const tarballs = packPackages(resolve(process.argv[2] ?? join(root, 'dist-packs')));
  console.log(tarballs.join('\n'));
}

import { importAtRuntime } from './runtime-import.js';

/**
 * The absolute path of `file` (e.g. `dist/…/worker.js`) in the package
 * `packageName`, found through the package's own `package.json`: worker
 * threads and child processes need loadable JavaScript that imports the same
 * tfjs and `@seg` packages as everything else, also when the caller runs from
 * TypeScript sources (tests). `from` is the calling module (`import.meta.url`,
 * or `__filename` in a CommonJS build); without it, or when the package is not
 * resolvable from there, it is resolved from the working directory.
 *
 * @param what Names the file in errors, e.g. `the replica worker`.
 * @throws Naming the package when it cannot be found, or the file and the
 *   build command when it is missing.
 * @internal
 */
export async function builtEntry(packageName: string, file: string, from: string | undefined, what: string): Promise<string> {
  const { createRequire } = (await importAtRuntime('node:module')) as typeof import('node:module');
  const { dirname, join } = (await importAtRuntime('node:path')) as typeof import('node:path');
  const { existsSync } = (await importAtRuntime('node:fs')) as typeof import('node:fs');
  const manifest = `${packageName}/package.json`;
  let packageJson: string;
  try {
    packageJson = createRequire(from ?? `${process.cwd()}/`).resolve(manifest);
  } catch {
    try {
      packageJson = createRequire(`${process.cwd()}/`).resolve(manifest);
    } catch (e) {
      throw new Error(`cannot find ${packageName}'s package.json for ${what} (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const path = join(dirname(packageJson), file);
  if (!existsSync(path)) throw new Error(`${what} ${path} is missing; run \`pnpm build\` in ${packageName}'s folder`);
  return path;
}

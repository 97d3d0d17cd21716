/**
 * Finding what a replica runs: the built worker entry of @seg/core, and the
 * user's replica module as a URL a worker can import.
 *
 * @module
 */
import { importAtRuntime } from '../../io/runtime-import.js';

/** The replica module as a URL the worker can import: a URL as given, a path resolved against the working directory. */
export async function replicaModuleUrl(replica: string | URL): Promise<string> {
  if (replica instanceof URL) return replica.href;
  // A scheme of two letters or more (file:, data:); a drive letter (C:) starts a Windows path.
  if (/^[a-z][a-z0-9+.-]+:/i.test(replica)) return replica;
  const { resolve } = (await importAtRuntime('node:path')) as typeof import('node:path');
  const { pathToFileURL } = (await importAtRuntime('node:url')) as typeof import('node:url');
  return pathToFileURL(resolve(replica)).href;
}

/** Where the build puts the replica worker, relative to @seg/core's package.json. */
const WORKER_ENTRY = 'dist/train/replicas/replica-worker.js';

/**
 * The built worker entry, in @seg/core's dist: worker threads and child
 * processes need loadable ES module JavaScript (one tfjs instance with the
 * replica module's), also when the trainer itself runs from TypeScript
 * sources (tests). Found through the package's own package.json, which the
 * CommonJS build (no `import.meta`) resolves from the working directory.
 */
export async function workerEntry(): Promise<URL> {
  const { createRequire } = (await importAtRuntime('node:module')) as typeof import('node:module');
  const { dirname, join } = (await importAtRuntime('node:path')) as typeof import('node:path');
  const { existsSync } = (await importAtRuntime('node:fs')) as typeof import('node:fs');
  const { pathToFileURL } = (await importAtRuntime('node:url')) as typeof import('node:url');
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve('@seg/core/package.json');
  } catch {
    try {
      packageJson = createRequire(`${process.cwd()}/`).resolve('@seg/core/package.json');
    } catch (e) {
      throw new Error(`Trainer: cannot find @seg/core's package.json for its replica worker (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const path = join(dirname(packageJson), WORKER_ENTRY);
  if (!existsSync(path)) throw new Error(`Trainer: the replica worker ${path} is missing; run \`pnpm build\` in packages/core`);
  return pathToFileURL(path);
}

/**
 * Finding what a replica runs: the built worker entry of @seg/core, and the
 * user's replica module as a URL a worker can import.
 *
 * @module
 */
import { builtEntry } from '../../io/built-entry.js';
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
 * The built worker entry, in @seg/core's dist (see `builtEntry`): worker
 * threads and child processes run JavaScript with one tfjs instance, the
 * replica module's, also when the trainer runs from TypeScript sources.
 */
export async function workerEntry(): Promise<URL> {
  const { pathToFileURL } = (await importAtRuntime('node:url')) as typeof import('node:url');
  // The CommonJS build has no import.meta: builtEntry then resolves from the working directory.
  const from = typeof import.meta.url === 'string' ? import.meta.url : undefined;
  return pathToFileURL(await builtEntry('@seg/core', WORKER_ENTRY, from, 'Trainer: the replica worker'));
}

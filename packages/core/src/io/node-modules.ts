import { importAtRuntime } from './runtime-import.js';

/** Node's `fs/promises` module. */
export type NodeFs = typeof import('node:fs/promises');
/** Node's `path` module. */
export type NodePath = typeof import('node:path');

/**
 * Node's `fs/promises` and `path`, loaded on first use so `@seg/core` bundles
 * for browsers, where only the file-system helpers are unavailable.
 *
 * @param what Who needs them, named in the error when they are missing.
 * @throws In runtimes without Node's modules (browsers), saying so.
 */
export async function loadNodeFs(what: string): Promise<{ fs: NodeFs; path: NodePath }> {
  try {
    const [fs, path] = await Promise.all([importAtRuntime('node:fs/promises'), importAtRuntime('node:path')]);
    return { fs: fs as NodeFs, path: path as NodePath };
  } catch (e) {
    throw new Error(`${what}: needs Node's file system (${(e as Error).message}); in a browser pass bytes or use tf.io's browser handlers`);
  }
}

/**
 * Atomic file and directory writes for Node.js: content goes to a temporary
 * sibling, is flushed to disk, then renamed over the target, so a reader (or
 * a run resumed after a crash) sees the old content or the whole new one,
 * never a prefix. Node's `fs` is loaded on first use, so `@seg/core` still
 * bundles for browsers.
 */

import { loadNodeFs as node, type NodeFs as Fs } from './node-modules.js';

const unique = () => `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

async function writeSynced(fs: Fs, file: string, data: Uint8Array | string): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(data);
    // The data must be on disk before a rename makes it visible.
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `file` atomically, creating missing parent folders. */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const { fs, path } = await node(`writeFileAtomic ${file}`);
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${unique()}`;
  try {
    await writeSynced(fs, tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/** Prefix of the name a replaced directory has until the new one is in place (see {@link writeDirectoryAtomic}). */
export const REPLACED_DIRECTORY_INFIX = '.old-';

/**
 * Writes `files` (name → content) as the directory `dir`, atomically: into a
 * temporary sibling first, then renamed into place. A directory already at
 * `dir` is renamed aside first (`rename` cannot replace a non-empty
 * directory) and removed after; if the process dies between the two renames,
 * the complete old directory survives as `<dir>.old-…`.
 */
export async function writeDirectoryAtomic(dir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  const { fs, path } = await node(`writeDirectoryAtomic ${dir}`);
  const target = path.resolve(dir);
  for (const name of Object.keys(files)) {
    if (name !== path.basename(name) || name === '.' || name === '..') {
      throw new Error(`writeDirectoryAtomic ${dir}: "${name}" is not a plain file name`);
    }
  }
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${unique()}`;
  await fs.mkdir(tmp);
  try {
    for (const [name, content] of Object.entries(files)) await writeSynced(fs, path.join(tmp, name), content);
    const old = `${target}${REPLACED_DIRECTORY_INFIX}${unique()}`;
    let replaced = false;
    try {
      await fs.rename(target, old);
      replaced = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await fs.rename(tmp, target);
    if (replaced) await fs.rm(old, { recursive: true, force: true });
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

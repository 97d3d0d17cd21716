/**
 * Atomic file and directory writes for Node.js, and the one reader that
 * recovers what a crash left behind.
 *
 * A file goes to a temporary sibling, is flushed to disk, then renamed over
 * the target. A directory (checkpoint, model folder) is written as
 * `<dir>.tmp-<stamp>`, closed by a completion marker written last, then
 * swapped in: the old directory is renamed to `<dir>.old-<stamp>`, the new
 * one to `<dir>`, and the old one deleted (its marker first, so a deletion
 * cut short never looks complete). A crash between any two of these steps
 * leaves at least one complete copy: {@link findAtomicDirectory} returns the
 * newest one, and the next successful write removes every leftover. Stamps
 * are UTC times, so names sort by age (the process id in an older scheme
 * made a stale empty `.old-` folder win).
 *
 * Node's `fs` is loaded on first use, so `@seg/core` still bundles for
 * browsers.
 */

import { writeError } from './node-files.js';
import { loadNodeFs as node, type NodeFs as Fs, type NodePath } from './runtime-import.js';

/** Infix of a directory being written: `<dir>.tmp-<stamp>`. */
export const TEMPORARY_DIRECTORY_INFIX = '.tmp-';
/** Infix of a replaced directory until the new one is in place: `<dir>.old-<stamp>`. */
export const REPLACED_DIRECTORY_INFIX = '.old-';
/** Written last into every atomically written directory: `{ written, files: { name: bytes } }`. */
export const COMPLETE_MARKER = '.complete.json';

let sequence = 0;

/** A name part that sorts by creation time: UTC time to the millisecond, a per-process counter, the pid. */
function timeStamp(): string {
  const time = new Date().toISOString().replace(/[-:.]/g, '');
  sequence = (sequence + 1) % 1_000_000;
  return `${time}-${String(sequence).padStart(6, '0')}-${process.pid}`;
}

/** Writes and flushes `file`; a failure names `target`, the path the caller is writing (a full disk says so). */
async function writeSynced(fs: Fs, file: string, data: Uint8Array | string, target = file): Promise<void> {
  try {
    const handle = await fs.open(file, 'w');
    try {
      await handle.writeFile(data);
      // The data must be on disk before a rename makes it visible.
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw writeError(e, target);
  }
}

/** Removes `<base><infix>*` siblings in `parent` (never `keep`), each marker first. */
async function removeLeftovers(fs: Fs, path: NodePath, parent: string, base: string, infixes: string[], keep?: string) {
  const names = await fs.readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    if (name === keep || !infixes.some((infix) => name.startsWith(`${base}${infix}`))) continue;
    const full = path.join(parent, name);
    await fs.rm(path.join(full, COMPLETE_MARKER), { force: true }).catch(() => undefined);
    await fs.rm(full, { recursive: true, force: true });
  }
}

/**
 * Writes `data` to `file` atomically, creating missing parent folders.
 * Temporary files a crash left beside `file` are removed.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const { fs, path } = await node(`writeFileAtomic ${file}`);
  const target = path.resolve(file);
  await fs.mkdir(path.dirname(target), { recursive: true }).catch((e) => Promise.reject(writeError(e, path.dirname(target))));
  const tmp = `${target}${TEMPORARY_DIRECTORY_INFIX}${timeStamp()}`;
  try {
    await writeSynced(fs, tmp, data, target);
    await fs.rename(tmp, target).catch((e) => Promise.reject(writeError(e, target)));
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await removeLeftovers(fs, path, path.dirname(target), path.basename(target), [TEMPORARY_DIRECTORY_INFIX]);
}

/** The steps of one directory write, for the crash tests: see {@link writeDirectoryAtomicSteps}. */
export type AtomicWriteStep =
  | 'created-temporary'
  | 'wrote-file'
  | 'wrote-marker'
  | 'moved-old-aside'
  | 'moved-new-in-place'
  | 'removed-old'
  | 'removed-leftovers';

/**
 * The directory write of {@link writeDirectoryAtomic}, yielding after every
 * step that changes the disk. Abandoning the iteration after any step is
 * exactly what a process killed at that point leaves behind (nothing is
 * cleaned up then); tests use it to simulate a crash at each point.
 * @internal
 */
export async function* writeDirectoryAtomicSteps(
  dir: string,
  files: Record<string, Uint8Array | string>,
): AsyncGenerator<AtomicWriteStep, void, undefined> {
  const { fs, path } = await node(`writeDirectoryAtomic ${dir}`);
  const target = path.resolve(dir);
  for (const name of Object.keys(files)) {
    if (name !== path.basename(name) || name === '.' || name === '..' || name === COMPLETE_MARKER) {
      throw new Error(`writeDirectoryAtomic ${dir}: "${name}" is not a plain file name`);
    }
  }
  const parent = path.dirname(target);
  const base = path.basename(target);
  await fs.mkdir(parent, { recursive: true }).catch((e) => Promise.reject(writeError(e, parent)));
  const stamp = timeStamp();
  const tmp = `${target}${TEMPORARY_DIRECTORY_INFIX}${stamp}`;
  await fs.mkdir(tmp).catch((e) => Promise.reject(writeError(e, target)));
  yield 'created-temporary';
  let moved = false;
  try {
    const sizes: Record<string, number> = {};
    for (const [name, content] of Object.entries(files)) {
      await writeSynced(fs, path.join(tmp, name), content, path.join(target, name));
      sizes[name] = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
      yield 'wrote-file';
    }
    await writeSynced(fs, path.join(tmp, COMPLETE_MARKER), `${JSON.stringify({ written: stamp, files: sizes })}\n`, target);
    yield 'wrote-marker';
    // `rename` cannot replace a non-empty directory, so the old one steps aside first.
    const old = `${target}${REPLACED_DIRECTORY_INFIX}${stamp}`;
    let replaced = false;
    try {
      await fs.rename(target, old);
      replaced = true;
      yield 'moved-old-aside';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await fs.rename(tmp, target);
    moved = true;
    yield 'moved-new-in-place';
    if (replaced) {
      await removeLeftovers(fs, path, parent, base, [`${REPLACED_DIRECTORY_INFIX}${stamp}`]);
      yield 'removed-old';
    }
  } catch (e) {
    if (!moved) await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  // A write that got here owns the name (a run lock keeps other writers away), so whatever
  // earlier crashes left beside it is garbage now.
  await removeLeftovers(fs, path, parent, base, [TEMPORARY_DIRECTORY_INFIX, REPLACED_DIRECTORY_INFIX]);
  yield 'removed-leftovers';
}

/**
 * Writes `files` (name → content) as the directory `dir`, atomically: at
 * every instant `dir` (or, after a crash, the copy {@link findAtomicDirectory}
 * recovers) holds the whole old content or the whole new one. Leftovers of
 * earlier crashes are removed once the new directory is in place.
 *
 * One writer per directory: a concurrent writer's temporary folder counts as
 * a leftover.
 */
export async function writeDirectoryAtomic(dir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  for await (const _step of writeDirectoryAtomicSteps(dir, files)) {
    // Each step has already happened; nothing to do between them.
  }
}

interface Marker {
  written: string;
  files: Record<string, number>;
}

/** The marker of `dir` if it is present and every file it lists has its recorded size, else `null`. */
async function completeMarker(fs: Fs, path: NodePath, dir: string): Promise<Marker | null> {
  try {
    const file = path.join(dir, COMPLETE_MARKER);
    // Only a regular file is read: a FIFO planted under the marker's name would block the read.
    if (!(await fs.stat(file)).isFile()) return null;
    const marker = JSON.parse(await fs.readFile(file, 'utf8')) as Marker;
    if (typeof marker.written !== 'string' || marker.files === null || typeof marker.files !== 'object') return null;
    for (const [name, size] of Object.entries(marker.files)) {
      const stat = await fs.stat(path.join(dir, name));
      if (!stat.isFile() || stat.size !== size) return null;
    }
    return marker;
  } catch {
    return null;
  }
}

/**
 * The directory to read for `dir`, written by {@link writeDirectoryAtomic}:
 * the newest complete copy among `dir` itself and what a crash left beside
 * it (`<dir>.old-*`, `<dir>.tmp-*` whose completion marker and files are all
 * there). `dir` without a marker (written by another tool) counts as
 * complete, since a rename is the only way a copy gets that name. `null` when
 * there is no copy at all.
 */
export async function findAtomicDirectory(dir: string): Promise<string | null> {
  const { fs, path } = await node(`findAtomicDirectory ${dir}`);
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  let best: { dir: string; written: string } | null = null;
  const isDir = await fs.stat(target).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isDir) best = { dir: target, written: (await completeMarker(fs, path, target))?.written ?? '' };
  const names = await fs.readdir(parent).catch(() => [] as string[]);
  for (const name of names.sort()) {
    if (!name.startsWith(`${base}${TEMPORARY_DIRECTORY_INFIX}`) && !name.startsWith(`${base}${REPLACED_DIRECTORY_INFIX}`)) continue;
    const full = path.join(parent, name);
    const marker = await completeMarker(fs, path, full);
    // A copy renamed aside keeps the marker of its own, earlier write; ties go to `dir` itself.
    if (marker && (best === null || marker.written > best.written)) best = { dir: full, written: marker.written };
  }
  return best?.dir ?? null;
}

import { loadNodeFs } from './runtime-import.js';

/**
 * The bytes of a regular file. The file is opened without blocking and
 * checked on the open handle, so a FIFO, socket or device (named, or swapped
 * in after a check) is refused instead of blocking the read forever.
 *
 * @throws Node's error (with its `code`) if the file cannot be opened, or an
 *   error saying what the path is instead of a regular file.
 */
export async function readRegularFile(path: string | URL): Promise<Uint8Array> {
  const { fs } = await loadNodeFs('reading files');
  // Opening a FIFO for reading blocks until a writer comes, unless non-blocking (O_NONBLOCK is absent on Windows, which has no FIFOs).
  const handle = await fs.open(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`it is not a regular file (${stat.isDirectory() ? 'a directory' : 'a FIFO, socket or device'})`);
    const buffer = await handle.readFile();
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a whole regular file under Node.js (see {@link readRegularFile}).
 *
 * Node's `fs` is loaded on first use, so `@seg/core` still bundles for
 * browsers; there, pass bytes instead of a path.
 *
 * @param path File path.
 * @param purpose What the file is for, used in the error message.
 * @throws An error naming the path if the file cannot be read, is not a
 *   regular file (a FIFO would hang the read), or the runtime
 *   has no `node:fs`.
 */
export async function readFileBytes(path: string, purpose = 'file'): Promise<Uint8Array> {
  try {
    return await readRegularFile(path);
  } catch (e) {
    throw new Error(`cannot read ${purpose} "${path}": ${(e as Error).message}`);
  }
}

/**
 * Reads `file`, which must be a regular file inside the folder `dir` after
 * symbolic links are resolved: a link planted in a checkpoint or model
 * folder must not make a run read another run's files.
 *
 * @throws Naming `purpose` and the file: missing, not a regular file, or a
 *   link leading outside `dir`.
 */
export async function readFileInside(dir: string, file: string, purpose: string): Promise<Uint8Array> {
  const { fs, path } = await loadNodeFs(`cannot read ${purpose} "${file}"`);
  try {
    const realDir = await fs.realpath(dir);
    const real = await fs.realpath(file);
    const rel = path.relative(realDir, real);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new Error(`it is a link to ${real}, outside the folder ${realDir}; copy the file in instead of linking it`);
    }
    return await readFileBytes(real, purpose);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.message.startsWith(`cannot read ${purpose}`)) throw err;
    throw new Error(`cannot read ${purpose} "${file}": ${err.code === 'ENOENT' ? 'the file is missing' : err.message}`);
  }
}

/** What a failed write or rename should say: the path, and for a full or read-only disk, what to do. */
export function writeError(e: unknown, path: string): Error {
  const err = e as NodeJS.ErrnoException;
  const fix: Record<string, string> = {
    ENOSPC: 'the disk is full; free space there or choose another folder',
    EDQUOT: 'the disk quota is used up; free space there or choose another folder',
    EROFS: 'the file system is read-only; choose a writable folder',
    EACCES: 'permission denied; choose a folder you can write to',
    EPERM: 'permission denied; choose a folder you can write to',
  };
  const why = (err.code && fix[err.code]) ?? err.message;
  return Object.assign(new Error(`cannot write ${path}: ${why}${err.code ? ` (${err.code})` : ''}`), { code: err.code, cause: e });
}

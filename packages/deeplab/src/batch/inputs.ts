import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { readRegularFile } from '@seg/core/internals';
import { relativeWithin } from './relative-within.js';

/** File extensions (lower case) taken from folders; a file named directly is taken whatever its extension. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.bmp', '.jpeg', '.jpg', '.png', '.tif', '.tiff', '.webp'];

/** One image of a batch: where it is and the name its outputs take under the output folder. */
export interface BatchInput {
  /** Absolute path of the image (a link inside its folder: the file it leads to). */
  path: string;
  /**
   * Its path relative to the folder it was found in (a file named directly:
   * its name; a list entry: relative to the list's folder). Outputs are
   * `<out>/<rel>.png` and siblings.
   */
  rel: string;
  /**
   * Why it cannot be segmented, found while looking for it: a listed file
   * that does not exist, a dangling or looping link, a link leading out of
   * its input folder, a FIFO or device. It is reported as failed, never read.
   */
  refused?: string;
}

/** Options of {@link expandInputs}. */
export interface ExpandInputsOptions {
  /**
   * The output folder: never searched for images (it may lie inside an input
   * folder), and never the same as or above an input folder.
   */
  exclude?: string;
  /** Folder relative paths are resolved against. Default: the working directory. */
  cwd?: string;
}

/** A folder being searched: its path as given and as resolved, and where the excluded folder lies in it. */
interface Root {
  path: string;
  real: string;
  excludeRel: string | undefined;
}

const NOT_REGULAR = 'it is not a regular file (a FIFO, socket or device)';

/** A relative path inside `base`, or `undefined` when `target` lies outside it (or is `base`). */
function inside(base: string, target: string): string | undefined {
  return relativeWithin(base, target) || undefined;
}

/** `path` with its links resolved, or as it is when it does not exist. */
async function realOrResolved(p: string): Promise<string> {
  return fs.realpath(p).catch(() => path.resolve(p));
}

/** Why `file`, which failed to open or resolve with `e`, cannot be read, in words. */
async function unreachable(file: string, e: NodeJS.ErrnoException): Promise<string> {
  if (e.code === 'ELOOP') return 'it is a symbolic link that loops (ELOOP)';
  if (e.code !== 'ENOENT') return `it cannot be reached (${e.code ?? e.message})`;
  const target = await fs.readlink(file).catch(() => undefined);
  return target === undefined ? 'it does not exist' : `it is a symbolic link to ${target}, which does not exist`;
}

/**
 * A symbolic link met in a folder: followed to a regular file inside the
 * folder; a link to a folder is skipped like any folder link; anything else
 * is refused, so that a link planted in a collection never makes a run read
 * (and, with `--save overlay`, copy) a file from elsewhere.
 */
async function followLink(full: string, root: Root): Promise<Omit<BatchInput, 'rel'> | null> {
  let real: string;
  let stat: Stats;
  try {
    real = await fs.realpath(full);
    stat = await fs.stat(real);
  } catch (e) {
    return { path: full, refused: await unreachable(full, e as NodeJS.ErrnoException) };
  }
  if (stat.isDirectory()) return null;
  if (inside(root.real, real) === undefined) {
    return {
      path: full,
      refused: `it is a symbolic link to ${real}, outside the input folder ${root.path}; links are followed only within the folder searched: name the file itself (or list it in an @list.txt) to segment it`,
    };
  }
  return stat.isFile() ? { path: real } : { path: full, refused: NOT_REGULAR };
}

/** Images under `dir`, depth first in name order; hidden entries, the excluded folder and symbolic links to folders are skipped. */
async function walk(dir: string, root: Root, out: BatchInput[]): Promise<void> {
  const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    const rel = path.relative(root.path, full);
    if (entry.isDirectory()) {
      if (rel !== root.excludeRel) await walk(full, root, out);
    } else if (IMAGE_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) {
      const found = entry.isFile() ? { path: full } : entry.isSymbolicLink() ? await followLink(full, root) : { path: full, refused: NOT_REGULAR };
      if (found) out.push({ ...found, rel });
    }
  }
}

/**
 * Turns the inputs of a batch command into the list of images: files as
 * given, folders searched recursively for {@link IMAGE_EXTENSIONS}, and
 * `@list.txt` files naming one file or folder per line (relative to the
 * list's folder; blank lines and `#` comments skipped). An image named twice
 * is taken once.
 *
 * Files named on the command line or in a list are taken as given, links
 * followed. In a searched folder, hidden entries and links to folders are
 * skipped, and a link to a file is followed only to a regular file inside
 * that folder.
 *
 * A path named on the command line must exist and be a file or folder. An
 * image that cannot be read (a list entry that does not exist, a dangling,
 * looping or outward link, a FIFO) is kept with the reason in `refused`, so
 * that it fails alone and the run goes on.
 *
 * @throws If an argument does not exist or is neither a file nor a folder,
 *   or the `exclude`d (output) folder is an input folder or holds one.
 */
export async function expandInputs(inputs: readonly string[], options: ExpandInputsOptions = {}): Promise<BatchInput[]> {
  const cwd = options.cwd ?? process.cwd();
  const outDir = options.exclude === undefined ? undefined : path.resolve(cwd, options.exclude);
  const exclude = outDir === undefined ? undefined : await realOrResolved(outDir);
  const found: BatchInput[] = [];
  const searchFolder = async (folder: string) => {
    const real = await fs.realpath(folder);
    if (exclude !== undefined && (real === exclude || inside(exclude, real) !== undefined)) {
      throw new Error(
        `the output folder ${outDir} ${real === exclude ? 'is' : 'holds'} the input folder ${folder}: every run would take the outputs of the run before as new images. ` +
          'Choose an output folder outside the input folders (a folder inside an input folder is fine: it is never searched)',
      );
    }
    await walk(folder, { path: folder, real, excludeRel: exclude === undefined ? undefined : inside(real, exclude) }, found);
  };
  const add = async (target: string, listDir: string | undefined) => {
    const rel = (listDir && inside(listDir, target)) ?? path.basename(target);
    let stat: Stats;
    try {
      stat = await fs.stat(target);
    } catch (e) {
      const why = await unreachable(target, e as NodeJS.ErrnoException);
      if (!listDir) throw new Error(`input ${target} ${why === 'it does not exist' ? 'does not exist' : `cannot be read: ${why}`}; pass image files, folders or @list.txt files`);
      found.push({ path: target, rel, refused: why });
      return;
    }
    if (stat.isDirectory()) return searchFolder(target);
    if (stat.isFile()) found.push({ path: target, rel });
    else if (listDir) found.push({ path: target, rel, refused: NOT_REGULAR });
    else throw new Error(`input ${target} is neither a file nor a folder`);
  };
  for (const arg of inputs) {
    if (arg.startsWith('@')) {
      const list = path.resolve(cwd, arg.slice(1));
      const text = new TextDecoder().decode(
        await readRegularFile(list).catch((e: NodeJS.ErrnoException) => {
          throw new Error(`cannot read the input list ${list} (${e.code ?? e.message}); @<file> names a text file with one image or folder per line`);
        }),
      );
      const dir = path.dirname(list);
      for (const line of text.split(/\r?\n/)) {
        const entry = line.trim();
        if (entry !== '' && !entry.startsWith('#')) await add(path.resolve(dir, entry), dir);
      }
    } else {
      await add(path.resolve(cwd, arg), undefined);
    }
  }
  const byPath = new Map<string, BatchInput>();
  for (const input of found) if (!byPath.has(input.path)) byPath.set(input.path, input);
  return [...byPath.values()];
}

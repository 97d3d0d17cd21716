import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The entries of a folder (none if it does not exist). */
export async function entries(dir: string): Promise<{ name: string; isDir: boolean }[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).map((d) => ({ name: d.name, isDir: d.isDirectory() }));
  } catch {
    return [];
  }
}

/** Names of the subfolders of `dir`, sorted. */
export async function subfolders(dir: string): Promise<string[]> {
  return (await entries(dir))
    .filter((e) => e.isDir)
    .map((e) => e.name)
    .sort();
}

/** Names of the files in `dir` ending with `suffix`, sorted. */
export async function filesEndingWith(dir: string, suffix: string): Promise<string[]> {
  return (await entries(dir))
    .filter((e) => !e.isDir && e.name.endsWith(suffix))
    .map((e) => e.name)
    .sort();
}

/**
 * The first of `candidates` (paths relative to `root`, `''` for the root
 * itself) for which `holds` is true. Each is tried in `root` and then in
 * each subfolder of `root`, so a root may be the folder a download extracts
 * to or the folder above it.
 */
export async function findDataFolder(root: string, candidates: readonly string[], holds: (dir: string) => Promise<boolean>): Promise<string | null> {
  for (const base of [root, ...(await subfolders(root)).map((s) => join(root, s))]) {
    for (const c of candidates) {
      const dir = join(base, c);
      if (await holds(dir)) return dir;
    }
  }
  return null;
}

/** Whether `dir` has all of `names` as subfolders. */
export async function hasFolders(dir: string, names: readonly string[]): Promise<boolean> {
  const found = new Set(await subfolders(dir));
  return names.every((n) => found.has(n));
}

/**
 * Which of `paths` exist as files, reading each folder once (a Cityscapes
 * split has thousands of files in a few dozen folders).
 */
export async function existingFiles(paths: readonly string[]): Promise<Set<string>> {
  const dirs = [...new Set(paths.map((p) => dirname(p)))];
  const listed = await Promise.all(dirs.map(async (d) => (await entries(d)).filter((e) => !e.isDir).map((e) => join(d, e.name))));
  return new Set(listed.flat());
}

/** One id of a list file and its 1-based line. */
export interface ListedId {
  id: string;
  line: number;
}

/** Options of {@link readIdList}. */
export interface ReadIdListOptions {
  /** The file extension a line may carry, dropped from the id. Default: any of 3 or 4 letters. */
  extension?: RegExp;
  /** What a line must be, for the error message. */
  expected?: string;
}

/**
 * Parses a list of sample ids, one per line (VOC's `ImageSets/Segmentation/*.txt`,
 * a folder dataset's `splits/*.txt`, MSRC's `Train.txt`): blank lines and `#`
 * comments skipped, Windows line endings accepted, a file extension dropped.
 *
 * @throws If the file cannot be read or a line is not a plain file name, naming the file and line.
 */
export async function readIdList(path: string, options: ReadIdListOptions = {}): Promise<ListedId[]> {
  const extension = options.extension ?? /\.[a-z]{3,4}$/i;
  const expected = options.expected ?? 'a sample id (expected a file stem such as 2007_000032, one per line)';
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read split file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const out: ListedId[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const name = raw.trim();
    if (name === '' || name.startsWith('#')) return;
    if (/[\\/\s]/.test(name)) throw new Error(`${path}:${i + 1}: "${name}" is not ${expected}`);
    out.push({ id: name.replace(extension, ''), line: i + 1 });
  });
  return out;
}

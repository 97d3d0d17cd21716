import { node } from './node.js';

/** File extensions (lower case) taken from folders; a file named directly is taken whatever its extension. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.bmp', '.jpeg', '.jpg', '.png', '.tif', '.tiff', '.webp'];

/** One image of a batch: where it is and the name its outputs take under the output folder. */
export interface BatchInput {
  /** Absolute path of the image. */
  path: string;
  /**
   * Its path relative to the folder it was found in (a file named directly:
   * its name; a list entry: relative to the list's folder). Outputs are
   * `<out>/<rel>.png` and siblings.
   */
  rel: string;
}

/** Options of {@link expandInputs}. */
export interface ExpandInputsOptions {
  /** A folder never searched for images, typically the output folder when it lies inside an input folder. */
  exclude?: string;
  /** Folder relative paths are resolved against. Default: the working directory. */
  cwd?: string;
}

type Modules = Awaited<ReturnType<typeof node>>;

async function statOrNull(fs: Modules['fs'], path: string) {
  return fs.stat(path).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
}

/** Images under `dir`, depth first in name order; hidden entries and symbolic links to folders are skipped. */
async function walk(m: Modules, dir: string, root: string, exclude: string | undefined, out: BatchInput[]): Promise<void> {
  const { fs, path } = m;
  const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (full !== exclude) await walk(m, full, root, exclude, out);
    } else if (IMAGE_EXTENSIONS.includes(path.extname(entry.name).toLowerCase()) && (entry.isFile() || (await fs.stat(full)).isFile())) {
      out.push({ path: full, rel: path.relative(root, full) });
    }
  }
}

/** A relative path inside `base`, or `undefined` when `target` lies outside it. */
function inside(path: Modules['path'], base: string, target: string): string | undefined {
  const rel = path.relative(base, target);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel;
}

/**
 * Turns the inputs of a batch command into the list of images: files as
 * given, folders searched recursively for {@link IMAGE_EXTENSIONS}, and
 * `@list.txt` files naming one file or folder per line (relative to the
 * list's folder; blank lines and `#` comments skipped). An image named twice
 * is taken once.
 *
 * A path named on the command line must exist; an entry of a list that does
 * not is kept, so that it fails as an unreadable image and the run goes on.
 *
 * @throws If an argument does not exist or two different images would write
 *   the same output (`a/x.jpg` and `b/x.jpg` given as files); the message
 *   names them and how to keep them apart.
 */
export async function expandInputs(inputs: readonly string[], options: ExpandInputsOptions = {}): Promise<BatchInput[]> {
  const modules = await node();
  const { fs, path } = modules;
  const cwd = options.cwd ?? process.cwd();
  const exclude = options.exclude === undefined ? undefined : path.resolve(cwd, options.exclude);
  const found: BatchInput[] = [];
  const add = async (target: string, listDir: string | undefined, where: string) => {
    const stat = await statOrNull(fs, target);
    if (stat?.isDirectory()) return walk(modules, target, target, exclude, found);
    if (!stat && !listDir) throw new Error(`input ${target} does not exist; pass image files, folders or @list.txt files`);
    const rel = (listDir && inside(path, listDir, target)) ?? path.basename(target);
    if (stat && !stat.isFile()) throw new Error(`${where} ${target} is neither a file nor a folder`);
    found.push({ path: target, rel });
  };
  for (const arg of inputs) {
    if (arg.startsWith('@')) {
      const list = path.resolve(cwd, arg.slice(1));
      const text = await fs.readFile(list, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new Error(`cannot read the input list ${list} (${e.code ?? e.message}); @<file> names a text file with one image or folder per line`);
      });
      const dir = path.dirname(list);
      for (const line of text.split(/\r?\n/)) {
        const entry = line.trim();
        if (entry !== '' && !entry.startsWith('#')) await add(path.resolve(dir, entry), dir, `${list}: entry`);
      }
    } else {
      await add(path.resolve(cwd, arg), undefined, 'input');
    }
  }
  const byPath = new Map<string, BatchInput>();
  const byRel = new Map<string, string>();
  const clashes: string[] = [];
  for (const input of found) {
    if (byPath.has(input.path)) continue;
    byPath.set(input.path, input);
    const other = byRel.get(input.rel);
    if (other !== undefined) clashes.push(`${other} and ${input.path} (both ${input.rel})`);
    else byRel.set(input.rel, input.path);
  }
  if (clashes.length > 0) {
    throw new Error(
      `${clashes.length} pair(s) of inputs would write the same output: ${clashes.slice(0, 5).join('; ')}` +
        `${clashes.length > 5 ? '; …' : ''}. Pass their common parent folder instead, or segment them into different output folders`,
    );
  }
  return [...byPath.values()];
}

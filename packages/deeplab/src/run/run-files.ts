/**
 * What a training run writes into its folder (`--out`), named once, and the
 * record of it: `run-outputs.json` lists every path a run of this folder
 * wrote (folders with a trailing `/`), recorded before the path is written.
 * `--overwrite` removes exactly these, so a user's own files in the folder
 * survive, and a new run refuses to write over a file no run wrote.
 */
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@seg/core';

/** The names of a run's outputs inside its folder. */
export const RUN_FILES = {
  checkpoint: 'checkpoint',
  bestModel: 'best-model',
  model: 'model',
  /** Validation snapshots: `<step>_img.png`, `<step>_gt.png`, `<step>_pred.png`. */
  images: 'images',
  metrics: 'metrics.json',
  config: 'config.json',
  log: 'log.jsonl',
  report: 'report.html',
  /** The report's plots and test images. */
  reportAssets: 'report',
  /** The record of everything above that a run wrote. */
  outputs: 'run-outputs.json',
} as const;

/** Outputs written as whole folders (atomically replaced, never mixed with other files). */
export const RUN_FOLDERS = [RUN_FILES.checkpoint, RUN_FILES.bestModel, RUN_FILES.model] as const;

/** Outputs written as single files at fixed names. */
export const RUN_SINGLE_FILES = [RUN_FILES.metrics, RUN_FILES.config, RUN_FILES.log, RUN_FILES.report] as const;

/** Files a run writes inside `images/` and `report/`: the names it may write over. */
export const RUN_FILE_PATTERNS: readonly RegExp[] = [
  new RegExp(`^${RUN_FILES.images}/\\d+_(img|gt|pred)\\.png$`),
  new RegExp(`^${RUN_FILES.reportAssets}/(loss|scores|confusion)\\.svg$`),
  new RegExp(`^${RUN_FILES.reportAssets}/test-.+-(img|gt|pred)\\.png$`),
];

/** Whether a training run would write `path` (relative to the run folder, `/`-separated; folders end with `/`). */
export function isRunOutput(path: string): boolean {
  return (
    (RUN_FOLDERS as readonly string[]).some((f) => path === `${f}/`) ||
    (RUN_SINGLE_FILES as readonly string[]).includes(path) ||
    RUN_FILE_PATTERNS.some((p) => p.test(path))
  );
}

/** The `run-outputs.json` of a run folder: what runs there wrote. */
export class RunOutputs {
  private readonly paths: Set<string>;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    paths: Iterable<string>,
  ) {
    this.paths = new Set(paths);
  }

  /**
   * Reads the record of `dir` (empty when there is none).
   *
   * @throws Naming the file, when it is not a JSON list of paths a run writes.
   */
  static async read(dir: string): Promise<RunOutputs> {
    const file = join(dir, RUN_FILES.outputs);
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw new Error(`cannot read ${file}: ${e.message}`);
    });
    if (text === null) return new RunOutputs(dir, []);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${file}: not valid JSON (${(e as Error).message}); it records what earlier runs wrote here — restore it, or remove the folder's run outputs by hand`);
    }
    const paths = (json as { paths?: unknown }).paths;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && isRunOutput(p))) {
      throw new Error(`${file}: expected { "paths": [...] } listing outputs of training runs (e.g. "config.json", "checkpoint/"); it lists something else`);
    }
    return new RunOutputs(dir, paths as string[]);
  }

  /** Whether a run recorded `path`. */
  has(path: string): boolean {
    return this.paths.has(path);
  }

  /** Every recorded path, sorted. */
  list(): string[] {
    return [...this.paths].sort();
  }

  /** Records `path` (before it is written, so a crash in between leaves no unrecorded output). */
  record(path: string): Promise<void> {
    if (!isRunOutput(path)) throw new Error(`run-outputs: ${path} is not a path a training run writes`);
    if (this.paths.has(path)) return this.writing;
    this.paths.add(path);
    return this.save();
  }

  /** Records `path` and writes `data` to it atomically. */
  async write(path: string, data: Uint8Array | string): Promise<void> {
    await this.record(path);
    await writeFileAtomic(join(this.dir, path), data);
  }

  /** Forgets every path (after `--overwrite` removed them). */
  clear(): Promise<void> {
    this.paths.clear();
    return this.save();
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify({ paths: this.list() }, null, 2)}\n`;
    this.writing = this.writing.then(() => writeFileAtomic(join(this.dir, RUN_FILES.outputs), text));
    return this.writing;
  }
}

/** Whether `path` exists (a file, folder or link, even a dangling one). */
export async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    (e: NodeJS.ErrnoException) => e.code !== 'ENOENT',
  );
}

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describeError, ImageReadError } from './errors.js';
import { expandInputs } from './inputs.js';
import type { ImageTask } from './image-job.js';
import { outputClashes, outputPaths, type SaveKind } from './outputs.js';
import type { ImageResult } from './summary.js';

/** An image of a batch with its outputs' paths. */
export interface PlannedImage extends ImageTask {
  /** Its path relative to the folder it was found in. */
  rel: string;
}

/** Options of {@link planBatch}. */
export interface PlanOptions {
  /** Output folder. Required. */
  out: string;
  /** Outputs besides the labels. Default: labels only. */
  save?: readonly SaveKind[];
  /** Segment images whose labels PNG exists too (rewriting it). Default `false`: skip them. */
  redo?: boolean;
  /** Folder relative paths are resolved against. Default: the working directory. */
  cwd?: string;
}

/** An image found that cannot be segmented (see `BatchInput.refused`), with its error. */
export interface RefusedImage extends PlannedImage {
  /** `"ImageReadError: <path>: <reason>"`, as a failed image's error reads. */
  error: string;
}

/** The images of a batch: those to segment, those skipped because their labels PNG exists, those that cannot be read. */
export interface BatchPlan {
  /** Absolute output folder. */
  out: string;
  todo: PlannedImage[];
  skipped: PlannedImage[];
  /** Reported as failed without an attempt. */
  refused: RefusedImage[];
}

/** Existence checks run this many at a time: a network volume answers each slowly but many at once. */
const STAT_CONCURRENCY = 64;

/**
 * Finds the images of `inputs` (see {@link expandInputs}; the output folder
 * is never searched, and may not be or hold an input folder) and their
 * outputs, and splits off those already done and those that cannot be read.
 *
 * @throws If outputs would overwrite each other or an input (see
 *   `outputClashes`), or a labels PNG's path is a folder on disk (checked
 *   unless `redo`); the message names every clash.
 */
export async function planBatch(inputs: readonly string[], options: PlanOptions): Promise<BatchPlan> {
  const out = path.resolve(options.cwd ?? process.cwd(), options.out);
  const planned: PlannedImage[] = [];
  const refused: RefusedImage[] = [];
  for (const { path: input, rel, refused: why } of await expandInputs(inputs, { exclude: out, cwd: options.cwd })) {
    const image = { input, rel, outputs: outputPaths(out, rel, options.save ?? []) };
    if (why === undefined) planned.push(image);
    else refused.push({ ...image, error: describeError(new ImageReadError(input, why)) });
  }
  const clashes = outputClashes(out, planned);
  // The labels PNG marks an image done; a folder in its place would fail the image after every attempt.
  const done = new Array<boolean>(planned.length).fill(false);
  const folders = new Set<string>();
  for (let i = 0; i < planned.length && !options.redo; i += STAT_CONCURRENCY) {
    const chunk = planned.slice(i, i + STAT_CONCURRENCY);
    const found = await Promise.all(chunk.map((p) => fs.stat(p.outputs.labels).catch(() => null)));
    found.forEach((stat, k) => {
      done[i + k] = stat?.isFile() === true;
      const { labels } = chunk[k].outputs;
      // Two images with one labels path are one clash already: the folder is named once.
      if (stat?.isDirectory() && !folders.has(labels)) {
        folders.add(labels);
        clashes.push(`${labels} is a folder on disk, where the labels output of ${chunk[k].input} goes`);
      }
    });
  }
  if (clashes.length > 0) {
    throw new Error(
      `${clashes.length} output clash(es), so nothing was segmented:\n  ${clashes.join('\n  ')}\n` +
        'Pass the images\' common parent folder instead of the files, rename one image of each pair, or segment them into different output folders',
    );
  }
  return { out, todo: planned.filter((_, i) => !done[i]), skipped: planned.filter((_, i) => done[i]), refused };
}

/** The results of refused images: failed, without an attempt. */
export function* refusedResults(refused: readonly RefusedImage[]): Generator<ImageResult> {
  for (const { error, ...image } of refused) yield { ...image, status: 'failed', attempts: 0, error };
}

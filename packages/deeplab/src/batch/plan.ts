import { expandInputs } from './inputs.js';
import type { ImageTask } from './image-job.js';
import { node } from './node.js';
import { outputPaths, type SaveKind } from './outputs.js';

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

/** The images of a batch: those to segment and those skipped because their labels PNG exists. */
export interface BatchPlan {
  /** Absolute output folder. */
  out: string;
  todo: PlannedImage[];
  skipped: PlannedImage[];
}

/** Existence checks run this many at a time: a network volume answers each slowly but many at once. */
const STAT_CONCURRENCY = 64;

/**
 * Finds the images of `inputs` (see {@link expandInputs}; the output folder
 * is never searched) and their outputs, and splits off those already done.
 */
export async function planBatch(inputs: readonly string[], options: PlanOptions): Promise<BatchPlan> {
  const { fs, path } = await node();
  const out = path.resolve(options.cwd ?? process.cwd(), options.out);
  const planned: PlannedImage[] = (await expandInputs(inputs, { exclude: out, cwd: options.cwd })).map(({ path: input, rel }) => ({
    input,
    rel,
    outputs: outputPaths(path, out, rel, options.save ?? []),
  }));
  if (options.redo) return { out, todo: planned, skipped: [] };
  const done = new Array<boolean>(planned.length);
  for (let i = 0; i < planned.length; i += STAT_CONCURRENCY) {
    const chunk = planned.slice(i, i + STAT_CONCURRENCY);
    const found = await Promise.all(chunk.map((p) => fs.stat(p.outputs.labels).then((s) => s.isFile(), () => false)));
    found.forEach((f, k) => {
      done[i + k] = f;
    });
  }
  return { out, todo: planned.filter((_, i) => !done[i]), skipped: planned.filter((_, i) => done[i]) };
}

/** What is MSRC's in scoring a run: the three splits it needs, and the test split scored as the MSRC literature reports it. */
import type { EvaluationResult } from '@seg/core';
import { type SplitScores as RunSplitScores, type SummaryScores, splitScores, summaryScores } from '@seg/deeplab/node';
import type { Dataset } from '@seg/datasets';
import { MSRC_CLASSES, MSRC_VOID } from '@seg/msrc';

/** The test split's scores in `metrics.json`: every class counted (void too), and void excluded. */
export interface SplitScores extends RunSplitScores {
  /** The same scores with void pixels left out, as the MSRC literature reports them. */
  voidExcluded: SummaryScores;
}

/** The scores `metrics.json` holds: void counted, void excluded, and the per-class table (void excluded) by class name. */
export function msrcScores(r: EvaluationResult): SplitScores {
  const { perClassIoU, perClass, loss, ...counted } = splitScores(r, { classNames: MSRC_CLASSES.map((c) => c.name), exclude: [MSRC_VOID] });
  return { ...counted, voidExcluded: summaryScores(r.excluded!), perClassIoU, perClass, ...(loss !== undefined ? { loss } : {}) };
}

/** Throws, naming the split file, if a split the run needs lists no images: better now than after the first iterations. */
export function checkSplits(data: Dataset): void {
  for (const name of ['train', 'validation', 'test'] as const) {
    // split() throws naming the file when it is missing.
    const split = data.split(name);
    if (split.size === 0) {
      throw new Error(`${split.source}: the ${name} split lists no images; training needs all three splits (run seg-msrc check ${data.root} for a full report)`);
    }
  }
}

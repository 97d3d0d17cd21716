/** The end of a run: the test split scored as the MSRC literature reports it. */
import { type BoundaryScores, type ConfusionMatrix, type EvaluationResult, type EvaluationScores, evaluateSegmentation, type SegmentationDataset, type SegmentationLoss } from '@seg/core';
import { MSRC_CLASSES, MSRC_VOID } from '@seg/msrc';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { evalBatches } from './validation.js';

/** The summary scores of one view of the split (void counted, or void excluded). */
export interface SummaryScores {
  pixelAccuracy: number;
  meanAccuracy: number;
  meanIoU: number;
  /** Σ (ground-truth pixel share × IoU), FCN's frequency-weighted IoU. */
  frequencyWeightedIoU: number;
  /** Mean per-class F1 (Dice) over the classes mIoU averages. */
  meanF1: number;
  /** Mean per-class boundary F1, pooled over the split (`null` when no class had a boundary). */
  boundaryF1: number | null;
}

/** One class's row of the per-class table; `null` where the score is undefined (see `SegmentationScores`). */
export interface ClassScores {
  iou: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  boundaryF1: number | null;
  /** Ground-truth pixels of the class / counted pixels. */
  pixelShare: number;
  /** Ground-truth pixels of the class. */
  pixels: number;
}

/** Scores of one evaluation, as written to `metrics.json`. */
export interface SplitScores extends SummaryScores {
  /** The same scores with void pixels left out, as the MSRC literature reports them. */
  voidExcluded: SummaryScores;
  perClassIoU: Record<string, number>;
  /** The per-class table with void excluded, by class name (every class but void). */
  perClass: Record<string, ClassScores>;
  loss?: number;
}

const orNull = (v: number) => (Number.isNaN(v) ? null : v);

/** The summary of one view: the MSRC protocol's three numbers and the new ones. */
function summary(s: EvaluationScores): SummaryScores {
  return {
    pixelAccuracy: s.pixelAccuracy,
    meanAccuracy: s.meanAccuracy,
    meanIoU: s.meanIoU,
    frequencyWeightedIoU: s.frequencyWeightedIoU,
    meanF1: s.meanF1,
    boundaryF1: s.boundaryF1 ? orNull(s.boundaryF1.meanF1) : null,
  };
}

/** The per-class table of the report and `metrics.json`: every class but void, void excluded from the scores. */
export function perClassTable(confusion: ConfusionMatrix, boundary: BoundaryScores | undefined): Record<string, ClassScores> {
  const scores = confusion.scores([MSRC_VOID]);
  const n = confusion.numClasses;
  const truthPixels = (id: number) => confusion.counts.subarray(id * n, (id + 1) * n).reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    MSRC_CLASSES.filter((c) => c.id !== MSRC_VOID).map((c) => [
      c.name,
      {
        iou: orNull(scores.perClassIoU[c.id]),
        precision: orNull(scores.perClassPrecision[c.id]),
        recall: orNull(scores.perClassRecall[c.id]),
        f1: orNull(scores.perClassF1[c.id]),
        boundaryF1: boundary ? orNull(boundary.perClassF1[c.id]) : null,
        pixelShare: scores.perClassPixelShare[c.id],
        pixels: truthPixels(c.id),
      },
    ]),
  );
}

/** The scores `metrics.json` holds, per-class scores by class name. */
export function summarize(r: EvaluationResult): SplitScores {
  const noVoid = r.excluded!;
  return {
    ...summary(r),
    voidExcluded: summary(noVoid),
    perClassIoU: Object.fromEntries(
      MSRC_CLASSES.filter((c) => !Number.isNaN(noVoid.perClassIoU[c.id])).map((c) => [c.name, noVoid.perClassIoU[c.id]]),
    ),
    perClass: perClassTable(r.confusion, noVoid.boundaryF1),
    ...(r.loss !== undefined ? { loss: r.loss } : {}),
  };
}

/** Scores `model` on the whole test split, void counted and excluded. */
export async function scoreTestSplit(model: LayersModel, test: SegmentationDataset, loss: SegmentationLoss, seed: number): Promise<{ result: EvaluationResult; scores: SplitScores }> {
  const result = await evaluateSegmentation(model, evalBatches(test, seed), { numClasses: MSRC_CLASSES.length, exclude: [MSRC_VOID], loss });
  return { result, scores: summarize(result) };
}

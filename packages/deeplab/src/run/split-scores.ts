/**
 * A split scored as `metrics.json` and the report hold it: the summary
 * scores, and per-class scores keyed by class name.
 */
import { type BoundaryScores, type ConfusionMatrix, type EvaluationResult, type EvaluationScores, evaluateSegmentation, type SegmentationDataset, type SegmentationLoss } from '@seg/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { evalBatches } from './validation.js';

/** The summary scores of one view of the split (every class counted, or some, such as MSRC's void, excluded). */
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
  /** IoU by class name, of every class with a non-zero union (the excluded classes left out). */
  perClassIoU: Record<string, number>;
  /** The per-class table by class name, the excluded classes left out. */
  perClass: Record<string, ClassScores>;
  loss?: number;
}

/** How a split is scored: the class names in id order, and the classes left out of the per-class scores (MSRC's void). */
export interface ScoringOptions {
  classNames: readonly string[];
  /** Class ids scored as classes but left out of the per-class table and of `excluded`'s summary. Default none. */
  exclude?: readonly number[];
  /** Ground-truth id no score counts. Default none. */
  ignoreIndex?: number;
}

const orNull = (v: number) => (Number.isNaN(v) ? null : v);

/** The summary of one view: the MSRC protocol's three numbers and the new ones. */
export function summaryScores(s: EvaluationScores): SummaryScores {
  return {
    pixelAccuracy: s.pixelAccuracy,
    meanAccuracy: s.meanAccuracy,
    meanIoU: s.meanIoU,
    frequencyWeightedIoU: s.frequencyWeightedIoU,
    meanF1: s.meanF1,
    boundaryF1: s.boundaryF1 ? orNull(s.boundaryF1.meanF1) : null,
  };
}

/** The class ids of the per-class table: every class but the excluded ones. */
function tableClasses({ classNames, exclude = [] }: ScoringOptions): number[] {
  return classNames.map((_, id) => id).filter((id) => !exclude.includes(id));
}

/** The per-class table of the report and `metrics.json`, by class name: every class but the excluded ones, which the scores leave out. */
export function perClassTable(confusion: ConfusionMatrix, boundary: BoundaryScores | undefined, options: ScoringOptions): Record<string, ClassScores> {
  const scores = confusion.scores([...(options.exclude ?? [])]);
  const n = confusion.numClasses;
  const truthPixels = (id: number) => confusion.counts.subarray(id * n, (id + 1) * n).reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    tableClasses(options).map((id) => [
      options.classNames[id],
      {
        iou: orNull(scores.perClassIoU[id]),
        precision: orNull(scores.perClassPrecision[id]),
        recall: orNull(scores.perClassRecall[id]),
        f1: orNull(scores.perClassF1[id]),
        boundaryF1: boundary ? orNull(boundary.perClassF1[id]) : null,
        pixelShare: scores.perClassPixelShare[id],
        pixels: truthPixels(id),
      },
    ]),
  );
}

/**
 * The scores `metrics.json` holds: the summary with every class counted,
 * per-class scores by class name with the excluded classes left out.
 */
export function splitScores(r: EvaluationResult, options: ScoringOptions): SplitScores {
  const view = r.excluded ?? r;
  return {
    ...summaryScores(r),
    perClassIoU: Object.fromEntries(tableClasses(options).filter((id) => !Number.isNaN(view.perClassIoU[id])).map((id) => [options.classNames[id], view.perClassIoU[id]])),
    perClass: perClassTable(r.confusion, view.boundaryF1, options),
    ...(r.loss !== undefined ? { loss: r.loss } : {}),
  };
}

/** Scores `model` on a whole split, full-size images one at a time. */
export async function scoreSplit(
  model: LayersModel,
  split: SegmentationDataset,
  options: ScoringOptions & { loss?: SegmentationLoss; seed?: number },
): Promise<EvaluationResult> {
  const { classNames, exclude, ignoreIndex, loss, seed = 0 } = options;
  return evaluateSegmentation(model, evalBatches(split, seed), {
    numClasses: classNames.length,
    ignoreIndex,
    ...(exclude && exclude.length > 0 ? { exclude: [...exclude] } : {}),
    loss,
  });
}

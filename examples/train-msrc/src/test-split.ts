/** The end of a run: the test split scored as the MSRC literature reports it. */
import { type EvaluationResult, evaluateSegmentation, type SegmentationDataset, type SegmentationLoss } from '@seg/core';
import { MSRC_CLASSES, MSRC_VOID } from '@seg/msrc';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { evalBatches } from './validation.js';

/** Scores of one evaluation, as written to `metrics.json`. */
export interface SplitScores {
  pixelAccuracy: number;
  meanAccuracy: number;
  meanIoU: number;
  /** The same scores with void pixels left out, as the MSRC literature reports them. */
  voidExcluded: { pixelAccuracy: number; meanAccuracy: number; meanIoU: number };
  perClassIoU: Record<string, number>;
  loss?: number;
}

/** The scores `metrics.json` holds, per-class IoU by class name. */
export function summarize(r: EvaluationResult): SplitScores {
  const noVoid = r.excluded!;
  return {
    pixelAccuracy: r.pixelAccuracy,
    meanAccuracy: r.meanAccuracy,
    meanIoU: r.meanIoU,
    voidExcluded: { pixelAccuracy: noVoid.pixelAccuracy, meanAccuracy: noVoid.meanAccuracy, meanIoU: noVoid.meanIoU },
    perClassIoU: Object.fromEntries(
      MSRC_CLASSES.filter((c) => !Number.isNaN(noVoid.perClassIoU[c.id])).map((c) => [c.name, noVoid.perClassIoU[c.id]]),
    ),
    ...(r.loss !== undefined ? { loss: r.loss } : {}),
  };
}

/** Scores `model` on the whole test split, void counted and excluded. */
export async function scoreTestSplit(model: LayersModel, test: SegmentationDataset, loss: SegmentationLoss, seed: number): Promise<{ result: EvaluationResult; scores: SplitScores }> {
  const result = await evaluateSegmentation(model, evalBatches(test, seed), { numClasses: MSRC_CLASSES.length, exclude: [MSRC_VOID], loss });
  return { result, scores: summarize(result) };
}

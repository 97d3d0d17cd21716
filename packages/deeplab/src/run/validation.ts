/**
 * A run's validation: at each evaluation, `valImages` random validation
 * images (a seeded subset, different at every iteration, as the MSRC
 * reference run did) or the whole split are scored, and one of them is
 * segmented for the snapshots. The trainer hands the report to the
 * callbacks with the evaluation.
 */
import { type EvaluationReport, evaluateSegmentation, SeededRng, type SegmentationDataset, type SegmentationLoss, segmentationBatches } from '@seg/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { segment } from '../inference/segment.js';

/** The images of `dataset` at `indices`. */
export function subset(dataset: SegmentationDataset, indices: readonly number[]): SegmentationDataset {
  return { size: indices.length, get: (i) => dataset.get(indices[i]) };
}

/** Full-size, one image per batch (MSRC images differ in size), in order. */
export function evalBatches(dataset: SegmentationDataset, seed: number) {
  return segmentationBatches(dataset, { batchSize: 1, shuffle: false, seed, normalize: 'imagenet', prefetch: 2 }).epoch(0);
}

/** Options of {@link Validation}. */
export interface ValidationOptions {
  numClasses: number;
  loss: SegmentationLoss;
  /** Images scored at each validation, a seeded random subset. Default: the whole split. */
  valImages?: number;
  /** Classes the report's per-class table leaves out (MSRC's void). Default none. */
  exclude?: number[];
  /** Ground-truth id no score counts. Default none. */
  ignoreIndex?: number;
  seed: number;
}

/** Scores the model on a random validation subset. */
export class Validation {
  constructor(
    private readonly model: LayersModel,
    private readonly split: SegmentationDataset,
    private readonly args: ValidationOptions,
  ) {}

  /**
   * Validates at `step`: the scores the trainer monitors (`loss`,
   * `pixelAccuracy`, `meanIoU`), the confusion matrix, the boundary F1 with
   * the `exclude`d classes' pixels removed (MSRC's void, for the report's
   * table) and the shown image with its prediction.
   */
  async run(step: number): Promise<EvaluationReport & { scores: { loss: number; pixelAccuracy: number; meanIoU: number } }> {
    const { seed, valImages = this.split.size, numClasses, loss, exclude = [], ignoreIndex } = this.args;
    const rng = SeededRng.derive(seed, 3, step);
    const picks = rng.permutation(this.split.size).slice(0, Math.min(valImages, this.split.size));
    const sample = await this.split.get(picks[rng.int(picks.length)]);
    const r = await evaluateSegmentation(this.model, evalBatches(subset(this.split, picks), seed), {
      numClasses,
      loss,
      ignoreIndex,
      ...(exclude.length > 0 ? { exclude } : {}),
    });
    const { width, height } = sample.image;
    const { labels: prediction } = await segment(this.model, { data: sample.image.data, width, height, channels: 3 });
    return {
      scores: { pixelAccuracy: r.pixelAccuracy, meanIoU: r.meanIoU, loss: r.loss! },
      confusion: r.confusion,
      boundaryF1: (r.excluded ?? r).boundaryF1,
      snapshots: [{ id: sample.id, image: sample.image, labels: sample.labels, prediction }],
    };
  }
}

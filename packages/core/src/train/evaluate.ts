import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { runOnce } from '../graph/run-once.js';
import { BoundaryF1Accumulator, type BoundaryScores } from '../metrics/boundary-f1.js';
import { ConfusionMatrix, type SegmentationScores } from '../metrics/confusion-matrix.js';
import type { SegmentationLoss } from '../losses/segmentation-loss.js';
import type { TrainBatch } from './gradient-source.js';

/** Options of {@link evaluateSegmentation}. */
export interface EvaluateOptions {
  /** Number of classes the model predicts. Required. */
  numClasses: number;
  /** Ground-truth id skipped by the metrics (and, through `loss`, by the loss). Default: none. */
  ignoreIndex?: number;
  /** Also report scores with these classes excluded (e.g. void), under `excluded`. Default: none. */
  exclude?: number[];
  /** Also report the mean loss over batches. Default: none. */
  loss?: SegmentationLoss;
  /** Stop after this many batches (the reference run scored a random subset, `--valImages`). Default: all. */
  maxBatches?: number;
  /**
   * Also score boundaries ({@link BoundaryF1Accumulator}, pooled over the
   * split), with this tolerance in pixels; `false` skips them. Default: on,
   * each image's tolerance 0.75 % of its diagonal.
   */
  boundaryF1?: false | { tolerance?: number };
}

/** @deprecated Renamed {@link EvaluateOptions}. */
export type EvaluateArgs = EvaluateOptions;

/** The scores of one view of the split: the confusion matrix's and the boundary F1. */
export interface EvaluationScores extends SegmentationScores {
  /** Boundary precision, recall and F1 per class, pooled over the split; absent with `boundaryF1: false`. */
  boundaryF1?: BoundaryScores;
}

/** Scores of {@link evaluateSegmentation}. */
export interface EvaluationResult extends EvaluationScores {
  /** Mean loss over batches, when a loss was given. */
  loss?: number;
  /**
   * Scores with `exclude`d classes left out, when `exclude` was given. For
   * the boundary F1, pixels whose ground truth is excluded are removed from
   * both maps, as ignored ones are.
   */
  excluded?: EvaluationScores;
  /** Pixels counted. */
  pixels: number;
  /** The accumulated confusion matrix. */
  confusion: ConfusionMatrix;
}

/**
 * Runs the model in inference mode over labelled batches (disposing them) and
 * scores its arg-max predictions: pixel accuracy, mean accuracy and mean IoU,
 * the numbers the MSRC literature reports, the per-class table (IoU,
 * precision, recall, F1, pixel share), frequency-weighted IoU and the
 * boundary F1 (see {@link ConfusionMatrix.scores} and {@link BoundaryF1Accumulator}).
 *
 * @throws If the model predicts another number of classes than `args.numClasses`.
 *
 * @example
 * ```ts
 * const batches = segmentationBatches(validation, { batchSize: 1, shuffle: false, normalize: 'imagenet' }).epoch(0);
 * const { pixelAccuracy, meanIoU } = await evaluateSegmentation(model, batches, { numClasses: 22 });
 * ```
 */
export async function evaluateSegmentation(
  model: LayersModel,
  batches: AsyncIterable<TrainBatch>,
  args: EvaluateOptions,
): Promise<EvaluationResult> {
  const confusion = new ConfusionMatrix(args.numClasses, { ignoreIndex: args.ignoreIndex });
  const boundaries = args.boundaryF1 === false ? null : new BoundaryViews(args);
  let lossSum = 0;
  let count = 0;
  for await (const batch of batches) {
    try {
      const [predicted, loss] = tf.tidy(() => {
        // Each layer once: model.apply runs a nested trunk again per output it feeds (see runOnce).
        const [logits] = runOnce(model, batch.images);
        const channels = logits.shape[logits.rank - 1];
        if (channels !== args.numClasses) {
          throw new Error(`evaluateSegmentation: the model predicts ${channels} classes, numClasses is ${args.numClasses}`);
        }
        return [tf.argMax(logits, -1), args.loss ? args.loss(batch.labels, logits) : null] as const;
      });
      const [p, t] = await Promise.all([predicted.data(), batch.labels.data()]);
      const [height, width] = predicted.shape.slice(-2);
      predicted.dispose();
      confusion.update(p, t);
      boundaries?.update(p, t, width, height);
      if (loss) {
        lossSum += (await loss.data())[0];
        loss.dispose();
      }
    } finally {
      tf.dispose([batch.images, batch.labels]);
    }
    count += 1;
    if (args.maxBatches !== undefined && count >= args.maxBatches) break;
  }
  const result: EvaluationResult = {
    ...confusion.scores(),
    ...(boundaries ? { boundaryF1: boundaries.all.scores() } : {}),
    pixels: confusion.counts.reduce((a, b) => a + b, 0),
    confusion,
  };
  if (args.loss) result.loss = count ? lossSum / count : Number.NaN;
  if (args.exclude?.length) {
    result.excluded = { ...confusion.scores(args.exclude), ...(boundaries?.excluded ? { boundaryF1: boundaries.excluded.scores(args.exclude) } : {}) };
  }
  return result;
}

/** Label a ground truth never holds: excluded pixels become it, to be removed from both maps. */
const REMOVED = -1;

/** Boundary counts of the split as it is, and with the `exclude`d classes' pixels removed. */
class BoundaryViews {
  readonly all: BoundaryF1Accumulator;
  readonly excluded: BoundaryF1Accumulator | null;
  private readonly removed: Set<number | undefined>;
  private truth = new Int32Array(0);

  constructor(args: EvaluateOptions) {
    const tolerance = args.boundaryF1 ? args.boundaryF1.tolerance : undefined;
    this.all = new BoundaryF1Accumulator(args.numClasses, { tolerance, ignoreIndex: args.ignoreIndex });
    this.removed = new Set([args.ignoreIndex, ...(args.exclude ?? [])]);
    this.excluded = args.exclude?.length ? new BoundaryF1Accumulator(args.numClasses, { tolerance, ignoreIndex: REMOVED }) : null;
  }

  /** Adds a batch of `width × height` label maps. */
  update(predicted: tf.TypedArray, truth: tf.TypedArray, width: number, height: number): void {
    const size = width * height;
    if (this.excluded && this.truth.length !== size) this.truth = new Int32Array(size);
    for (let start = 0; start < truth.length; start += size) {
      const p = predicted.subarray(start, start + size);
      const t = truth.subarray(start, start + size);
      this.all.update(p, t, width, height);
      if (!this.excluded) continue;
      for (let i = 0; i < size; i++) this.truth[i] = this.removed.has(t[i]) ? REMOVED : t[i];
      this.excluded.update(p, this.truth, width, height);
    }
  }
}

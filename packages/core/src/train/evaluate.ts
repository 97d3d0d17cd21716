import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { runOnce } from '../graph/run-once.js';
import { ConfusionMatrix, type SegmentationScores } from '../metrics/confusion-matrix.js';
import type { SegmentationLoss } from '../losses/segmentation-loss.js';
import type { TrainBatch } from './gradient-source.js';

/** Options of {@link evaluateSegmentation}. */
export interface EvaluateArgs {
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
}

/** Scores of {@link evaluateSegmentation}. */
export interface EvaluationResult extends SegmentationScores {
  /** Mean loss over batches, when a loss was given. */
  loss?: number;
  /** Scores with `exclude`d classes left out, when `exclude` was given. */
  excluded?: SegmentationScores;
  /** Pixels counted. */
  pixels: number;
  /** The accumulated confusion matrix. */
  confusion: ConfusionMatrix;
}

/**
 * Runs the model in inference mode over labelled batches (disposing them) and
 * scores its arg-max predictions: pixel accuracy, mean accuracy and mean IoU,
 * the numbers the MSRC literature reports.
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
  args: EvaluateArgs,
): Promise<EvaluationResult> {
  const confusion = new ConfusionMatrix(args.numClasses, { ignoreIndex: args.ignoreIndex });
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
      predicted.dispose();
      confusion.update(p, t);
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
    pixels: confusion.counts.reduce((a, b) => a + b, 0),
    confusion,
  };
  if (args.loss) result.loss = count ? lossSum / count : Number.NaN;
  if (args.exclude?.length) result.excluded = confusion.scores(args.exclude);
  return result;
}

import * as tf from '@tensorflow/tfjs-core';
import type { SegmentationLoss } from './segmentation-loss.js';

/**
 * A weighted sum of losses, e.g. `combinedLoss([[ce, 1], [dice, 0.5]])`
 * (cross-entropy plus Dice, the usual pairing for thin or rare classes):
 * Σ weight·loss(labels, logits), with each loss's own gradient.
 *
 * @param terms `[loss, weight]` pairs; at least one, weights finite.
 */
export function combinedLoss(terms: ReadonlyArray<readonly [SegmentationLoss, number]>): SegmentationLoss {
  if (terms.length === 0) throw new Error('combinedLoss: give at least one [loss, weight] pair');
  for (const [i, [loss, weight]] of terms.entries()) {
    if (typeof loss !== 'function' || !Number.isFinite(weight)) {
      throw new Error(`combinedLoss: term ${i} must be [loss function, finite weight], got [${typeof loss}, ${weight}]`);
    }
  }
  const pairs = terms.map(([loss, weight]) => [loss, weight] as const);
  return (labels, logits) => tf.tidy(() => tf.addN(pairs.map(([loss, weight]) => tf.mul(loss(labels, logits), weight))) as tf.Scalar);
}

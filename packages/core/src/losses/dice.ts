import * as tf from '@tensorflow/tfjs-core';
import { checkLossInputs, oneHotRows, pixelTargets } from './pixel-targets.js';

/** Options of {@link diceLoss}. */
export interface DiceLossOptions {
  /** Label id whose pixels count neither in the truth nor in the predictions. Default: none. */
  ignoreIndex?: number;
  /** Added to the numerator and the denominator of every class's Dice score. Default: 0. */
  smooth?: number;
  /** Lower bound of the denominator, so an empty class divides by `eps`, not 0. Default: 1e-7. */
  eps?: number;
  /**
   * Per-class weights: the loss is Σ w_c·L_c / Σ w_c over all classes
   * instead of their plain mean (absent classes still count, with L_c = 0).
   * Default: all 1.
   */
  classWeights?: readonly number[];
}

/**
 * Soft Dice loss on softmax probabilities, per class over the whole batch:
 * segmentation_models.pytorch's `DiceLoss(mode='multiclass', from_logits=True)`.
 *
 * For each class c, with p the softmax probabilities and t the one-hot truth,
 * both zeroed on ignored pixels and summed over every pixel of the batch:
 * score_c = (2·Σ p·t + smooth) / max(Σ p + Σ t + smooth, eps), and
 * L_c = 1 − score_c, set to 0 for classes absent from the batch's truth
 * (their Dice is undefined). The loss is the mean of L_c over all C classes,
 * absent ones included, as in SMP.
 *
 * @param labels Class ids, shape `[...spatial]` (e.g. `[B, H, W]`), any dtype.
 * @param logits Unnormalised scores, shape `[...spatial, C]`.
 * @returns A scalar; 0 (with a zero gradient) when every pixel is ignored.
 */
export function diceLoss(labels: tf.Tensor, logits: tf.Tensor, options: DiceLossOptions = {}): tf.Scalar {
  const { ignoreIndex, smooth = 0, eps = 1e-7, classWeights } = options;
  const numClasses = checkLossInputs('diceLoss', labels, logits, classWeights);
  if (!(smooth >= 0) || !(eps > 0)) throw new Error(`diceLoss: smooth must be ≥ 0 and eps > 0, got smooth ${smooth}, eps ${eps}`);
  return tf.tidy(() => {
    const { ids, valid } = pixelTargets(labels, numClasses, ignoreIndex);
    const mask = tf.expandDims(valid, -1);
    const probs = tf.mul(tf.reshape(tf.softmax(logits), [-1, numClasses]), mask);
    const truth = tf.mul(oneHotRows(ids, numClasses), mask);
    const truthCount = tf.sum(truth, 0);
    const intersection = tf.sum(tf.mul(probs, truth), 0);
    const cardinality = tf.add(tf.sum(probs, 0), truthCount);
    const score = tf.div(tf.add(tf.mul(intersection, 2), smooth), tf.maximum(tf.add(cardinality, smooth), eps));
    const perClass = tf.mul(tf.sub(1, score), tf.cast(tf.greater(truthCount, 0), 'float32'));
    if (!classWeights) return tf.mean(perClass) as tf.Scalar;
    const w = tf.tensor1d(classWeights as number[]);
    return tf.div(tf.sum(tf.mul(perClass, w)), tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar;
  });
}

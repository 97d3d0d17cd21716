import * as tf from '@tensorflow/tfjs-core';
import { checkLossInputs, pickPerRow, pixelTargets, scaledSoftmaxMinusOneHot } from './pixel-targets.js';

/** Options of {@link focalLoss}. */
export interface FocalLossOptions {
  /** Label id whose pixels contribute neither to the loss nor to its normaliser. Default: none. */
  ignoreIndex?: number;
  /** Focusing parameter γ ≥ 0: how much well-classified pixels are down-weighted (0 is cross-entropy). Default: 2 (Lin et al.). */
  gamma?: number;
  /**
   * The balancing factor α_t of the target class: one number for every
   * class (a plain scale, e.g. the paper's 0.25), or one weight per class
   * (class weights, e.g. {@link medianFrequencyWeights}). Default: 1.
   */
  alpha?: number | readonly number[];
}

/**
 * The softmax focal loss of Lin et al. (2017), "Focal Loss for Dense Object
 * Detection": the mean over non-ignored pixels of −α_t·(1 − p_t)^γ·log p_t,
 * where p_t is the softmax probability of the pixel's true class. With γ = 0
 * and no α it equals {@link sparseSoftmaxCrossEntropy}.
 *
 * Normalised by the number of counted pixels, not by Σα_t: per-class α
 * re-weights pixels without rescaling the mean (PyTorch's weighted
 * cross-entropy divides by Σ weight instead).
 *
 * Not segmentation_models.pytorch's multiclass `FocalLoss`, which sums a
 * sigmoid (one-vs-rest) focal term per class: that one scores each class's
 * logit on its own, so it neither normalises across classes nor reduces to
 * cross-entropy at γ = 0.
 *
 * @param labels Class ids, shape `[...spatial]` (e.g. `[B, H, W]`), any dtype.
 * @param logits Unnormalised scores, shape `[...spatial, C]`.
 * @returns A scalar; 0 (with a zero gradient) when every pixel is ignored.
 */
export function focalLoss(labels: tf.Tensor, logits: tf.Tensor, options: FocalLossOptions = {}): tf.Scalar {
  const { ignoreIndex, gamma = 2, alpha } = options;
  const classAlpha = typeof alpha === 'number' ? undefined : alpha;
  const numClasses = checkLossInputs('focalLoss', labels, logits, classAlpha, 'alpha');
  if (!(gamma >= 0 && Number.isFinite(gamma))) throw new Error(`focalLoss: gamma must be a finite number ≥ 0, got ${gamma}`);
  if (typeof alpha === 'number' && !(alpha >= 0 && Number.isFinite(alpha))) throw new Error(`focalLoss: alpha must be a finite number ≥ 0, got ${alpha}`);
  return tf.tidy(() => {
    const { ids, valid } = pixelTargets(labels, numClasses, ignoreIndex);
    const pixels = ids.size;
    const alphaT = classAlpha ? tf.mul(valid, tf.gather(tf.tensor1d(classAlpha as number[]), ids)) : tf.mul(valid, alpha ?? 1);
    const scale = tf.div(alphaT, tf.maximum(tf.sum(valid), 1)) as tf.Tensor1D;
    const loss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const x = tf.reshape(args[0] as tf.Tensor, [pixels, numClasses]) as tf.Tensor2D;
      const save = args[1] as tf.GradSaveFunc;
      const logSumExp = tf.logSumExp(x, -1) as tf.Tensor1D;
      const logPt = tf.sub(pickPerRow(x, ids), logSumExp);
      const pt = tf.exp(logPt);
      const miss = tf.relu(tf.sub(1, pt)); // 1 − p_t, never below 0 in float32
      // d/dz of −(1−p)^γ·log p is f·(softmax − onehot) with f = (1−p)^γ − γ·p·log p·(1−p)^(γ−1);
      // the second term is 0 at p = 1 (where (1−p)^(γ−1) alone would be ∞ for γ < 1).
      const focusGrad = tf.where(
        tf.greater(miss, 0),
        tf.sub(tf.pow(miss, gamma), tf.mul(tf.mul(tf.mul(pt, logPt), gamma), tf.pow(miss, gamma - 1))),
        tf.zerosLike(miss),
      );
      save([x, logSumExp, ids, tf.mul(focusGrad, scale)]);
      return {
        value: tf.sum(tf.mul(tf.mul(tf.neg(logPt), tf.pow(miss, gamma)), scale)),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [xs, lse, id, w] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
          return tf.reshape(scaledSoftmaxMinusOneHot(xs, lse, id, tf.mul(w, dy as tf.Tensor)), logits.shape);
        },
      };
    });
    return loss(logits) as tf.Scalar;
  });
}

import * as tf from '@tensorflow/tfjs-core';
import { checkLossInputs, pickPerRow, pixelTargets, scaledSoftmaxMinusOneHot } from './pixel-targets.js';

/** Options of {@link sparseSoftmaxCrossEntropy}. */
export interface CrossEntropyOptions {
  /**
   * Label id whose pixels contribute neither to the loss nor to its
   * normaliser (MSRC's void is 21; PyTorch's default is -100). Default: none.
   */
  ignoreIndex?: number;
  /** Per-class weights, as `weight` in PyTorch's `cross_entropy`. Default: all 1. */
  classWeights?: readonly number[];
}

/**
 * Softmax cross-entropy over per-pixel logits with integer labels, averaged
 * over the pixels that are not ignored: PyTorch's
 * `F.cross_entropy(logits, labels, ignore_index=..., weight=...)` with
 * `reduction='mean'`, which is what the reference training run minimised.
 *
 * @param labels Class ids, shape `[...spatial]` (e.g. `[B, H, W]`), any dtype.
 * @param logits Unnormalised scores, shape `[...spatial, C]`.
 * @returns A scalar; 0 when every pixel is ignored.
 */
export function sparseSoftmaxCrossEntropy(
  labels: tf.Tensor,
  logits: tf.Tensor,
  options: CrossEntropyOptions = {},
): tf.Scalar {
  const { ignoreIndex, classWeights } = options;
  const numClasses = checkLossInputs('sparseSoftmaxCrossEntropy', labels, logits, classWeights);
  return tf.tidy(() => {
    const { ids, valid } = pixelTargets(labels, numClasses, ignoreIndex);
    const pixels = ids.size;
    // An ignored id is clamped for the gathers below; its weight is 0.
    const weight = classWeights ? tf.mul(valid, tf.gather(tf.tensor1d(classWeights as number[]), ids)) : valid;
    const scale = tf.div(weight, tf.maximum(tf.sum(weight), 1e-12)) as tf.Tensor1D;
    const loss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const x = tf.reshape(args[0] as tf.Tensor, [pixels, numClasses]) as tf.Tensor2D;
      const save = args[1] as tf.GradSaveFunc;
      const logSumExp = tf.logSumExp(x, -1) as tf.Tensor1D;
      // The labels and weights too: the backward pass runs after this function's tidy has ended.
      save([x, logSumExp, ids, scale]);
      return {
        value: tf.sum(tf.mul(tf.sub(logSumExp, pickPerRow(x, ids)), scale)),
        // d/dlogits = (softmax − onehot(target)) · weight / Σweight.
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [xs, lse, id, w] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
          return tf.reshape(scaledSoftmaxMinusOneHot(xs, lse, id, tf.mul(w, dy as tf.Tensor)), logits.shape);
        },
      };
    });
    return loss(logits) as tf.Scalar;
  });
}

/**
 * {@link sparseSoftmaxCrossEntropy} as a tfjs-layers loss for `model.compile()`:
 * `yTrue` holds class ids with a trailing axis of 1 (`[B, H, W, 1]`) or none.
 */
export function sparseCrossEntropyLoss(options: CrossEntropyOptions = {}): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const labels = yTrue.rank === yPred.rank ? tf.squeeze(yTrue, [yTrue.rank - 1]) : yTrue;
      return sparseSoftmaxCrossEntropy(labels, yPred, options);
    });
}

import * as tf from '@tensorflow/tfjs-core';

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
  const numClasses = logits.shape[logits.rank - 1];
  if (labels.rank !== logits.rank - 1 || labels.shape.some((d, i) => d !== logits.shape[i])) {
    throw new Error(
      `sparseSoftmaxCrossEntropy: labels shape [${labels.shape}] must equal logits shape [${logits.shape}] without its last (class) axis`,
    );
  }
  const { ignoreIndex, classWeights } = options;
  if (classWeights && classWeights.length !== numClasses) {
    throw new Error(`sparseSoftmaxCrossEntropy: classWeights has ${classWeights.length} entries, logits have ${numClasses} classes`);
  }
  return tf.tidy(() => {
    const ids = tf.cast(labels, 'int32');
    // An ignored id may lie outside 0..C-1 (e.g. -100); oneHot of it is all zeros, which masks it out too.
    const valid = ignoreIndex === undefined ? tf.onesLike(ids) : tf.notEqual(ids, ignoreIndex);
    const target = tf.cast(tf.reshape(tf.oneHot(tf.reshape(ids, [-1]), numClasses), logits.shape), 'float32');
    const nll = tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), -1));
    let weight: tf.Tensor = tf.cast(valid, 'float32');
    if (classWeights) {
      weight = tf.mul(weight, tf.sum(tf.mul(target, tf.tensor1d(classWeights as number[])), -1));
    }
    const total = tf.sum(weight);
    return tf.div(tf.sum(tf.mul(nll, weight)), tf.maximum(total, 1e-12)) as tf.Scalar;
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

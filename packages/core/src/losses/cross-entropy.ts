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
    const ids = tf.reshape(tf.cast(labels, 'int32'), [-1]);
    const pixels = ids.size;
    // An ignored id may lie outside 0..C-1 (e.g. -100): clamp it for the gathers below; its weight is 0.
    // (Min/max with int32 scalars: wasm's ClipByValue reads int32 data as float32.)
    const safeIds = tf.minimum(tf.maximum(ids, tf.scalar(0, 'int32')), tf.scalar(numClasses - 1, 'int32'));
    let weight = tf.cast(ignoreIndex === undefined ? tf.onesLike(ids) : tf.notEqual(ids, ignoreIndex), 'float32');
    if (classWeights) weight = tf.mul(weight, tf.gather(tf.tensor1d(classWeights as number[]), safeIds));
    const total = tf.maximum(tf.sum(weight), 1e-12);
    const scale = tf.div(weight, total);
    const loss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const x = tf.reshape(args[0] as tf.Tensor, [pixels, numClasses]);
      const save = args[1] as tf.GradSaveFunc;
      const logSumExp = tf.logSumExp(x, -1);
      // The target logit of each pixel, gathered from the flat logits: no one-hot tensor.
      const target = tf.gather(tf.reshape(x, [-1]), tf.add(tf.mul(tf.range(0, pixels, 1, 'int32'), tf.scalar(numClasses, 'int32')), safeIds));
      // The labels and weights too: the backward pass runs after this function's tidy has ended.
      save([x, logSumExp, safeIds, scale]);
      return {
        value: tf.sum(tf.mul(tf.sub(logSumExp, target), scale)),
        // d/dlogits = (softmax − onehot(target)) · weight / Σweight, softmax rebuilt from the saved log-sum-exp.
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [xs, lse, id, w] = saved;
          const softmax = tf.exp(tf.sub(xs, tf.expandDims(lse, -1)));
          // An int32 one-hot, cast: wasm's OneHot writes int32 whatever dtype it is asked for.
          const delta = tf.sub(softmax, tf.cast(tf.oneHot(id, numClasses), 'float32'));
          return tf.reshape(tf.mul(delta, tf.expandDims(tf.mul(w, dy as tf.Tensor), -1)), logits.shape);
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

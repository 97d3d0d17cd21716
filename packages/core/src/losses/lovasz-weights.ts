/**
 * The weights of the Lovász extension of the Jaccard loss (Berman et al.,
 * 2018, Algorithm 1) computed with tfjs ops, for GPU backends (which cannot
 * read tensors synchronously): along one class's errors sorted in decreasing
 * order, with J_k = 1 − (positives − foreground up to k) / (positives + background up to k),
 * the k-th error's weight is J_k − J_(k−1). Returned at each error's own
 * (unsorted) position, so a class's loss is Σ e·W. Ignored pixels sort after
 * every counted one, so they change no counted pixel's weight; theirs is 0
 * or meets an error of 0 whose gradient is masked.
 *
 * Cost: TopK over the B·H·W errors of every class, a gather and a scatter of
 * the sorted order. At 513² × 21 on wasm these took ~4 s of a ~10 s forward +
 * backward (bench/losses.bench.mjs), which is why backends whose data sits in
 * CPU memory use lovasz-in-memory.ts instead.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * @param errors `[G, P, C]` errors in [0, 1] (0 on ignored pixels).
 * @param fg `[G, P, C]` 1 where the pixel counts and belongs to the class, else 0.
 * @param counted `[G, P, 1]` 1 for pixels that count, 0 for ignored ones.
 */
export function lovaszWeightsOnDevice(errors: tf.Tensor3D, fg: tf.Tensor3D, counted: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const [groups, pixels, classes] = errors.shape;
    // Rows of [group, class, pixel]: TopK sorts along the last axis.
    const byClass = (x: tf.Tensor) => tf.transpose(x, [0, 2, 1]);
    const key = byClass(tf.sub(errors, tf.mul(tf.sub(1, counted), 2)));
    const { values, indices } = tf.topk(key, pixels, true);
    values.dispose();
    const rowStart = tf.reshape(tf.mul(tf.range(0, groups * classes, 1, 'int32'), tf.scalar(pixels, 'int32')), [groups, classes, 1]);
    const order = tf.reshape(tf.add(indices, rowStart), [-1]);
    const fgSorted = tf.reshape(tf.gather(tf.reshape(byClass(fg), [-1]), order), [groups, classes, pixels]);
    const positives = tf.sum(fgSorted, -1, true);
    // The union is ≥ 1 from the first pixel on (positives > 0, or a background pixel): no 0/0.
    const intersection = tf.sub(positives, tf.cumsum(fgSorted, 2));
    const union = tf.add(positives, tf.cumsum(tf.sub(1, fgSorted), 2));
    const jaccard = tf.sub(1, tf.div(intersection, union));
    const previous = tf.pad(tf.slice(jaccard, [0, 0, 0], [groups, classes, pixels - 1]), [[0, 0], [0, 0], [1, 0]]);
    const sortedWeights = tf.reshape(tf.sub(jaccard, previous), [-1]);
    const weights = tf.reshape(tf.scatterND(tf.expandDims(order, -1), sortedWeights, [errors.size]), [groups, classes, pixels]);
    return byClass(weights) as tf.Tensor3D;
  });
}

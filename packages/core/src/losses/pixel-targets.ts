/** What every per-pixel loss checks and derives from its labels: one owner for the shape rule and the ignore mask. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Checks that `labels` is `logits` without its class axis and that
 * `classWeights` (if any) has one entry per class; returns the class count.
 * Errors name the loss and both shapes.
 */
export function checkLossInputs(loss: string, labels: tf.Tensor, logits: tf.Tensor, classWeights?: readonly number[], weightsKey = 'classWeights'): number {
  const numClasses = logits.shape[logits.rank - 1];
  if (labels.rank !== logits.rank - 1 || labels.shape.some((d, i) => d !== logits.shape[i])) {
    throw new Error(`${loss}: labels shape [${labels.shape}] must equal logits shape [${logits.shape}] without its last (class) axis`);
  }
  if (classWeights && classWeights.length !== numClasses) {
    throw new Error(`${loss}: ${weightsKey} has ${classWeights.length} entries, logits have ${numClasses} classes`);
  }
  if (classWeights?.some((w) => !Number.isFinite(w) || w < 0)) {
    throw new Error(`${loss}: ${weightsKey} must be finite and ≥ 0, got [${classWeights}]`);
  }
  return numClasses;
}

/** The flat class ids of {@link pixelTargets}, safe to gather with, and which pixels count. */
export interface PixelTargets {
  /** Class id per pixel, `[P]` int32, clamped to 0..C-1 (an ignored id may be e.g. -100 or 255). */
  ids: tf.Tensor1D;
  /** 1 for a pixel that counts, 0 for an ignored one, `[P]` float32. */
  valid: tf.Tensor1D;
}

/** Flattens `labels` to one id per pixel and masks `ignoreIndex`. Call inside a tidy. */
export function pixelTargets(labels: tf.Tensor, numClasses: number, ignoreIndex: number | undefined): PixelTargets {
  const flat = tf.reshape(tf.cast(labels, 'int32'), [-1]) as tf.Tensor1D;
  // Min/max with int32 scalars: wasm's ClipByValue reads int32 data as float32.
  const ids = tf.minimum(tf.maximum(flat, tf.scalar(0, 'int32')), tf.scalar(numClasses - 1, 'int32')) as tf.Tensor1D;
  const valid = tf.cast(ignoreIndex === undefined ? tf.onesLike(flat) : tf.notEqual(flat, ignoreIndex), 'float32') as tf.Tensor1D;
  return { ids, valid };
}

/** One-hot rows `[P, C]` float32 of `ids`: an int32 one-hot, cast, since wasm's OneHot writes int32 whatever dtype it is asked for. */
export function oneHotRows(ids: tf.Tensor1D, numClasses: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(ids, numClasses), 'float32') as tf.Tensor2D;
}

/** The entry of each row of `x` `[P, C]` at column `ids[p]`, gathered from the flat tensor: no one-hot tensor (and a gather without gradient: wasm lacks UnsortedSegmentSum). */
export function pickPerRow(x: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor1D {
  const [rows, columns] = x.shape;
  const flatIndex = tf.add(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(columns, 'int32')), ids);
  return tf.gather(tf.reshape(x, [-1]), flatIndex) as tf.Tensor1D;
}

/**
 * The gradient of every softmax loss of one pixel's target probability,
 * `(softmax(x) − onehot(ids)) · scale` per row, with the softmax rebuilt from
 * the saved log-sum-exp `lse` `[P]`.
 */
export function scaledSoftmaxMinusOneHot(x: tf.Tensor2D, lse: tf.Tensor1D, ids: tf.Tensor1D, scale: tf.Tensor1D): tf.Tensor2D {
  const softmax = tf.exp(tf.sub(x, tf.expandDims(lse, -1)));
  return tf.mul(tf.sub(softmax, oneHotRows(ids, x.shape[1])), tf.expandDims(scale, -1));
}

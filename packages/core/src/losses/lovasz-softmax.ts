import * as tf from '@tensorflow/tfjs-core';
import { type LovaszCombination, lovaszSoftmaxInMemory } from './lovasz-in-memory.js';
import { lovaszWeightsOnDevice } from './lovasz-weights.js';
import { checkLossInputs, oneHotRows, pixelTargets } from './pixel-targets.js';

/** Options of {@link lovaszSoftmaxLoss}. */
export interface LovaszSoftmaxOptions {
  /** Label id whose pixels are left out. Default: none. */
  ignoreIndex?: number;
  /** Compute the loss per image and average over the batch (else over the whole batch at once). Default: false. */
  perImage?: boolean;
  /**
   * Which classes the loss averages over: `'present'`, those in the truth
   * (of the batch, or of each image with `perImage`); `'all'`; or a list of
   * class ids, present or not. Default: `'present'`.
   */
  classes?: 'present' | 'all' | readonly number[];
  /** Per-class weights: a weighted mean over the chosen classes, Σ w_c·L_c / Σ w_c. Default: all 1. */
  classWeights?: readonly number[];
}

/** Backends whose `dataSync` is a plain memory read. */
const CPU_MEMORY_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

/**
 * The Lovász-Softmax loss of Berman, Rannen Triki and Blaschko (2018), "The
 * Lovász-Softmax loss: a tractable surrogate for the optimization of the
 * intersection-over-union measure in neural networks", as their reference
 * `lovasz_softmax` computes it: per class, the errors |fg − p_c| of the
 * non-ignored pixels sorted in decreasing order, dotted with the discrete
 * gradient of the Jaccard loss at that order, then averaged over the chosen
 * classes (and over images with `perImage`; an image with nothing to score
 * counts as 0, as the reference intends).
 *
 * Cost: one sort of B·H·W errors per class. Backends whose data sits in CPU
 * memory compute the value and gradient in JavaScript
 * (`lovasz-in-memory.ts`); GPU backends, which cannot read
 * synchronously, use tfjs ops with TopK (`lovasz-weights.ts`).
 * Measured in bench/README.md.
 *
 * @param labels Class ids, shape `[B, ...spatial]`, any dtype.
 * @param logits Unnormalised scores, shape `[B, ...spatial, C]`.
 * @returns A scalar; 0 (with a zero gradient) when every pixel is ignored.
 */
export function lovaszSoftmaxLoss(labels: tf.Tensor, logits: tf.Tensor, options: LovaszSoftmaxOptions = {}): tf.Scalar {
  const { ignoreIndex, perImage = false, classes = 'present', classWeights } = options;
  const numClasses = checkLossInputs('lovaszSoftmaxLoss', labels, logits, classWeights);
  if (typeof classes !== 'string' ? classes.some((c) => !Number.isInteger(c) || c < 0 || c >= numClasses) : classes !== 'present' && classes !== 'all') {
    throw new Error(`lovaszSoftmaxLoss: classes must be 'present', 'all' or class ids in 0..${numClasses - 1}, got ${JSON.stringify(classes)}`);
  }
  const listed = (c: number) => typeof classes === 'string' || classes.includes(c);
  const chosen = Array.from({ length: numClasses }, (_, c) => (listed(c) ? (classWeights?.[c] ?? 1) : 0));
  return tf.tidy(() => {
    const { ids, valid } = pixelTargets(labels, numClasses, ignoreIndex);
    const combination = { groups: perImage ? logits.shape[0] : 1, classWeights: chosen, onlyPresent: classes === 'present' };
    if (CPU_MEMORY_BACKENDS.has(tf.getBackend())) {
      return lovaszSoftmaxInMemory(logits, { ids: ids.dataSync() as Int32Array, valid: valid.dataSync() as Float32Array }, combination);
    }
    return lovaszSoftmaxWithOps(logits, ids, valid, combination);
  });
}

/**
 * The loss in tfjs ops, for GPU backends (and, in tests, as the reference for
 * the in-memory version on any backend). Call inside a tidy.
 */
export function lovaszSoftmaxWithOps(logits: tf.Tensor, ids: tf.Tensor1D, valid: tf.Tensor1D, { groups, classWeights, onlyPresent }: LovaszCombination): tf.Scalar {
  return tf.tidy(() => {
    const numClasses = logits.shape[logits.rank - 1];
    const pixels = logits.size / numClasses / groups;
    // [group, pixel, class], the logits' own layout.
    const counted = tf.reshape(valid, [groups, pixels, 1]) as tf.Tensor3D;
    const fg = tf.mul(tf.reshape(oneHotRows(ids, numClasses), [groups, pixels, numClasses]), counted) as tf.Tensor3D;
    const probs = tf.reshape(tf.softmax(logits), [groups, pixels, numClasses]);
    // |fg − p| for p in [0, 1], smooth in p (abs's gradient at 0 would differ from torch's), 0 on ignored pixels.
    const errors = tf.mul(tf.add(probs, tf.mul(fg, tf.sub(1, tf.mul(probs, 2)))), counted) as tf.Tensor3D;
    const perClass = sortedJaccardLoss(errors, fg, counted);
    let weight: tf.Tensor = tf.tensor1d(classWeights as number[]);
    if (onlyPresent) weight = tf.mul(weight, tf.cast(tf.greater(tf.sum(fg, 1), 0), 'float32'));
    const weights = tf.mul(weight, tf.onesLike(perClass));
    const perGroup = tf.div(tf.sum(tf.mul(perClass, weights), -1), tf.maximum(tf.sum(weights, -1), 1e-12));
    return tf.mean(perGroup) as tf.Scalar;
  });
}

/**
 * Σ_p e_p·W_p per group and class of `errors` `[G, P, C]`, where W holds the
 * Lovász extension's weights for the Jaccard loss at the order of decreasing
 * errors (`lovaszWeightsOnDevice`): the loss is linear in the errors for a
 * fixed order, so its gradient is W, computed once in the forward pass (tfjs
 * has no TopK gradient, and a gather's needs UnsortedSegmentSum, which wasm lacks).
 */
function sortedJaccardLoss(errors: tf.Tensor3D, fg: tf.Tensor3D, counted: tf.Tensor3D): tf.Tensor2D {
  const loss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const e = args[0] as tf.Tensor3D;
    const save = args[1] as tf.GradSaveFunc;
    const weights = lovaszWeightsOnDevice(e, fg, counted);
    save([weights]);
    return {
      value: tf.sum(tf.mul(e, weights), 1),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.mul(saved[0], tf.expandDims(dy as tf.Tensor, 1)),
    };
  });
  return loss(errors) as tf.Tensor2D;
}

/**
 * Lovász-Softmax's value and its gradient for the logits, computed together
 * in JavaScript for backends whose data sits in CPU memory (cpu, wasm,
 * tfjs-node), where reading a tensor is a copy and not a GPU round trip.
 *
 * Per group (the batch, or one image), from tfjs's softmax read once
 * class-major `[C, P]` (each class's pass reads one contiguous row):
 * 1. per class c with P_c foreground pixels, the errors e = 1 − p
 *    (foreground) or p (background) of the counted pixels, sorted in
 *    decreasing order by a radix sort of their float32 bits
 *    ({@link RadixSorter}; equal errors keep pixel order);
 * 2. along that order, with f foreground and b background pixels seen,
 *    J = 1 − (P_c − f) / (P_c + b), and each error's weight is the step of J
 *    (Berman et al., 2018, Algorithm 1). The loss is linear in the errors for
 *    a fixed order, so dLoss/dp_c is ±weight times the class's share of the
 *    weighted mean;
 * 3. the softmax backward, p_j (g_j − Σ_k p_k g_k), written pixel-major; the
 *    loss itself falls out of the same sums (see {@link softmaxBackward}).
 * The tape sees one op whose backward is a multiply of the saved gradient by dy.
 *
 * Exact shortcuts: J reaches 1 at the last foreground pixel and stays there,
 * so every later weight is 0: the walk stops there, and background errors
 * below the class's smallest foreground error are not sorted at all (most of
 * them for an untrained model, few for a confident one). Classes left out of
 * the mean are not sorted. Ignored pixels get neither error nor gradient.
 *
 * Cost per group: tfjs's softmax and a transpose, one read of P·C floats, one
 * sort of at most P keys per scored class, a few passes over P·C floats, one
 * tensor written. At 513² × 21 on wasm, confident logits: ~1.3–1.5×
 * cross-entropy's forward + backward, against 2.1–3× for the former version
 * (tfjs ops around a JS sort of the read errors, then a JS weights tensor
 * differentiated through those ops); the sort is about a third of the
 * JavaScript time (bench/README.md). Scratch buffers (a [C, P] float32 slope
 * array, the sorter's, per-pixel sums) are kept between calls of the same
 * size; the gradient array is new each call (the cpu backend keeps the array
 * it is given as the tensor's storage).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { RadixSorter } from './radix-sort.js';

/** The truth per pixel of all groups, flat: what {@link pixelTargets} gives, read. */
export interface InMemoryTargets {
  /** Class id per pixel, clamped to 0..C−1. */
  ids: Int32Array;
  /** > 0 for a pixel that counts, 0 for an ignored one. */
  valid: Float32Array;
}

/** How the per-class losses are combined. */
export interface LovaszCombination {
  /** Groups the pixels are split into (images with `perImage`, else 1); the loss is the mean over them. */
  groups: number;
  /** Per class, its weight in each group's weighted mean (0 leaves the class out). */
  classWeights: readonly number[];
  /** Whether a class absent from a group's truth is left out of that group. */
  onlyPresent: boolean;
}

/** The loss of `logits` `[..., C]` (float32), differentiable for them. */
export function lovaszSoftmaxInMemory(logits: tf.Tensor, targets: InMemoryTargets, combination: LovaszCombination): tf.Scalar {
  const loss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const classes = x.shape[x.rank - 1];
    const { groups } = combination;
    const pixels = x.size / classes / groups;
    // tfjs's softmax (vectorised on wasm, the same float32 probabilities as the tensor version)
    // and transpose.
    const byClass = tf.tidy(() => tf.transpose(tf.reshape(tf.softmax(x), [groups, pixels, classes]), [0, 2, 1]));
    const probs = byClass.dataSync() as Float32Array;
    byClass.dispose();
    const { value, gradient } = valueAndGradient(probs, classes, targets, combination);
    const dx = tf.tensor(gradient, x.shape, 'float32');
    save([dx]);
    return {
      value: tf.scalar(value),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.mul(saved[0], dy as tf.Tensor),
    };
  });
  return loss(logits) as tf.Scalar;
}

/** The bits of 1.0f: floats in [0, 1] order like their bit patterns, which lie in [0, ONE]. */
const ONE = 0x3f800000;
/** Pixels per block of the gradient's transposing write: [BLOCK, C] floats stay in the L1/L2 cache. */
const BLOCK = 256;

/** Buffers for one group of `pixels` × `classes`, reused while the size stays the same. */
class Scratch {
  /** Converts an error to its float32 bits and back. */
  readonly float = new Float32Array(1);
  readonly bits = new Uint32Array(this.float.buffer);
  /** Class id per pixel of the group, −1 where ignored. */
  readonly truth: Int32Array;
  readonly sorter: RadixSorter;
  readonly positives: Int32Array;
  /** Per class, the smallest error of its foreground pixels. */
  readonly smallestForeground: Float64Array;
  /** Σ_k p_k g_k per pixel. */
  readonly dots: Float64Array;
  /** dLoss/dp, class-major `[C, P]`. */
  readonly slopes: Float32Array;

  constructor(
    readonly classes: number,
    readonly pixels: number,
  ) {
    this.truth = new Int32Array(pixels);
    this.sorter = new RadixSorter(pixels);
    this.positives = new Int32Array(classes);
    this.smallestForeground = new Float64Array(classes);
    this.dots = new Float64Array(pixels);
    this.slopes = new Float32Array(classes * pixels);
  }
}

let cached: Scratch | undefined;

function scratchFor(classes: number, pixels: number): Scratch {
  if (cached?.classes !== classes || cached.pixels !== pixels) cached = new Scratch(classes, pixels);
  return cached;
}

/** The loss and dLoss/dx `[G, P, C]` from the class-major probabilities `[G, C, P]`. */
function valueAndGradient(probs: Float32Array, classes: number, targets: InMemoryTargets, combination: LovaszCombination) {
  const { groups, classWeights, onlyPresent } = combination;
  const size = probs.length / groups;
  const s = scratchFor(classes, size / classes);
  const gradient = new Float32Array(probs.length);
  // For a probability p, the background error is p itself: its float32 bits are its sort key's.
  const probBits = new Uint32Array(probs.buffer, probs.byteOffset, probs.length);
  const scales = new Float64Array(classes);
  let value = 0;
  for (let g = 0; g < groups; g++) {
    const group = {
      probs: probs.subarray(g * size, (g + 1) * size),
      probBits: probBits.subarray(g * size, (g + 1) * size),
      slopes: s.slopes,
      offset: g * s.pixels,
    };
    s.slopes.fill(0);
    countForeground(group, targets, s);
    let total = 0;
    for (let c = 0; c < classes; c++) {
      scales[c] = onlyPresent && s.positives[c] === 0 ? 0 : classWeights[c];
      total += scales[c];
    }
    // A group with nothing to score counts as 0 (Σ 0 / max(0, 1e-12), as the tensor version divides).
    for (let c = 0; c < classes; c++) {
      const scale = scales[c] / (Math.max(total, 1e-12) * groups);
      if (scale > 0) classSlopes(c, group, s, scale);
    }
    value += softmaxBackward(group, s, gradient.subarray(g * size, (g + 1) * size));
  }
  return { value, gradient };
}

/** One group's class-major `[C, P]` probabilities and dLoss/dp, and where its pixels start in the targets. */
interface Group {
  probs: Float32Array;
  probBits: Uint32Array;
  slopes: Float32Array;
  offset: number;
}

/** The group's class per pixel; per class, its foreground pixels and their smallest error. */
function countForeground({ probs, offset }: Group, { ids, valid }: InMemoryTargets, s: Scratch): void {
  const { pixels, positives, smallestForeground } = s;
  positives.fill(0);
  smallestForeground.fill(1);
  for (let i = 0; i < pixels; i++) {
    s.truth[i] = valid[offset + i] > 0 ? ids[offset + i] : -1;
    if (s.truth[i] < 0) continue;
    const truth = s.truth[i];
    positives[truth]++;
    smallestForeground[truth] = Math.min(smallestForeground[truth], Math.fround(1 - probs[truth * pixels + i]));
  }
}

/**
 * Writes class `c`'s Lovász weights, ±weight · `scale`, as dLoss/dp into its
 * row of `slopes` (its loss, Σ error · weight, is summed from them by
 * {@link softmaxBackward}).
 */
function classSlopes(c: number, { probs, probBits, slopes }: Group, s: Scratch, scale: number): void {
  const { pixels, truth, sorter, float, bits } = s;
  const row = c * pixels;
  const positives = s.positives[c];
  float[0] = s.smallestForeground[c];
  // A class without foreground ('all' or listed) weighs its largest error by 1: keep every error.
  const cutoff = positives > 0 ? bits[0] : 0;
  sorter.clear();
  for (let i = 0; i < pixels; i++) {
    const t = truth[i];
    if (t < 0) continue;
    // Sort keys: decreasing errors as increasing ONE − float32 bits; items: pixel · 2 + 1 if foreground.
    if (t === c) {
      float[0] = 1 - probs[row + i];
      sorter.push(ONE - bits[0], (i << 1) | 1);
    } else if (probBits[row + i] >= cutoff) {
      sorter.push(ONE - probBits[row + i], i << 1);
    }
  }
  sorter.sort();
  const { pairs } = sorter;
  let foregroundSeen = 0;
  let backgroundSeen = 0;
  let previous = 0;
  for (let k = 1; k < 2 * sorter.length; k += 2) {
    const item = pairs[k];
    const foreground = (item & 1) === 1;
    if (foreground) foregroundSeen++;
    else backgroundSeen++;
    const jaccard = 1 - (positives - foregroundSeen) / (positives + backgroundSeen);
    const weight = jaccard - previous;
    previous = jaccard;
    slopes[row + (item >>> 1)] = (foreground ? -weight : weight) * scale;
    // J stays 1 after the last foreground pixel: every later weight is 0.
    if (foregroundSeen === positives) break;
  }
}

/**
 * dLoss/dx = p_j (g_j − Σ_k p_k g_k) into the group's pixel-major `gradient`
 * (ignored pixels have g = 0, so dx = 0), in blocks of pixels so that the
 * class rows are read in order while the strided writes stay in cache.
 * Returns the loss: each error times its scaled weight is p·g for background
 * and (1 − p)·(−g) = p·g − g for foreground, so the loss is
 * Σ_i (Σ_k p_k g_k − g_truth(i)).
 */
function softmaxBackward({ probs, slopes }: Group, s: Scratch, gradient: Float32Array): number {
  const { classes, pixels, dots, truth } = s;
  dots.fill(0);
  for (let c = 0; c < classes; c++) {
    for (let i = 0, r = c * pixels; i < pixels; i++, r++) dots[i] += probs[r] * slopes[r];
  }
  let loss = 0;
  for (let i = 0; i < pixels; i++) if (truth[i] >= 0) loss += dots[i] - slopes[truth[i] * pixels + i];
  for (let start = 0; start < pixels; start += BLOCK) {
    const end = Math.min(start + BLOCK, pixels);
    for (let c = 0; c < classes; c++) {
      for (let i = start, r = c * pixels + start, at = start * classes + c; i < end; i++, r++, at += classes) {
        gradient[at] = probs[r] * (slopes[r] - dots[i]);
      }
    }
  }
  return loss;
}

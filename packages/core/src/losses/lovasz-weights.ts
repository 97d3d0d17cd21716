/**
 * The weights of the Lovász extension of the Jaccard loss (Berman et al.,
 * 2018, Algorithm 1): along one class's errors sorted in decreasing order,
 * with J_k = 1 − (positives − foreground up to k) / (positives + background up to k),
 * the k-th error's weight is J_k − J_(k−1). Returned at each error's own
 * (unsorted) position, so a class's loss is Σ e·W. Ignored pixels sort after
 * every counted one, so they change no counted pixel's weight; theirs is 0
 * or meets an error of 0 whose gradient is masked.
 *
 * Cost: one sort of B·H·W errors per class. At 513² × 21 classes on wasm,
 * tfjs's TopK and the gathers of the sorted order took ~4 s of a ~10 s
 * forward + backward (bench/losses.bench.mjs). So on backends whose data sits
 * in CPU memory (cpu, wasm, tfjs-node) the errors are read and sorted here,
 * by an LSD radix sort of their float bits; GPU backends, which cannot read
 * synchronously, use TopK, a gather and a scatter.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** What the weights need besides the errors: the truth, in the errors' `[G, P, C]` layout. */
export interface LovaszRows {
  /** Class id per pixel, `[G·P]` int32 (clamped; meaningless where not counted). */
  ids: tf.Tensor1D;
  /** `[G, P, C]` 1 where the pixel counts and belongs to the class, else 0. */
  fg: tf.Tensor3D;
  /** `[G, P, 1]` 1 for pixels that count, 0 for ignored ones. */
  counted: tf.Tensor3D;
  /** Per class, whether its loss is used at all (a class left out gets weights 0, unsorted). */
  needed: boolean[];
  /** Whether a class absent from a group's truth is left out of that group. */
  onlyPresent: boolean;
}

/** Backends whose `dataSync` is a plain memory read. */
const CPU_MEMORY_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

/** @param errors `[G, P, C]` errors in [0, 1] (0 on ignored pixels). */
export function lovaszWeights(errors: tf.Tensor3D, rows: LovaszRows): tf.Tensor3D {
  return CPU_MEMORY_BACKENDS.has(tf.getBackend()) ? weightsInMemory(errors, rows) : weightsOnDevice(errors, rows);
}

function weightsOnDevice(errors: tf.Tensor3D, { fg, counted }: LovaszRows): tf.Tensor3D {
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

/** Radix digits: two 15-bit passes cover the 30 bits of a float in [0, 1]. */
const DIGIT_BITS = 15;
const DIGIT_MASK = (1 << DIGIT_BITS) - 1;
/** The bits of 1.0f: floats in [0, 1] order like their bit patterns, which lie in [0, ONE]. */
const ONE = 0x3f800000;

function weightsInMemory(errors: tf.Tensor3D, { ids, counted, needed, onlyPresent }: LovaszRows): tf.Tensor3D {
  const [groups, pixels, classes] = errors.shape;
  // The float32 bits of the errors, read in place.
  const data = errors.dataSync() as Float32Array;
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const id = ids.dataSync() as Int32Array;
  const count = counted.dataSync() as Float32Array;
  const weights = new Float32Array(errors.size);
  // Per class: sort keys (descending error as ascending ONE − bits) and pixel·2 + fg, built in one pass over the pixels.
  const keys = new Uint32Array(classes * pixels);
  const items = new Int32Array(classes * pixels);
  const lengths = new Int32Array(classes);
  const positives = new Int32Array(classes);
  // Per class, the smallest foreground error's bits: a background error below it sorts after the
  // last foreground pixel, where J stays 1 and weights are 0, so it is left out of the sort (exact).
  const cutoff = new Uint32Array(classes);
  const sorter = new RadixSorter(pixels);
  for (let g = 0; g < groups; g++) {
    positives.fill(0);
    lengths.fill(0);
    cutoff.fill(ONE);
    for (let p = g * pixels; p < (g + 1) * pixels; p++) {
      if (!(count[p] > 0)) continue;
      const truth = id[p];
      positives[truth]++;
      cutoff[truth] = Math.min(cutoff[truth], clampedBits(bits[p * classes + truth]));
    }
    // A class without foreground (classes 'all' or listed) weighs its largest error by 1: keep all.
    for (let c = 0; c < classes; c++) if (positives[c] === 0) cutoff[c] = 0;
    for (let i = 0; i < pixels; i++) {
      const p = g * pixels + i;
      if (!(count[p] > 0)) continue;
      const truth = id[p];
      for (let c = 0; c < classes; c++) {
        const b = clampedBits(bits[p * classes + c]);
        if (b < cutoff[c] && c !== truth) continue;
        const at = c * pixels + lengths[c]++;
        keys[at] = ONE - b;
        items[at] = (i << 1) | (c === truth ? 1 : 0);
      }
    }
    for (let c = 0; c < classes; c++) {
      if (!needed[c] || (onlyPresent && positives[c] === 0)) continue;
      const n = lengths[c];
      const order = sorter.sort(keys.subarray(c * pixels, c * pixels + n), items.subarray(c * pixels, c * pixels + n));
      const total = positives[c];
      let foreground = 0;
      let background = 0;
      let previous = 0;
      for (let k = 0; k < n; k++) {
        const item = order[k];
        if (item & 1) foreground++;
        else background++;
        const jaccard = 1 - (total - foreground) / (total + background);
        weights[(g * pixels + (item >>> 1)) * classes + c] = jaccard - previous;
        previous = jaccard;
      }
    }
  }
  return tf.tensor3d(weights, errors.shape);
}

/** Bits of an error clamped to [0, 1]: a rounding just above 1, or just below 0 (sign bit set), would break the order. */
function clampedBits(b: number): number {
  return b > ONE ? (b >= 0x80000000 ? 0 : ONE) : b;
}

/** A stable LSD radix sort of up to `capacity` 30-bit keys in two passes, carrying an item per key; buffers reused. */
class RadixSorter {
  private readonly keys: Uint32Array;
  private readonly items: Int32Array;
  private readonly histogram = new Int32Array(1 << DIGIT_BITS);

  constructor(capacity: number) {
    this.keys = new Uint32Array(capacity);
    this.items = new Int32Array(capacity);
  }

  /** Sorts `keys` ascending (in place, through the scratch buffers) and returns `items` in that order. */
  sort(keys: Uint32Array, items: Int32Array): Int32Array {
    const n = keys.length;
    this.pass(keys, items, this.keys, this.items, n, 0);
    this.pass(this.keys, this.items, keys, items, n, DIGIT_BITS);
    return items;
  }

  private pass(keys: Uint32Array, items: Int32Array, keysOut: Uint32Array, itemsOut: Int32Array, n: number, shift: number): void {
    const histogram = this.histogram;
    histogram.fill(0);
    for (let i = 0; i < n; i++) histogram[(keys[i] >>> shift) & DIGIT_MASK]++;
    let sum = 0;
    for (let b = 0; b < histogram.length; b++) {
      const count = histogram[b];
      histogram[b] = sum;
      sum += count;
    }
    for (let i = 0; i < n; i++) {
      const at = histogram[(keys[i] >>> shift) & DIGIT_MASK]++;
      keysOut[at] = keys[i];
      itemsOut[at] = items[i];
    }
  }
}

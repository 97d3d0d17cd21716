/**
 * The weights of the Lovász extension of the Jaccard loss (Berman et al.,
 * 2018, Algorithm 1): along the errors of one row sorted in decreasing order,
 * with J_k = 1 − (positives − foreground up to k) / (positives + background up to k),
 * the k-th error's weight is J_k − J_(k−1). Returned at each error's own
 * (unsorted) position, so the loss of a row is Σ e·G (ignored pixels, sorted
 * last, get 0 here or a weight that meets their error of 0 and masked gradient).
 *
 * Cost: one sort per row (B·H·W errors per class). tfjs's TopK on wasm and
 * the gathers of the sorted order took ~4 s of a ~10 s step at 513² × 21
 * classes (bench/losses.bench.mjs), so on backends whose data sits in CPU
 * memory (cpu, wasm, tfjs-node) the rows are read and sorted here by a
 * three-pass radix sort of the float bits; GPU backends, which cannot read
 * synchronously, use TopK, a gather and a scatter.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

const RADIX_BITS = 11;
const RADIX_MASK = (1 << RADIX_BITS) - 1;

/** Backends whose `dataSync` is a plain memory read. */
const CPU_MEMORY_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

/**
 * @param errors `[G, C, P]` errors ≥ 0 (0 on ignored pixels).
 * @param fg `[G, C, P]` 1 where the pixel belongs to the row's class, else 0 (0 on ignored pixels).
 * @param counted `[G, 1, P]` 1 for pixels that count, 0 for ignored ones.
 */
export function lovaszWeights(errors: tf.Tensor3D, fg: tf.Tensor3D, counted: tf.Tensor3D): tf.Tensor3D {
  return CPU_MEMORY_BACKENDS.has(tf.getBackend()) ? weightsInMemory(errors, fg, counted) : weightsOnDevice(errors, fg, counted);
}

function weightsOnDevice(errors: tf.Tensor3D, fg: tf.Tensor3D, counted: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const [groups, classes, pixels] = errors.shape;
    // Ignored pixels sort after every counted one (errors ≥ 0), so they change no counted pixel's weight.
    const key = tf.sub(errors, tf.mul(tf.sub(1, counted), 2));
    const { values, indices } = tf.topk(key, pixels, true);
    values.dispose();
    const rowStart = tf.reshape(tf.mul(tf.range(0, groups * classes, 1, 'int32'), tf.scalar(pixels, 'int32')), [groups, classes, 1]);
    const order = tf.reshape(tf.add(indices, rowStart), [-1]);
    const fgSorted = tf.reshape(tf.gather(tf.reshape(fg, [-1]), order), errors.shape);
    const positives = tf.sum(fgSorted, -1, true);
    // The union is ≥ 1 from the first pixel on (positives > 0, or a background pixel): no 0/0.
    const intersection = tf.sub(positives, tf.cumsum(fgSorted, 2));
    const union = tf.add(positives, tf.cumsum(tf.sub(1, fgSorted), 2));
    const jaccard = tf.sub(1, tf.div(intersection, union));
    const previous = tf.pad(tf.slice(jaccard, [0, 0, 0], [groups, classes, pixels - 1]), [[0, 0], [0, 0], [1, 0]]);
    const sortedWeights = tf.reshape(tf.sub(jaccard, previous), [-1]);
    return tf.reshape(tf.scatterND(tf.expandDims(order, -1), sortedWeights, [errors.size]), errors.shape) as tf.Tensor3D;
  });
}

function weightsInMemory(errors: tf.Tensor3D, fg: tf.Tensor3D, counted: tf.Tensor3D): tf.Tensor3D {
  const [groups, classes, pixels] = errors.shape;
  const e = errors.dataSync() as Float32Array;
  const f = fg.dataSync() as Float32Array;
  const c = counted.dataSync() as Float32Array;
  const weights = new Float32Array(errors.size);
  const sorter = new DescendingSorter(pixels);
  for (let g = 0; g < groups; g++) {
    for (let k = 0; k < classes; k++) {
      const row = (g * classes + k) * pixels;
      const order = sorter.sort(e, row, c, g * pixels);
      let positives = 0;
      for (let j = 0; j < order.length; j++) positives += f[row + order[j]];
      let foreground = 0;
      let background = 0;
      let previous = 0;
      for (let j = 0; j < order.length; j++) {
        const i = order[j];
        if (f[row + i] > 0) foreground++;
        else background++;
        const jaccard = 1 - (positives - foreground) / (positives + background);
        weights[row + i] = jaccard - previous;
        previous = jaccard;
      }
    }
  }
  return tf.tensor3d(weights, errors.shape);
}

/**
 * Orders the counted entries of one row by decreasing value: an LSD radix
 * sort in three 11-bit passes (an 8 kB histogram that stays in L1) over
 * the float32 bit patterns, which order like
 * the values for values ≥ 0. Stable, so ties keep pixel order. Buffers are
 * reused from row to row.
 */
class DescendingSorter {
  private readonly keys: Uint32Array;
  private readonly keysOut: Uint32Array;
  private readonly index: Int32Array;
  private readonly indexOut: Int32Array;
  private readonly bits = new Uint32Array(1);
  private readonly asFloat = new Float32Array(this.bits.buffer);
  private readonly histogram = new Int32Array(1 << RADIX_BITS);

  constructor(capacity: number) {
    this.keys = new Uint32Array(capacity);
    this.keysOut = new Uint32Array(capacity);
    this.index = new Int32Array(capacity);
    this.indexOut = new Int32Array(capacity);
  }

  /** The positions `i` with `counted[countedStart + i] > 0`, by decreasing `values[start + i]`. */
  sort(values: Float32Array, start: number, counted: Float32Array, countedStart: number): Int32Array {
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) {
      if (counted[countedStart + i] > 0) {
        // max(·, 0): a rounding below 0 (1 − p with p a hair above 1) would flip the sign bit's order.
        this.asFloat[0] = Math.max(values[start + i], 0);
        this.keys[n] = 0xffffffff - this.bits[0]; // ascending complement = descending value
        this.index[n++] = i;
      }
    }
    this.pass(this.keys, this.index, this.keysOut, this.indexOut, n, 0);
    this.pass(this.keysOut, this.indexOut, this.keys, this.index, n, RADIX_BITS);
    this.pass(this.keys, this.index, this.keysOut, this.indexOut, n, 2 * RADIX_BITS);
    return this.indexOut.subarray(0, n);
  }

  private pass(keys: Uint32Array, index: Int32Array, keysOut: Uint32Array, indexOut: Int32Array, n: number, shift: number): void {
    const histogram = this.histogram;
    histogram.fill(0);
    for (let i = 0; i < n; i++) histogram[(keys[i] >>> shift) & RADIX_MASK]++;
    let sum = 0;
    for (let b = 0; b < histogram.length; b++) {
      const count = histogram[b];
      histogram[b] = sum;
      sum += count;
    }
    for (let i = 0; i < n; i++) {
      const at = histogram[(keys[i] >>> shift) & RADIX_MASK]++;
      keysOut[at] = keys[i];
      indexOut[at] = index[i];
    }
  }
}

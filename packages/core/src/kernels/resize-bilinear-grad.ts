import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_PACKAGES } from '../backends/packages.js';

/**
 * The `[outSize, inSize]` matrix of 1-D bilinear interpolation with half-pixel
 * centres (PyTorch `align_corners=False`, tfjs `halfPixelCenters: true`):
 * row `p` holds the weights with which output sample `p` mixes the inputs.
 *
 * Source coordinates left of the first sample (or right of the last) clamp to
 * it, as both PyTorch and TensorFlow do, so every row sums to 1.
 */
export function bilinearInterpolationMatrix(inSize: number, outSize: number): Float32Array {
  if (!(Number.isInteger(inSize) && inSize > 0 && Number.isInteger(outSize) && outSize > 0)) {
    throw new Error(`bilinearInterpolationMatrix: sizes must be positive integers, got in=${inSize}, out=${outSize}`);
  }
  const { lo, hi, wLo, wHi } = bilinearTaps(inSize, outSize);
  const m = new Float32Array(outSize * inSize);
  for (let p = 0; p < outSize; p++) {
    m[p * inSize + lo[p]] += wLo[p];
    m[p * inSize + hi[p]] += wHi[p];
  }
  return m;
}

/**
 * The two taps of 1-D half-pixel bilinear interpolation (PyTorch's
 * `align_corners=False`, tfjs's `halfPixelCenters`) for every output sample:
 * output `p` is `wLo[p]·in[lo[p]] + wHi[p]·in[hi[p]]`.
 */
export function bilinearTaps(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; wLo: Float32Array; wHi: Float32Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const wLo = new Float32Array(outSize);
  const wHi = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let p = 0; p < outSize; p++) {
    const src = Math.max(0, (p + 0.5) * scale - 0.5);
    lo[p] = Math.min(Math.floor(src), inSize - 1);
    hi[p] = Math.min(lo[p] + 1, inSize - 1);
    wHi[p] = src - lo[p];
    wLo[p] = 1 - wHi[p];
  }
  return { lo, hi, wLo, wHi };
}

/** Whether the current backend computes in one CPU thread, where `SparseSegmentSum` adds in index order. */
function scatterAddsInOrder(): boolean {
  const name = tf.getBackend();
  return Object.values(BACKEND_PACKAGES).some((p) => p.tfjsName === name && p.computesOn === 'one-cpu-thread');
}

/**
 * Back-projects `[outSize, rest]` onto `[inSize, rest]` along the first axis:
 * row `p` adds `wLo·t[p]` to row `lo[p]` and `wHi·t[p]` to row `hi[p]`.
 *
 * Both routes are O(outSize + inSize) per column where a dense `Rᵀ · t` is
 * O(outSize · inSize). On cpu and wasm a scatter-add (`SparseSegmentSum`,
 * which needs its segments sorted; `lo`/`hi` grow with `p`, so sorting the
 * 2·outSize entries is cheap) adds in index order. webgpu runs it with float
 * atomics that add in whatever order the threads arrive (GPU backends may in
 * general): the same gradient differed from run to run in its last bits, which
 * BatchNorm over few values (ASPP's image-pooling branch at batch 2) amplified
 * to 1e-3. There each input row gathers the rows that feed it, in a fixed
 * order padded with a zero row, and adds them in that order: as fast on
 * webgpu; on wasm a gather route was 5–37× slower (bench/README.md).
 */
function adjointAlongFirstAxis(t: tf.Tensor2D, inSize: number, outSize: number): tf.Tensor2D {
  const { lo, hi, wLo, wHi } = bilinearTaps(inSize, outSize);
  // Rows 0..out-1 hold wLo·t, rows out..2·out-1 hold wHi·t, row 2·out is zeros.
  const zeroRow = 2 * outSize;
  const data = tf.concat([
    tf.mul(t, tf.tensor2d(wLo, [outSize, 1])),
    tf.mul(t, tf.tensor2d(wHi, [outSize, 1])),
    tf.zeros([1, t.shape[1]]),
  ]);
  if (scatterAddsInOrder()) {
    const entries: Array<[number, number]> = [];
    for (let p = 0; p < outSize; p++) entries.push([lo[p], p], [hi[p], outSize + p]);
    // SparseSegmentSum sizes its output by the last segment id; pin it to inSize with the zero row.
    entries.push([inSize - 1, zeroRow]);
    entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const indices = tf.tensor1d(entries.map((e) => e[1]), 'int32');
    const segments = tf.tensor1d(entries.map((e) => e[0]), 'int32');
    return tf.sparse.sparseSegmentSum(data, indices, segments) as tf.Tensor2D;
  }
  const feeds: number[][] = Array.from({ length: inSize }, () => []);
  for (let p = 0; p < outSize; p++) feeds[lo[p]].push(p);
  for (let p = 0; p < outSize; p++) feeds[hi[p]].push(outSize + p);
  // Term k holds every input row's k-th feed (the zero row once it has no more), and the terms are
  // added one by one: elementwise adds, where tf.sum over the feeds would run one GPU workgroup per
  // output value, and tf.addN of many terms exceeds what one webgpu shader may bind.
  const width = Math.max(...feeds.map((f) => f.length));
  let sum = tf.gather(data, tf.tensor1d(feeds.map((f) => f[0] ?? zeroRow), 'int32')) as tf.Tensor2D;
  for (let k = 1; k < width; k++) sum = tf.add(sum, tf.gather(data, tf.tensor1d(feeds.map((f) => f[k] ?? zeroRow), 'int32')));
  return sum;
}

/**
 * The gradient of a half-pixel-centre bilinear resize of an NHWC tensor of
 * spatial size `inputSize`, given the output gradient `dy`.
 *
 * Why not the `ResizeBilinearGrad` kernel: in tfjs 4.22 the cpu and wasm
 * kernels ignore `halfPixelCenters` (they back-project with the legacy
 * `out · in / outSize` mapping, so the gradient is that of a different
 * resize), and the cpu kernel also swaps height and width in its output
 * shape. A bilinear resize is separable and linear, `y = Ry · x · Rxᵀ` per
 * image and channel, so its exact gradient is `Ryᵀ · dy · Rx`, applied here
 * axis by axis as adjoints that every backend runs.
 */
export function resizeBilinearGradHalfPixel(dy: tf.Tensor4D, inputSize: [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, outH, outW, channels] = dy.shape;
    const [inH, inW] = inputSize;
    const rows = adjointAlongFirstAxis(
      tf.reshape(tf.transpose(dy, [1, 0, 2, 3]), [outH, batch * outW * channels]),
      inH,
      outH,
    );
    const byCol = tf.transpose(tf.reshape(rows, [inH, batch, outW, channels]), [2, 1, 0, 3]);
    const cols = adjointAlongFirstAxis(tf.reshape(byCol, [outW, batch * inH * channels]), inW, outW);
    return tf.transpose(tf.reshape(cols, [inW, batch, inH, channels]), [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

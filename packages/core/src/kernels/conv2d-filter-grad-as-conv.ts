import * as tf from '@tensorflow/tfjs-core';
import type { ConvGeometry } from './conv-geometry.js';

/**
 * Gradient of a stride-1, dilation-1 NHWC `tf.conv2d` with respect to its
 * filter, as one forward convolution: the zero-padded input with batch and
 * channels swapped (`[cin, hp, wp, n]`) convolved with the upstream gradient
 * as filter (`[ho, wo, n, cout]`), giving `[cin, kh, kw, cout]`:
 *
 *     dW[a, b, ci, co] = Σ_{n,y,x} xp[n, y + a, x + b, ci] · dy[n, y, x, co]
 *
 * Same cost as the per-tap products of `conv2dFilterGrad`, but 6 kernels
 * instead of ~4 per tap (~40 for a 3×3) and, on wasm, one XNNPACK convolution
 * instead of nine matrix products: faster for 3×3 convs on inputs up to
 * about 2^19 elements (bench/README.md, atrous convolutions). Strided and dilated convs keep
 * the per-tap route: their version of this trick is a dilated or strided
 * conv with a filter as large as the image, which wasm handles badly.
 *
 * @param g The forward conv's geometry (stride and dilation 1).
 */
export function conv2dFilterGradAsConv(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const padded = tf.pad(x, [
      [0, 0],
      [g.padTop, g.padBottom],
      [g.padLeft, g.padRight],
      [0, 0],
    ]);
    const image = tf.transpose(padded, [3, 1, 2, 0]);
    const filter = tf.transpose(dy, [1, 2, 0, 3]);
    // At stride 1 the padded input is exactly ho + kh - 1 rows high (wo + kw - 1 wide): the 'valid' output is kh × kw.
    const out = tf.conv2d(image as tf.Tensor4D, filter as tf.Tensor4D, 1, 'valid');
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}

import * as tf from '@tensorflow/tfjs-core';
import { type ConvAttrs, type ConvGeometry, convGeometry } from './conv-geometry.js';
import { conv2dFilterGradAsConv } from './conv2d-filter-grad-as-conv.js';
import { checkUpstream } from './conv2d-input-grad.js';
import { forEachTap } from './tap-windows.js';

/**
 * Largest input (elements) whose k×k filter gradient runs as one convolution.
 * Measured on wasm (bench/README.md): faster up to 2×64×64×64 (524k), even at
 * 2×64×64×128, twice slower at 1×64×64×256, where the per-tap products win.
 */
const AS_CONV_MAX_INPUT = 1 << 19;

/**
 * Gradient of an NHWC `tf.conv2d` with respect to its filter, for any dilation
 * at stride 1 and any stride at dilation 1, with 'same', 'valid', numeric or
 * explicit padding.
 *
 * A k×k conv (k > 1) at stride 1 and dilation 1 on a small input takes one
 * forward convolution ({@link conv2dFilterGradAsConv}); everything else
 * one matrix product per filter tap: the input samples that tap sees
 * (channel-major, `[cin, positions]`) times the matching upstream gradient
 * `[positions, cout]`. The cost is at most that of the forward conv whatever
 * the dilation (taps that only read padding cost nothing), no dilated filter
 * is ever built, and neither operand is transposed inside `BatchMatMul`
 * (a transposed-A product measured ~13× slower on wasm).
 *
 * @param x Forward input `[n, h, w, cin]`.
 * @param dy Upstream gradient `[n, ho, wo, cout]`.
 * @param filterShape `[kh, kw, cin, cout]`.
 * @param attrs The forward op's strides, dilations, pad, dimRoundingMode, dataFormat.
 * @returns The filter gradient `[kh, kw, cin, cout]`.
 */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  attrs: ConvAttrs,
): tf.Tensor4D {
  const g = convGeometry('Conv2D filter gradient', x.shape, filterShape, attrs, false);
  checkUpstream('Conv2D filter gradient', dy.shape, [g.batch, g.outHeight, g.outWidth, g.outChannels]);
  const plain = g.strideHeight === 1 && g.strideWidth === 1 && g.dilationHeight === 1 && g.dilationWidth === 1;
  if (plain && g.filterHeight * g.filterWidth > 1 && x.size <= AS_CONV_MAX_INPUT) return conv2dFilterGradAsConv(x, dy, g);
  return conv2dFilterGradByTaps(x, dy, g);
}

/**
 * The per-tap route of {@link conv2dFilterGrad} (see there), for any
 * geometry; what it uses for strided, dilated and 1×1 convolutions.
 */
export function conv2dFilterGradByTaps(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const filterShape: [number, number, number, number] = [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels];
  return tf.tidy(() => {
    const cin = g.inChannels;
    const cout = g.outChannels;
    const dyFull = tf.reshape(dy, [g.batch * g.outHeight * g.outWidth, cout]);
    const taps: tf.Tensor2D[] = [];
    forEachTap(x, g, (_a, _b, window) => {
      if (window == null) {
        taps.push(tf.zeros([cin, cout]));
        return;
      }
      const positions = g.batch * window.rows * window.cols;
      const dyWindow = window.full
        ? dyFull
        : tf.reshape(
            tf.slice(dy, [0, window.outTop, window.outLeft, 0], [g.batch, window.rows, window.cols, cout]),
            [positions, cout],
          );
      taps.push(tf.matMul(tf.reshape(window.x, [cin, positions]), dyWindow));
      if (dyWindow !== dyFull) dyWindow.dispose();
    });
    return tf.reshape(tf.stack(taps), filterShape);
  });
}

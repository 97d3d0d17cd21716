import * as tf from '@tensorflow/tfjs-core';
import { type ConvAttrs, convGeometry } from './conv-geometry.js';
import { checkUpstream } from './conv2d-input-grad.js';
import { forEachTap } from './tap-windows.js';

/**
 * Gradient of an NHWC `tf.depthwiseConv2d` with respect to its filter, for any
 * dilation at stride 1 and any stride at dilation 1, with 'same', 'valid',
 * numeric or explicit padding.
 *
 * At stride 1 it is itself a depthwise convolution: the input (batch folded
 * into channels) correlated with the upstream gradient used as a
 * `[ho, wo, n·c, multiplier]` filter, with the forward dilation as its stride;
 * on wasm that runs in XNNPACK, ~5× faster than per-tap products. At stride
 * s > 1 that filter would need dilation s, and large dilated kernels have
 * crashed the wasm backend, so strided convs use per-tap products instead:
 * the input samples a tap sees times the matching upstream gradient, summed
 * over positions along the last (channel-major) axis.
 *
 * @param x Forward input `[n, h, w, c]`.
 * @param dy Upstream gradient `[n, ho, wo, c·multiplier]`.
 * @param filterShape `[kh, kw, c, multiplier]`.
 * @param attrs The forward op's strides, dilations, pad, dimRoundingMode.
 * @returns The filter gradient `[kh, kw, c, multiplier]`.
 */
export function depthwiseConv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  attrs: ConvAttrs,
): tf.Tensor4D {
  const op = 'DepthwiseConv2dNative filter gradient';
  const g = convGeometry(op, x.shape, filterShape, attrs, true);
  checkUpstream(op, dy.shape, [g.batch, g.outHeight, g.outWidth, g.outChannels]);
  const [kh, kw, c, multiplier] = filterShape;
  if (g.strideHeight === 1 && g.strideWidth === 1) {
    return tf.tidy(() => {
      const n = g.batch;
      const foldBatch = (t: tf.Tensor4D, channels: number): tf.Tensor4D => {
        const [, h, w] = t.shape;
        return n === 1
          ? tf.reshape(t, [1, h, w, channels])
          : tf.reshape(tf.transpose(t, [1, 2, 0, 3]), [1, h, w, n * channels]);
      };
      const input = foldBatch(x, c);
      const upstream = tf.reshape(foldBatch(dy, c * multiplier), [g.outHeight, g.outWidth, n * c, multiplier]);
      const rowsNeeded = (kh - 1) * g.dilationHeight + g.outHeight;
      const colsNeeded = (kw - 1) * g.dilationWidth + g.outWidth;
      const bottom = rowsNeeded - g.inHeight - g.padTop;
      const right = colsNeeded - g.inWidth - g.padLeft;
      const cropped =
        bottom < 0 || right < 0
          ? tf.slice(input, 0, [1, g.inHeight + Math.min(0, bottom), g.inWidth + Math.min(0, right), n * c])
          : input;
      const perBatch = tf.depthwiseConv2d(
        cropped as tf.Tensor4D,
        upstream as tf.Tensor4D,
        [g.dilationHeight, g.dilationWidth],
        [
          [0, 0],
          [g.padTop, Math.max(0, bottom)],
          [g.padLeft, Math.max(0, right)],
          [0, 0],
        ],
      );
      if (n === 1) return tf.reshape(perBatch, filterShape);
      return tf.reshape(tf.sum(tf.reshape(perBatch, [kh, kw, n, c * multiplier]), 2), filterShape);
    });
  }
  return tf.tidy(() => {
    const dyChannelMajor = tf.transpose(dy, [3, 0, 1, 2]);
    const taps: tf.Tensor[] = [];
    forEachTap(x, g, (_a, _b, window) => {
      if (window == null) {
        taps.push(tf.zeros([c, multiplier]));
        return;
      }
      const positions = g.batch * window.rows * window.cols;
      taps.push(
        tf.tidy(() => {
          const dyWindow = window.full
            ? dyChannelMajor
            : tf.slice(dyChannelMajor, [0, 0, window.outTop, window.outLeft], [c * multiplier, g.batch, window.rows, window.cols]);
          const product = tf.mul(tf.reshape(window.x, [c, 1, positions]), tf.reshape(dyWindow, [c, multiplier, positions]));
          return tf.sum(product, -1);
        }),
      );
    });
    return tf.reshape(tf.stack(taps), filterShape);
  });
}

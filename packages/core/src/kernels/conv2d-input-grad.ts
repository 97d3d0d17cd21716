import * as tf from '@tensorflow/tfjs-core';
import { type ConvAttrs, convGeometry, upstreamForTransposedConv } from './conv-geometry.js';
import { type PhaseConv, pickTaps, reversedRange, stridedInputGrad } from './strided-input-grad.js';

/**
 * Gradient of an NHWC `tf.conv2d` with respect to its input, for any dilation
 * at stride 1 and any stride at dilation 1, with 'same', 'valid', numeric or
 * explicit padding.
 *
 * Computed as a forward convolution (at the same dilation) of the upstream
 * gradient with the spatially flipped filter whose in/out channels are
 * swapped (one per stride phase for strides > 1), so its cost is that of the
 * forward conv whatever the dilation rate.
 *
 * @param xShape Shape of the forward op's input `[n, h, w, cin]`.
 * @param dy Upstream gradient `[n, ho, wo, cout]`.
 * @param filter Forward filter `[kh, kw, cin, cout]`.
 * @param attrs The forward op's strides, dilations, pad, dimRoundingMode, dataFormat.
 * @returns The input gradient, shaped like `xShape`.
 */
export function conv2dInputGrad(xShape: number[], dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: ConvAttrs): tf.Tensor4D {
  const g = convGeometry('Conv2D input gradient', xShape, filter.shape, attrs, false);
  checkUpstream('Conv2D input gradient', dy.shape, [g.batch, g.outHeight, g.outWidth, g.outChannels]);
  const flippedConv: PhaseConv = (z, taps, pad) =>
    tf.conv2d(z, tf.transpose(taps, [0, 1, 3, 2]), 1, pad, 'NHWC', [
      g.dilationHeight,
      g.dilationWidth,
    ]);
  return tf.tidy(() => {
    if (g.strideHeight > 1 || g.strideWidth > 1) return stridedInputGrad(dy, filter, g, g.inChannels, flippedConv);
    const { z, pad } = upstreamForTransposedConv(dy, g);
    return flippedConv(z, pickTaps(filter, reversedRange(0, filter.shape[0], 1), reversedRange(0, filter.shape[1], 1)), pad);
  });
}

/**
 * Throws if an upstream gradient's shape differs from the forward output's.
 *
 * @internal
 */
export function checkUpstream(op: string, actual: number[], expected: number[]): void {
  if (actual.length !== 4 || actual.some((d, i) => d !== expected[i])) {
    throw new Error(`${op}: upstream gradient has shape [${actual}], expected the forward output's [${expected}]`);
  }
}

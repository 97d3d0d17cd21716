import * as tf from '@tensorflow/tfjs-core';
import { type ConvAttrs, convGeometry, upstreamForTransposedConv } from './conv-geometry.js';
import { type PhaseConv, pickTaps, reversedRange, stridedInputGrad } from './strided-input-grad.js';
import { checkUpstream } from './conv2d-input-grad.js';

/**
 * Gradient of an NHWC `tf.depthwiseConv2d` with respect to its input, for any
 * dilation at stride 1 and any stride at dilation 1, with 'same', 'valid',
 * numeric or explicit padding.
 *
 * A forward depthwise convolution (at the same dilation) of the upstream
 * gradient with the flipped filter (one per stride phase for strides > 1),
 * then a sum over the channel multiplier; its cost does not grow with the
 * dilation rate.
 *
 * @param xShape Shape of the forward op's input `[n, h, w, c]`.
 * @param dy Upstream gradient `[n, ho, wo, c·multiplier]`.
 * @param filter Forward filter `[kh, kw, c, multiplier]`.
 * @param attrs The forward op's strides, dilations, pad, dimRoundingMode.
 * @returns The input gradient, shaped like `xShape`.
 */
export function depthwiseConv2dInputGrad(
  xShape: number[],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: ConvAttrs,
): tf.Tensor4D {
  const op = 'DepthwiseConv2dNative input gradient';
  const g = convGeometry(op, xShape, filter.shape, attrs, true);
  checkUpstream(op, dy.shape, [g.batch, g.outHeight, g.outWidth, g.outChannels]);
  const [, , c, multiplier] = filter.shape;
  const flippedConv: PhaseConv = (z, taps, pad) => {
    const [kh, kw] = taps.shape;
    const flipped = tf.reshape(taps, [kh, kw, c * multiplier, 1]) as tf.Tensor4D;
    const perOutput = tf.depthwiseConv2d(z, flipped, 1, pad, 'NHWC', [g.dilationHeight, g.dilationWidth]);
    if (multiplier === 1) return perOutput;
    const [n, h, w] = perOutput.shape;
    return tf.sum(tf.reshape(perOutput, [n, h, w, c, multiplier]), -1) as tf.Tensor4D;
  };
  return tf.tidy(() => {
    if (g.strideHeight > 1 || g.strideWidth > 1) return stridedInputGrad(dy, filter, g, c, flippedConv);
    const { z, pad } = upstreamForTransposedConv(dy, g);
    return flippedConv(z, pickTaps(filter, reversedRange(0, filter.shape[0], 1), reversedRange(0, filter.shape[1], 1)), pad);
  });
}

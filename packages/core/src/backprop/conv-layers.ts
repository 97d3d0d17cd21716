/**
 * tfjs-layers' `Conv2D` (and `@seg/core`'s `AtrousConv2D`, which has its
 * weights and forward pass, and `AtrousDepthwiseConv2D`) in a layer-by-layer
 * training step: the forward keeps the input, plus what the activation's
 * backward needs (nothing when linear, the output for a ReLU); the backward
 * runs the convolution gradient that is registered with tfjs (`@seg/core`'s
 * dilation-aware one), so every backend uses the same convolution gradients
 * as `tf.variableGrads` would.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { activationStep } from './activation-gradient.js';
import type { LayerGradient } from './layer-gradient.js';
import { type ConvFields, convFields } from './tfjs-layer-fields.js';

/**
 * A 2-D convolution layer's forward pass up to its activation: `tf.conv2d`
 * of the NHWC input (unfused, so the registry's gradient applies under the
 * tape too) plus the bias. `AtrousConv2D.call` and {@link conv2dGradient}
 * both run it, so the layer's math is written once.
 */
export function conv2dBeforeActivation(f: ConvFields, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const y = tf.conv2d(x as tf.Tensor4D, f.kernel!.read() as tf.Tensor4D, f.strides, f.padding as 'same' | 'valid', 'NHWC', f.dilationRate);
    return f.bias ? tf.add(y, f.bias.read()) : y;
  });
}

/** A convolution as a training step needs it: its kernel, its forward pass up to the activation, and the tfjs kernel whose registered gradient it runs. */
export interface Convolution {
  kernel(f: ConvFields): tfl.LayerVariable;
  beforeActivation(f: ConvFields, x: tf.Tensor): tf.Tensor;
  /** `Conv2D` or `DepthwiseConv2dNative`: their registered gradients take the same saved tensors and attributes. */
  gradientOf: 'Conv2D' | 'DepthwiseConv2dNative';
}

/** The training step of a convolution layer with any activation, NHWC (channels-first ones are recomputed instead). */
export function convolutionGradient(conv: Convolution): LayerGradient {
  return {
    supports(layer) {
      const f = convFields(layer);
      return f.dataFormat === 'channelsLast' && f.padding !== 'causal';
    },
    step(layer, [x], keep) {
      const f = convFields(layer);
      const kernel = conv.kernel(f);
      const filter = kernel.read() as tf.Tensor4D;
      const activation = activationStep(f.activation, conv.beforeActivation(f, x), keep);
      return {
        outputs: [activation.y],
        saved: keep ? [x, ...activation.saved] : [],
        backward([dy], want) {
          const weights = new Map<tfl.LayerVariable, tf.Tensor>();
          if (dy === null) return { inputs: [null], weights };
          const g = activation.backward(dy);
          const attrs = { strides: f.strides, pad: f.padding, dataFormat: 'NHWC', dilations: f.dilationRate };
          const grad = tf.getGradient(conv.gradientOf).gradFunc(g, [x, filter], attrs as unknown as tf.NamedAttrMap);
          const dx = want.inputs[0] ? tf.tidy(grad.x) : null;
          if (want.weights.has(kernel)) weights.set(kernel, tf.tidy(grad.filter));
          if (f.bias && want.weights.has(f.bias)) weights.set(f.bias, tf.sum(g, [0, 1, 2]));
          if (g !== dy) g.dispose();
          return { inputs: [dx], weights };
        },
      };
    },
  };
}

/** A `Conv2D` / `AtrousConv2D` with any activation, NHWC. */
export const conv2dGradient: LayerGradient = convolutionGradient({
  kernel: (f) => f.kernel!,
  beforeActivation: conv2dBeforeActivation,
  gradientOf: 'Conv2D',
});

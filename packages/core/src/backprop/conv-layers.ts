/**
 * Convolution layers (tfjs-layers' `Conv2D` and `@seg/core`'s `AtrousConv2D`)
 * in a layer-by-layer training step: the forward keeps the input (and the
 * output, for a fused ReLU); the backward runs the `Conv2D` gradient that is
 * registered with tfjs (`@seg/core`'s dilation-aware one), so every backend
 * uses the same convolution gradients as `tf.variableGrads` would.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type Layer, type LayerGradient, registerLayerGradient } from './layer-gradient.js';

/** The fields of tfjs-layers' `Conv2D` read here (protected in its typings). */
interface ConvFields {
  kernel: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
  strides: [number, number];
  padding: 'same' | 'valid';
  dilationRate: [number, number];
  dataFormat: string;
  activation: { getClassName(): string };
}

const fields = (layer: Layer) => layer as unknown as ConvFields;

/** Conv2D / AtrousConv2D with a linear or ReLU activation, NHWC. */
export const convGradient: LayerGradient = {
  supports(layer) {
    const f = fields(layer);
    return f.dataFormat === 'channelsLast' && f.padding !== ('causal' as string) && ['linear', 'relu'].includes(f.activation.getClassName().toLowerCase());
  },
  step(layer, [x], keep) {
    const f = fields(layer);
    const relu = f.activation.getClassName().toLowerCase() === 'relu';
    const kernel = f.kernel.read() as tf.Tensor4D;
    const y = tf.tidy(() => {
      let out: tf.Tensor = tf.conv2d(x as tf.Tensor4D, kernel, f.strides, f.padding, 'NHWC', f.dilationRate);
      if (f.bias) out = tf.add(out, f.bias.read());
      return relu ? tf.relu(out) : out;
    });
    return {
      outputs: [y],
      saved: keep ? (relu ? [x, y] : [x]) : [],
      backward([dy], want) {
        const weights = new Map<tfl.LayerVariable, tf.Tensor>();
        if (dy === null) return { inputs: [null], weights };
        const g = relu ? tf.tidy(() => tf.mul(dy, tf.step(y))) : dy;
        const attrs = { strides: f.strides, pad: f.padding, dataFormat: 'NHWC', dilations: f.dilationRate };
        const grad = tf.getGradient('Conv2D').gradFunc(g, [x, kernel], attrs as unknown as tf.NamedAttrMap);
        const dx = want.inputs[0] ? tf.tidy(grad.x) : null;
        if (want.weights.has(f.kernel)) weights.set(f.kernel, tf.tidy(grad.filter));
        if (f.bias && want.weights.has(f.bias)) weights.set(f.bias, tf.sum(g, [0, 1, 2]));
        if (g !== dy) g.dispose();
        return { inputs: [dx], weights };
      },
    };
  },
};

registerLayerGradient('Conv2D', convGradient);
registerLayerGradient('AtrousConv2D', convGradient);

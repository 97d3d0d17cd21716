/**
 * Weight-free elementwise layers in a layer-by-layer training step: `ReLU`
 * keeps its output (as PyTorch's in-place ReLU), `Add` keeps nothing,
 * `Multiply` keeps its inputs, `Dropout` keeps its scaled mask.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type Layer, type LayerGradient, registerLayerGradient } from './layer-gradient.js';

const noWeights = () => new Map<tfl.LayerVariable, tf.Tensor>();

export const reluGradient: LayerGradient = {
  supports: (layer) => (layer as unknown as { maxValue?: number }).maxValue == null,
  step(_layer, [x], keep) {
    const y = tf.relu(x);
    return {
      outputs: [y],
      saved: keep ? [y] : [],
      backward: ([dy], want) => ({
        inputs: [dy !== null && want.inputs[0] ? tf.tidy(() => tf.mul(dy, tf.step(y))) : null],
        weights: noWeights(),
      }),
    };
  },
};

export const addGradient: LayerGradient = {
  step(_layer, inputs) {
    return {
      // Pairwise, not AddN: WebGPU's AddN binds every input at once, beyond some adapters' limits.
      outputs: [tf.tidy(() => inputs.reduce((sum, x) => tf.add(sum, x)))],
      saved: [],
      // The same tensor for every input: the caller gives each its own handle.
      backward: ([dy], want) => ({ inputs: want.inputs.map((w) => (w ? dy : null)), weights: noWeights() }),
    };
  },
};

/** Sums a gradient over the axes along which a tensor of `shape` was broadcast, giving it that shape. */
function reduceToShape(g: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = g.shape.map((d, i) => (shape[i] === 1 && d !== 1 ? i : -1)).filter((i) => i >= 0);
  return axes.length > 0 ? tf.reshape(tf.sum(g, axes, true), shape) : g;
}

/** tfjs-layers' `Multiply` (with broadcasting, as a squeeze-excitation scale uses it). */
export const multiplyGradient: LayerGradient = {
  step(_layer, inputs, keep) {
    return {
      outputs: [tf.tidy(() => inputs.reduce((product, x) => tf.mul(product, x)))],
      saved: keep ? [...inputs] : [],
      backward: ([dy], want) => ({
        inputs: inputs.map((x, i) =>
          dy !== null && want.inputs[i]
            ? tf.tidy(() => reduceToShape(inputs.reduce((g, other, j) => (j === i ? g : tf.mul(g, other)), dy), x.shape))
            : null,
        ),
        weights: noWeights(),
      }),
    };
  },
};

interface DropoutFields {
  rate: number;
  noiseShape?: Array<number | null>;
  seed?: number;
}

/** tfjs's `tf.dropout` with its mask kept: x · ⌊U + keep⌋ / keep, the mask broadcast over `noiseShape`. */
export const dropoutGradient: LayerGradient = {
  step(layer: Layer, [x], keep) {
    const { rate, noiseShape, seed } = layer as unknown as DropoutFields;
    if (!(rate > 0)) return { outputs: [x], saved: [], backward: ([dy]) => ({ inputs: [dy], weights: noWeights() }) };
    const keepProb = 1 - rate;
    // Keras's noise shape: a null axis takes the input's size (spatial dropout is [null, 1, 1, null]).
    const shape = noiseShape ? noiseShape.map((d, i) => d ?? x.shape[i]) : x.shape;
    const mask = tf.tidy(() => tf.div(tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', seed), keepProb)), keepProb));
    const y = tf.mul(x, mask);
    if (!keep) mask.dispose();
    return {
      outputs: [y],
      saved: keep ? [mask] : [],
      backward: ([dy], want) => ({
        inputs: [dy !== null && want.inputs[0] ? tf.mul(dy, mask) : null],
        weights: noWeights(),
      }),
    };
  },
};

registerLayerGradient('ReLU', reluGradient);
registerLayerGradient('Add', addGradient);
registerLayerGradient('Multiply', multiplyGradient);
registerLayerGradient('Dropout', dropoutGradient);

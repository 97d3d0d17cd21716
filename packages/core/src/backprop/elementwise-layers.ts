/**
 * Weight-free elementwise layers in a layer-by-layer training step: `ReLU`
 * keeps its output (as PyTorch's in-place ReLU), `Add` keeps nothing,
 * `Dropout` keeps its scaled mask.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LayerGradient } from './layer-gradient.js';
import { recomputeGradient } from './recompute-gradient.js';

const noWeights = () => new Map<tfl.LayerVariable, tf.Tensor>();

/** tfjs-layers' `ReLU` without a `maxValue` (a clipped one is recomputed instead). */
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

/** tfjs-layers' `Add` of same-shaped inputs; broadcasting ones are recomputed (their gradients need summing). */
export const addGradient: LayerGradient = {
  step(layer, inputs, keep) {
    const shape = inputs[0].shape;
    if (inputs.some((x) => !tf.util.arraysEqual(x.shape, shape))) return recomputeGradient.step(layer, inputs, keep);
    return {
      // Pairwise, not AddN: WebGPU's AddN binds every input at once, beyond some adapters' limits.
      outputs: [tf.tidy(() => inputs.reduce((sum, x) => tf.add(sum, x)))],
      saved: [],
      // The same tensor for every input: the caller gives each its own handle.
      backward: ([dy], want) => ({ inputs: want.inputs.map((w) => (w ? dy : null)), weights: noWeights() }),
    };
  },
};

/** The fields of tfjs-layers' `Dropout` read here; `getNoiseShape` is protected in its typings. */
interface DropoutFields {
  rate: number;
  seed?: number;
  getNoiseShape(x: tf.Tensor): number[] | null | undefined;
}

/**
 * tfjs's `tf.dropout` with its mask kept: x · ⌊U + keep⌋ / keep, the mask
 * broadcast over the layer's noise shape. A seeded layer draws the same mask
 * as tfjs-layers' own call (the same one at every step, as there); an
 * unseeded one another mask of the same law, whose gradient is the one of
 * this step's output, from `Math.random` (which a seeded trainer's step
 * draws from its seed and step, see `withSeededRandom`).
 */
export const dropoutGradient: LayerGradient = {
  step(layer, [x], keep) {
    const f = layer as unknown as DropoutFields;
    // tfjs-layers' Dropout passes its input through unless 0 < rate < 1.
    if (!(f.rate > 0 && f.rate < 1)) return { outputs: [x], saved: [], backward: ([dy]) => ({ inputs: [dy], weights: noWeights() }) };
    const keepProb = 1 - f.rate;
    const shape = f.getNoiseShape(x) ?? x.shape;
    const mask = tf.tidy(() => tf.div(tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', f.seed), keepProb)), keepProb));
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

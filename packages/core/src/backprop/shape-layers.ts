/**
 * Layers that move values without arithmetic on them — `ZeroPadding2D`,
 * `Reshape`, `Concatenate`, `GlobalAveragePooling2D`, `MaxPooling2D` — in a
 * layer-by-layer training step. Only max pooling keeps tensors (its input
 * and output, as tfjs's `MaxPool` gradient needs).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Layer, LayerGradient } from './layer-gradient.js';

const noWeights = () => new Map<tfl.LayerVariable, tf.Tensor>();
const channelsLast = (layer: Layer) => (layer as unknown as { dataFormat?: string }).dataFormat !== 'channelsFirst';

export const zeroPadding2dGradient: LayerGradient = {
  supports: channelsLast,
  step(layer, [x]) {
    const [[top, bottom], [left, right]] = (layer as unknown as { padding: [[number, number], [number, number]] }).padding;
    const [, h, w] = x.shape;
    return {
      outputs: [tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]])],
      saved: [],
      backward: ([dy], want) => ({
        inputs: [dy !== null && want.inputs[0] ? tf.slice(dy, [0, top, left, 0], [-1, h, w, -1]) : null],
        weights: noWeights(),
      }),
    };
  },
};

export const reshapeGradient: LayerGradient = {
  step(layer, [x]) {
    const target = (layer as unknown as { targetShape: number[] }).targetShape;
    const shape = [...x.shape];
    return {
      outputs: [tf.reshape(x, [x.shape[0], ...target])],
      saved: [],
      backward: ([dy], want) => ({ inputs: [dy !== null && want.inputs[0] ? tf.reshape(dy, shape) : null], weights: noWeights() }),
    };
  },
};

export const concatenateGradient: LayerGradient = {
  step(layer, inputs) {
    const axis = (layer as unknown as { axis: number }).axis;
    const rank = inputs[0].rank;
    const along = axis < 0 ? axis + rank : axis;
    const sizes = inputs.map((t) => t.shape[along]);
    return {
      outputs: [tf.concat(inputs, along)],
      saved: [],
      backward([dy], want) {
        if (dy === null) return { inputs: inputs.map(() => null), weights: noWeights() };
        const parts = tf.split(dy, sizes, along);
        return {
          inputs: parts.map((p, i) => {
            if (want.inputs[i]) return p;
            p.dispose();
            return null;
          }),
          weights: noWeights(),
        };
      },
    };
  },
};

export const globalAveragePooling2dGradient: LayerGradient = {
  supports: channelsLast,
  step(_layer, [x]) {
    const [b, h, w, c] = x.shape;
    return {
      outputs: [tf.mean(x, [1, 2])],
      saved: [],
      backward: ([dy], want) => ({
        inputs: [
          dy !== null && want.inputs[0] ? tf.tidy(() => tf.broadcastTo(tf.reshape(tf.div(dy, h * w), [b, 1, 1, c]), [b, h, w, c])) : null,
        ],
        weights: noWeights(),
      }),
    };
  },
};

interface PoolFields {
  poolSize: [number, number];
  strides: [number, number];
  padding: 'valid' | 'same';
}

export const maxPooling2dGradient: LayerGradient = {
  supports: channelsLast,
  step(layer, [x], keep) {
    const { poolSize, strides, padding } = layer as unknown as PoolFields;
    const y = tf.maxPool(x as tf.Tensor4D, poolSize, strides, padding);
    return {
      outputs: [y],
      saved: keep ? [x, y] : [],
      backward([dy], want) {
        if (dy === null || !want.inputs[0]) return { inputs: [null], weights: noWeights() };
        const grad = tf.getGradient('MaxPool').gradFunc(dy, [x, y], { filterSize: poolSize, strides, pad: padding });
        return { inputs: [tf.tidy(grad.x)], weights: noWeights() };
      },
    };
  },
};

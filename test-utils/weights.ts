import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Gives every weight of `model` seeded values that look trained: kernels
 * He-scaled normal, biases and batch-norm shifts small, batch-norm scales in
 * [0.5, 1.5], running means non-zero and running variances in [0.5, 2], so a
 * converter that dropped or swapped a weight, or ignored the statistics, shows.
 */
export function randomizeWeights(model: tfl.LayersModel, seed: number): void {
  let s = seed;
  const next = () => ++s;
  const visit = (layer: tfl.layers.Layer): void => {
    const nested = (layer as unknown as { layers?: tfl.layers.Layer[] }).layers;
    if (nested) {
      nested.forEach(visit);
      return;
    }
    if (layer.weights.length === 0) return;
    const values = layer.weights.map((w) => {
      const name = w.originalName.slice(w.originalName.lastIndexOf('/') + 1).replace(/_\d+$/, '');
      const shape = w.shape as number[];
      if (name === 'gamma') return tf.randomUniform(shape, 0.5, 1.5, 'float32', next());
      if (name === 'moving_variance') return tf.randomUniform(shape, 0.5, 2, 'float32', next());
      if (shape.length === 1) return tf.randomNormal(shape, 0, 0.1, 'float32', next());
      const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      return tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', next());
    });
    layer.setWeights(values);
    tf.dispose(values);
  };
  model.layers.forEach(visit);
}

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Layer, LayerGradient } from './layer-gradient.js';

/**
 * A layer-by-layer step for any deterministic layer without running state:
 * the forward keeps only the inputs, and the backward runs the layer again
 * under tfjs's tape to take its vector-Jacobian product (Σ y · dy
 * differentiated), trading one more forward of this layer for not writing
 * its gradient by hand. Not for layers with randomness (dropout) or
 * statistics updated in training mode (batch norm): the second run would
 * differ or update them twice.
 */
export const recomputeGradient: LayerGradient = {
  supports: (layer) => layer.nonTrainableWeights.length === 0,
  step(layer, inputs, keep) {
    const outputs = tf.tidy(() => [layer.call(inputs.length === 1 ? inputs[0] : inputs, { training: true })].flat()) as tf.Tensor[];
    return {
      outputs,
      saved: keep ? [...inputs] : [],
      backward(dys, want) {
        // Variables that share the inputs' data (no copy), so the tape can differentiate by them.
        const xs = inputs.map((x, i) => (want.inputs[i] ? tf.variable(x, true) : null));
        const weightVars = layer.trainableWeights.filter((w) => want.weights.has(w));
        const vars = [...weightVars.map((w) => w.read() as tf.Variable), ...xs.filter((v): v is tf.Variable => v !== null)];
        const feed = inputs.map((x, i) => xs[i] ?? x);
        const { value, grads } = tf.variableGrads(() => {
          const ys = [layer.call(feed.length === 1 ? feed[0] : feed, { training: true })].flat() as tf.Tensor[];
          return ys.map((y, i) => tf.sum(tf.mul(y, dys[i] ?? 0))).reduce((sum, t) => tf.add(sum, t)) as tf.Scalar;
        }, vars);
        value.dispose();
        const weights = new Map<tfl.LayerVariable, tf.Tensor>(weightVars.map((w) => [w, grads[(w.read() as tf.Variable).name]]));
        const result = { inputs: xs.map((v) => (v ? grads[v.name] : null)), weights };
        tf.dispose(xs.filter((v): v is tf.Variable => v !== null));
        return result;
      },
    };
  },
};

/**
 * `gradient` where it covers the layer, else {@link recomputeGradient}: for
 * deterministic layer classes whose written gradient covers only some
 * configurations (a channels-first conv, a clipped ReLU).
 */
export function orRecompute(gradient: LayerGradient): LayerGradient {
  const covers = (layer: Layer) => gradient.supports?.(layer) ?? true;
  return {
    supports: (layer) => covers(layer) || (recomputeGradient.supports?.(layer) ?? true),
    step: (layer, inputs, keep) => (covers(layer) ? gradient : recomputeGradient).step(layer, inputs, keep),
  };
}

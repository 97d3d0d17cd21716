import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { layerGraph } from './layer-graph.js';

/**
 * Runs `model` on `inputs` (`model.apply`'s result, without its repeats),
 * calling each layer once (a nested model such as
 * DeepLabV3+'s trunk included, however many outputs it feeds). In inference
 * mode each intermediate tensor is freed after its last reader, so the peak
 * memory is that of the widest point of the graph, not the sum of a nested
 * model's activations; in training mode they stay for the gradient tape.
 * Returns the model's outputs, which the caller disposes.
 *
 * @throws If the number of inputs differs from the model's.
 */
export function runOnce(model: tfl.LayersModel, inputs: tf.Tensor | readonly tf.Tensor[], training = false): tf.Tensor[] {
  const graph = layerGraph(model);
  const fed = Array.isArray(inputs) ? inputs : [inputs as tf.Tensor];
  if (fed.length !== graph.inputs.length) {
    throw new Error(`model "${model.name}" takes ${graph.inputs.length} input(s), got ${fed.length}`);
  }
  return tf.tidy(() => {
    const values: Array<tf.Tensor | undefined> = [];
    graph.inputs.forEach((slot, i) => {
      values[slot] = fed[i];
    });
    graph.calls.forEach((call, k) => {
      const args = call.inputs.map((s) => values[s] as tf.Tensor);
      const out = call.layer.apply(args.length === 1 ? args[0] : args, { training }) as tf.Tensor | tf.Tensor[];
      const outs = Array.isArray(out) ? out : [out];
      call.outputs.forEach((slot, i) => {
        values[slot] = outs[i];
      });
      for (const s of new Set(call.inputs)) {
        if (!training && graph.lastUse[s] === k) {
          values[s]?.dispose();
          values[s] = undefined;
        }
      }
    });
    return graph.outputs.map((s) => values[s] as tf.Tensor);
  });
}

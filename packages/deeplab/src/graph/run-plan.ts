import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { layerPlan } from './layer-plan.js';

/**
 * Runs `model` on `inputs`, calling each layer once (a nested model such as
 * DeepLabV3+'s trunk included, however many outputs it feeds). In inference
 * mode each intermediate tensor is freed after its last reader, so the peak
 * memory is that of the widest point of the graph, not the sum of a nested
 * model's activations; in training mode they stay for the gradient tape.
 * Returns the model's outputs, which the caller disposes.
 *
 * @throws If the number of inputs differs from the model's.
 */
export function runOnce(model: tfl.LayersModel, inputs: tf.Tensor | readonly tf.Tensor[], training = false): tf.Tensor[] {
  const plan = layerPlan(model);
  const fed = Array.isArray(inputs) ? inputs : [inputs as tf.Tensor];
  if (fed.length !== plan.inputs.length) {
    throw new Error(`model "${model.name}" takes ${plan.inputs.length} input(s), got ${fed.length}`);
  }
  return tf.tidy(() => {
    const values: Array<tf.Tensor | undefined> = [];
    plan.inputs.forEach((slot, i) => {
      values[slot] = fed[i];
    });
    plan.steps.forEach((step, k) => {
      const args = step.inputs.map((s) => values[s] as tf.Tensor);
      const out = step.layer.apply(args.length === 1 ? args[0] : args, { training }) as tf.Tensor | tf.Tensor[];
      const outs = Array.isArray(out) ? out : [out];
      step.outputs.forEach((slot, i) => {
        values[slot] = outs[i];
      });
      for (const s of new Set(step.inputs)) {
        if (!training && plan.lastUse[s] === k) {
          values[s]?.dispose();
          values[s] = undefined;
        }
      }
    });
    return plan.outputs.map((s) => values[s] as tf.Tensor);
  });
}

/**
 * A model's weights as plain values: serialised into checkpoints and replica
 * buffers, and written back. Weights are keyed by position and
 * `originalName` (the name without tfjs's `_1`, `_2` de-duplication suffix),
 * so a model rebuilt in another process, where the suffixes differ, still
 * matches.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, LayerVariable } from '@tensorflow/tfjs-layers';
import { encodeSafetensors, parseSafetensors, type SafetensorsInput, safetensorsToFloat32 } from '../../io/safetensors.js';

/** Bumped when the layout of checkpoints changes incompatibly (2: state in sections, configuration fingerprint). */
export const CHECKPOINT_FORMAT = 2;

function weightKey(index: number, originalName: string): string {
  return `${String(index).padStart(4, '0')}:${originalName}`;
}

/** Writes `values[i]` into `weights[i]` (each of its weight's size), replacing the weight's tensor. */
export function writeWeightValues(weights: readonly LayerVariable[], values: readonly Float32Array[]): void {
  for (const [i, w] of weights.entries()) {
    const t = tf.tensor(values[i], w.shape as number[], 'float32');
    w.write(t);
    t.dispose();
  }
}

/**
 * Serialises the model's weights (trainable and not: BatchNorm statistics
 * count), or `values` given in the model's weight order.
 */
export async function encodeModelWeights(model: LayersModel, values?: readonly tf.Tensor[]): Promise<Uint8Array> {
  const tensors: Record<string, SafetensorsInput> = {};
  // Read asynchronously: GPU backends (webgpu in Node) cannot read synchronously.
  for (const [i, w] of model.weights.entries()) {
    const v = values ? values[i] : w.read();
    tensors[weightKey(i, w.originalName)] = { dtype: 'F32', shape: v.shape, data: (await v.data()) as Float32Array };
  }
  return encodeSafetensors(tensors, { format: String(CHECKPOINT_FORMAT) });
}

/**
 * Reads weights saved by {@link encodeModelWeights}, checking count, names
 * and shapes against the model, and returns them in the model's weight order.
 */
export function decodeModelWeights(model: LayersModel, bytes: Uint8Array, source: string): Float32Array[] {
  const file = parseSafetensors(bytes, source);
  const saved = [...file.tensors.values()];
  if (saved.length !== model.weights.length) {
    throw new Error(`checkpoint ${source}: holds ${saved.length} weights, the model has ${model.weights.length}`);
  }
  return model.weights.map((w, i) => {
    const key = weightKey(i, w.originalName);
    const t = saved[i];
    if (t.name !== key) throw new Error(`checkpoint ${source}: weight ${i} is "${t.name}", the model expects "${key}"`);
    if (t.shape.join(',') !== w.shape.join(',')) {
      throw new Error(`checkpoint ${source}: weight "${key}" has shape [${t.shape}], the model expects [${w.shape}]`);
    }
    return safetensorsToFloat32(t);
  });
}

/**
 * Weights and gradients laid end to end in one `Float32Array`, as they travel
 * between a trainer and its replicas (a `SharedArrayBuffer` for threads,
 * structured clone for processes): the layout, and reading and writing a
 * model's weights through it.
 *
 * @module
 */
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { writeWeightValues } from '../checkpoint/model-weights.js';

/** Where each listed weight starts in a flat buffer, and the buffer's length. */
export interface FlatLayout {
  /** The weights laid out, as indices into `model.weights`. */
  indices: readonly number[];
  offsets: number[];
  length: number;
}

/** The layout of the weights `indices` (into `shapes`, the model's weight shapes), in that order. */
export function flatLayout(shapes: readonly number[][], indices: readonly number[]): FlatLayout {
  const offsets: number[] = [];
  let length = 0;
  for (const i of indices) {
    offsets.push(length);
    length += shapes[i].reduce((a, b) => a * b, 1);
  }
  return { indices, offsets, length };
}

/** Reads the laid-out weights of `weights` into `buffer` from `start` on (asynchronously: GPU backends read so). */
export async function readFlat(weights: readonly LayerVariable[], layout: FlatLayout, buffer: Float32Array, start = 0): Promise<void> {
  const values = await Promise.all(layout.indices.map((i) => weights[i].read().data<'float32'>()));
  for (const [j, v] of values.entries()) buffer.set(v, start + layout.offsets[j]);
}

/** Writes the laid-out weights of `weights` from `buffer` (from `start` on). */
export function writeFlat(weights: readonly LayerVariable[], layout: FlatLayout, buffer: Float32Array, start = 0): void {
  const targets = layout.indices.map((i) => weights[i]);
  const views = layout.indices.map((_, j) => {
    const from = start + layout.offsets[j];
    return buffer.subarray(from, from + targets[j].read().size);
  });
  writeWeightValues(targets, views);
}

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core alone registers no gradients; tfjs-layers (a peer of every @seg package) does.
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe } from 'vitest';

/** The backends every tfjs test runs on: tfjs-node cannot be installed in CI. */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;
export type TestBackend = (typeof TEST_BACKENDS)[number];

/** Switches tfjs to `name` and waits until it is ready. */
export async function useBackend(name: TestBackend): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend "${name}" failed to initialise`);
  await tf.ready();
}

/** Runs the same suite once per test backend. */
export function describeEachBackend(title: string, body: (backend: TestBackend) => void, backends = TEST_BACKENDS): void {
  for (const backend of backends) {
    describe(`${title} [${backend}]`, () => {
      beforeAll(() => useBackend(backend));
      body(backend);
    });
  }
}

/** Asserts that `fn` leaves the number of live tensors unchanged. */
export async function expectNoTensorLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`tensor leak: ${before} tensors before, ${after} after`);
  return result;
}

/**
 * Saves `model` through `tf.io`'s in-memory handlers and loads it back with
 * `tf.loadLayersModel`, as a browser round trip would (topology JSON, weight
 * manifest, one weight buffer).
 */
export async function roundTripInMemory(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return tfl.loadLayersModel(tf.io.fromMemory(saved!));
}

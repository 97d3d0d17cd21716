import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core alone registers no gradients; tfjs-layers (a peer of every @seg package) does.
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe } from 'vitest';
import { selectBackend } from '../packages/core/src/backends/select.js';

export type TestBackend = 'cpu' | 'wasm' | 'webgpu';

/**
 * Whether the tests also run on WebGPU: on whatever adapter Dawn finds,
 * software ones included (CI has Mesa's llvmpipe). `SEG_TEST_WEBGPU=1` makes a
 * missing adapter an error, so CI cannot silently drop the webgpu runs;
 * `SEG_TEST_WEBGPU=0` leaves them out.
 */
async function webgpuAvailable(): Promise<boolean> {
  const wanted = process.env.SEG_TEST_WEBGPU;
  if (wanted === '0') return false;
  try {
    await selectBackend(['webgpu'], { allowSoftwareGpu: true });
    return true;
  } catch (e) {
    if (wanted === '1') throw new Error(`SEG_TEST_WEBGPU=1 but the webgpu backend is not usable: ${(e as Error).message}`);
    return false;
  } finally {
    await tf.setBackend('cpu');
  }
}

/**
 * The backends every tfjs test runs on: tfjs-node cannot be installed in CI.
 *
 * Tolerances are the same on every backend, and each suite states its own
 * (conv gradients 1e-4 relative to torch, ResNet 1e-3, ASPP and DeepLabV3+
 * 1e-4, resize 1e-5 absolute, a training step 1e-5 / 2e-4 against cpu). They
 * hold on webgpu unchanged: Mesa's llvmpipe computes IEEE float32 like the
 * CPU backends and differs from them only in summation order (conv gradients
 * ~1e-6 relative to cpu). Hardware GPUs may also fuse multiply-adds or use
 * approximate exp/log; the bounds sit one to two orders above what is
 * measured here to leave room for that.
 */
export const TEST_BACKENDS: readonly TestBackend[] = ['cpu', 'wasm', ...((await webgpuAvailable()) ? (['webgpu'] as const) : [])];

/** Switches tfjs to `name` and waits until it is ready. */
export async function useBackend(name: TestBackend): Promise<void> {
  if (name === 'webgpu' && tf.findBackendFactory('webgpu') === null) {
    throw new Error('webgpu is not among TEST_BACKENDS here (no WebGPU adapter, or SEG_TEST_WEBGPU=0)');
  }
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

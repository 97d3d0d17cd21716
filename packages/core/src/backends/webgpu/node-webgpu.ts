import * as tf from '@tensorflow/tfjs-core';
import { gpuAdapterIndex, softwareGpuAllowed } from '../environment.js';
import { importPackage } from '../../io/runtime-import.js';
import { BACKEND_PACKAGES, DAWN_PACKAGE } from '../packages.js';
import { type BackendSkip, isBackendSkip, packageSkip, skipBackend } from '../skip.js';
import { findWebGpuAdapterList, type WebGpuAdapter, type WebGpuAdapterList } from './adapters.js';
import { installNavigatorGpu } from './navigator-gpu.js';

/** The GPU choices of `selectBackend` (see its `SelectBackendOptions`). */
export interface WebGpuChoice {
  allowSoftwareGpu?: boolean;
  gpuAdapter?: number;
}

function listAdapters(adapters: readonly WebGpuAdapter[]): string {
  return adapters.map((a) => `${a.index}: ${a.description}${a.software ? ' [software]' : ''}`).join('; ');
}

/**
 * The WebGPU adapters Dawn offers this Node process (with what Dawn printed
 * while probing), or why Dawn cannot be asked (its package is missing or
 * does not load).
 */
export async function findWebGpuAdapters(): Promise<WebGpuAdapterList | BackendSkip> {
  const failed = await importPackage(DAWN_PACKAGE.name);
  if (failed) return packageSkip('webgpu', DAWN_PACKAGE.name, failed);
  try {
    return await findWebGpuAdapterList();
  } catch (e) {
    return skipBackend('webgpu', 'load-failed', { package: DAWN_PACKAGE.name, error: (e as Error).message.split('\n')[0] });
  }
}

/**
 * The WebGPU adapter `choice` asks for, or why there is none to use.
 *
 * @internal
 * @throws On bad input: an adapter index out of range, or software GPUs
 *   allowed (or an adapter asked for) when Dawn finds no adapter at all.
 */
export function pickWebGpuAdapter(adapters: readonly WebGpuAdapter[], choice: WebGpuChoice): WebGpuAdapter | BackendSkip {
  const allowSoftwareGpu = softwareGpuAllowed(choice.allowSoftwareGpu);
  const gpuAdapter = gpuAdapterIndex(choice.gpuAdapter);
  if (adapters.length === 0) {
    if (allowSoftwareGpu || gpuAdapter !== undefined) {
      throw new Error(
        `selectBackend: ${gpuAdapter !== undefined ? `gpuAdapter ${gpuAdapter}` : 'allowSoftwareGpu'} was given, but Dawn found no WebGPU adapter at all, ` +
          "not even a software one. For a GPU, install the GPU vendor's Vulkan driver; for Mesa's software adapter on Linux, " +
          'install libegl-mesa0 and libgl1-mesa-dri and set EGL_PLATFORM=surfaceless.',
      );
    }
    return skipBackend('webgpu', 'no-adapter');
  }
  if (gpuAdapter !== undefined && gpuAdapter >= adapters.length) {
    throw new Error(`selectBackend: gpuAdapter ${gpuAdapter} is out of range; this machine has ${adapters.length} WebGPU adapter(s): ${listAdapters(adapters)}`);
  }
  const adapter = adapters[gpuAdapter ?? 0];
  return adapter.software && !allowSoftwareGpu ? skipBackend('webgpu', 'software-adapter', { adapter }) : adapter;
}

/**
 * Gets `navigator.gpu` and the tfjs WebGPU backend ready in Node on the
 * adapter `choice` picks, importing `@tensorflow/tfjs-backend-webgpu` after
 * the shim: it registers its backend at import time only if `navigator.gpu` exists then.
 */
export async function prepareNodeWebGpu(choice: WebGpuChoice): Promise<WebGpuAdapter | BackendSkip> {
  const found = await findWebGpuAdapters();
  if (isBackendSkip(found)) return found;
  const adapter = pickWebGpuAdapter(found.adapters, choice);
  if (isBackendSkip(adapter)) return adapter;
  const previous = await installNavigatorGpu(adapter);
  const spec = BACKEND_PACKAGES.webgpu;
  if (tf.findBackendFactory(spec.tfjsName) === null) {
    const failed = await importPackage(spec.package);
    if (failed) return packageSkip('webgpu', spec.package, failed);
    if (tf.findBackendFactory(spec.tfjsName) === null) return skipBackend('webgpu', 'registered-too-early', { package: spec.package });
  } else if (previous !== undefined && previous.description !== adapter.description) {
    // The backend keeps the device of its first initialisation: re-register it so the next one gets the new adapter.
    const factory = tf.findBackendFactory(spec.tfjsName)!;
    tf.removeBackend(spec.tfjsName);
    tf.registerBackend(spec.tfjsName, factory, 3);
  }
  return adapter;
}

import * as tf from '@tensorflow/tfjs-core';
import { registerSegKernels } from '../kernels/register.js';
import { importAtRuntime, importPackage } from '../io/runtime-import.js';
import { gpuAdapterIndex, isNode } from './environment.js';
import { quietTfjsBackends } from './quiet-backends.js';
import { BACKEND_NAMES, BACKEND_PACKAGES, isSegBackendName, LIBTENSORFLOW, type SegBackendName } from './packages.js';
import { type BackendSkip, isBackendSkip, NoUsableBackendError, packageSkip, skipBackend } from './skip.js';
import type { WebGpuAdapter } from './webgpu/adapters.js';
import { prepareNodeWebGpu } from './webgpu/node-webgpu.js';

/**
 * Node's order: libtensorflow on a CUDA GPU, WebGPU on a hardware adapter
 * (Vulkan/Metal/D3D12 through Dawn), CPU libtensorflow, wasm (XNNPACK), plain JS.
 */
export const NODE_BACKEND_ORDER: readonly SegBackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];
/** A browser's order: WebGPU, WebGL, wasm, plain JS. */
export const BROWSER_BACKEND_ORDER: readonly SegBackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
/** The order {@link selectBackend} tries by default here: {@link NODE_BACKEND_ORDER} in Node, else {@link BROWSER_BACKEND_ORDER}. */
export const DEFAULT_BACKEND_ORDER: readonly SegBackendName[] = isNode ? NODE_BACKEND_ORDER : BROWSER_BACKEND_ORDER;

/** How {@link selectBackend} may use GPUs. */
export interface SelectBackendOptions {
  /**
   * Accept a software WebGPU adapter (Mesa's llvmpipe, SwiftShader, lavapipe)
   * when no hardware one is picked. They compute correctly but more slowly than
   * the wasm backend, so they are for tests. Default: `false`, or `true` when
   * the environment variable `SEG_ALLOW_SOFTWARE_GPU` is `1` or `true`
   * (`softwareGpuAllowed` of `@seg/core/internals`).
   */
  allowSoftwareGpu?: boolean;
  /**
   * Which WebGPU adapter to use in Node, as an index into
   * {@link listWebGpuAdapters} (`seg-doctor` prints it). Default: the
   * environment variable `SEG_GPU_ADAPTER`, else the first adapter, hardware
   * ones being listed first ({@link gpuAdapterIndex}).
   */
  gpuAdapter?: number;
}

/** What {@link selectBackend} chose and why the better ones were passed over. */
export interface BackendSelection {
  /** The backend chosen. */
  name: SegBackendName;
  /** tfjs's name of the active backend (`tf.getBackend()`). */
  tfjsName: string;
  /** The GPU (adapter description) or CPU it computes on, when known. */
  device?: string;
  /** Each backend tried before the chosen one, with why it was not used ({@link formatBackendSkip} words it). */
  skipped: BackendSkip[];
}

/** The CPU's model name in Node, for backends that compute on it. */
async function cpuName(): Promise<string | undefined> {
  if (!isNode) return undefined;
  const os = (await importAtRuntime('node:os')) as typeof import('node:os');
  const cpus = os.cpus();
  return cpus.length > 0 ? `${cpus[0].model.trim()} (${cpus.length} cores)` : undefined;
}

/** Imports a backend's package (in Node, WebGPU's adapter first); returns the adapter it found or why it cannot be used. */
async function importBackend(name: SegBackendName, options: SelectBackendOptions): Promise<{ adapter?: WebGpuAdapter } | BackendSkip> {
  const spec = BACKEND_PACKAGES[name];
  if (!spec.runsIn.includes(isNode ? 'node' : 'browser')) return skipBackend(name, 'unavailable-here');
  if (name === 'webgpu' && isNode) {
    const adapter = await prepareNodeWebGpu(options);
    return isBackendSkip(adapter) ? adapter : { adapter };
  }
  // libtensorflow registers as "tensorflow" for both the CPU and the CUDA package, so only
  // importing the GPU package itself proves the GPU build is there.
  if (spec.tfjsName === 'tensorflow' || tf.findBackendFactory(spec.tfjsName) === null) {
    const failed = await importPackage(spec.package);
    if (failed) return packageSkip(name, spec.package, failed);
  }
  return {};
}

/** Activates `name` once its package is in; returns the device it computes on, or why it cannot be used. */
async function activate(name: SegBackendName, adapter: WebGpuAdapter | undefined): Promise<{ device?: string } | BackendSkip> {
  try {
    if (!(await tf.setBackend(BACKEND_PACKAGES[name].tfjsName))) return skipBackend(name, 'init-failed', { adapter });
    await tf.ready();
  } catch (e) {
    return skipBackend(name, 'init-failed', { adapter, error: (e as Error).message.split('\n')[0] });
  }
  if (name === 'tensorflow-gpu') {
    const usesGpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
    return usesGpu ? { device: `CUDA GPU (libtensorflow ${LIBTENSORFLOW.version})` } : skipBackend(name, 'no-cuda-device');
  }
  return { device: adapter?.description ?? (BACKEND_PACKAGES[name].computesOn === 'gpu' ? undefined : await cpuName()) };
}

/**
 * Activates the best tfjs backend that is installed and initialises here, in
 * `order` (default {@link DEFAULT_BACKEND_ORDER}), importing its package when
 * needed. `'tensorflow-gpu'` counts only when libtensorflow really opened a
 * CUDA device; `'webgpu'` in Node needs the optional `webgpu` package and uses
 * a software adapter only when `options.allowSoftwareGpu` says so. Each
 * backend passed over is listed in `skipped` with its reason and fix.
 *
 * @throws {@link NoUsableBackendError} (with `skipped`) if none of `order` can
 *   be used; an `Error` on an unknown backend name or bad GPU options, naming
 *   the value and what is available.
 *
 * @param order Backends to try, best first. Default {@link DEFAULT_BACKEND_ORDER}.
 * @param options GPU choices; defaults come from `SEG_ALLOW_SOFTWARE_GPU` and `SEG_GPU_ADAPTER`.
 *
 * @example
 * ```ts
 * const chosen = await selectBackend(); // e.g. { name: 'wasm', skipped: [{ backend: 'tensorflow-gpu', reason: 'not-installed', … }, …] }
 * console.log(`training on ${chosen.name} (${chosen.device ?? 'CPU'})`);
 * ```
 */
export async function selectBackend(order: readonly SegBackendName[] = DEFAULT_BACKEND_ORDER, options: SelectBackendOptions = {}): Promise<BackendSelection> {
  for (const name of order) {
    if (!isSegBackendName(name)) throw new Error(`selectBackend: unknown backend "${name}"; expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  // Bad GPU options are errors even when a backend before WebGPU is picked.
  if (order.includes('webgpu') || options.gpuAdapter !== undefined) gpuAdapterIndex(options.gpuAdapter);
  const skipped: BackendSkip[] = [];
  for (const name of order) {
    const imported = await importBackend(name, options);
    // Its package may have registered it only now.
    quietTfjsBackends();
    const active = isBackendSkip(imported) ? imported : await activate(name, imported.adapter);
    if (isBackendSkip(active)) {
      skipped.push(active);
      continue;
    }
    // The backend's package may have loaded after @seg/core: the kernels it lacks (or that are replaced) go in now.
    registerSegKernels();
    return { name, tfjsName: tf.getBackend(), device: active.device, skipped };
  }
  throw new NoUsableBackendError(skipped);
}

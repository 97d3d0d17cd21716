import * as tf from '@tensorflow/tfjs-core';
import { installNavigatorGpu } from './gpu/navigator-gpu.js';
import { listWebGpuAdapters, type WebGpuAdapter } from './gpu/webgpu-adapters.js';
import { registerSegKernels } from './kernels/register.js';
import { importAtRuntime } from './runtime-import.js';

/** A tfjs backend the library can run on. */
export type SegBackendName = 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Where each backend comes from: the npm package that registers it and tfjs's backend name. */
export const BACKEND_PACKAGES: Readonly<Record<SegBackendName, { package: string; tfjsName: string }>> = {
  'tensorflow-gpu': { package: '@tensorflow/tfjs-node-gpu', tfjsName: 'tensorflow' },
  tensorflow: { package: '@tensorflow/tfjs-node', tfjsName: 'tensorflow' },
  webgpu: { package: '@tensorflow/tfjs-backend-webgpu', tfjsName: 'webgpu' },
  webgl: { package: '@tensorflow/tfjs-backend-webgl', tfjsName: 'webgl' },
  wasm: { package: '@tensorflow/tfjs-backend-wasm', tfjsName: 'wasm' },
  cpu: { package: '@tensorflow/tfjs-backend-cpu', tfjsName: 'cpu' },
};

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

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
   * the environment variable `SEG_ALLOW_SOFTWARE_GPU` is `1`.
   */
  allowSoftwareGpu?: boolean;
  /**
   * Which WebGPU adapter to use in Node, as an index into
   * {@link listWebGpuAdapters} (`seg-doctor` prints it). Default: the
   * environment variable `SEG_GPU_ADAPTER`, else the first adapter, hardware
   * ones being listed first.
   */
  gpuAdapter?: number;
}

/** What {@link selectBackend} chose and why the better ones were passed over. */
export interface BackendSelection {
  name: SegBackendName;
  /** tfjs's name of the active backend (`tf.getBackend()`). */
  tfjsName: string;
  /** The GPU (adapter description) or CPU it computes on, when known. */
  device?: string;
  /** One line per backend tried before the chosen one, saying why it was not used. */
  skipped: string[];
}

/** A backend that cannot be used here, and why (one line). */
class Skip {
  constructor(readonly reason: string) {}
}

/**
 * The options with their environment-variable defaults filled in and checked.
 *
 * @internal
 */
export function resolveSelectOptions(options: SelectBackendOptions = {}): Required<Pick<SelectBackendOptions, 'allowSoftwareGpu'>> & SelectBackendOptions {
  const env = isNode ? process.env : {};
  let gpuAdapter = options.gpuAdapter;
  if (gpuAdapter === undefined && env.SEG_GPU_ADAPTER !== undefined && env.SEG_GPU_ADAPTER !== '') {
    gpuAdapter = Number(env.SEG_GPU_ADAPTER);
    if (!Number.isInteger(gpuAdapter)) {
      throw new Error(`SEG_GPU_ADAPTER="${env.SEG_GPU_ADAPTER}" is not an adapter index; expected 0, 1, … (seg-doctor lists the adapters)`);
    }
  }
  if (gpuAdapter !== undefined && !(Number.isInteger(gpuAdapter) && gpuAdapter >= 0)) {
    throw new Error(`selectBackend: gpuAdapter ${gpuAdapter} is not an adapter index; expected 0, 1, … (seg-doctor lists the adapters)`);
  }
  const allowSoftwareGpu = options.allowSoftwareGpu ?? (env.SEG_ALLOW_SOFTWARE_GPU === '1' || env.SEG_ALLOW_SOFTWARE_GPU === 'true');
  return { allowSoftwareGpu, gpuAdapter };
}

function listAdapters(adapters: readonly WebGpuAdapter[]): string {
  return adapters.map((a) => `${a.index}: ${a.description}${a.software ? ' [software]' : ''}`).join('; ');
}

/**
 * The WebGPU adapter `options` ask for, or why there is none to use.
 *
 * @internal
 * @throws On bad input: an adapter index out of range, or `allowSoftwareGpu`
 *   when Dawn finds no adapter at all.
 */
export function pickWebGpuAdapter(adapters: readonly WebGpuAdapter[], options: SelectBackendOptions): WebGpuAdapter | Skip {
  const { allowSoftwareGpu, gpuAdapter } = resolveSelectOptions(options);
  if (adapters.length === 0) {
    if (allowSoftwareGpu || gpuAdapter !== undefined) {
      throw new Error(
        `selectBackend: ${gpuAdapter !== undefined ? `gpuAdapter ${gpuAdapter}` : 'allowSoftwareGpu'} was given, but Dawn found no WebGPU adapter at all, ` +
          "not even a software one. For a GPU, install the GPU vendor's Vulkan driver; for Mesa's software adapter on Linux, " +
          'install libegl-mesa0 and libgl1-mesa-dri and set EGL_PLATFORM=surfaceless.',
      );
    }
    return new Skip("no adapter: install the GPU vendor's Vulkan driver; in containers NVIDIA_DRIVER_CAPABILITIES must include graphics");
  }
  if (gpuAdapter !== undefined && gpuAdapter >= adapters.length) {
    throw new Error(`selectBackend: gpuAdapter ${gpuAdapter} is out of range; this machine has ${adapters.length} WebGPU adapter(s): ${listAdapters(adapters)}`);
  }
  const adapter = adapters[gpuAdapter ?? 0];
  if (adapter.software && !allowSoftwareGpu) {
    return new Skip(
      `${gpuAdapter === undefined ? 'only a software adapter' : `adapter ${gpuAdapter} is a software adapter`} (${adapter.description}), ` +
        'slower than wasm; pass allowSoftwareGpu (SEG_ALLOW_SOFTWARE_GPU=1) to use it anyway',
    );
  }
  return adapter;
}

/** Gets `navigator.gpu` and the tfjs WebGPU backend ready in Node, on the adapter `options` pick. */
async function prepareNodeWebGpu(options: SelectBackendOptions): Promise<string | Skip> {
  let adapters: WebGpuAdapter[];
  try {
    adapters = await listWebGpuAdapters();
  } catch (e) {
    return new Skip((e as Error).message);
  }
  const adapter = pickWebGpuAdapter(adapters, options);
  if (adapter instanceof Skip) return adapter;
  const previous = await installNavigatorGpu(adapter);
  const spec = BACKEND_PACKAGES.webgpu;
  if (tf.findBackendFactory(spec.tfjsName) === null) {
    try {
      await importAtRuntime(spec.package);
    } catch (e) {
      return new Skip(`${spec.package} is not installed (${(e as Error).message.split('\n')[0]})`);
    }
    if (tf.findBackendFactory(spec.tfjsName) === null) {
      return new Skip(`${spec.package} was imported before navigator.gpu existed, so it registered no backend; let selectBackend import it`);
    }
  } else if (previous !== undefined && previous.description !== adapter.description) {
    // The backend keeps the device of its first initialisation: re-register it so the next one gets the new adapter.
    const factory = tf.findBackendFactory(spec.tfjsName)!;
    tf.removeBackend(spec.tfjsName);
    tf.registerBackend(spec.tfjsName, factory, 3);
  }
  return adapter.description;
}

/** The CPU's model name in Node, for backends that compute on it. */
async function cpuName(): Promise<string | undefined> {
  if (!isNode) return undefined;
  const os = (await importAtRuntime('node:os')) as typeof import('node:os');
  const cpus = os.cpus();
  return cpus.length > 0 ? `${cpus[0].model.trim()} (${cpus.length} cores)` : undefined;
}

/** Imports a backend's package; returns why it failed. */
async function importBackend(name: SegBackendName, options: SelectBackendOptions): Promise<{ device?: string } | Skip> {
  const spec = BACKEND_PACKAGES[name];
  const nodeOnly = name === 'tensorflow' || name === 'tensorflow-gpu';
  if ((nodeOnly && !isNode) || (name === 'webgl' && isNode)) return new Skip('not available in this environment');
  if (name === 'webgpu' && isNode) {
    const device = await prepareNodeWebGpu(options);
    return device instanceof Skip ? device : { device };
  }
  // libtensorflow registers as "tensorflow" for both the CPU and the CUDA package, so only
  // importing the GPU package itself proves the GPU build is there.
  if (nodeOnly || tf.findBackendFactory(spec.tfjsName) === null) {
    try {
      await importAtRuntime(spec.package);
    } catch (e) {
      return new Skip(`${spec.package} is not installed or failed to load (${(e as Error).message.split('\n')[0]})`);
    }
  }
  return {};
}

/**
 * Activates the best tfjs backend that is installed and initialises here, in
 * `order` (default {@link DEFAULT_BACKEND_ORDER}), importing its package when
 * needed. `'tensorflow-gpu'` counts only when libtensorflow really opened a
 * CUDA device; `'webgpu'` in Node needs the optional `webgpu` package and uses
 * a software adapter only when `options.allowSoftwareGpu` says so.
 *
 * @throws On an unknown backend name or bad GPU options (naming the value and
 *   what is available), or if none of `order` can be used, listing why each failed.
 *
 * @param order Backends to try, best first. Default {@link DEFAULT_BACKEND_ORDER}.
 * @param options GPU choices; defaults come from `SEG_ALLOW_SOFTWARE_GPU` and `SEG_GPU_ADAPTER`.
 *
 * @example
 * ```ts
 * const chosen = await selectBackend(); // e.g. { name: 'wasm', skipped: ['tensorflow-gpu: ...', ...] }
 * console.log(`training on ${chosen.name} (${chosen.device ?? 'CPU'})`);
 * ```
 */
export async function selectBackend(order: readonly SegBackendName[] = DEFAULT_BACKEND_ORDER, options: SelectBackendOptions = {}): Promise<BackendSelection> {
  for (const name of order) {
    if (!Object.hasOwn(BACKEND_PACKAGES, name)) {
      throw new Error(`selectBackend: unknown backend "${name}"; expected one of ${Object.keys(BACKEND_PACKAGES).join(', ')}`);
    }
  }
  resolveSelectOptions(options);
  const skipped: string[] = [];
  for (const name of order) {
    const tfjsName = BACKEND_PACKAGES[name].tfjsName;
    const imported = await importBackend(name, options);
    if (imported instanceof Skip) {
      skipped.push(`${name}: ${imported.reason}`);
      continue;
    }
    try {
      if (!(await tf.setBackend(tfjsName))) {
        skipped.push(`${name}: backend failed to initialise`);
        continue;
      }
      await tf.ready();
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    if (name === 'tensorflow-gpu' && (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice !== true) {
      skipped.push(`${name}: libtensorflow loaded but opened no CUDA GPU (it needs CUDA 11.2 and cuDNN 8.1 libraries; run seg-doctor)`);
      continue;
    }
    const device = imported.device ?? (name === 'tensorflow-gpu' ? 'CUDA GPU (libtensorflow 2.9.1)' : await cpuName());
    // The backend's package may have loaded after @seg/core: the kernels it lacks (or that are replaced) go in now.
    registerSegKernels();
    return { name, tfjsName: tf.getBackend(), device, skipped };
  }
  throw new Error(`selectBackend: no usable tfjs backend.\n  ${skipped.join('\n  ')}`);
}

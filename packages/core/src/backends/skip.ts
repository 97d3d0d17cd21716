/**
 * Why `selectBackend` passed over a backend, as data: callers branch on
 * `reason` and read `package`, `adapter` and `fix`; the sentence a person
 * reads is made from them here ({@link describeBackendSkip}), so no caller
 * ever parses one.
 *
 * @module
 */
import { ALLOW_SOFTWARE_GPU_ENV, GPU_ADAPTER_ENV, isNode } from './environment.js';
import { CUDA_FIX, explainTfjsNodeFailure, NO_CUDA_DEVICE } from './libtensorflow.js';
import { BACKEND_PACKAGES, DAWN_PACKAGE, installCommand, type SegBackendName } from './packages.js';
import type { WebGpuAdapter } from './webgpu/adapters.js';

/**
 * Why a backend was passed over:
 * - `unavailable-here`: it does not run in this environment (tfjs-node in a browser, WebGL in Node);
 * - `not-installed`: `package` cannot be found;
 * - `load-failed`: `package` is installed but failed to load (`error`), e.g. a missing CUDA library;
 * - `registered-too-early`: `@tensorflow/tfjs-backend-webgpu` was imported before `navigator.gpu` existed in Node;
 * - `no-adapter`: Dawn found no WebGPU adapter;
 * - `software-adapter`: the WebGPU `adapter` is a CPU rasteriser and software GPUs were not allowed;
 * - `init-failed`: the backend did not initialise (`error`; `adapter` on WebGPU);
 * - `no-cuda-device`: libtensorflow loaded but opened no CUDA GPU.
 */
export type BackendSkipReason =
  | 'unavailable-here'
  | 'not-installed'
  | 'load-failed'
  | 'registered-too-early'
  | 'no-adapter'
  | 'software-adapter'
  | 'init-failed'
  | 'no-cuda-device';

/** One backend {@link selectBackend} passed over, and why. */
export interface BackendSkip {
  /** The backend passed over. */
  backend: SegBackendName;
  /** Why; see {@link BackendSkipReason} for which other fields each reason sets. */
  reason: BackendSkipReason;
  /** The npm package that is missing or failed to load. */
  package?: string;
  /** The first line of the underlying error, when there was one. */
  error?: string;
  /** The WebGPU adapter concerned. */
  adapter?: WebGpuAdapter;
  /** What to do about it, when something can be done. */
  fix?: string;
}

const VULKAN_FIX = "install the GPU vendor's Vulkan driver; in containers NVIDIA_DRIVER_CAPABILITIES must include graphics";

function fixFor(skip: Omit<BackendSkip, 'fix'>): string | undefined {
  const { backend, reason } = skip;
  switch (reason) {
    case 'unavailable-here':
      return undefined;
    case 'not-installed':
      return installCommand(backend, isNode);
    case 'load-failed':
      if (BACKEND_PACKAGES[backend].tfjsName === 'tensorflow') return explainTfjsNodeFailure(skip.package!, skip.error ?? '').fix;
      if (skip.package === DAWN_PACKAGE.name) return `reinstall ${DAWN_PACKAGE.name}@${DAWN_PACKAGE.version} (it ships dawn.node for linux-x64, win32 and darwin)`;
      return `reinstall ${skip.package} and check its install log`;
    case 'registered-too-early':
      return `do not import ${skip.package} yourself in Node; let selectBackend import it`;
    case 'no-adapter':
      return `${VULKAN_FIX} (tests only: Mesa llvmpipe via libegl-mesa0 + libgl1-mesa-dri gives a software adapter)`;
    case 'software-adapter':
      return `pass allowSoftwareGpu (${ALLOW_SOFTWARE_GPU_ENV}=1) to use it anyway; for GPU speed ${VULKAN_FIX}`;
    case 'init-failed':
      return backend === 'webgpu' ? `update the GPU driver, or pick another adapter with ${GPU_ADAPTER_ENV}` : `reinstall ${BACKEND_PACKAGES[backend].package}`;
    case 'no-cuda-device':
      return `check nvidia-smi and CUDA_VISIBLE_DEVICES; ${CUDA_FIX}`;
  }
}

/** A {@link BackendSkip} with its `fix` filled in. */
export function skipBackend(backend: SegBackendName, reason: BackendSkipReason, details: Pick<BackendSkip, 'package' | 'error' | 'adapter'> = {}): BackendSkip {
  const given = Object.entries(details).filter(([, value]) => value !== undefined);
  const skip: BackendSkip = { backend, reason, ...Object.fromEntries(given) };
  const fix = fixFor(skip);
  return fix === undefined ? skip : { ...skip, fix };
}

/** Whether `value` is a {@link BackendSkip} (rather than what the step returns when it succeeds). */
export function isBackendSkip(value: object): value is BackendSkip {
  return 'reason' in value && 'backend' in value;
}

/** The skip for `pkg` failing to import: `not-installed` or `load-failed`. */
export function packageSkip(backend: SegBackendName, pkg: string, failure: { missing: boolean; error: string }): BackendSkip {
  return skipBackend(backend, failure.missing ? 'not-installed' : 'load-failed', { package: pkg, error: failure.error });
}

function where(runsIn: readonly string[]): string {
  return runsIn.map((r) => (r === 'node' ? 'Node' : 'browsers')).join(' and ');
}

/** What went wrong, as one sentence (without the backend's name or the fix). */
export function describeBackendSkip(skip: BackendSkip): string {
  const { backend, adapter } = skip;
  switch (skip.reason) {
    case 'unavailable-here':
      return `not available ${isNode ? 'in Node' : 'in a browser'}: it runs in ${where(BACKEND_PACKAGES[backend].runsIn)} only`;
    case 'not-installed':
      return `${skip.package} is not installed`;
    case 'load-failed':
      if (BACKEND_PACKAGES[backend].tfjsName === 'tensorflow') return explainTfjsNodeFailure(skip.package!, skip.error ?? '').problem;
      return `${skip.package} failed to load: ${skip.error}`;
    case 'registered-too-early':
      return `${skip.package} was imported before navigator.gpu existed, so it registered no backend`;
    case 'no-adapter':
      return 'Dawn found no WebGPU adapter';
    case 'software-adapter':
      return `${adapter!.index === 0 ? 'only a software adapter' : `adapter ${adapter!.index} is a software adapter`} (${adapter!.description}): correct but slower than the wasm backend`;
    case 'init-failed':
      return `${adapter ? `adapter ${adapter.index} (${adapter.description})` : 'the backend'} did not initialise${skip.error ? `: ${skip.error}` : ''}`;
    case 'no-cuda-device':
      return NO_CUDA_DEVICE;
  }
}

/** `backend: what went wrong; fix: what to do`, the line `selectBackend`'s error prints for each backend. */
export function formatBackendSkip(skip: BackendSkip): string {
  return `${skip.backend}: ${describeBackendSkip(skip)}${skip.fix ? `; fix: ${skip.fix}` : ''}`;
}

/** Thrown by {@link selectBackend} when no backend of the order can be used; `skipped` says why for each. */
export class NoUsableBackendError extends Error {
  /** Why each backend was passed over, in the order tried. */
  readonly skipped: readonly BackendSkip[];

  /** @param skipped Why each backend was passed over. */
  constructor(skipped: readonly BackendSkip[]) {
    super(`selectBackend: no usable tfjs backend.\n  ${skipped.map(formatBackendSkip).join('\n  ')}`);
    this.name = 'NoUsableBackendError';
    this.skipped = skipped;
  }
}

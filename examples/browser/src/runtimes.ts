/**
 * The page's runtimes, each chosen by name and never swapped for another:
 * tfjs on WebGPU, WebGL, wasm or its plain-JS cpu backend, and ONNX Runtime
 * Web on its WebGPU execution provider or on wasm. A runtime that cannot
 * start here throws {@link RuntimeUnavailableError} saying why, so the page
 * can show it instead of silently running something else.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadOnnxSegmenter, type OrtModule, type Segmenter } from '@seg/deeplab';

// The .wasm binaries are copied next to the bundle by build.mjs.
setWasmPaths(new URL('./', import.meta.url).href);

/** Every runtime the page offers, by the name `?runtime=` takes. */
export const RUNTIMES = ['tfjs-webgpu', 'tfjs-webgl', 'tfjs-wasm', 'tfjs-cpu', 'ort-webgpu', 'ort-wasm'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

/** What the page shows for each runtime. */
export const RUNTIME_LABELS: Record<RuntimeName, string> = {
  'tfjs-webgpu': 'tfjs WebGPU',
  'tfjs-webgl': 'tfjs WebGL',
  // tfjs's threaded build sizes its pool to half the logical cores, at most 4 (its PTHREAD_POOL_SIZE), and needs isolation.
  'tfjs-wasm': 'tfjs wasm (threads when isolated: half the cores, at most 4)',
  'tfjs-cpu': 'tfjs cpu (plain JavaScript)',
  'ort-webgpu': 'ONNX Runtime Web WebGPU',
  'ort-wasm': 'ONNX Runtime Web wasm (threads when isolated)',
};

export function isRuntimeName(name: string): name is RuntimeName {
  return (RUNTIMES as readonly string[]).includes(name);
}

/** A runtime that cannot start in this browser, and why. */
export class RuntimeUnavailableError extends Error {
  constructor(
    readonly runtime: RuntimeName,
    readonly reason: string,
  ) {
    super(`${runtime} cannot start here: ${reason}`);
    this.name = 'RuntimeUnavailableError';
  }
}

/** A started runtime: what actually runs it. */
export interface StartedRuntime {
  runtime: RuntimeName;
  /** The tfjs backend, or the ONNX Runtime execution provider, that runs the model. */
  backend: string;
  /** CPU threads the runtime computes on (1 for tfjs's GPU backends, which one thread drives). */
  threads: number;
  /** The WebGPU adapter's architecture (`swiftshader` is a software one), for WebGPU runtimes. */
  adapter?: string;
  /** ONNX Runtime's segmenter (tfjs runtimes segment the page's LayersModel). */
  segmenter?: Segmenter;
}

/** The part of `navigator.gpu` read here (the page needs no WebGPU typings for it). */
interface WebGpu {
  requestAdapter(): Promise<{ info?: { architecture?: string; vendor?: string } } | null>;
}

/** The WebGPU adapter's architecture, or the reason there is none. */
async function webgpuAdapter(runtime: RuntimeName): Promise<string> {
  if (!('gpu' in navigator)) {
    const why = isSecureContext
      ? 'this browser has no WebGPU (navigator.gpu is missing; Chrome and Edge 113+ have it, Chromium on Linux with --enable-unsafe-webgpu)'
      : 'WebGPU needs a secure context: serve the page over https or from localhost';
    throw new RuntimeUnavailableError(runtime, why);
  }
  const adapter = await (navigator as unknown as { gpu: WebGpu }).gpu.requestAdapter();
  if (!adapter) throw new RuntimeUnavailableError(runtime, 'the browser offers no WebGPU adapter (the GPU or its driver is blocklisted, or WebGPU is disabled)');
  return adapter.info?.architecture || adapter.info?.vendor || 'unknown';
}

/** Makes tfjs backend `backend` the active one, or says why it cannot be. */
async function startTfjs(runtime: RuntimeName, backend: 'webgpu' | 'webgl' | 'wasm' | 'cpu'): Promise<StartedRuntime> {
  const adapter = backend === 'webgpu' ? await webgpuAdapter(runtime) : undefined;
  if (backend === 'webgl' && !document.createElement('canvas').getContext('webgl2')) {
    throw new RuntimeUnavailableError(runtime, 'the browser gives no WebGL2 context (WebGL is disabled, or there is no GPU and no software fallback)');
  }
  let started: boolean;
  try {
    started = await tf.setBackend(backend);
    await tf.ready();
  } catch (e) {
    throw new RuntimeUnavailableError(runtime, `tfjs's ${backend} backend failed to start: ${(e as Error).message}`);
  }
  // setBackend answers false (and logs the cause to the console) when the backend's initialisation failed.
  if (!started || tf.getBackend() !== backend) throw new RuntimeUnavailableError(runtime, `tfjs's ${backend} backend failed to initialise (the console has the cause)`);
  return { runtime, backend, threads: backend === 'wasm' ? getThreadsCount() : 1, adapter };
}

/** Loads ONNX Runtime Web's build for `provider` and the model at `onnxUrl` on that provider alone. */
async function startOrt(runtime: RuntimeName, provider: 'webgpu' | 'wasm', onnxUrl: string): Promise<StartedRuntime> {
  const adapter = provider === 'webgpu' ? await webgpuAdapter(runtime) : undefined;
  // Each build is its own chunk, fetched only when picked; the webgpu one carries the native WebGPU execution provider.
  const ort = (provider === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm')) as unknown as OrtModule & {
    env: { wasm: { wasmPaths?: string; numThreads?: number } };
  };
  // The .wasm and .mjs files are copied by build.mjs. Threads need SharedArrayBuffer, so a cross-origin-isolated page.
  ort.env.wasm.wasmPaths = new URL('./ort/', import.meta.url).href;
  ort.env.wasm.numThreads = crossOriginIsolated ? navigator.hardwareConcurrency : 1;
  let segmenter: Segmenter;
  try {
    segmenter = await loadOnnxSegmenter(onnxUrl, { runtime: 'web', ort, executionProviders: [provider] });
  } catch (e) {
    throw new RuntimeUnavailableError(runtime, `ONNX Runtime Web could not open ${onnxUrl} on its ${provider} execution provider: ${(e as Error).message}`);
  }
  // ONNX Runtime lowers numThreads to 1 when it cannot run threads, so this is what it runs on.
  return { runtime, backend: provider, threads: ort.env.wasm.numThreads ?? 1, adapter, segmenter };
}

/** Starts runtime `name` (ONNX Runtime on the ONNX model at `onnxUrl`). */
export function startRuntime(name: RuntimeName, onnxUrl: string): Promise<StartedRuntime> {
  switch (name) {
    case 'tfjs-webgpu':
      return startTfjs(name, 'webgpu');
    case 'tfjs-webgl':
      return startTfjs(name, 'webgl');
    case 'tfjs-wasm':
      return startTfjs(name, 'wasm');
    case 'tfjs-cpu':
      return startTfjs(name, 'cpu');
    case 'ort-webgpu':
      return startOrt(name, 'webgpu', onnxUrl);
    case 'ort-wasm':
      return startOrt(name, 'wasm', onnxUrl);
  }
}

import { importAtRuntime } from '../../io/runtime-import.js';
import { DAWN_PACKAGE } from '../packages.js';
import { type AdapterRequest, probeAdapters, useSurfacelessEgl } from './adapter-probe.js';

/** The few WebGPU shapes this library touches, so its types do not depend on `@webgpu/types`. */
export interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
/** @internal */
export interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
}
/** @internal */
export interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<GpuAdapterLike | null>;
}

/** One WebGPU adapter found in Node, as {@link listWebGpuAdapters} reports it. */
export interface WebGpuAdapter {
  /** Position in the list: the value of `gpuAdapter` / `SEG_GPU_ADAPTER` that picks it. */
  index: number;
  /** Human-readable adapter name, e.g. "NVIDIA GeForce RTX 4090 (vulkan)" or "llvmpipe … (opengl, Mesa 22.3.6)". */
  description: string;
  /** A CPU rasteriser (llvmpipe, lavapipe, SwiftShader…): correct but slower than the wasm backend. */
  software: boolean;
  /** The Dawn instance toggles and `requestAdapter` options that return this adapter again. */
  dawnOptions: readonly string[];
  requestOptions: Readonly<Record<string, unknown>>;
}

// Mesa's llvmpipe/softpipe (also the device name of lavapipe), Google's SwiftShader,
// Windows' WARP and Dawn's null backend all run shaders on the CPU.
const SOFTWARE_DEVICE = /llvmpipe|lavapipe|softpipe|swiftshader|basic render|warp|null-backend/i;

/** Whether an adapter is a software rasteriser, from its adapter info. */
export function isSoftwareAdapter(info: GpuAdapterInfoLike): boolean {
  if (info.isFallbackAdapter) return true;
  return SOFTWARE_DEVICE.test([info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' '));
}

/** A one-line description of an adapter found through `backend`. */
export function describeAdapter(info: GpuAdapterInfoLike, backend: string): string {
  const name = info.device || [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  return `${name.replace(/-+$/, '')} (${[backend, info.description].filter(Boolean).join(', ')})`;
}

/**
 * Where Dawn looks for adapters, in order. Dawn's default backend is the
 * platform's native API (Vulkan on Linux, Metal, D3D12), which is what real
 * GPUs use. Its OpenGL ES/GL backend is only reached in WebGPU's
 * "compatibility" feature level; it is how Mesa's llvmpipe runs WebGPU here
 * (Mesa's lavapipe Vulkan is refused by Dawn: it lacks
 * shaderUniform*ArrayDynamicIndexing).
 */
const PROBES: readonly (AdapterRequest & { backend: string })[] = [
  { backend: 'native', dawnOptions: [], requestOptions: { powerPreference: 'high-performance' } },
  { backend: 'native', dawnOptions: [], requestOptions: { powerPreference: 'low-power' } },
  { backend: 'opengl', dawnOptions: ['backend=opengl'], requestOptions: { featureLevel: 'compatibility' } },
];

interface NodeWebGpu {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}

let nodeWebGpu: Promise<NodeWebGpu> | undefined;
const instances = new Map<string, GpuLike>();

/** Loads Dawn's `webgpu` package (once); rejects with the install command when it does not load. */
export function loadNodeWebGpu(): Promise<NodeWebGpu> {
  // Set before Dawn first opens EGL.
  useSurfacelessEgl();
  nodeWebGpu ??= (importAtRuntime(DAWN_PACKAGE.name) as Promise<NodeWebGpu>).catch((e: Error) => {
    nodeWebGpu = undefined;
    throw new Error(`${DAWN_PACKAGE.name} did not load (npm install ${DAWN_PACKAGE.name}@${DAWN_PACKAGE.version}): ${e.message.split('\n')[0]}`);
  });
  return nodeWebGpu;
}

/** The Dawn instance for `dawnOptions`, created once: adapters of one instance must not outlive it. */
export async function dawnInstance(dawnOptions: readonly string[]): Promise<GpuLike> {
  const key = dawnOptions.join(',');
  let gpu = instances.get(key);
  if (!gpu) {
    gpu = (await loadNodeWebGpu()).create([...dawnOptions]);
    instances.set(key, gpu);
  }
  return gpu;
}

/** The adapters Dawn offers this process, hardware first, and what Dawn printed while it looked. */
export interface WebGpuAdapterList {
  adapters: WebGpuAdapter[];
  /** Dawn's native messages while probing (kept off the terminal), one per line. */
  log: string[];
}

let listing: Promise<WebGpuAdapterList> | undefined;

/**
 * {@link listWebGpuAdapters} with Dawn's messages: probed once per process
 * (in a child process, see `adapter-probe.ts`), then remembered.
 *
 * @internal
 */
export function findWebGpuAdapterList(): Promise<WebGpuAdapterList> {
  listing ??= probeAdapters(PROBES).then(
    ({ infos, log }) => ({ adapters: adaptersFound(infos), log }),
    (e: unknown) => {
      listing = undefined;
      throw e;
    },
  );
  return listing;
}

/**
 * Takes `list` as this process's answer (a child process the prober started
 * is handed its parent's, rather than probing again).
 *
 * @internal
 */
export function rememberWebGpuAdapterList(list: WebGpuAdapterList): void {
  listing = Promise.resolve(list);
}

/** The distinct adapters of the probes' answers (`infos[i]` answers `PROBES[i]`), hardware first. */
function adaptersFound(infos: readonly (GpuAdapterInfoLike | null)[]): WebGpuAdapter[] {
  const found: WebGpuAdapter[] = [];
  const seen = new Set<string>();
  PROBES.forEach((probe, i) => {
    const info = infos[i];
    if (!info) return;
    const key = `${probe.backend}|${info.vendor}|${info.device}|${info.description}`;
    if (seen.has(key)) return;
    seen.add(key);
    found.push({
      index: 0,
      description: describeAdapter(info, probe.backend === 'native' ? '' : probe.backend),
      software: isSoftwareAdapter(info),
      dawnOptions: probe.dawnOptions,
      requestOptions: probe.requestOptions,
    });
  });
  // Hardware first, so index 0 is the adapter a user most likely means.
  return [...found.filter((a) => !a.software), ...found.filter((a) => a.software)].map((a, index) => ({ ...a, index }));
}

/**
 * Every WebGPU adapter Dawn offers this Node process, hardware first. WebGPU
 * itself has no enumeration call, so each backend is asked with each power
 * preference and duplicates are dropped. Dawn is asked once per process, in
 * a child process that keeps its native messages off the terminal.
 *
 * @throws If the `webgpu` package is not installed, or Dawn fails while probing.
 */
export async function listWebGpuAdapters(): Promise<WebGpuAdapter[]> {
  return (await findWebGpuAdapterList()).adapters;
}

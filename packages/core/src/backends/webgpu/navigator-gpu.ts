import { dawnInstance, type GpuLike, loadNodeWebGpu, type WebGpuAdapter } from './adapters.js';

const SHIM = Symbol.for('@seg/core.navigatorGpu');

interface NavigatorGpuShim extends GpuLike {
  [SHIM]: WebGpuAdapter;
}

/**
 * Gives Node the `navigator.gpu` (and the `GPUBufferUsage`-style globals)
 * that `@tensorflow/tfjs-backend-webgpu` expects from a browser, backed by
 * Dawn through the `webgpu` package, handing out `adapter`. Node only.
 *
 * It must run before `@tensorflow/tfjs-backend-webgpu` is first imported:
 * that package registers its backend at import time only if `navigator.gpu`
 * exists then. Calling it again switches the adapter the next backend
 * initialisation gets. tfjs asks for a "high-performance" adapter, which
 * Dawn's OpenGL backend does not answer; the shim asks with the options that
 * found `adapter` instead.
 *
 * @returns The adapter the shim handed out before, if it was installed.
 */
export async function installNavigatorGpu(adapter: WebGpuAdapter): Promise<WebGpuAdapter | undefined> {
  const { globals } = await loadNodeWebGpu();
  const instance = await dawnInstance(adapter.dawnOptions);
  for (const [name, value] of Object.entries(globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const g = globalThis as { navigator?: { gpu?: unknown } };
  const previous = installedWebGpuAdapter();
  const shim: NavigatorGpuShim = {
    [SHIM]: adapter,
    requestAdapter: () => instance.requestAdapter({ ...adapter.requestOptions }),
  };
  if (g.navigator === undefined) {
    // Node 20 has no navigator; Node 21+ has one without gpu.
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: shim }, configurable: true, writable: true });
  } else {
    Object.defineProperty(g.navigator, 'gpu', { value: shim, configurable: true, writable: true });
  }
  return previous;
}

/** The adapter the Node `navigator.gpu` shim hands out, if it is installed. */
export function installedWebGpuAdapter(): WebGpuAdapter | undefined {
  const gpu = (globalThis as { navigator?: { gpu?: Partial<NavigatorGpuShim> } }).navigator?.gpu;
  return gpu?.[SHIM];
}

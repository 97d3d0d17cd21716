/**
 * The environment variables that steer backend selection, each read by one
 * rule here: `selectBackend`, the doctor and the examples call these instead
 * of reading `process.env` themselves.
 *
 * @module
 */

/** `1` or `true`: accept a software WebGPU adapter (see {@link softwareGpuAllowed}). */
export const ALLOW_SOFTWARE_GPU_ENV = 'SEG_ALLOW_SOFTWARE_GPU';
/** An adapter index: the WebGPU adapter to use (see {@link gpuAdapterIndex}). */
export const GPU_ADAPTER_ENV = 'SEG_GPU_ADAPTER';

/** @internal */
export const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

function env(name: string): string | undefined {
  return isNode ? process.env[name] : undefined;
}

/**
 * Whether a software WebGPU adapter (llvmpipe, lavapipe, SwiftShader) may be
 * used: `option` when given, else whether `SEG_ALLOW_SOFTWARE_GPU` is `1` or
 * `true`. They compute correctly but more slowly than the wasm backend.
 */
export function softwareGpuAllowed(option?: boolean): boolean {
  if (option !== undefined) return option;
  const value = env(ALLOW_SOFTWARE_GPU_ENV);
  return value === '1' || value === 'true';
}

/**
 * The WebGPU adapter index asked for: `option` when given, else
 * `SEG_GPU_ADAPTER`, else `undefined` (the first adapter, hardware ones being
 * listed first).
 *
 * @throws If the index is not a non-negative integer, naming where it came from.
 */
export function gpuAdapterIndex(option?: number): number | undefined {
  const fix = 'expected 0, 1, … (seg-doctor lists the adapters)';
  if (option !== undefined) {
    if (!(Number.isInteger(option) && option >= 0)) throw new Error(`selectBackend: gpuAdapter ${option} is not an adapter index; ${fix}`);
    return option;
  }
  const value = env(GPU_ADAPTER_ENV);
  if (value === undefined || value === '') return undefined;
  if (!/^\s*\d+\s*$/.test(value)) throw new Error(`${GPU_ADAPTER_ENV}="${value}" is not an adapter index; ${fix}`);
  return Number(value);
}

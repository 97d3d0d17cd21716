/**
 * How much memory a runtime can give one inference, so an image too large
 * for it is refused before anything is allocated. A wasm module that runs
 * out of heap aborts, and an aborted module fails every later call of the
 * process: tfjs's wasm backend (`RuntimeError: Aborted()`) and ONNX Runtime
 * Web alike.
 *
 * | runtime | limit checked |
 * | --- | --- |
 * | tfjs `wasm`, ONNX Runtime Web (wasm) | the 32-bit wasm heap: 4 GiB − 64 KiB in all, less what tensors already hold |
 * | tfjs `webgpu` | the device's `maxStorageBufferBindingSize` for any one tensor |
 * | tfjs `webgl` | `WEBGL_MAX_TEXTURE_SIZE`² texels of 4 floats for any one tensor |
 * | tfjs `cpu`, `tensorflow`, ONNX Runtime Node | the memory available now, in Node (see {@link nodeMemoryLimit}) |
 *
 * @module
 */
import { importAtRuntime } from '../runtime-import.js';
import * as tf from '@tensorflow/tfjs-core';

/** A memory limit and where it comes from. */
export interface MemoryLimit {
  /** Bytes. */
  bytes: number;
  /** What the limit is, for error messages. */
  what: string;
}

/** Limits on one inference: all its live memory, and any one buffer. */
export interface MemoryLimits {
  /** On everything live at once. */
  total?: MemoryLimit;
  /** On a single tensor. */
  perTensor?: MemoryLimit;
}

/** The largest wasm32 heap emscripten grows to (its `getHeapMax()`): 4 GiB less one 64 KiB page. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30 - 2 ** 16;

/** What the guard reads of Node's memory; a parameter so that tests can state the machine. */
export interface NodeMemoryFacts {
  /** `process.availableMemory()`, where Node has it (20.13 and later). */
  available?: () => number;
  /** `os.freemem()`. */
  free: () => number;
}

/**
 * The memory one inference may take in Node: what is available now, not the
 * machine's total. An image that fits in RAM only by pushing everything
 * else out ends in swap or the OOM killer, not in an error that says what
 * to do. `process.availableMemory()` where Node has it: the free memory, or
 * what the process's cgroup limit leaves it when that is less (containers);
 * else `os.freemem()` (on Linux the kernel's MemAvailable, which counts
 * reclaimable page cache as free).
 */
export function nodeMemoryLimit(facts: NodeMemoryFacts): MemoryLimit {
  if (facts.available) return { bytes: facts.available(), what: 'the memory available to this process now (process.availableMemory())' };
  return { bytes: facts.free(), what: "the machine's free memory now (os.freemem())" };
}

/** {@link nodeMemoryLimit} of this process; `undefined` in browsers, which do not say. */
export async function availableMemory(): Promise<MemoryLimit | undefined> {
  if (typeof process === 'undefined' || !process.versions?.node) return undefined;
  const os = (await importAtRuntime('node:os')) as typeof import('node:os');
  const p = process as { availableMemory?: () => number };
  return nodeMemoryLimit({ available: typeof p.availableMemory === 'function' ? () => p.availableMemory!() : undefined, free: () => os.freemem() });
}

/** The limits of tfjs's current backend (see the module notes). */
export async function tfjsMemoryLimits(): Promise<MemoryLimits> {
  const name = tf.getBackend();
  if (name === 'wasm') {
    const inUse = tf.memory().numBytes;
    return { total: { bytes: WASM_HEAP_BYTES - inUse, what: `the wasm backend's 4 GiB heap (32-bit wasm), less the ${gib(inUse)} its tensors hold` } };
  }
  if (name === 'webgpu') {
    const device = (tf.backend() as unknown as { device?: { limits?: { maxStorageBufferBindingSize?: number } } }).device;
    const bytes = device?.limits?.maxStorageBufferBindingSize;
    return bytes ? { perTensor: { bytes, what: "the WebGPU device's maxStorageBufferBindingSize per tensor" } } : {};
  }
  if (name === 'webgl') {
    const side = tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
    return { perTensor: { bytes: side * side * 16, what: `a ${side}x${side} WebGL texture of 4 floats per tensor` } };
  }
  const total = await availableMemory();
  return total ? { total } : {};
}

/** Bytes as GiB with two decimals. */
export function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** What an inference of one image needs. */
export interface MemoryNeed {
  /** Bytes live at the widest point. */
  peakBytes: number;
  /** Bytes of the largest single tensor. */
  largestTensorBytes: number;
}

/**
 * Throws, naming the image size, the need and the limit, and a size that
 * would fit (memory grows with the pixel count), if `need` exceeds `limits`.
 *
 * @param where Prefix of the message, e.g. `segment`.
 * @param runtime The runtime, e.g. `tfjs wasm`.
 */
export function checkMemory(where: string, runtime: string, width: number, height: number, need: MemoryNeed, limits: MemoryLimits): void {
  const checks = [
    [need.peakBytes, limits.total, 'at its widest point'],
    [need.largestTensorBytes, limits.perTensor, 'for its largest tensor'],
  ] as const;
  for (const [bytes, limit, what] of checks) {
    if (limit && bytes > limit.bytes) {
      const shrink = Math.sqrt(limit.bytes / bytes) * 0.9;
      throw new Error(
        `${where}: a ${width}x${height} image needs about ${gib(bytes)} ${what} on ${runtime}, more than ${gib(Math.max(0, limit.bytes))}, ` +
          `${limit.what}; scale it down to at most about ${Math.floor(width * shrink)}x${Math.floor(height * shrink)} (or tile it) before segmenting`,
      );
    }
  }
}

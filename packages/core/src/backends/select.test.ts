import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_BACKENDS } from '../../../../test-utils/backends.js';
import { NODE_BACKEND_ORDER, selectBackend } from './select.js';
import { formatBackendSkip, NoUsableBackendError } from './skip.js';
import { isSoftwareAdapter, listWebGpuAdapters, type WebGpuAdapter } from './webgpu/adapters.js';
import { pickWebGpuAdapter } from './webgpu/node-webgpu.js';

const adapter = (index: number, description: string, software: boolean): WebGpuAdapter => ({
  index,
  description,
  software,
  dawnOptions: [],
  requestOptions: {},
});
const RTX = adapter(0, 'NVIDIA GeForce RTX 4090 (vulkan)', false);
const LLVMPIPE = adapter(1, 'llvmpipe-llvm-15 (opengl, Mesa 22.3.6)', true);
const VULKAN_FIX = "install the GPU vendor's Vulkan driver; in containers NVIDIA_DRIVER_CAPABILITIES must include graphics";

describe('pickWebGpuAdapter', () => {
  afterEach(() => {
    delete process.env.SEG_GPU_ADAPTER;
    delete process.env.SEG_ALLOW_SOFTWARE_GPU;
  });

  it('takes the first adapter, or the one asked for by option or SEG_GPU_ADAPTER', () => {
    expect(pickWebGpuAdapter([RTX, LLVMPIPE], {})).toBe(RTX);
    expect(pickWebGpuAdapter([RTX, LLVMPIPE], { gpuAdapter: 1, allowSoftwareGpu: true })).toBe(LLVMPIPE);
    process.env.SEG_GPU_ADAPTER = '1';
    process.env.SEG_ALLOW_SOFTWARE_GPU = '1';
    expect(pickWebGpuAdapter([RTX, LLVMPIPE], {})).toBe(LLVMPIPE);
  });

  it('passes over a software adapter unless allowed, naming it and the fix', () => {
    const only = adapter(0, 'llvmpipe (opengl)', true);
    expect(pickWebGpuAdapter([only], {})).toEqual({
      backend: 'webgpu',
      reason: 'software-adapter',
      adapter: only,
      fix: `pass allowSoftwareGpu (SEG_ALLOW_SOFTWARE_GPU=1) to use it anyway; for GPU speed ${VULKAN_FIX}`,
    });
    const asked = pickWebGpuAdapter([RTX, LLVMPIPE], { gpuAdapter: 1 });
    expect(asked).toMatchObject({ reason: 'software-adapter', adapter: LLVMPIPE });
    expect(formatBackendSkip(asked as never)).toMatch(/^webgpu: adapter 1 is a software adapter \(llvmpipe-llvm-15 \(opengl, Mesa 22\.3\.6\)\): correct but slower/);
  });

  it('says what to install when there is no adapter, and refuses allowSoftwareGpu then', () => {
    expect(pickWebGpuAdapter([], {})).toEqual({
      backend: 'webgpu',
      reason: 'no-adapter',
      fix: `${VULKAN_FIX} (tests only: Mesa llvmpipe via libegl-mesa0 + libgl1-mesa-dri gives a software adapter)`,
    });
    expect(() => pickWebGpuAdapter([], { allowSoftwareGpu: true })).toThrow(
      /allowSoftwareGpu was given, but Dawn found no WebGPU adapter at all.*libegl-mesa0 and libgl1-mesa-dri/,
    );
  });

  it('names an out-of-range or malformed index and lists the adapters', () => {
    expect(() => pickWebGpuAdapter([RTX, LLVMPIPE], { gpuAdapter: 2 })).toThrow(
      'selectBackend: gpuAdapter 2 is out of range; this machine has 2 WebGPU adapter(s): 0: NVIDIA GeForce RTX 4090 (vulkan); 1: llvmpipe-llvm-15 (opengl, Mesa 22.3.6) [software]',
    );
    expect(() => pickWebGpuAdapter([RTX], { gpuAdapter: -1 })).toThrow(/gpuAdapter -1 is not an adapter index/);
    process.env.SEG_GPU_ADAPTER = 'first';
    expect(() => pickWebGpuAdapter([RTX], {})).toThrow(/SEG_GPU_ADAPTER="first" is not an adapter index/);
  });
});

describe('isSoftwareAdapter', () => {
  it('recognises the CPU rasterisers from their adapter info, and not real GPUs', () => {
    expect(isSoftwareAdapter({ device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL version 4.5 Mesa 22.3.6' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'google', device: 'SwiftShader Device (Subzero)' })).toBe(true);
    expect(isSoftwareAdapter({ device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: 'Mesa lavapipe' })).toBe(true);
    expect(isSoftwareAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ada', device: 'NVIDIA GeForce RTX 4090' })).toBe(false);
  });
});

describe('selectBackend', () => {
  it("falls through tfjs-node-gpu, a software-only WebGPU and tfjs-node to wasm in Node's default order, saying why as data", async () => {
    const adapters = await listWebGpuAdapters();
    const chosen = await selectBackend();
    expect(chosen.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(chosen.device).toMatch(/\(\d+ cores\)$/);
    const [gpu, webgpu, tensorflow] = chosen.skipped;
    expect(chosen.skipped.map((s) => s.backend)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow']);
    expect(gpu).toMatchObject({
      reason: 'not-installed',
      package: '@tensorflow/tfjs-node-gpu',
      fix: 'npm install @tensorflow/tfjs-node-gpu@4.22.0 on a Linux x64 machine with an NVIDIA GPU and the CUDA 11.2 and cuDNN 8.1 libraries (or use webgpu)',
    });
    expect(tensorflow).toMatchObject({
      reason: 'not-installed',
      package: '@tensorflow/tfjs-node',
      fix: 'npm install @tensorflow/tfjs-node@4.22.0 (downloads libtensorflow 2.9.1 at install time)',
    });
    // Whatever Dawn finds on a machine without a GPU, it is not used by default.
    expect(adapters.every((a) => a.software)).toBe(true);
    expect(webgpu).toMatchObject(adapters.length > 0 ? { reason: 'software-adapter', adapter: adapters[0] } : { reason: 'no-adapter' });
    expect(NODE_BACKEND_ORDER).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
  });

  it('honours an explicit order', async () => {
    expect(await selectBackend(['cpu', 'wasm'])).toMatchObject({ name: 'cpu', tfjsName: 'cpu', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it.runIf(TEST_BACKENDS.includes('webgpu'))('uses the software adapter when allowed, naming it as the device', async () => {
    const chosen = await selectBackend(['webgpu', 'cpu'], { allowSoftwareGpu: true });
    expect(chosen).toMatchObject({ name: 'webgpu', tfjsName: 'webgpu', skipped: [] });
    expect(chosen.device).toBe((await listWebGpuAdapters())[0].description);
    const y = tf.square(tf.tensor1d([1, 2, 3]));
    expect(Array.from(await y.data())).toEqual([1, 4, 9]);
    y.dispose();
    await expect(selectBackend(['webgpu'], { gpuAdapter: 7, allowSoftwareGpu: true })).rejects.toThrow(/gpuAdapter 7 is out of range/);
  });

  it('throws NoUsableBackendError with every reason when nothing works, and names an unknown backend before trying any', async () => {
    const error = await selectBackend(['tensorflow', 'webgl']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoUsableBackendError);
    const { skipped, message } = error as NoUsableBackendError;
    expect(skipped).toEqual([
      expect.objectContaining({ backend: 'tensorflow', reason: 'not-installed', package: '@tensorflow/tfjs-node' }),
      { backend: 'webgl', reason: 'unavailable-here' },
    ]);
    expect(message).toBe(
      'selectBackend: no usable tfjs backend.\n' +
        '  tensorflow: @tensorflow/tfjs-node is not installed; fix: npm install @tensorflow/tfjs-node@4.22.0 (downloads libtensorflow 2.9.1 at install time)\n' +
        '  webgl: not available in Node: it runs in browsers only',
    );
    await expect(selectBackend(['cpu', 'tpu' as never])).rejects.toThrow(/unknown backend "tpu"; expected one of tensorflow-gpu/);
    await expect(selectBackend(['cpu', 'toString' as never])).rejects.toThrow(/unknown backend "toString"/);
  });
});

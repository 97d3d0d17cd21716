import { afterEach, describe, expect, it } from 'vitest';
import { gpuAdapterIndex, softwareGpuAllowed } from './environment.js';

describe('the GPU environment variables, read by one rule each', () => {
  afterEach(() => {
    delete process.env.SEG_ALLOW_SOFTWARE_GPU;
    delete process.env.SEG_GPU_ADAPTER;
  });

  it('SEG_ALLOW_SOFTWARE_GPU: 1 or true allow software GPUs; anything else does not; an option wins', () => {
    expect(softwareGpuAllowed()).toBe(false);
    for (const [value, allowed] of [['1', true], ['true', true], ['0', false], ['false', false], ['yes', false], ['', false]] as const) {
      process.env.SEG_ALLOW_SOFTWARE_GPU = value;
      expect(softwareGpuAllowed(), value).toBe(allowed);
    }
    process.env.SEG_ALLOW_SOFTWARE_GPU = '1';
    expect(softwareGpuAllowed(false)).toBe(false);
    delete process.env.SEG_ALLOW_SOFTWARE_GPU;
    expect(softwareGpuAllowed(true)).toBe(true);
  });

  it('SEG_GPU_ADAPTER: an index, or unset/empty for the first adapter; an option wins; anything else is named', () => {
    expect(gpuAdapterIndex()).toBeUndefined();
    process.env.SEG_GPU_ADAPTER = '';
    expect(gpuAdapterIndex()).toBeUndefined();
    process.env.SEG_GPU_ADAPTER = ' 2 ';
    expect(gpuAdapterIndex()).toBe(2);
    expect(gpuAdapterIndex(0)).toBe(0);
    for (const bad of ['-1', '1.5', 'first', '0x1']) {
      process.env.SEG_GPU_ADAPTER = bad;
      expect(() => gpuAdapterIndex(), bad).toThrow(`SEG_GPU_ADAPTER="${bad}" is not an adapter index; expected 0, 1, … (seg-doctor lists the adapters)`);
    }
    expect(() => gpuAdapterIndex(-1)).toThrow('selectBackend: gpuAdapter -1 is not an adapter index');
    expect(() => gpuAdapterIndex(0.5)).toThrow('selectBackend: gpuAdapter 0.5 is not an adapter index');
  });
});

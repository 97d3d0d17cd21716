import { describe, expect, it } from 'vitest';
import { checkMemory, nodeMemoryLimit } from './memory-limits.js';

const GiB = 2 ** 30;

describe('nodeMemoryLimit', () => {
  it('is the memory available now, not the machine total', () => {
    expect(nodeMemoryLimit({ available: () => 1.5 * GiB, free: () => 6 * GiB })).toEqual({
      bytes: 1.5 * GiB,
      what: 'the memory available to this process now (process.availableMemory())',
    });
    // Before Node 20.13 there is no process.availableMemory().
    expect(nodeMemoryLimit({ free: () => 6 * GiB })).toEqual({ bytes: 6 * GiB, what: "the machine's free memory now (os.freemem())" });
  });

  it('refuses an image that needs more than the free memory, and takes it when enough is free', () => {
    const need = { peakBytes: 3 * GiB, largestTensorBytes: GiB };
    const on = (free: number) => () => checkMemory('segment', 'ONNX Runtime node', 4000, 3000, need, { total: nodeMemoryLimit({ free: () => free }) });
    expect(on(2 * GiB)).toThrow(
      "segment: a 4000x3000 image needs about 3.00 GiB at its widest point on ONNX Runtime node, more than 2.00 GiB, the machine's free memory now (os.freemem()); scale it down to at most about 2939x2204",
    );
    expect(on(8 * GiB)).not.toThrow();
  });
});

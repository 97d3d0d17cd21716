import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../../../test-utils/backends.js';
import { selectBackend } from './backend.js';

describe('selectBackend', () => {
  it('falls through tfjs-node and the browser backends to wasm in Node, saying why', async () => {
    const chosen = await selectBackend();
    expect(chosen.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(chosen.skipped[0]).toMatch(/^tensorflow-gpu: @tensorflow\/tfjs-node-gpu is not installed/);
    expect(chosen.skipped[1]).toMatch(/^tensorflow: @tensorflow\/tfjs-node is not installed/);
    expect(chosen.skipped.slice(2)).toEqual(['webgpu: not available in this environment', 'webgl: not available in this environment']);
  });

  it('honours an explicit order', async () => {
    expect((await selectBackend(['cpu', 'wasm'])).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('lists every reason when nothing works', async () => {
    await expect(selectBackend(['tensorflow', 'webgl'])).rejects.toThrow(/no usable tfjs backend\.\n {2}tensorflow: .*\n {2}webgl: not available/);
    await expect(selectBackend(['tpu' as never])).rejects.toThrow(/unknown backend "tpu"; expected one of tensorflow-gpu/);
  });
});

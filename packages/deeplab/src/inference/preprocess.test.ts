import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../test-utils/backends.js';
import { IMAGENET_MEAN, IMAGENET_STD, normalize, preprocess } from './preprocess.js';

// Two pixels, RGB: (0, 128, 255) and (255, 0, 64); expectations computed by hand from the ImageNet statistics.
const rgb = new Uint8Array([0, 128, 255, 255, 0, 64]);
const expected = [0, 128, 255, 255, 0, 64].map((v, i) => (v / 255 - IMAGENET_MEAN[i % 3]) / IMAGENET_STD[i % 3]);

describeEachBackend('preprocess', () => {
  it('normalises RGB bytes with the ImageNet mean and std into [1, H, W, 3]', async () => {
    const x = preprocess({ data: rgb, width: 2, height: 1, channels: 3 });
    expect(x.shape).toEqual([1, 1, 2, 3]);
    expect(x.dtype).toBe('float32');
    const got = Array.from(await x.data());
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 5);
    });
    x.dispose();
  });

  it('drops alpha from RGBA bytes, ImageData-like objects and [H, W, 4] tensors alike', async () => {
    const rgba = new Uint8ClampedArray([0, 128, 255, 7, 255, 0, 64, 9]);
    const t = tf.tensor3d(Array.from(rgba), [1, 2, 4], 'int32');
    const inputs = [{ data: rgba, width: 2, height: 1, channels: 4 as const }, t];
    for (const input of inputs) {
      const x = preprocess(input);
      Array.from(await x.data()).forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 5);
    });
      x.dispose();
    }
    // An ImageData has no `channels`: it is always RGBA. Like the DOM's, this one keeps its
    // fields in prototype getters (a spread of it copies nothing).
    class FakeImageData {
      readonly #data = rgba;
      get data() {
        return this.#data;
      }
      get width() {
        return 2;
      }
      get height() {
        return 1;
      }
    }
    const y = preprocess(new FakeImageData() as unknown as ImageData);
    expect(y.shape).toEqual([1, 1, 2, 3]);
    Array.from(await y.data()).forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 5);
    });
    tf.dispose([t, y]);
  });

  it('normalize keeps the rank and leaks nothing', async () => {
    const pixels = tf.tensor4d(Array.from(rgb), [1, 1, 2, 3]);
    const out = await expectNoTensorLeak(() => {
      const y = normalize(pixels);
      const shape = y.shape;
      y.dispose();
      return shape;
    });
    expect(out).toEqual([1, 1, 2, 3]);
    pixels.dispose();
  });

  it('preprocess leaks no tensors, even when it throws', async () => {
    await expectNoTensorLeak(() => preprocess({ data: rgb, width: 2, height: 1, channels: 3 }).dispose());
    await expectNoTensorLeak(() => expect(() => preprocess({ data: rgb, width: 3, height: 1, channels: 3 })).toThrow());
  });
});

describe('preprocess errors', () => {
  it('names the mismatch between the buffer and width*height*channels', () => {
    expect(() => preprocess({ data: rgb, width: 3, height: 1, channels: 3 })).toThrow(
      'preprocess: image data has 6 bytes, expected width*height*channels = 3*1*3 = 9',
    );
  });
  it('names bad channels, sizes and tensor shapes', () => {
    expect(() => preprocess({ data: rgb, width: 2, height: 1, channels: 2 as 3 })).toThrow(/channels is 2; expected 3 \(RGB\) or 4/);
    expect(() => preprocess({ data: rgb, width: 0, height: 1, channels: 3 })).toThrow(/width 0 and height 1 must be positive integers/);
    const t = tf.zeros([2, 2]) as unknown as tf.Tensor3D;
    expect(() => preprocess(t)).toThrow('preprocess: expected an [H, W, 3] or [H, W, 4] tensor, got shape [2, 2]');
    t.dispose();
  });
  it('says that DOM image sources need a browser when there is no DOM', () => {
    const fakeImg = { naturalWidth: 4, width: 4, height: 4 } as unknown as HTMLImageElement;
    expect(() => preprocess(fakeImg)).toThrow(/need a DOM; in Node pass \{ data, width, height, channels \}/);
  });
});

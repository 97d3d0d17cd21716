import type { Pixels } from '@seg/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoTensorLeak, useBackend } from '../../../../test-utils/backends.js';
import { deeplabV3Plus } from '../model/deeplab-v3-plus.js';
import { segment } from './segment.js';

const tiny = () =>
  deeplabV3Plus({ backbone: 'resnet18', numClasses: 21, lowLevelChannels: 4, decoderChannels: 8, backboneOptions: { baseWidth: 4, blocks: [1, 1, 1, 1] } });

const gray = (width: number, height: number): Pixels => ({ data: new Uint8Array(width * height * 3).fill(128), width, height, channels: 3 });

describe('segment() refuses bad input, naming it (#17)', () => {
  let model: tfl.LayersModel;
  beforeAll(async () => {
    await useBackend('wasm');
    model = tiny();
  });
  afterAll(() => model.dispose());

  it('a NaN or infinite value in a tensor image, naming the value and where it is (it used to give a mask of class 0)', async () => {
    const values = new Float32Array(40 * 36 * 3).fill(100);
    values[(3 * 40 + 5) * 3 + 1] = Number.NaN;
    const image = tf.tensor3d(values, [36, 40, 3]);
    await expectNoTensorLeak(() => expect(segment(model, image)).rejects.toThrow('segment: image value NaN at x=5, y=3, channel G is not finite; expected RGB values in 0-255'));
    values.fill(100);
    values[values.length - 1] = Number.NEGATIVE_INFINITY;
    const infinite = tf.tensor3d(values, [36, 40, 3]);
    await expect(segment(model, infinite)).rejects.toThrow('image value -Infinity at x=39, y=35, channel B is not finite');
    tf.dispose([image, infinite]);
  });

  it('an 8000x6000 image: an error naming the size and the 4 GiB wasm heap before anything is allocated; the backend stays usable', async () => {
    const huge = gray(8000, 6000);
    const before = tf.memory();
    await expect(segment(model, huge)).rejects.toThrow(
      /^segment: a 8000x6000 image needs about [\d.]+ GiB at its widest point on the tfjs wasm backend, more than [\d.]+ GiB, the wasm backend's 4 GiB heap \(32-bit wasm\), less the [\d.]+ GiB its tensors hold; scale it down to at most about \d+x\d+/,
    );
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    const message = await segment(model, huge).then(
      () => '',
      (e: Error) => e.message,
    );
    const [w, h] = /at most about (\d+)x(\d+)/.exec(message)!.slice(1).map(Number);
    // The suggested size does fit, and the backend still works after the refusal.
    const fits = await segment(model, gray(Math.min(w, 1200), Math.min(h, 900)));
    expect(fits.labels.length).toBe(Math.min(w, 1200) * Math.min(h, 900));
    expect((await segment(model, gray(48, 40))).labels.length).toBe(48 * 40);
  });

  it('a wrong image or model argument, naming it', async () => {
    await expect(segment(model, null as never)).rejects.toThrow(
      'segment: image is null; expected { data, width, height, channels }, an [H, W, 3 | 4] tf.Tensor3D of 0-255 values, or a browser image',
    );
    await expect(segment(model, 'photo.png' as never)).rejects.toThrow('segment: image is "photo.png"; expected { data, width, height, channels }');
    await expect(segment(model, { width: 4 } as never)).rejects.toThrow('segment: image is an object with keys ["width"]; expected');
    await expect(segment(null as never, gray(40, 40))).rejects.toThrow('segment: model is null; expected a tf.LayersModel such as deeplabV3Plus() builds');
    const grayscale = tf.zeros([40, 40, 1]);
    await expect(segment(model, grayscale as never)).rejects.toThrow('segment: image is a tensor of shape [40, 40, 1]; expected [height, width, 3] (RGB)');
    grayscale.dispose();
    await expect(segment(model, { ...gray(40, 40), channels: 1 } as never)).rejects.toThrow('segment: image channels is 1; expected 3 (RGB) or 4 (RGBA)');
  });

  it('wrong options, naming the option (scales: [Infinity] used to be a RangeError)', async () => {
    const image = gray(40, 40);
    await expect(segment(model, image, { scales: [Number.POSITIVE_INFINITY] })).rejects.toThrow(
      'segment: options.scales[0] is Infinity; expected a finite positive number such as 0.75',
    );
    await expect(segment(model, image, { scales: [1, Number.NaN] })).rejects.toThrow('options.scales[1] is NaN');
    await expect(segment(model, image, { scales: 1 as never })).rejects.toThrow('segment: options.scales is 1; expected a non-empty array');
    await expect(segment(model, image, { flip: 'yes' as never })).rejects.toThrow('segment: options.flip is "yes"; expected true or false');
    await expect(segment(model, image, { returnScores: 1 as never })).rejects.toThrow('segment: options.returnScores is 1; expected true or false');
    await expect(segment(model, image, 5 as never)).rejects.toThrow('segment: options is 5; expected an object such as { flip: true, scales: [1, 1.5] }');
    await expect(segment(model, image, { scale: 2 } as never)).rejects.toThrow('segment: unknown option(s) scale; the options are flip, scales, returnScores');
    await expect(segment(model, image, { flip: true, Scales: [1], returnscores: true } as never)).rejects.toThrow('segment: unknown option(s) Scales, returnscores; the options are flip, scales, returnScores');
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend } from '../../../../test-utils/backends.js';
import { segmentationBatches } from './batches.js';
import { inMemoryDataset } from './in-memory-dataset.js';
import { resumableBatches } from './resumable-batches.js';

const samples = Array.from({ length: 7 }, (_, i) => ({
  id: `s${i}`,
  image: { data: new Uint8Array(12).fill(i), width: 2, height: 2 },
  labels: new Uint8Array(4).fill(i % 3),
}));
const stream = (batchSize = 2) => segmentationBatches(inMemoryDataset(samples), { batchSize, seed: 3, normalize: 'none' });

/** The sample ids of the next `n` batches of `source`, disposing their tensors. */
async function take(source: AsyncIterable<{ ids: string[]; images: tf.Tensor; labels: tf.Tensor }>, n: number): Promise<string[][]> {
  const out: string[][] = [];
  for await (const b of source) {
    out.push(b.ids);
    tf.dispose([b.images, b.labels]);
    if (out.length === n) break;
  }
  return out;
}

describeEachBackend('resumableBatches', () => {
  it('hands out, from a saved position, the batches an uninterrupted stream would', async () => {
    const whole = await take(resumableBatches(stream()), 9);
    const first = resumableBatches(stream());
    const head = await take(first, 6);
    // 4 batches per epoch (7 samples, batch 2): after 6 batches the next is epoch 1, batch 2.
    expect(first.getState()).toEqual({ epoch: 1, batch: 2, batchesPerEpoch: 4 });
    const second = resumableBatches(stream());
    second.checkState(first.getState(), 'ckpt: sections.data');
    second.setState(first.getState());
    expect([...head, ...(await take(second, 3))]).toEqual(whole);
  });

  it('refuses a position from a stream of another size, naming the section', () => {
    const s = resumableBatches(stream(3));
    expect(() => s.checkState({ epoch: 1, batch: 2, batchesPerEpoch: 4 }, 'ckpt: sections.data')).toThrow(
      "ckpt: sections.data: the checkpoint's data had 4 batches per epoch, this stream has 3",
    );
    expect(() => s.checkState({ epoch: 0, batch: 3, batchesPerEpoch: 3 }, 'ckpt: sections.data')).toThrow(
      'ckpt: sections.data.batch: 3 is not below batchesPerEpoch 3',
    );
    expect(() => s.checkState({ epoch: -1, batch: 0, batchesPerEpoch: 3 }, 'ckpt: sections.data')).toThrow(
      'ckpt: sections.data.epoch: expected an integer >= 0, got -1',
    );
  });
});

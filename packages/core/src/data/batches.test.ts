import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../test-utils/backends.js';
import { compose } from './augmentation.js';
import { centerCrop, randomCrop } from './crop.js';
import { randomHorizontalFlip } from './flip.js';
import type { SegmentationDataset, SegmentationSample } from './image.js';
import { inMemoryDataset } from './in-memory-dataset.js';
import { IMAGENET_MEAN, IMAGENET_STD } from './normalize.js';
import { type SegmentationBatch, segmentationBatches } from './batches.js';

/**
 * Sample i is a 12×10 image whose red channel is i and whose labels are
 * i % 22; `calls` records every load started, `done` every load finished.
 */
function toyDataset(size: number, delayMs = 0): SegmentationDataset & { calls: number[]; done: number[] } {
  const calls: number[] = [];
  const done: number[] = [];
  return {
    size,
    calls,
    done,
    async get(i: number): Promise<SegmentationSample> {
      calls.push(i);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      done.push(i);
      const width = 12;
      const height = 10;
      const data = new Uint8Array(width * height * 3);
      for (let p = 0; p < width * height; p++) data.set([i, 100, p % 256], p * 3);
      return { id: `s${i}`, image: { data, width, height }, labels: new Uint8Array(width * height).fill(i % 22) };
    },
  };
}

async function collect(it: AsyncIterable<SegmentationBatch>): Promise<{ ids: string[][]; images: number[][]; labels: number[][] }> {
  const out = { ids: [] as string[][], images: [] as number[][], labels: [] as number[][] };
  for await (const b of it) {
    out.ids.push(b.ids);
    out.images.push(Array.from(await b.images.data()));
    out.labels.push(Array.from(await b.labels.data()));
    tf.dispose([b.images, b.labels]);
  }
  return out;
}

describeEachBackend('segmentationBatches', () => {
  it('yields [B,S,S,3] float32 images and [B,S,S] int32 labels, ImageNet-normalised by default', async () => {
    const stream = segmentationBatches(toyDataset(10), {
      batchSize: 4,
      transform: centerCrop({ size: 8, ignoreIndex: 21 }),
      shuffle: false,
    });
    expect(stream.batchesPerEpoch).toBe(3);
    const sizes: number[] = [];
    await expectNoTensorLeak(async () => {
      for await (const b of stream.epoch(0)) {
        expect(b.images.dtype).toBe('float32');
        expect(b.labels.dtype).toBe('int32');
        expect(b.images.shape.slice(1)).toEqual([8, 8, 3]);
        expect(b.labels.shape.slice(1)).toEqual([8, 8]);
        sizes.push(b.images.shape[0]);
        const img = (await b.images.data()) as Float32Array;
        const lab = await b.labels.data();
        const first = b.indices[0];
        // Pixel 0 of sample `first`: red = first, green = 100.
        expect(img[0]).toBeCloseTo((first / 255 - IMAGENET_MEAN[0]) / IMAGENET_STD[0], 5);
        expect(img[1]).toBeCloseTo((100 / 255 - IMAGENET_MEAN[1]) / IMAGENET_STD[1], 5);
        expect(lab[0]).toBe(first % 22);
        tf.dispose([b.images, b.labels]);
      }
    });
    expect(sizes).toEqual([4, 4, 2]);
  });

  it("normalize 'none', 'unit' and custom statistics, over an in-memory dataset", async () => {
    const sample = await toyDataset(1).get(0);
    const data = inMemoryDataset([sample, { ...sample, id: 'copy' }]);
    for (const [normalize, want] of [
      ['none', 100],
      ['unit', 100 / 255],
      [{ mean: [0, 0.5, 0], std: [1, 0.25, 1] }, (100 / 255 - 0.5) / 0.25],
    ] as const) {
      const stream = segmentationBatches(data, { batchSize: 2, normalize, shuffle: false });
      const { images, ids } = await collect(stream.epoch(0));
      expect(ids).toEqual([['s0', 'copy']]);
      expect(images[0][1]).toBeCloseTo(want, 5);
    }
    expect(() => segmentationBatches(data, { batchSize: 1, normalize: { mean: [0, 0, 0], std: [1, 0, 1] } })).toThrow(
      /normalize: expected .* with std > 0/,
    );
  });

  it('visits every sample once per epoch in a seeded order that changes per epoch', async () => {
    const stream = segmentationBatches(toyDataset(9), { batchSize: 4, seed: 5 });
    const e0 = stream.order(0);
    const e1 = stream.order(1);
    expect([...e0].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(e1).not.toEqual(e0);
    expect(segmentationBatches(toyDataset(9), { batchSize: 4, seed: 5 }).order(1)).toEqual(e1);
    expect(segmentationBatches(toyDataset(9), { batchSize: 4, seed: 6 }).order(0)).not.toEqual(e0);
    const { ids } = await collect(stream.epoch(1));
    expect(ids.flat()).toEqual(e1.map((i) => `s${i}`));
  });

  it('gives identical batches for any prefetch depth and resumes mid-epoch exactly', async () => {
    const transform = compose([randomHorizontalFlip(), randomCrop({ size: 6, ignoreIndex: 21 })]);
    const run = (prefetch: number, from = 0) =>
      collect(segmentationBatches(toyDataset(7), { batchSize: 2, seed: 3, transform, prefetch }).epoch(2, from));
    const a = await run(0);
    const b = await run(3);
    expect(b).toEqual(a);
    const resumed = await run(2, 2);
    expect(resumed.ids).toEqual(a.ids.slice(2));
    expect(resumed.images).toEqual(a.images.slice(2));
  });

  it('repeat() runs epoch after epoch and resumes from a saved (epoch, batch) position', async () => {
    const stream = segmentationBatches(toyDataset(5), { batchSize: 2, seed: 9 });
    const seen: string[] = [];
    for await (const b of stream.repeat(1, 2)) {
      seen.push(`${b.epoch}:${b.batch}:${b.ids.join(',')}`);
      tf.dispose([b.images, b.labels]);
      if (seen.length === 4) break;
    }
    const ids = (e: number, k: number) => stream.order(e).slice(k * 2, k * 2 + 2).map((i) => `s${i}`).join(',');
    expect(seen).toEqual([`1:2:${ids(1, 2)}`, `2:0:${ids(2, 0)}`, `2:1:${ids(2, 1)}`, `2:2:${ids(2, 2)}`]);
  });

  it('prefetches in the background while the consumer is busy, and leaks nothing when stopped early', async () => {
    const data = toyDataset(20, 2);
    const stream = segmentationBatches(data, { batchSize: 2, prefetch: 3, shuffle: false });
    await expectNoTensorLeak(async () => {
      for await (const b of stream.epoch(0)) {
        tf.dispose([b.images, b.labels]);
        const loaded = data.done.length;
        // A stand-in for an awaited training step: loading must continue meanwhile.
        await new Promise((r) => setTimeout(r, 30));
        expect(data.done.length).toBeGreaterThan(loaded);
        // ...but only `prefetch` batches ahead (+1 being handed out), not the whole epoch.
        expect(data.calls.length).toBeLessThanOrEqual(2 * (b.batch + 1 + 3 + 1));
        if (b.batch === 2) break;
      }
    });
  });

  it('names the offending sample when sizes differ or the dataset fails', async () => {
    const mixed: SegmentationDataset = {
      size: 2,
      async get(i) {
        const w = i === 0 ? 4 : 5;
        return { id: `m${i}`, image: { data: new Uint8Array(w * 4 * 3), width: w, height: 4 }, labels: new Uint8Array(w * 4) };
      },
    };
    await expect(collect(segmentationBatches(mixed, { batchSize: 2, shuffle: false }).epoch(0))).rejects.toThrow(
      /sample 1 \('m1'\) is 5×4 but sample 0 \('m0'\) is 4×4.*randomCrop/,
    );
    const brokenSample = { id: 'b', image: { data: new Uint8Array(5), width: 2, height: 2 }, labels: new Uint8Array(4) };
    expect(() => inMemoryDataset([brokenSample])).toThrow(/sample 0 \('b'\): image data has 5 bytes/);
    const broken: SegmentationDataset = { size: 1, get: async () => brokenSample };
    await expect(collect(segmentationBatches(broken, { batchSize: 1 }).epoch(0))).rejects.toThrow(
      /sample 0 \('b'\): image data has 5 bytes but a 2×2 RGB image needs 12/,
    );
    expect(() => segmentationBatches(toyDataset(3), { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() => segmentationBatches(toyDataset(3), { batchSize: 4, dropRemainder: true })).toThrow(/leaves no batch/);
  });
});

import { beforeAll, expect, it } from 'vitest';
import type { TrainingPair } from './fine-tune.js';

// Node has no ImageData; the crop needs only its three fields.
beforeAll(() => {
  (globalThis as Record<string, unknown>).ImageData ??= class {
    constructor(
      readonly data: Uint8ClampedArray,
      readonly width: number,
      readonly height: number,
    ) {}
  };
});

/** A width×height pair whose pixel (x, y) holds x + 10y in every channel and label. */
function pair(width: number, height: number): TrainingPair {
  const labels = Uint8Array.from({ length: width * height }, (_, p) => (p % width) + 10 * Math.floor(p / width));
  const data = Uint8ClampedArray.from({ length: width * height * 4 }, (_, i) => labels[i >> 2]);
  return { name: 'p', image: { data, width, height, colorSpace: 'srgb' } as ImageData, labels };
}

it('cuts the centre crop of image and labels alike, each side capped at the image', async () => {
  const { centreCrop } = await import('./fine-tune.js');
  const crop = centreCrop(pair(6, 3), 2);
  // Columns 2–3 of rows 0–1 (top = floor((3-2)/2) = 0, left = floor((6-2)/2) = 2).
  expect(Array.from(crop.labels)).toEqual([2, 3, 12, 13]);
  expect(Array.from(crop.image.data.filter((_, i) => i % 4 === 0))).toEqual([2, 3, 12, 13]);
  const capped = centreCrop(pair(6, 3), 4);
  expect([capped.image.width, capped.image.height]).toEqual([4, 3]);
  expect(Array.from(capped.labels)).toEqual([1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24]);
});

import { assertLabeledImage, type SegmentationDataset, type SegmentationSample } from './image.js';

/**
 * A {@link SegmentationDataset} over samples already in memory (tests, small
 * demos, or a cache filled by other means).
 *
 * @throws If a sample's buffers do not match its size (naming the sample).
 */
export function inMemoryDataset(samples: readonly SegmentationSample[]): SegmentationDataset {
  samples.forEach((s, i) => {
    assertLabeledImage(s, `inMemoryDataset: sample ${i} ('${s.id}')`);
  });
  const items = [...samples];
  return {
    size: items.length,
    async get(index: number) {
      if (!Number.isInteger(index) || index < 0 || index >= items.length) {
        throw new RangeError(`inMemoryDataset: index ${index} is outside 0..${items.length - 1}`);
      }
      return items[index];
    },
  };
}

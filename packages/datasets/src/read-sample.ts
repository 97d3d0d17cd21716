import type { SegmentationSample } from '@seg/core';
import { DatasetFileError } from './dataset.js';
import type { FormatLayout, ListedSample } from './formats/format-layout.js';
import { readImageFile } from './image/decode.js';

/**
 * Reads one listed sample: its image and class ids, checked to be the same size.
 *
 * @throws {DatasetFileError} `size-mismatch`, `unknown-index` or `unknown-color`, naming the file.
 * @throws {ImageFileError} If a file cannot be read or decoded.
 */
export async function readSample(layout: FormatLayout, sample: ListedSample): Promise<SegmentationSample> {
  const [image, mask] = await Promise.all([readImageFile(sample.image), layout.readLabels(sample.mask)]);
  if (image.width !== mask.width || image.height !== mask.height) {
    throw new DatasetFileError(
      'size-mismatch',
      sample.mask,
      `${sample.mask}: mask is ${mask.width}×${mask.height} but its image ${sample.image} is ${image.width}×${image.height}`,
    );
  }
  return { id: sample.id, image, labels: mask.labels };
}

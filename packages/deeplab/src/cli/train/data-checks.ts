/**
 * What `seg-deeplab train` checks of its data and flags before the first
 * step, so that a bad input fails in seconds with its name, not after hours.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { SegmentationDataset } from '@seg/core';
import type { Dataset, DatasetSplit } from '@seg/datasets';
import type { TrainOptions } from './train-options.js';

/** Optimizer steps of one pass over `size` images (a last partial batch is dropped when there is a full one). */
export function stepsPerEpoch(size: number, batchSize: number): number {
  return size >= batchSize ? Math.floor(size / batchSize) : 1;
}

/**
 * Throws, naming the flag, the file or the split, on: a `--numClasses` other
 * than the dataset's, an empty split, an `--export` folder that does not
 * exist, or a `--cropSize` larger than every training image at the
 * augmentation's largest scale (the crops would be mostly padding).
 */
export async function checkBeforeTraining(
  options: TrainOptions,
  data: Dataset,
  train: DatasetSplit,
  validation: DatasetSplit,
  maxScale: number,
): Promise<void> {
  if (options.numClasses !== undefined && options.numClasses !== data.classes.length) {
    throw new Error(
      `--numClasses ${options.numClasses}: the ${data.format} dataset at ${data.root} has ${data.classes.length} classes (${data.classes.join(', ')}); ` +
        'the class count comes from the dataset: leave out --numClasses, or point --data at the dataset you meant',
    );
  }
  for (const [flag, split] of [
    ['--trainSplit', train],
    ['--valSplit', validation],
  ] as const) {
    if (split.size === 0) throw new Error(`${flag} ${split.name}: the split lists no images (${split.source}); run seg-deeplab data check ${data.root} --format ${data.format}`);
  }
  if (options.export) {
    const folder = dirname(resolve(options.export));
    const found = await stat(folder).catch(() => null);
    if (!found?.isDirectory()) throw new Error(`--export ${options.export}: the folder ${folder} does not exist; create it first or export elsewhere`);
  }
  await checkCropSize(options.cropSize, train, maxScale);
}

/** Refuses a crop larger than every image even at the largest training scale; stops at the first image that fits, usually the first. */
async function checkCropSize(cropSize: number, train: DatasetSplit, maxScale: number): Promise<void> {
  let largest = 0;
  for (let i = 0; i < train.size; i++) {
    const { width, height } = (await train.get(i)).image;
    const side = Math.min(width, height) * maxScale;
    if (side >= cropSize) return;
    largest = Math.max(largest, Math.min(width, height));
  }
  throw new Error(
    `--cropSize ${cropSize}: larger than every image of the ${train.name} split even scaled by ${maxScale} (the largest shorter side is ${largest} px), ` +
      `so every crop would be mostly padding; pass --cropSize ${Math.floor(largest * maxScale)} or less`,
  );
}

/** Labelled pixels per class over `split` (pixels labelled `ignoreIndex` left out), for median-frequency weights. */
export async function classPixelCounts(split: SegmentationDataset, numClasses: number, ignoreIndex: number): Promise<number[]> {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < split.size; i++) {
    const { labels } = await split.get(i);
    for (let p = 0; p < labels.length; p++) {
      const id = labels[p];
      if (id !== ignoreIndex && id < numClasses) counts[id] += 1;
    }
  }
  return counts;
}

import type { SegmentationDataset } from '@seg/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Palette } from '@seg/datasets/classes';
import { segment } from '../../inference/segment.js';
import { imagePng, labelsPng } from '../images.js';
import { RUN_FILES, type RunOutputs } from '../run-files.js';
import type { Triptych } from './run-report.js';

/**
 * Segments the first `count` images of `split` and writes input, ground truth
 * and prediction PNGs under `<out>/report/`, like the table of the reference
 * MSRC project's README, label maps painted with `palette`. Returns their
 * paths relative to the run folder.
 */
export async function writeTriptychs(model: LayersModel, split: SegmentationDataset, outputs: RunOutputs, count: number, palette: Palette): Promise<Triptych[]> {
  const result: Triptych[] = [];
  for (let i = 0; i < Math.min(count, split.size); i++) {
    const sample = await split.get(i);
    const { width, height } = sample.image;
    const { labels } = await segment(model, { data: sample.image.data, width, height, channels: 3 });
    const file = (kind: string) => `${RUN_FILES.reportAssets}/test-${sample.id.replace(/[^\w.-]/g, '_')}-${kind}.png`;
    const t: Triptych = { title: sample.id, image: file('img'), truth: file('gt'), prediction: file('pred') };
    await outputs.write(t.image, await imagePng(sample.image));
    await outputs.write(t.truth, await labelsPng(sample.labels, width, height, palette));
    await outputs.write(t.prediction, await labelsPng(labels, width, height, palette));
    result.push(t);
  }
  return result;
}

import { join } from 'node:path';
import type { SegmentationDataset } from '@seg/core';
import { segment } from '@seg/deeplab';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { rgba, writeLabelsPng, writePng } from '../images.js';
import { REPORT_ASSETS, type Triptych } from './run-report.js';

/**
 * Segments the first `count` images of `split` and writes input, ground truth
 * and prediction PNGs under `<out>/report/`, like the table of the reference
 * project's README. Returns their paths relative to `out`.
 */
export async function writeTriptychs(model: LayersModel, split: SegmentationDataset, out: string, count: number): Promise<Triptych[]> {
  const result: Triptych[] = [];
  for (let i = 0; i < Math.min(count, split.size); i++) {
    const sample = await split.get(i);
    const { width, height } = sample.image;
    const { labels } = await segment(model, { data: sample.image.data, width, height, channels: 3 });
    const file = (kind: string) => `${REPORT_ASSETS}/test-${sample.id}-${kind}.png`;
    const t: Triptych = { title: sample.id, image: file('img'), truth: file('gt'), prediction: file('pred') };
    await writePng(join(out, t.image), rgba(sample.image), width, height);
    await writeLabelsPng(join(out, t.truth), sample.labels, width, height);
    await writeLabelsPng(join(out, t.prediction), labels, width, height);
    result.push(t);
  }
  return result;
}

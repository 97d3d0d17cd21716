import type { Augmentation } from './augmentation.js';
import { checkRange } from './augmentation-checks.js';
import type { LabeledImage } from './image.js';

/** Options of {@link randomHorizontalFlip}. */
export interface RandomHorizontalFlipOptions {
  /** Probability of mirroring a sample. Default 0.5. */
  probability?: number;
}

/** @deprecated Renamed {@link RandomHorizontalFlipOptions}. */
export type RandomHorizontalFlipArgs = RandomHorizontalFlipOptions;

/** Mirrors image and labels left to right. */
export function flipHorizontal(sample: LabeledImage): LabeledImage {
  const { image, labels } = sample;
  const { width, height, data } = image;
  const out = new Uint8Array(data.length);
  const outLabels = new Uint8Array(labels.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const s = row + x;
      const d = row + width - 1 - x;
      outLabels[d] = labels[s];
      out[d * 3] = data[s * 3];
      out[d * 3 + 1] = data[s * 3 + 1];
      out[d * 3 + 2] = data[s * 3 + 2];
    }
  }
  return { image: { data: out, width, height }, labels: outLabels };
}

/** Mirrors image and labels left to right with probability `probability`. */
export function randomHorizontalFlip(args: RandomHorizontalFlipOptions = {}): Augmentation {
  const probability = args.probability ?? 0.5;
  checkRange('randomHorizontalFlip', 'probability', probability, 0, 1);
  return (sample, rng) => (rng.bool(probability) ? flipHorizontal(sample) : sample);
}

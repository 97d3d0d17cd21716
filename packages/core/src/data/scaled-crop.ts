import type { Augmentation } from './augmentation.js';
import { MEAN_PIXEL_FILL } from './augmentation.js';
import { checkRange } from './augmentation-checks.js';
import type { LabeledImage } from './image.js';
import { warpAffine } from './resample.js';

/** Options of {@link randomScaledCrop}. */
export interface RandomScaledCropOptions {
  /** Smallest scale factor, at least 1 so the crop always fits. Default 1. */
  minScale?: number;
  /** Scale factors are drawn from [minScale, maxScale). Default 2.5 (the reference MSRC run's `RandomScaledCrop`). */
  maxScale?: number;
}

/** @deprecated Renamed {@link RandomScaledCropOptions}. */
export type RandomScaledCropArgs = RandomScaledCropOptions;

/**
 * Enlarges the sample to `⌊width·scaleX⌋ × ⌊height·scaleY⌋` (image bilinear,
 * labels nearest, half-pixel centres) and cuts the input's size back out with
 * its top-left corner at (`left`, `top`) of the enlarged image. Both steps are
 * one resampling, exactly equal to resizing then cropping.
 *
 * @throws If a scale is under 1 or the window leaves the enlarged image.
 */
export function scaledCrop(sample: LabeledImage, scaleX: number, scaleY: number, left: number, top: number): LabeledImage {
  const { width, height } = sample.image;
  const sw = Math.floor(width * scaleX);
  const sh = Math.floor(height * scaleY);
  if (!(scaleX >= 1 && scaleY >= 1)) throw new RangeError(`scaledCrop: scales must be >= 1 so the crop fits, got ${scaleX} × ${scaleY}`);
  if (!(left >= 0 && top >= 0 && left + width <= sw && top + height <= sh)) {
    throw new RangeError(`scaledCrop: a ${width}×${height} window at (${left}, ${top}) leaves the ${sw}×${sh} enlarged image`);
  }
  const rx = width / sw;
  const ry = height / sh;
  // Enlarged pixel (x + left) has its centre at source ((x + left + 0.5)·rx - 0.5): resize's half-pixel mapping.
  const m = [rx, 0, (left + 0.5) * rx - 0.5, 0, ry, (top + 0.5) * ry - 0.5];
  // Every window pixel maps inside the source, so fill and ignore index are never used.
  return warpAffine(sample, m, width, height, MEAN_PIXEL_FILL, 0);
}

/**
 * Zooms in with independent horizontal and vertical factors drawn from
 * [minScale, maxScale) and crops a random window of the input's size back
 * out: aspect-changing scale jitter that keeps the size and brings in no
 * padding. The reference MSRC run's `RandomScaledCrop`, which ran on every
 * sample it was given (its `p` was never read).
 */
export function randomScaledCrop(args: RandomScaledCropOptions = {}): Augmentation {
  const minScale = args.minScale ?? 1;
  const maxScale = args.maxScale ?? 2.5;
  checkRange('randomScaledCrop', 'minScale', minScale, 1, 100);
  checkRange('randomScaledCrop', 'maxScale', maxScale, minScale, 100);
  return (sample, rng) => {
    const { width, height } = sample.image;
    const scaleX = rng.uniform(minScale, maxScale);
    const scaleY = rng.uniform(minScale, maxScale);
    const left = rng.int(Math.floor(width * scaleX) - width + 1);
    const top = rng.int(Math.floor(height * scaleY) - height + 1);
    return scaledCrop(sample, scaleX, scaleY, left, top);
  };
}

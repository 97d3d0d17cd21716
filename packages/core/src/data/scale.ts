import type { Augmentation } from './augmentation.js';
import { checkRange } from './augmentation-checks.js';
import { resizeLabeledImage } from './resample.js';

/** Options of {@link randomScale}. */
export interface RandomScaleOptions {
  /** Smallest scale factor. Default 0.5, DeepLab's training range. */
  minScale?: number;
  /** Largest scale factor. Default 2.0. */
  maxScale?: number;
}

/** @deprecated Renamed {@link RandomScaleOptions}. */
export type RandomScaleArgs = RandomScaleOptions;

/**
 * Rescales image (bilinear) and labels (nearest) by one factor drawn
 * uniformly from [minScale, maxScale]; follow it with {@link randomCrop} to
 * get a fixed size back (the "random scale + crop" of DeepLab training).
 */
export function randomScale(args: RandomScaleOptions = {}): Augmentation {
  const minScale = args.minScale ?? 0.5;
  const maxScale = args.maxScale ?? 2.0;
  checkRange('randomScale', 'minScale', minScale, 0.01, 100);
  checkRange('randomScale', 'maxScale', maxScale, minScale, 100);
  return (sample, rng) => {
    const s = rng.uniform(minScale, maxScale);
    const { width, height } = sample.image;
    return resizeLabeledImage(sample, Math.max(1, Math.round(width * s)), Math.max(1, Math.round(height * s)));
  };
}

/** Options of {@link resizeSample}. */
export interface ResizeOptions {
  /** Output width in pixels. Required. */
  width: number;
  /** Output height in pixels. Required. */
  height: number;
}

/** @deprecated Renamed {@link ResizeOptions}. */
export type ResizeArgs = ResizeOptions;

/** Resizes every sample to a fixed size (no randomness), e.g. for evaluation. */
export function resizeSample(args: ResizeOptions): Augmentation {
  checkRange('resize', 'width', args.width, 1, 1 << 16);
  checkRange('resize', 'height', args.height, 1, 1 << 16);
  const width = Math.round(args.width);
  const height = Math.round(args.height);
  return (sample) => resizeLabeledImage(sample, width, height);
}

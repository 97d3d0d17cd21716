import type { Augmentation } from './augmentation.js';
import { MEAN_PIXEL_FILL } from './augmentation.js';
import { checkFill, checkIgnoreIndex, checkRange } from './augmentation-checks.js';
import type { LabeledImage } from './image.js';
import { warpAffine } from './resample.js';

/** Options of {@link randomRotation}. */
export interface RandomRotationArgs {
  /** Label for pixels rotated in from outside the image, e.g. `MSRC_VOID`. Required: core knows no dataset. */
  ignoreIndex: number;
  /** Angles are drawn uniformly from [-maxDegrees, maxDegrees]. Default 10. */
  maxDegrees?: number;
  /** Probability of rotating a sample at all. Default 1. */
  probability?: number;
  /** Image colour for pixels rotated in from outside. Default {@link MEAN_PIXEL_FILL}. */
  fill?: readonly [number, number, number];
}

/**
 * Rotates image (bilinear) and labels (nearest) about the image centre by a
 * random angle, keeping the size; corners brought in from outside get `fill`
 * and `ignoreIndex`.
 */
export function randomRotation(args: RandomRotationArgs): Augmentation {
  const maxDegrees = args.maxDegrees ?? 10;
  const probability = args.probability ?? 1;
  const fill = args.fill ?? MEAN_PIXEL_FILL;
  checkIgnoreIndex('randomRotation', args.ignoreIndex);
  checkRange('randomRotation', 'maxDegrees', maxDegrees, 0, 180);
  checkRange('randomRotation', 'probability', probability, 0, 1);
  checkFill('randomRotation', fill);
  return (sample, rng) => {
    if (!rng.bool(probability)) return sample;
    return rotateLabeled(sample, rng.uniform(-maxDegrees, maxDegrees), fill, args.ignoreIndex);
  };
}

/**
 * Rotates image (bilinear) and labels (nearest) by `degrees` about the image
 * centre, counter-clockwise as displayed (torchvision's convention), keeping
 * the size; pixels brought in from outside get `fill` and `ignoreIndex`.
 */
export function rotateLabeled(
  sample: LabeledImage,
  degrees: number,
  fill: readonly number[],
  ignoreIndex: number,
): LabeledImage {
  const { width, height } = sample.image;
  const radians = (degrees * Math.PI) / 180;
  const cos = Math.cos(radians);
  const sin = Math.sin(radians);
  // Centre of rotation in pixel-index coordinates (pixel centres at integers).
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  // Output (x, y) reads the source at R·(p - c) + c; with y pointing down this turns content counter-clockwise.
  const m = [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy];
  return warpAffine(sample, m, width, height, fill, ignoreIndex);
}

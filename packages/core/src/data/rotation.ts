import type { Augmentation } from './augmentation.js';
import { MEAN_PIXEL_FILL } from './augmentation.js';
import { checkFill, checkIgnoreIndex, checkRange } from './augmentation-checks.js';
import type { LabeledImage } from './image.js';
import { warpAffine } from './resample.js';

/** Options of {@link randomRotation}. */
export interface RandomRotationOptions {
  /** Label for pixels rotated in from outside the image, e.g. `MSRC_VOID`. Required: core knows no dataset. */
  ignoreIndex: number;
  /** Angles are drawn uniformly from [-maxDegrees, maxDegrees]. Default 10. */
  maxDegrees?: number;
  /** Probability of rotating a sample at all. Default 1. */
  probability?: number;
  /** Image colour for pixels rotated in from outside. Default {@link MEAN_PIXEL_FILL}. */
  fill?: readonly [number, number, number];
  /**
   * Magnification about the centre applied with the rotation, then cropped
   * back to the input size. Large enough a zoom keeps the corners inside the
   * source, so no pixel is filled: ×1.6 covers ±5° on MSRC's 3:2 images (the
   * reference run's `RandomRotate`). Default 1 (none).
   */
  zoom?: number;
}

/** @deprecated Renamed {@link RandomRotationOptions}. */
export type RandomRotationArgs = RandomRotationOptions;

/**
 * Rotates image (bilinear) and labels (nearest) about the image centre by a
 * random angle, keeping the size; corners brought in from outside get `fill`
 * and `ignoreIndex`.
 */
export function randomRotation(args: RandomRotationOptions): Augmentation {
  const maxDegrees = args.maxDegrees ?? 10;
  const probability = args.probability ?? 1;
  const fill = args.fill ?? MEAN_PIXEL_FILL;
  const zoom = args.zoom ?? 1;
  checkIgnoreIndex('randomRotation', args.ignoreIndex);
  checkRange('randomRotation', 'zoom', zoom, 0.1, 10);
  checkRange('randomRotation', 'maxDegrees', maxDegrees, 0, 180);
  checkRange('randomRotation', 'probability', probability, 0, 1);
  checkFill('randomRotation', fill);
  return (sample, rng) => {
    if (!rng.bool(probability)) return sample;
    return rotateLabeled(sample, rng.uniform(-maxDegrees, maxDegrees), fill, args.ignoreIndex, zoom);
  };
}

/**
 * Rotates image (bilinear) and labels (nearest) by `degrees` about the image
 * centre, counter-clockwise as displayed (torchvision's convention), and
 * magnifies by `zoom`, keeping the size; pixels brought in from outside get
 * `fill` and `ignoreIndex`. Zoom and rotation are one affine resampling, so
 * the image is interpolated once (the reference run resized, rotated and
 * cropped: three).
 */
export function rotateLabeled(
  sample: LabeledImage,
  degrees: number,
  fill: readonly number[],
  ignoreIndex: number,
  zoom = 1,
): LabeledImage {
  const { width, height } = sample.image;
  const radians = (degrees * Math.PI) / 180;
  const cos = Math.cos(radians) / zoom;
  const sin = Math.sin(radians) / zoom;
  // Centre of rotation in pixel-index coordinates (pixel centres at integers).
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  // Output (x, y) reads the source at R·(p - c) / zoom + c; with y pointing down this turns content counter-clockwise.
  const m = [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy];
  return warpAffine(sample, m, width, height, fill, ignoreIndex);
}

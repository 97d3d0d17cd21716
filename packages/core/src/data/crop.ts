import type { Augmentation } from './augmentation.js';
import { MEAN_PIXEL_FILL } from './augmentation.js';
import { checkFill, checkIgnoreIndex, checkRange } from './augmentation-checks.js';
import type { LabeledImage } from './image.js';

/** Options of {@link randomCrop} and {@link centerCrop}. */
export interface CropOptions {
  /** Side of the square output, in pixels. Required. */
  size: number;
  /** Label for padding when the image is smaller than `size`, e.g. `MSRC_VOID`. Required: core knows no dataset. */
  ignoreIndex: number;
  /** Image colour of padding. Default {@link MEAN_PIXEL_FILL}. */
  fill?: readonly [number, number, number];
}

/** @deprecated Renamed {@link CropOptions}. */
export type CropArgs = CropOptions;

/**
 * Copies the `size`×`size` window whose top-left corner sits at (`left`,
 * `top`) of the source (either may be negative or run past the far edge);
 * pixels outside the source become `fill` / `ignoreIndex`.
 */
export function cropPadded(
  sample: LabeledImage,
  left: number,
  top: number,
  size: number,
  fill: readonly number[],
  ignoreIndex: number,
): LabeledImage {
  const { data, width, height } = sample.image;
  const out = new Uint8Array(size * size * 3);
  const outLabels = new Uint8Array(size * size).fill(ignoreIndex);
  for (let i = 0; i < out.length; i += 3) {
    out[i] = fill[0];
    out[i + 1] = fill[1];
    out[i + 2] = fill[2];
  }
  const x0 = Math.max(0, left);
  const x1 = Math.min(width, left + size);
  const y0 = Math.max(0, top);
  const y1 = Math.min(height, top + size);
  if (x1 > x0) {
    for (let y = y0; y < y1; y++) {
      const src = y * width;
      const dst = (y - top) * size - left;
      outLabels.set(sample.labels.subarray(src + x0, src + x1), dst + x0);
      out.set(data.subarray((src + x0) * 3, (src + x1) * 3), (dst + x0) * 3);
    }
  }
  return { image: { data: out, width: size, height: size }, labels: outLabels };
}

function cropOptions(op: string, args: CropOptions): { size: number; fill: readonly number[] } {
  checkRange(op, 'size', args.size, 1, 1 << 16);
  if (!Number.isInteger(args.size)) throw new RangeError(`${op}: size must be an integer, got ${args.size}`);
  checkIgnoreIndex(op, args.ignoreIndex);
  const fill = args.fill ?? MEAN_PIXEL_FILL;
  checkFill(op, fill);
  return { size: args.size, fill };
}

/**
 * Cuts a random `size`×`size` square. Along a side shorter than `size` the
 * image is instead placed at a random offset inside the square and the rest
 * padded, so every output has the fixed size a batch needs.
 */
export function randomCrop(args: CropOptions): Augmentation {
  const { size, fill } = cropOptions('randomCrop', args);
  return (sample, rng) => {
    const { width, height } = sample.image;
    const left = width >= size ? rng.int(width - size + 1) : -rng.int(size - width + 1);
    const top = height >= size ? rng.int(height - size + 1) : -rng.int(size - height + 1);
    return cropPadded(sample, left, top, size, fill, args.ignoreIndex);
  };
}

/** Cuts the central `size`×`size` square, padding sides shorter than `size` equally. */
export function centerCrop(args: CropOptions): Augmentation {
  const { size, fill } = cropOptions('centerCrop', args);
  return (sample) => {
    const { width, height } = sample.image;
    return cropPadded(sample, Math.floor((width - size) / 2), Math.floor((height - size) / 2), size, fill, args.ignoreIndex);
  };
}

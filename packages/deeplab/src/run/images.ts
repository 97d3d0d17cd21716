/** The PNGs a run writes: input images and label maps painted with the dataset's palette. */
import type { RgbImage } from '@seg/core';
import { encodeRgbPng } from '@seg/datasets';
import { colorize,  } from '../classes/colorize.js';
import type { Palette } from '@seg/datasets/classes';

/** The colour of ignored pixels in painted label maps: Pascal VOC's for its void borders. */
export const IGNORED_COLOR = [224, 224, 192] as const;

/** RGB → RGBA with opaque alpha, the layout PNG encoders and `ImageData` take. */
export function rgba(image: RgbImage): Uint8ClampedArray {
  const out = new Uint8ClampedArray(image.width * image.height * 4);
  for (let i = 0, j = 0; i < image.data.length; i += 3, j += 4) {
    out[j] = image.data[i];
    out[j + 1] = image.data[i + 1];
    out[j + 2] = image.data[i + 2];
    out[j + 3] = 255;
  }
  return out;
}

/** An RGB image as PNG bytes. */
export function imagePng(image: RgbImage): Promise<Uint8Array> {
  return encodeRgbPng(rgba(image), image.width, image.height);
}

/**
 * `palette` with a colour for every id up to 255: {@link IGNORED_COLOR} at
 * `ignoreIndex` (the ground truth holds it), black for ids no class has.
 */
export function paintingPalette(palette: Palette, ignoreIndex?: number): Palette {
  const full: (readonly [number, number, number])[] = Array.from({ length: 256 }, (_, id) => palette[id] ?? [0, 0, 0]);
  if (ignoreIndex !== undefined && ignoreIndex >= palette.length && ignoreIndex < 256) full[ignoreIndex] = IGNORED_COLOR;
  return full;
}

/** A label map painted with `palette` (see {@link paintingPalette}), as RGB PNG bytes. */
export function labelsPng(labels: ArrayLike<number>, width: number, height: number, palette: Palette): Promise<Uint8Array> {
  return encodeRgbPng(colorize(labels, width, height, palette), width, height);
}

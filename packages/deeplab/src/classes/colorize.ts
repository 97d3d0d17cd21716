import type { Pixels } from '@seg/core';
import type { Palette } from '@seg/datasets/classes';

/**
 * Paints a label map with a palette.
 *
 * @returns RGBA pixels (alpha 255), ready for `ImageData` or a PNG encoder.
 * @throws If `labels` does not hold `width * height` entries or a label has no colour.
 */
export function colorize(
  labels: ArrayLike<number>,
  width: number,
  height: number,
  palette: Palette,
): Uint8ClampedArray {
  if (labels.length !== width * height) {
    throw new Error(`colorize: labels has ${labels.length} entries, expected width*height = ${width}*${height} = ${width * height}`);
  }
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < labels.length; i++) {
    const rgb = palette[labels[i]];
    if (!rgb) throw new Error(`colorize: label ${labels[i]} at pixel ${i} has no colour in a ${palette.length}-colour palette`);
    out[4 * i] = rgb[0];
    out[4 * i + 1] = rgb[1];
    out[4 * i + 2] = rgb[2];
    out[4 * i + 3] = 255;
  }
  return out;
}

/** Default opacity of the label colours in {@link overlay}. */
export const DEFAULT_OVERLAY_ALPHA = 0.5;

/**
 * Pixels {@link overlay} blends over.
 *
 * @deprecated Use `Pixels` from `@seg/core`, the same shape. Removed in the next major release.
 */
export type OverlayImage = Pixels;

/**
 * Blends the palette colour of each pixel's label over the image:
 * `(1 - alpha) * image + alpha * colour`.
 *
 * @param alpha Opacity of the label colours in [0, 1]. Default {@link DEFAULT_OVERLAY_ALPHA}.
 * @returns RGBA pixels (alpha 255) of the image's size.
 * @throws If sizes disagree, alpha is outside [0, 1] or a label has no colour.
 */
export function overlay(
  image: Pixels,
  labels: ArrayLike<number>,
  palette: Palette,
  alpha = DEFAULT_OVERLAY_ALPHA,
): Uint8ClampedArray {
  const { data, width, height } = image;
  const channels = image.channels ?? 4;
  if (channels !== 3 && channels !== 4) throw new Error(`overlay: image channels is ${channels}; expected 3 (RGB) or 4 (RGBA)`);
  if (data.length !== width * height * channels) {
    throw new Error(`overlay: image data has ${data.length} bytes, expected width*height*channels = ${width}*${height}*${channels}`);
  }
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`overlay: alpha is ${alpha}; expected a number in [0, 1]`);
  const colours = colorize(labels, width, height, palette);
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      out[4 * i + c] = Math.round((1 - alpha) * data[channels * i + c] + alpha * colours[4 * i + c]);
    }
    out[4 * i + 3] = 255;
  }
  return out;
}

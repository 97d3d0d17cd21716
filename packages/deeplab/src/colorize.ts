/** An RGB colour per class id. */
export type Palette = readonly (readonly [number, number, number])[];

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

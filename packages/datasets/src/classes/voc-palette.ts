import type { Palette } from './palette.js';

/**
 * The PASCAL VOC colour map extended to `n` classes: the colours
 * segmentation tools use when a model names none (class 0 black, 1 dark red,
 * 2 dark green, …). Each bit triple of the class id goes into the next lower
 * bit of R, G and B, so neighbouring ids get distinct colours.
 */
export function vocPalette(n: number): Palette {
  return Array.from({ length: n }, (_, id) => {
    const rgb = [0, 0, 0];
    for (let bit = 7, c = id; c > 0; bit--, c >>= 3) {
      for (let k = 0; k < 3; k++) rgb[k] |= ((c >> k) & 1) << bit;
    }
    return [rgb[0], rgb[1], rgb[2]] as const;
  });
}

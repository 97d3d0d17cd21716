import type { Rgb } from './palette.js';

/** An RGB colour as one number, the key of a {@link ColorTable}. */
export const packRgb = (r: number, g: number, b: number): number => (r << 16) | (g << 8) | b;

/** A lookup from a packed colour ({@link packRgb}) to its class id. */
export type ColorTable = ReadonlyMap<number, number>;

/** A {@link ColorTable} from `[colour, classId]` pairs. */
export function colorTable(pairs: Iterable<readonly [Rgb, number]>): ColorTable {
  return new Map([...pairs].map(([c, id]) => [packRgb(c[0], c[1], c[2]), id]));
}

/**
 * Class ids of a colour-coded mask (`width * height * 3` RGB bytes).
 * `unknown` decides what a colour missing from `table` becomes: it throws,
 * or returns the id to use; it is called once per run of that colour, with
 * the colour and the pixel (x, y) where the run starts.
 */
export function idsFromColors(rgb: Uint8Array, width: number, table: ColorTable, unknown: (color: Rgb, x: number, y: number) => number): Uint8Array {
  const labels = new Uint8Array(rgb.length / 3);
  // Masks are piecewise constant, so remembering the last colour skips most map lookups.
  let lastColor = -1;
  let lastId = 0;
  for (let p = 0; p < labels.length; p++) {
    const color = packRgb(rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2]);
    if (color !== lastColor) {
      lastId = table.get(color) ?? unknown([rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2]], p % width, Math.floor(p / width));
      lastColor = color;
    }
    labels[p] = lastId;
  }
  return labels;
}

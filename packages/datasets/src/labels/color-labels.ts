import type { Rgb } from '../classes/palette.js';
import { DatasetFileError } from '../dataset.js';
import type { LabelMap } from '../formats/format-layout.js';
import { decodeImage, readImageBytes } from '../image/decode.js';

const pack = (r: number, g: number, b: number) => (r << 16) | (g << 8) | b;

/** A lookup from an RGB colour to its class id. */
export type ColorTable = ReadonlyMap<number, number>;

/** A {@link ColorTable} from `[colour, classId]` pairs. */
export function colorTable(pairs: Iterable<readonly [Rgb, number]>): ColorTable {
  return new Map([...pairs].map(([c, id]) => [pack(c[0], c[1], c[2]), id]));
}

/**
 * Reads a colour-coded mask (RGB PNG; its `bytes` when already read) and maps each colour to its class id.
 *
 * @throws {DatasetFileError} `unknown-color`, naming the file, the colour and its first pixel.
 */
export async function readColorLabels(file: string, table: ColorTable, bytes?: Uint8Array): Promise<LabelMap> {
  const { data, width, height } = await decodeImage(bytes ?? (await readImageBytes(file)), file);
  const labels = new Uint8Array(width * height);
  // Masks are piecewise constant, so remembering the last colour skips most map lookups.
  let lastColor = -1;
  let lastId = 0;
  for (let p = 0; p < labels.length; p++) {
    const color = pack(data[p * 3], data[p * 3 + 1], data[p * 3 + 2]);
    if (color !== lastColor) {
      const id = table.get(color);
      if (id === undefined) {
        throw new DatasetFileError(
          'unknown-color',
          file,
          `${file}: colour [${data[p * 3]}, ${data[p * 3 + 1]}, ${data[p * 3 + 2]}] first at pixel (${p % width}, ${Math.floor(p / width)}) (x, y) is no class colour of classes.json`,
        );
      }
      lastColor = color;
      lastId = id;
    }
    labels[p] = lastId;
  }
  return { labels, width, height };
}

import { type ColorTable, idsFromColors } from '../classes/color-ids.js';
import { DatasetFileError } from '../dataset.js';
import type { LabelMap } from '../formats/format-layout.js';
import { decodeImage, readImageBytes } from '../image/decode.js';

/**
 * Reads a colour-coded mask (RGB PNG; its `bytes` when already read) and maps each colour to its class id.
 *
 * @throws {DatasetFileError} `unknown-color`, naming the file, the colour and its first pixel.
 */
export async function readColorLabels(file: string, table: ColorTable, bytes?: Uint8Array): Promise<LabelMap> {
  const { data, width, height } = await decodeImage(bytes ?? (await readImageBytes(file)), file);
  const labels = idsFromColors(data, width, table, (color, x, y) => {
    throw new DatasetFileError('unknown-color', file, `${file}: colour [${color.join(', ')}] first at pixel (${x}, ${y}) (x, y) is no class colour of classes.json`);
  });
  return { labels, width, height };
}

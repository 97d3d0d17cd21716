import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RgbImage } from '@seg/core';
import { colorize } from '@seg/deeplab';
import { MSRC_PALETTE } from '@seg/msrc';
import { Transformer } from '@napi-rs/image';

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

/** Writes RGBA pixels as a PNG, atomically (temp file + rename). */
export async function writePng(path: string, pixels: Uint8ClampedArray | Uint8Array, width: number, height: number): Promise<void> {
  const png = await Transformer.fromRgbaPixels(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength), width, height).png();
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, png);
  await rename(tmp, path);
}

/** Writes a label map painted with the MSRC palette as a PNG. */
export async function writeLabelsPng(path: string, labels: ArrayLike<number>, width: number, height: number): Promise<void> {
  await writePng(path, colorize(labels, width, height, MSRC_PALETTE), width, height);
}

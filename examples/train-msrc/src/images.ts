import { type RgbImage, writeFileAtomic } from '@seg/core';
import { colorize } from '@seg/deeplab';
import { encodePng, MSRC_PALETTE } from '@seg/msrc';

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

/** RGBA pixels as PNG bytes. */
export function png(pixels: Uint8ClampedArray | Uint8Array, width: number, height: number): Promise<Uint8Array> {
  return encodePng(pixels, width, height);
}

/** A label map painted with the MSRC palette, as PNG bytes. */
export function labelsPng(labels: ArrayLike<number>, width: number, height: number): Promise<Uint8Array> {
  return png(colorize(labels, width, height, MSRC_PALETTE), width, height);
}

/** Writes RGBA pixels as a PNG file, atomically. */
export async function writePng(path: string, pixels: Uint8ClampedArray | Uint8Array, width: number, height: number): Promise<void> {
  await writeFileAtomic(path, await png(pixels, width, height));
}

/** Writes a label map painted with the MSRC palette as a PNG file, atomically. */
export async function writeLabelsPng(path: string, labels: ArrayLike<number>, width: number, height: number): Promise<void> {
  await writeFileAtomic(path, await labelsPng(labels, width, height));
}

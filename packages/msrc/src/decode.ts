import { readFile } from 'node:fs/promises';
import { Transformer } from '@napi-rs/image';
import type { RgbImage } from '@seg/core';

/**
 * Decodes a BMP, PNG or JPEG held in memory to 8-bit RGB with
 * `@napi-rs/image`, whose native decoder runs off the main thread, so loading
 * overlaps with training. Grey and alpha channels are converted; alpha is
 * dropped.
 *
 * @param bytes The encoded file.
 * @param source The file's path, named in error messages.
 * @throws If the bytes are not a decodable image, are truncated, or use 16-bit channels.
 */
export async function decodeImage(bytes: Uint8Array, source: string): Promise<RgbImage> {
  let width: number;
  let height: number;
  let pixels: Uint8Array;
  try {
    const transformer = new Transformer(bytes);
    ({ width, height } = await transformer.metadata());
    pixels = await transformer.rawPixels();
  } catch (e) {
    throw new Error(`${source}: not a readable image (${(e as Error).message}); expected a 24-bit BMP, PNG or JPEG`);
  }
  const channels = pixels.length / (width * height);
  if (channels === 3) return { data: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length), width, height };
  if (channels !== 1 && channels !== 2 && channels !== 4) {
    throw new Error(
      `${source}: decoded to ${pixels.length} bytes for ${width}×${height} pixels (${channels} per pixel); ` +
        'only 8-bit grey, grey+alpha, RGB and RGBA images are supported',
    );
  }
  const data = new Uint8Array(width * height * 3);
  for (let p = 0, s = 0; p < data.length; p += 3, s += channels) {
    if (channels <= 2) {
      data[p] = data[p + 1] = data[p + 2] = pixels[s];
    } else {
      data[p] = pixels[s];
      data[p + 1] = pixels[s + 1];
      data[p + 2] = pixels[s + 2];
    }
  }
  return { data, width, height };
}

/**
 * Reads and decodes an image file (see {@link decodeImage}).
 *
 * @throws If the file cannot be read or decoded; the message names the path.
 */
export async function readImageFile(path: string): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeImage(bytes, path);
}

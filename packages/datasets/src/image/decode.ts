import { Transformer } from '@napi-rs/image';
import type { Pixels, RgbImage } from '@seg/core';
import { readRegularFile } from '@seg/core/internals';
import { ImageFileError } from './image-file-error.js';
import { imageTruncation } from './jpeg-truncation.js';

/**
 * 8-bit pixels with their channel count given.
 *
 * @deprecated Use `Pixels` from `@seg/core` (`Required<Pixels<Uint8Array>>` for this exact type). Removed in the next major release.
 */
export type DecodedPixels = Required<Pixels<Uint8Array>>;

/** Options of {@link decodeImage} and {@link readImageFile}. */
export interface DecodeImageOptions {
  /**
   * What a file with 16-bit samples becomes: `'error'` refuses it (a dataset
   * expects 8 bits, and a 16-bit mask such as Cityscapes' `_instanceIds.png`
   * in its place is a mistake), `'high-byte'` keeps each sample's high byte.
   * Default `'error'`.
   */
  sixteenBit?: 'error' | 'high-byte';
}

/** Options of {@link readPixels}. */
export interface ReadPixelsOptions extends DecodeImageOptions {
  /** Return RGBA when the file has alpha (else alpha is dropped). Default false. */
  keepAlpha?: boolean;
}

/** Samples per pixel and bytes per sample of `@napi-rs/image`'s colour types (`JsColorType`), by its numeric value. */
const LAYOUTS: Readonly<Record<number, { channels: 1 | 2 | 3 | 4; bytes: 1 | 2 }>> = {
  0: { channels: 1, bytes: 1 },
  1: { channels: 2, bytes: 1 },
  2: { channels: 3, bytes: 1 },
  3: { channels: 4, bytes: 1 },
  4: { channels: 1, bytes: 2 },
  5: { channels: 2, bytes: 2 },
  6: { channels: 3, bytes: 2 },
  7: { channels: 4, bytes: 2 },
};

/** 8-bit RGB(A) from decoded samples: grey is spread over R, G and B; 16-bit samples keep their high byte (native byte order, as the decoder gives them). */
function toRgb(pixels: Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4, bytes: 1 | 2, keepAlpha: boolean): Required<Pixels<Uint8Array>> {
  const outChannels = keepAlpha && (channels === 2 || channels === 4) ? 4 : 3;
  if (bytes === 1 && channels === outChannels) return { data: pixels, width, height, channels: outChannels };
  const high = bytes === 2 ? (new Uint8Array(Uint16Array.of(1).buffer)[0] === 1 ? 1 : 0) : 0;
  const data = new Uint8Array(width * height * outChannels);
  const grey = channels <= 2;
  for (let p = 0; p < width * height; p++) {
    const s = p * channels * bytes + high;
    const o = p * outChannels;
    data[o] = pixels[s];
    data[o + 1] = pixels[grey ? s : s + bytes];
    data[o + 2] = pixels[grey ? s : s + 2 * bytes];
    if (outChannels === 4) data[o + 3] = pixels[s + (channels - 1) * bytes];
  }
  return { data, width, height, channels: outChannels };
}

/**
 * Decodes a JPEG, PNG, BMP, TIFF or WebP held in memory with `@napi-rs/image`,
 * whose decoder runs on libuv's thread pool (an N-API async task), off the
 * main thread. A JPEG cut short is refused (the decoder would fill it in).
 *
 * @throws {ImageFileError} Naming `source`, if the bytes are truncated, not a
 *   decodable image, or 16-bit under `sixteenBit: 'error'`.
 */
export async function decodePixels(bytes: Uint8Array, source: string, options: ReadPixelsOptions = {}): Promise<Required<Pixels<Uint8Array>>> {
  const truncated = imageTruncation(bytes);
  if (truncated) throw new ImageFileError(source, truncated);
  let width: number;
  let height: number;
  let colorType: number;
  let pixels: Uint8Array;
  try {
    const image = new Transformer(bytes);
    ({ width, height, colorType } = await image.metadata());
    pixels = await image.rawPixels();
  } catch (e) {
    throw new ImageFileError(source, `not a decodable image (${(e as Error).message}); expected PNG, JPEG, BMP, TIFF or WebP`);
  }
  const layout = LAYOUTS[colorType];
  if (!layout || pixels.length !== width * height * layout.channels * layout.bytes) {
    throw new ImageFileError(source, `decoded to ${pixels.length} bytes for ${width}×${height} pixels of colour type ${colorType}; only 8- and 16-bit grey, RGB and RGBA images are supported`);
  }
  if (layout.bytes === 2 && (options.sixteenBit ?? 'error') === 'error') {
    throw new ImageFileError(source, 'has 16-bit samples where 8 bits are expected (is it an instance or depth map in place of an image?)');
  }
  return toRgb(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length), width, height, layout.channels, layout.bytes, options.keepAlpha ?? false);
}

/**
 * Decodes an image held in memory to 8-bit RGB (grey spread, alpha dropped);
 * see `decodePixels`.
 *
 * @param source The file's path, named in error messages.
 */
export async function decodeImage(bytes: Uint8Array, source: string, options: DecodeImageOptions = {}): Promise<RgbImage> {
  const { data, width, height } = await decodePixels(bytes, source, { ...options, keepAlpha: false });
  return { data, width, height };
}

/**
 * The bytes of an image file, refusing what is not a regular file (a FIFO
 * would block for good).
 *
 * @throws {ImageFileError} Naming the path.
 */
export async function readImageBytes(path: string): Promise<Uint8Array> {
  try {
    return await readRegularFile(path);
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException;
    throw new ImageFileError(path, code ? `cannot read the file (${code})` : message);
  }
}

/**
 * Reads and decodes an image file to 8-bit RGB (see {@link decodeImage}).
 *
 * @throws {ImageFileError} If the file cannot be read or decoded; the message names the path.
 */
export async function readImageFile(path: string, options: DecodeImageOptions = {}): Promise<RgbImage> {
  return decodeImage(await readImageBytes(path), path, options);
}

/**
 * Reads and decodes an image file to 8-bit RGB, or RGBA with `keepAlpha`
 * (see `decodePixels`).
 *
 * @throws {ImageFileError} If the file cannot be read or decoded; the message names the path.
 */
export async function readPixels(path: string, options: ReadPixelsOptions = {}): Promise<Required<Pixels<Uint8Array>>> {
  return decodePixels(await readImageBytes(path), path, options);
}

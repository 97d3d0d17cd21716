import { readRegularFile } from '@seg/core/internals';
import { importAtRuntime } from '../runtime-import.js';
import type { RawImage } from '../inference/preprocess.js';
import { ImageReadError } from './errors.js';
import { imageTruncation } from './image-truncation.js';

type NapiImage = typeof import('@napi-rs/image');

let napi: Promise<NapiImage> | undefined;

/** `@napi-rs/image`, a dependency of this package, loaded on first use (native code: Node only). */
function loadNapi(): Promise<NapiImage> {
  napi ??= (importAtRuntime('@napi-rs/image') as Promise<NapiImage>).catch((e: Error) => {
    napi = undefined;
    throw new Error(`reading images needs @napi-rs/image, a dependency of @seg/deeplab that failed to load: ${e.message}`);
  });
  return napi;
}

/** Decoded samples per pixel and bytes per sample of `@napi-rs/image`'s colour types (`JsColorType`), by its numeric value. */
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

/**
 * 8-bit RGB or RGBA from decoded samples: grey is spread over R, G and B,
 * 16-bit samples keep their high byte (native byte order, as the decoder gives them).
 */
function toRgb(pixels: Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4, bytes: 1 | 2): RawImage {
  if (bytes === 1 && (channels === 3 || channels === 4)) return { data: pixels, width, height, channels };
  const high = bytes === 2 ? (new Uint8Array(Uint16Array.of(1).buffer)[0] === 1 ? 1 : 0) : 0;
  const outChannels = channels === 4 || channels === 2 ? 4 : 3;
  const data = new Uint8Array(width * height * outChannels);
  for (let p = 0; p < width * height; p++) {
    const sample = (c: number) => pixels[(p * channels + c) * bytes + high];
    const grey = channels <= 2;
    data[p * outChannels] = sample(0);
    data[p * outChannels + 1] = sample(grey ? 0 : 1);
    data[p * outChannels + 2] = sample(grey ? 0 : 2);
    if (outChannels === 4) data[p * outChannels + 3] = sample(channels - 1);
  }
  return { data, width, height, channels: outChannels };
}

/**
 * Reads and decodes an image file (PNG, JPEG, BMP, TIFF, WebP, … as
 * `@napi-rs/image` decodes them off the main thread) to 8-bit RGB or RGBA,
 * ready for `segment()`.
 *
 * @throws {ImageReadError} Naming the file, if it is not a regular file, cannot
 *   be read or decoded, or is cut short (see `imageTruncation`).
 */
export async function readImage(path: string): Promise<RawImage> {
  let bytes: Uint8Array;
  try {
    // A FIFO planted in an input folder would block this process for good.
    bytes = await readRegularFile(path);
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException;
    throw new ImageReadError(path, code ? `cannot read the file (${code})` : message);
  }
  const truncated = imageTruncation(bytes);
  if (truncated) throw new ImageReadError(path, truncated);
  const { Transformer } = await loadNapi();
  let width: number;
  let height: number;
  let colorType: number;
  let pixels: Uint8Array;
  try {
    const image = new Transformer(bytes);
    ({ width, height, colorType } = await image.metadata());
    pixels = await image.rawPixels();
  } catch (e) {
    throw new ImageReadError(path, `not a decodable image (${(e as Error).message}); expected PNG, JPEG, BMP, TIFF or WebP`);
  }
  const layout = LAYOUTS[colorType];
  if (!layout || pixels.length !== width * height * layout.channels * layout.bytes) {
    throw new ImageReadError(path, `decoded to ${pixels.length} bytes for ${width}×${height} pixels of colour type ${colorType}; only 8- and 16-bit grey, RGB and RGBA images are supported`);
  }
  return toRgb(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length), width, height, layout.channels, layout.bytes);
}

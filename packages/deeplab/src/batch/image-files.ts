import { ImageFileError, readPixels } from '@seg/datasets';
import type { Pixels } from '@seg/core';
import { ImageReadError } from './errors.js';

/**
 * Reads and decodes an image file (PNG, JPEG, BMP, TIFF, WebP, … with
 * `@seg/datasets`' decoder, off the main thread) to 8-bit RGB or RGBA, ready
 * for `segment()`; 16-bit samples keep their high byte.
 *
 * @throws {ImageReadError} Naming the file, if it is not a regular file, cannot
 *   be read or decoded, or is cut short.
 */
export async function readImage(path: string): Promise<Required<Pixels<Uint8Array>>> {
  try {
    return await readPixels(path, { keepAlpha: true, sixteenBit: 'high-byte' });
  } catch (e) {
    if (e instanceof ImageFileError) throw new ImageReadError(e.path, e.reason);
    throw e;
  }
}

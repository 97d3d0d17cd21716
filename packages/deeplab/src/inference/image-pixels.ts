import type { Normalization, Pixels } from '@seg/core';
import { normalizationCoefficients } from '@seg/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import { type BrowserImage, checkPixels, hasChannels } from './preprocess.js';

/**
 * An image's RGB or RGBA values as any runtime reads them, channel count
 * known; a tensor's values (floats or ints) may hold anything.
 */
export type PixelValues = Required<Pixels<Uint8Array | Uint8ClampedArray | Float32Array | Int32Array>>;

const EXPECTED = 'expected { data, width, height, channels }, an [H, W, 3 | 4] tf.Tensor3D of 0-255 values, or a browser image (ImageData, <img>, canvas, ImageBitmap)';

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `an object with keys ${JSON.stringify(Object.keys(value))}`;
}

function drawnPixels(where: string, image: BrowserImage): PixelValues {
  const { width, height } = image as { width: number; height: number };
  if (typeof document === 'undefined' && typeof OffscreenCanvas === 'undefined') {
    throw new Error(`${where}: browser image sources (<img>, canvas, ImageBitmap) need a DOM; in Node pass { data, width, height, channels } or a tf.Tensor3D`);
  }
  const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(width, height) : Object.assign(document.createElement('canvas'), { width, height });
  const context = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!context) throw new Error(`${where}: no 2D canvas context to read the image's pixels from`);
  context.drawImage(image as CanvasImageSource, 0, 0);
  return { data: context.getImageData(0, 0, width, height).data, width, height, channels: 4 };
}

/**
 * Reads the pixels of any {@link ImageInput} without a tfjs backend, checking
 * the argument and naming what is wrong.
 *
 * @param where Prefix of error messages, e.g. `segment`.
 */
export async function readPixels(where: string, image: unknown): Promise<PixelValues> {
  if (image === null || typeof image !== 'object') throw new Error(`${where}: image is ${describe(image)}; ${EXPECTED}`);
  if (image instanceof tf.Tensor) {
    const [height, width, channels] = image.shape;
    if (image.rank !== 3 || (channels !== 3 && channels !== 4)) {
      throw new Error(`${where}: image is a tensor of shape [${image.shape.join(', ')}]; expected [height, width, 3] (RGB) or [height, width, 4] (RGBA)`);
    }
    return { data: (await image.data()) as Float32Array | Int32Array, width, height, channels };
  }
  if (hasChannels(image)) {
    checkPixels(where, image);
    return image;
  }
  if ('data' in image && 'width' in image && 'height' in image) {
    // ImageData (always RGBA); its fields are prototype getters, which a spread would not copy.
    const { data, width, height } = image as ImageData;
    const raw = { data, width, height, channels: 4 as const };
    checkPixels(where, raw);
    return raw;
  }
  if ('width' in image && 'height' in image) return drawnPixels(where, image as BrowserImage);
  throw new Error(`${where}: image is ${describe(image)}; ${EXPECTED}`);
}

/**
 * The image as normalised float32 planes `[3, height, width]` (NCHW without
 * the batch axis).
 *
 * @throws If a value is NaN or infinite, naming it and its place.
 */
export function normalizedPlanes(where: string, pixels: PixelValues, norm: Normalization): Float32Array {
  const { data, width, height, channels } = pixels;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  const { scale: a, offset: b } = normalizationCoefficients(norm);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = data[p * channels + c];
      if (!Number.isFinite(v)) {
        throw new Error(
          `${where}: image value ${v} at x=${p % width}, y=${Math.floor(p / width)}, channel ${'RGB'[c]} is not finite; expected RGB values in 0-255`,
        );
      }
      out[c * plane + p] = v * a[c] + b[c];
    }
  }
  return out;
}

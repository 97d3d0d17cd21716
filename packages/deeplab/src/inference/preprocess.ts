import { IMAGENET_MEAN, IMAGENET_STD, type Pixels } from '@seg/core';
import { normalizationCoefficients } from '@seg/core/internals';
import * as tf from '@tensorflow/tfjs-core';

export { IMAGENET_MEAN, IMAGENET_STD };

/**
 * Interleaved 8-bit pixels with their channel count given.
 *
 * @deprecated Use `Pixels` from `@seg/core` (its `channels` is optional, default 4). Removed in the next major release.
 */
export type RawImage = Required<Pixels>;

/** Browser image sources read with `tf.browser.fromPixels`. */
export type BrowserImage = ImageData | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | ImageBitmap;

/**
 * Anything {@link preprocess} accepts: `Pixels` (RGB or RGBA bytes), an
 * `[H, W, 3 | 4]` tensor of 0–255 values, or a browser image source.
 */
export type ImageInput = Pixels | tf.Tensor3D | BrowserImage;

/**
 * Whether `image` is `Pixels` with `channels` given; without it, pixels are
 * read as `ImageData` is, RGBA.
 *
 * @internal
 */
export function hasChannels(image: object): image is Required<Pixels> {
  return 'data' in image && 'width' in image && 'height' in image && 'channels' in image;
}

/** Width and height of an image input, without reading its pixels. */
export function imageSize(image: ImageInput): { width: number; height: number } {
  if (image instanceof tf.Tensor) return { width: image.shape[1], height: image.shape[0] };
  const { width, height } = image as { width: number; height: number };
  return { width, height };
}

/**
 * Throws unless `image` is consistent raw pixels: integer size, 3 or 4
 * channels, 8-bit data of `width * height * channels` bytes.
 *
 * @internal
 */
export function checkPixels(where: string, image: Required<Pixels>): void {
  const { data, width, height, channels } = image;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new Error(`${where}: image width ${width} and height ${height} must be positive integers`);
  }
  if (channels !== 3 && channels !== 4) {
    throw new Error(`${where}: image channels is ${channels}; expected 3 (RGB) or 4 (RGBA)`);
  }
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new Error(`${where}: image data must be a Uint8Array or Uint8ClampedArray of 0-255 pixel values`);
  }
  if (data.length !== width * height * channels) {
    throw new Error(
      `${where}: image data has ${data.length} bytes, expected width*height*channels = ${width}*${height}*${channels} = ${width * height * channels}`,
    );
  }
}

function pixelsToTensor(image: Required<Pixels>): tf.Tensor3D {
  checkPixels('preprocess', image);
  const { data, width, height, channels } = image;
  return tf.tidy(() => {
    const pixels = tf.tensor3d(Int32Array.from(data), [height, width, channels], 'int32');
    return channels === 4 ? tf.slice(pixels, [0, 0, 0], [height, width, 3]) : pixels;
  });
}

function browserToTensor(image: object): tf.Tensor3D {
  if ('data' in image && 'width' in image && 'height' in image) {
    // ImageData (always RGBA) is read directly: the same path in Node and browsers, no canvas round
    // trip. Its fields are prototype getters, which a spread would not copy.
    const { data, width, height } = image as Pixels;
    return pixelsToTensor({ data, width, height, channels: 4 });
  }
  if (typeof document === 'undefined' && typeof OffscreenCanvas === 'undefined') {
    throw new Error(
      'preprocess: browser image sources (HTMLImageElement, HTMLCanvasElement, ImageBitmap) need a DOM; in Node pass { data, width, height, channels } or a tf.Tensor3D',
    );
  }
  return tf.browser.fromPixels(image as BrowserImage, 3);
}

/**
 * Maps 0–255 RGB values to the ImageNet-normalised input of the model:
 * `(x / 255 - mean) / std` per channel.
 *
 * @param pixels `[H, W, 3]` or `[N, H, W, 3]` RGB values in 0–255.
 * @returns float32 of the same shape.
 */
export function normalize<T extends tf.Tensor3D | tf.Tensor4D>(pixels: T): T {
  const channels = pixels.shape[pixels.rank - 1];
  if (channels !== 3) throw new Error(`normalize: expected 3 RGB channels in the last axis, got shape [${pixels.shape.join(', ')}]`);
  const coefficients = normalizationCoefficients('imagenet');
  return tf.tidy(() => {
    const [scale, offset] = [tf.tensor1d(coefficients.scale), tf.tensor1d(coefficients.offset)];
    return tf.add(tf.mul(tf.cast(pixels, 'float32'), scale), offset) as T;
  });
}

/**
 * Turns an image into the model's input: a `[1, H, W, 3]` float32 tensor,
 * ImageNet-normalised RGB. The caller disposes it.
 *
 * @param image Raw 8-bit pixels, an `[H, W, 3 | 4]` tensor of 0–255 values,
 *   or a browser image source (`ImageData`, `HTMLImageElement`,
 *   `HTMLCanvasElement`, `ImageBitmap`).
 * @throws If the pixel buffer does not match width, height and channels.
 */
export function preprocess(image: ImageInput): tf.Tensor4D {
  return tf.tidy(() => {
    let pixels: tf.Tensor3D;
    if (image instanceof tf.Tensor) {
      if (image.rank !== 3 || (image.shape[2] !== 3 && image.shape[2] !== 4)) {
        throw new Error(`preprocess: expected an [H, W, 3] or [H, W, 4] tensor, got shape [${image.shape.join(', ')}]`);
      }
      const [h, w] = image.shape;
      pixels = image.shape[2] === 4 ? tf.slice(image, [0, 0, 0], [h, w, 3]) : image;
    } else if (hasChannels(image)) {
      pixels = pixelsToTensor(image);
    } else if (image !== null && typeof image === 'object') {
      pixels = browserToTensor(image);
    } else {
      throw new Error(`preprocess: unsupported image ${String(image)}; expected { data, width, height, channels }, a tf.Tensor3D or a browser image`);
    }
    return tf.expandDims(normalize(pixels), 0) as tf.Tensor4D;
  });
}

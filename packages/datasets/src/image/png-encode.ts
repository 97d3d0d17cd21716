/**
 * A small PNG encoder for label maps and what batch segmentation writes: 8-bit indexed
 * label images with a palette (the class id is the pixel value, the
 * palette only says how to show it), 8/16-bit grey, and RGB. `@napi-rs/image`
 * can only write PNGs from RGBA pixels, and its palette reduction would
 * renumber the classes. Rows use the `Up` filter (a row equal to the one above
 * becomes zeros, which label maps are full of); zlib runs on Node's thread
 * pool, off the event loop.
 */
import { deflate } from 'node:zlib';
import type { Palette } from '../classes/palette.js';
import { crc32, PNG_GREY as GREY, PNG_INDEXED as INDEXED, PNG_RGB as RGB, PNG_SIGNATURE as SIGNATURE } from './png-chunks.js';

interface PngPixels {
  width: number;
  height: number;
  colorType: typeof GREY | typeof RGB | typeof INDEXED;
  bitDepth: 8 | 16;
  /** Packed samples, row-major, 16-bit ones big-endian. */
  data: Uint8Array;
  palette?: Palette;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out, 4, 8 + body.length));
  return out;
}

const CHANNELS = { [GREY]: 1, [RGB]: 3, [INDEXED]: 1 } as const;

async function encode(image: PngPixels): Promise<Uint8Array> {
  const { width, height, colorType, bitDepth, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`PNG: width ${width} and height ${height} must be positive integers`);
  }
  const stride = width * CHANNELS[colorType] * (bitDepth / 8);
  if (data.length !== stride * height) throw new Error(`PNG: ${data.length} bytes of samples for ${width}×${height}; expected ${stride * height}`);
  const filtered = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1);
    filtered[row] = 2; // Up
    for (let x = 0; x < stride; x++) filtered[row + 1 + x] = data[y * stride + x] - (y > 0 ? data[(y - 1) * stride + x] : 0);
  }
  const idat = await new Promise<Uint8Array>((resolve, reject) => deflate(filtered, (e, out) => (e ? reject(e) : resolve(out))));
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([bitDepth, colorType, 0, 0, 0], 8);
  const parts = [SIGNATURE, chunk('IHDR', header)];
  if (colorType === INDEXED) parts.push(chunk('PLTE', Uint8Array.from(image.palette!.flat())));
  parts.push(chunk('IDAT', idat), chunk('IEND', new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function bigEndian16(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    out[2 * i] = values[i] >>> 8;
    out[2 * i + 1] = values[i] & 0xff;
  }
  return out;
}

/**
 * Encodes a label map as a PNG whose pixel values are the class ids: 8-bit
 * indexed with `palette` embedded when given (viewers show the colours,
 * readers get the ids), else 8-bit grey, or 16-bit grey for ids above 255.
 *
 * @throws If `labels` does not hold `width * height` ids, or an id has no palette colour.
 */
export async function encodeIndexPng(labels: Uint8Array | Int32Array, width: number, height: number, palette?: Palette): Promise<Uint8Array> {
  if (labels.length !== width * height) {
    throw new Error(`encodeIndexPng: ${labels.length} labels for a ${width}×${height} image; expected ${width * height}`);
  }
  let max = 0;
  for (const l of labels) max = Math.max(max, l);
  if (palette && palette.length <= 256) {
    if (max >= palette.length) throw new Error(`encodeIndexPng: class id ${max} has no colour in the ${palette.length}-colour palette`);
    return encode({ width, height, colorType: INDEXED, bitDepth: 8, data: Uint8Array.from(labels), palette });
  }
  if (max > 0xffff) throw new Error(`encodeIndexPng: class id ${max} does not fit a 16-bit PNG`);
  if (max > 0xff) return encode({ width, height, colorType: GREY, bitDepth: 16, data: bigEndian16(labels) });
  return encode({ width, height, colorType: GREY, bitDepth: 8, data: Uint8Array.from(labels) });
}

/** Encodes probabilities in [0, 1] as a 16-bit grey PNG: value `round(p * 65535)`. */
export async function encodeScoresPng(scores: Float32Array, width: number, height: number): Promise<Uint8Array> {
  return encode({ width, height, colorType: GREY, bitDepth: 16, data: bigEndian16(Array.from(scores, (p) => Math.round(Math.min(1, Math.max(0, p)) * 0xffff))) });
}

/** Encodes RGBA pixels (alpha dropped: `colorize` and `overlay` are opaque) as an 8-bit RGB PNG. */
export async function encodeRgbPng(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Promise<Uint8Array> {
  if (rgba.length !== width * height * 4) throw new Error(`encodeRgbPng: ${rgba.length} bytes for a ${width}×${height} RGBA image`);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return encode({ width, height, colorType: RGB, bitDepth: 8, data: rgb });
}

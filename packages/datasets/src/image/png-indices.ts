/**
 * Reads the values stored in a grey or palette PNG, the class ids of a label
 * map. Every general decoder we can use expands a palette to RGB and so loses
 * them: `@napi-rs/image` (image-rs) does, and `fast-png` keeps them but
 * inflates with fflate on the calling thread (about 15 ms of blocked event
 * loop for a 2048×1024 map). Here inflating, the costly part, runs on Node's
 * zlib, on libuv's thread pool; only the row filters are undone in JS.
 */
import { inflate } from 'node:zlib';
import type { Palette, Rgb } from '../classes/palette.js';
import { ImageFileError } from './image-file-error.js';
import { crc32, isPng, PNG_GREY, PNG_INDEXED } from './png-chunks.js';

/** The values of an index PNG, one byte per pixel, row-major. */
export interface IndexImage {
  indices: Uint8Array;
  width: number;
  height: number;
  /** The PLTE colours of a palette PNG, or `null` for a grey one. */
  palette: Palette | null;
}

const COLOR_TYPE_NAMES: Readonly<Record<number, string>> = { 0: 'grey', 2: 'RGB', 3: 'palette', 4: 'grey+alpha', 6: 'RGBA' };

/** Colour type and bit depth from a PNG's header, or `null` when `bytes` are not a PNG. */
export function pngHeader(bytes: Uint8Array): { colorType: number; bitDepth: number } | null {
  if (!isPng(bytes) || bytes.length < 33) return null;
  return { bitDepth: bytes[24], colorType: bytes[25] };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes PNG's per-row filters in place (`bpp` = bytes per complete pixel, at least 1); returns the rows without their filter bytes. */
function unfilter(data: Uint8Array, stride: number, height: number, bpp: number, source: string): Uint8Array {
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = data[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const up = row - stride;
    switch (filter) {
      case 0:
        out.set(data.subarray(src, src + stride), row);
        break;
      case 1:
        for (let x = 0; x < stride; x++) out[row + x] = data[src + x] + (x >= bpp ? out[row + x - bpp] : 0);
        break;
      case 2:
        // Label maps are mostly rows equal to the one above: Up is the common filter, so keep its loop bare.
        if (y === 0) out.set(data.subarray(src, src + stride), row);
        else for (let x = 0; x < stride; x++) out[row + x] = data[src + x] + out[up + x];
        break;
      case 3:
        for (let x = 0; x < stride; x++) {
          const a = x >= bpp ? out[row + x - bpp] : 0;
          const b = y > 0 ? out[up + x] : 0;
          out[row + x] = data[src + x] + ((a + b) >> 1);
        }
        break;
      case 4:
        for (let x = 0; x < stride; x++) {
          const a = x >= bpp ? out[row + x - bpp] : 0;
          const b = y > 0 ? out[up + x] : 0;
          const c = x >= bpp && y > 0 ? out[up + x - bpp] : 0;
          out[row + x] = data[src + x] + paeth(a, b, c);
        }
        break;
      default:
        throw new ImageFileError(source, `row ${y} has PNG filter type ${filter} (valid: 0..4): the file is corrupt`);
    }
  }
  return out;
}

/**
 * Decodes a grey or palette PNG of 1, 2, 4 or 8 bits to its stored values
 * (palette indices, not colours).
 *
 * @param source The file's path, named in error messages.
 * @throws {ImageFileError} Naming `source`: not a PNG, truncated or corrupt
 *   (CRC, zlib or filter errors), interlaced, 16-bit (a Cityscapes
 *   `_instanceIds.png` in place of `_labelIds.png`, say), or a colour PNG.
 */
export async function decodeIndexPng(bytes: Uint8Array, source: string): Promise<IndexImage> {
  if (!isPng(bytes)) throw new ImageFileError(source, 'not a PNG file (no PNG signature); label maps must be grey or palette PNGs');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let palette: Rgb[] | null = null;
  const idat: Uint8Array[] = [];
  let ended = false;
  for (let at = 8; !ended; ) {
    if (at + 12 > bytes.length) throw new ImageFileError(source, `the PNG data ends at byte ${bytes.length}, before its IEND chunk: the file is truncated`);
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    const end = at + 8 + length;
    if (end + 4 > bytes.length) throw new ImageFileError(source, `the PNG data ends at byte ${bytes.length} inside its ${type} chunk: the file is truncated`);
    if (crc32(bytes, at + 4, end) !== view.getUint32(end)) throw new ImageFileError(source, `the ${type} chunk at byte ${at} fails its CRC check: the file is corrupt`);
    const body = bytes.subarray(at + 8, end);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      bitDepth = body[8];
      const colorType = body[9];
      if (colorType !== PNG_GREY && colorType !== PNG_INDEXED) {
        throw new ImageFileError(source, `is a ${COLOR_TYPE_NAMES[colorType] ?? `colour type ${colorType}`} PNG; class ids must be stored as a grey or palette PNG`);
      }
      if (bitDepth === 16) {
        throw new ImageFileError(source, 'is a 16-bit PNG where 8-bit class ids are expected (an instance-id map such as *_instanceIds.png?)');
      }
      if (![1, 2, 4, 8].includes(bitDepth)) throw new ImageFileError(source, `has bit depth ${bitDepth}, invalid for a grey or palette PNG`);
      if (body[12] !== 0) throw new ImageFileError(source, 'is an interlaced PNG; save it without interlacing to use it as a label map');
      if (colorType === PNG_GREY) palette = null;
      else palette = [];
    } else if (type === 'PLTE' && palette) {
      for (let i = 0; i + 2 < body.length; i += 3) palette.push([body[i], body[i + 1], body[i + 2]]);
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      ended = true;
    }
    at = end + 4;
  }
  if (width === 0 || height === 0) throw new ImageFileError(source, 'the PNG has no valid IHDR chunk: the file is corrupt');
  const packed = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of idat) {
    packed.set(c, offset);
    offset += c.length;
  }
  let raw: Uint8Array;
  try {
    raw = await new Promise<Uint8Array>((resolve, reject) => inflate(packed, (e, out) => (e ? reject(e) : resolve(out))));
  } catch (e) {
    throw new ImageFileError(source, `its compressed image data is damaged (${(e as Error).message}): the file is truncated or corrupt`);
  }
  const stride = Math.ceil((width * bitDepth) / 8);
  if (raw.length < (stride + 1) * height) {
    throw new ImageFileError(source, `its image data holds ${raw.length} bytes but ${width}×${height} pixels need ${(stride + 1) * height}: the file is truncated`);
  }
  const rows = unfilter(raw, stride, height, 1, source);
  const indices = bitDepth === 8 ? rows : unpack(rows, width, height, stride, bitDepth);
  return { indices, width, height, palette: palette && Object.freeze(palette) };
}

/** Spreads 1/2/4-bit samples (packed high bits first, rows byte-aligned) to one byte each. */
function unpack(rows: Uint8Array, width: number, height: number, stride: number, bitDepth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const perByte = 8 / bitDepth;
  const mask = (1 << bitDepth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = rows[y * stride + Math.floor(x / perByte)];
      out[y * width + x] = (byte >> (8 - bitDepth * ((x % perByte) + 1))) & mask;
    }
  }
  return out;
}

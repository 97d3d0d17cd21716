import type { RgbImage } from '@seg/core';

/** Options of {@link encodeBmp}. */
export interface EncodeBmpOptions {
  /** Store rows top row first (negative height) instead of BMP's usual bottom-up order. Default false. */
  topDown?: boolean;
}

/**
 * Encodes an RGB image as an uncompressed 24-bit BMP, the format of MSRC's
 * images and ground truth: a 14-byte file header, a 40-byte
 * BITMAPINFOHEADER, then BGR rows padded to a multiple of 4 bytes.
 */
export function encodeBmp(image: RgbImage, options: EncodeBmpOptions = {}): Uint8Array {
  const { data, width, height } = image;
  if (data.length !== width * height * 3) {
    throw new Error(`encodeBmp: ${data.length} bytes of RGB data do not make a ${width}×${height} image`);
  }
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = new Uint8Array(54 + stride * height);
  const view = new DataView(out.buffer);
  out[0] = 0x42; // 'B'
  out[1] = 0x4d; // 'M'
  view.setUint32(2, out.length, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, options.topDown ? -height : height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, 24, true);
  view.setUint32(34, stride * height, true);
  // 2835 px/m = 72 dpi, what most writers put in the otherwise unused resolution fields.
  view.setInt32(38, 2835, true);
  view.setInt32(42, 2835, true);
  for (let y = 0; y < height; y++) {
    const row = 54 + (options.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = row + x * 3;
      out[d] = data[s + 2];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s];
    }
  }
  return out;
}

import { Transformer } from '@napi-rs/image';

/**
 * Encodes RGBA pixels (e.g. from `colorize` or `overlay`) as a PNG file's
 * bytes, with the same native codec that decodes the dataset.
 *
 * @throws If `rgba` does not hold `width * height * 4` bytes.
 */
export async function encodePng(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Promise<Uint8Array> {
  if (rgba.length !== width * height * 4) {
    throw new Error(`encodePng: ${rgba.length} bytes for a ${width}×${height} image; RGBA needs width*height*4 = ${width * height * 4}`);
  }
  const png = await Transformer.fromRgbaPixels(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height).png();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

import { Transformer } from '@napi-rs/image';
import { describe, expect, it } from 'vitest';
import { encodeIndexPng, encodeRgbPng, encodeScoresPng } from './png-encode.js';

/** The chunk types of a PNG file in order, read from its bytes. */
function chunkTypes(png: Uint8Array): string[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const types: string[] = [];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    types.push(String.fromCharCode(...png.subarray(at + 4, at + 8)));
    at += 12 + length;
  }
  return types;
}

/** Decodes with @napi-rs/image (image-rs): an independent reader. */
async function decode(png: Uint8Array) {
  const t = new Transformer(png);
  const { width, height, colorType } = await t.metadata();
  return { width, height, colorType, pixels: new Uint8Array(await t.rawPixels()) };
}

// 5×3 with every row different and ids repeated along rows, so both filters and rows are exercised.
const W = 5;
const H = 3;
const LABELS = Uint8Array.from([0, 1, 2, 2, 1, 3, 3, 0, 1, 2, 2, 2, 2, 2, 0]);
const PALETTE = [
  [10, 20, 30],
  [200, 0, 0],
  [0, 250, 5],
  [1, 2, 255],
] as const;

describe('encodeIndexPng', () => {
  it('writes an indexed PNG whose palette paints each class id in its colour', async () => {
    const png = await encodeIndexPng(LABELS, W, H, PALETTE);
    expect(chunkTypes(png)).toEqual(['IHDR', 'PLTE', 'IDAT', 'IEND']);
    // IHDR: bit depth 8, colour type 3 (indexed); PLTE holds exactly the 4 colours.
    expect([png[24], png[25]]).toEqual([8, 3]);
    expect(new DataView(png.buffer).getUint32(33)).toBe(4 * 3);
    const { width, height, pixels } = await decode(png);
    expect([width, height]).toEqual([W, H]);
    const channels = pixels.length / (W * H);
    for (let p = 0; p < W * H; p++) expect([...pixels.subarray(p * channels, p * channels + 3)]).toEqual([...PALETTE[LABELS[p]]]);
  });

  it('writes 8-bit grey class ids without a palette, 16-bit above 255', async () => {
    const grey = await decode(await encodeIndexPng(LABELS, W, H));
    expect(grey.colorType).toBe(0); // L8
    expect([...grey.pixels]).toEqual([...LABELS]);
    const wide = Int32Array.from(LABELS, (l) => l * 300);
    const grey16 = await decode(await encodeIndexPng(wide, W, H));
    expect(grey16.colorType).toBe(4); // L16, native byte order
    expect([...new Uint16Array(grey16.pixels.buffer, grey16.pixels.byteOffset, W * H)]).toEqual([...wide]);
  });

  it('names a class id without a colour and a size mismatch', async () => {
    await expect(encodeIndexPng(Uint8Array.of(0, 4), 2, 1, PALETTE)).rejects.toThrow(/class id 4 has no colour in the 4-colour palette/);
    await expect(encodeIndexPng(LABELS, 4, 4)).rejects.toThrow(/15 labels for a 4×4 image; expected 16/);
  });
});

describe('encodeScoresPng and encodeRgbPng', () => {
  it('stores probabilities as round(p * 65535) in 16-bit grey', async () => {
    const scores = Float32Array.from([0, 0.25, 0.5, 1, 0.9999]);
    const { colorType, pixels } = await decode(await encodeScoresPng(scores, 5, 1));
    expect(colorType).toBe(4);
    expect([...new Uint16Array(pixels.buffer, pixels.byteOffset, 5)]).toEqual([0, 16384, 32768, 65535, 65528]);
  });

  it('drops the alpha of RGBA pixels and keeps the colours', async () => {
    const rgba = Uint8Array.from({ length: W * H * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256));
    const { colorType, pixels } = await decode(await encodeRgbPng(rgba, W, H));
    expect(colorType).toBe(2); // RGB8
    expect([...pixels]).toEqual([...rgba].filter((_, i) => i % 4 !== 3));
  });
});

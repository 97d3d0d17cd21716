/**
 * decodeIndexPng returns the stored values of palette and grey PNGs written
 * by Pillow (scripts/fixtures/datasets.py): 1, 2, 4 and 8 bits, all five row
 * filters; it refuses what is not an 8-bit index map, naming the file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeIndexPng } from './png-indices.js';
import { encodeIndexPng, encodeRgbPng } from './png-encode.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
const { files } = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')).png as {
  files: Record<string, { width: number; height: number; indices: string; palette: string | null }>;
};
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe('decodeIndexPng', () => {
  it.each(Object.keys(files))('reads the values Pillow wrote to %s', async (name) => {
    const want = files[name];
    const got = await decodeIndexPng(readFileSync(join(FIXTURES, 'png', name)), name);
    expect([got.width, got.height]).toEqual([want.width, want.height]);
    expect(got.indices).toEqual(bytes(want.indices));
    if (want.palette === null) expect(got.palette).toBeNull();
    else expect(Uint8Array.from(got.palette!.flat())).toEqual(bytes(want.palette));
  });

  it('reads back what encodeIndexPng writes, ids and palette', async () => {
    const labels = Uint8Array.from({ length: 7 * 5 }, (_, i) => (i * 7) % 5);
    const palette = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15]] as const;
    const got = await decodeIndexPng(await encodeIndexPng(labels, 7, 5, palette), 'x.png');
    expect(got.indices).toEqual(labels);
    expect(got.palette).toEqual(palette);
  });

  it("refuses Cityscapes' 16-bit _instanceIds.png where label ids are expected, naming it", async () => {
    const file = join(FIXTURES, 'cityscapes/gtFine/train/aachen/aachen_000000_000019_gtFine_instanceIds.png');
    await expect(decodeIndexPng(readFileSync(file), file)).rejects.toThrow(`${file}: is a 16-bit PNG where 8-bit class ids are expected`);
  });

  it('refuses colour, truncated and corrupt files, naming them', async () => {
    await expect(decodeIndexPng(await encodeRgbPng(new Uint8Array(16), 2, 2), 'rgb.png')).rejects.toThrow(
      'rgb.png: is a RGB PNG; class ids must be stored as a grey or palette PNG',
    );
    const png = readFileSync(join(FIXTURES, 'png', 'grey-8bit.png'));
    await expect(decodeIndexPng(png.subarray(0, png.length - 30), 'cut.png')).rejects.toThrow(/^cut\.png: the PNG data ends at byte \d+ inside its IDAT chunk: the file is truncated$/);
    const flipped = Uint8Array.from(png);
    flipped[60] ^= 0xff;
    await expect(decodeIndexPng(flipped, 'flipped.png')).rejects.toThrow(/^flipped\.png: the IDAT chunk at byte \d+ fails its CRC check: the file is corrupt$/);
    await expect(decodeIndexPng(new TextEncoder().encode('GIF89a'), 'x.gif')).rejects.toThrow('x.gif: not a PNG file');
  });
});

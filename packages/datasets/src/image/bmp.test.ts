import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBmp } from './bmp.js';
import { decodeImage, readImageFile } from './decode.js';

type Rgb = [number, number, number];

/**
 * Builds a BMP byte by byte from the format description (BITMAPFILEHEADER +
 * BITMAPINFOHEADER, BGR(A) rows padded to 4 bytes, bottom-up unless the
 * height is negative), independently of `encodeBmp`.
 */
function handBmp(width: number, height: number, pixel: (x: number, y: number) => Rgb, opts: { topDown?: boolean; bpp?: 24 | 32 } = {}): Uint8Array {
  const bpp = opts.bpp ?? 24;
  const bytesPerPixel = bpp / 8;
  const stride = Math.ceil((width * bytesPerPixel) / 4) * 4;
  const bytes: number[] = [];
  const u16 = (v: number) => bytes.push(v & 255, (v >> 8) & 255);
  const u32 = (v: number) => bytes.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255);
  bytes.push(0x42, 0x4d);
  u32(54 + stride * height);
  u32(0);
  u32(54);
  u32(40);
  u32(width);
  u32(opts.topDown ? -height >>> 0 : height);
  u16(1);
  u16(bpp);
  u32(0);
  u32(stride * height);
  u32(2835);
  u32(2835);
  u32(0);
  u32(0);
  for (let row = 0; row < height; row++) {
    const y = opts.topDown ? row : height - 1 - row;
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      bytes.push(b, g, r);
      if (bpp === 32) bytes.push(255);
    }
    for (let pad = width * bytesPerPixel; pad < stride; pad++) bytes.push(0);
  }
  return Uint8Array.from(bytes);
}

const pattern = (x: number, y: number): Rgb => [x % 256, y % 256, (x * 7 + y * 13) % 256];

function expectPattern(data: Uint8Array, width: number, height: number): void {
  let bad = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pattern(x, y);
      const o = (y * width + x) * 3;
      if (data[o] !== r || data[o + 1] !== g || data[o + 2] !== b) bad++;
    }
  }
  expect(bad).toBe(0);
}

describe('BMP decoding (hand-made files)', () => {
  const cases: [string, number, number, boolean, 24 | 32][] = [
    ['bottom-up 213×320 (row padding 1 byte)', 213, 320, false, 24],
    ['top-down 213×5', 213, 5, true, 24],
    ['bottom-up 321×4 (row padding 1 byte)', 321, 4, false, 24],
    ['top-down 321×3', 321, 3, true, 24],
    ['bottom-up 1×1 (row padding 1 byte)', 1, 1, false, 24],
    ['top-down 1×1', 1, 1, true, 24],
    ['32-bit BGRA 5×3', 5, 3, false, 32],
  ];
  for (const [name, w, h, topDown, bpp] of cases) {
    it(`${name} decodes to top-row-first RGB`, async () => {
      const img = await decodeImage(handBmp(w, h, pattern, { topDown, bpp }), name);
      expect([img.width, img.height]).toEqual([w, h]);
      expect(img.data.length).toBe(w * h * 3);
      expectPattern(img.data, w, h);
    });
  }

  it('8-bit palettised 213×3 (some ground-truth tools save MSRC palettes this way) decodes to RGB', async () => {
    const palette: Rgb[] = [
      [0, 0, 0],
      [128, 0, 0],
      [0, 128, 0],
      [192, 64, 0],
    ];
    const w = 213;
    const h = 3;
    const stride = Math.ceil(w / 4) * 4;
    const offset = 54 + palette.length * 4;
    const bytes = new Uint8Array(offset + stride * h);
    const view = new DataView(bytes.buffer);
    bytes.set([0x42, 0x4d]);
    view.setUint32(2, bytes.length, true);
    view.setUint32(10, offset, true);
    view.setUint32(14, 40, true);
    view.setInt32(18, w, true);
    view.setInt32(22, h, true);
    view.setUint16(26, 1, true);
    view.setUint16(28, 8, true);
    view.setUint32(34, stride * h, true);
    view.setUint32(46, palette.length, true);
    palette.forEach(([r, g, b], i) => {
      bytes.set([b, g, r, 0], 54 + i * 4);
    });
    const index = (x: number, y: number) => (x + y) % palette.length;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) bytes[offset + (h - 1 - y) * stride + x] = index(x, y);
    const img = await decodeImage(bytes, 'palette.bmp');
    expect([img.width, img.height]).toEqual([w, h]);
    let bad = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        const want = palette[index(x, y)];
        if (img.data[o] !== want[0] || img.data[o + 1] !== want[1] || img.data[o + 2] !== want[2]) bad++;
      }
    }
    expect(bad).toBe(0);
  });

  it('encodeBmp writes the same bytes as the hand-made builder, bottom-up and top-down', () => {
    for (const [w, h] of [
      [213, 3],
      [321, 2],
      [1, 1],
      [320, 2],
    ]) {
      const data = new Uint8Array(w * h * 3);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(pattern(x, y), (y * w + x) * 3);
      for (const topDown of [false, true]) {
        const ours = encodeBmp({ data, width: w, height: h }, { topDown });
        expect(Buffer.compare(ours, handBmp(w, h, pattern, { topDown }))).toBe(0);
      }
    }
  });

  it('names the file when bytes are truncated or not an image', async () => {
    const full = handBmp(213, 10, pattern);
    await expect(decodeImage(full.subarray(0, 300), 'Images/cut.bmp')).rejects.toThrow(/^Images\/cut\.bmp: not a decodable image/);
    await expect(decodeImage(new TextEncoder().encode('hello, not a bitmap'), 'Images/text.bmp')).rejects.toThrow(
      /^Images\/text\.bmp: not a decodable image.*expected PNG, JPEG, BMP/,
    );
    await expect(decodeImage(full.subarray(0, 20), 'Images/header.bmp')).rejects.toThrow(/Images\/header\.bmp/);
  });

  describe('readImageFile', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'seg-bmp-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('reads a file and names missing, truncated and non-BMP files', async () => {
      const good = join(dir, 'good.bmp');
      await writeFile(good, handBmp(321, 2, pattern, { topDown: true }));
      expectPattern((await readImageFile(good)).data, 321, 2);
      const cut = join(dir, 'cut.bmp');
      await writeFile(cut, handBmp(321, 20, pattern).subarray(0, 1000));
      await expect(readImageFile(cut)).rejects.toThrow(`${cut}: not a decodable image`);
      const text = join(dir, 'text.bmp');
      await writeFile(text, 'plain text');
      await expect(readImageFile(text)).rejects.toThrow(`${text}: not a decodable image`);
      const missing = join(dir, 'missing.bmp');
      await expect(readImageFile(missing)).rejects.toThrow(`${missing}: cannot read the file (ENOENT)`);
    });
  });
});

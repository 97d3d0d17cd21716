import { describe, expect, it } from 'vitest';
import { decodeImage } from './decode.js';
import { encodePng } from './png.js';

describe('encodePng', () => {
  it('writes a PNG that decodes back to the same pixels', async () => {
    // 3×2 RGBA, odd width, opaque.
    const rgba = new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 1, 2, 3, 255, 4, 5, 6, 255, 7, 8, 9, 255]);
    const png = await encodePng(rgba, 3, 2);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const back = await decodeImage(png, 'x.png');
    expect(back.width).toBe(3);
    expect(back.height).toBe(2);
    expect([...back.data]).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('names a size mismatch', async () => {
    await expect(encodePng(new Uint8Array(10), 2, 2)).rejects.toThrow(/10 bytes for a 2×2 image; RGBA needs width\*height\*4 = 16/);
  });
});

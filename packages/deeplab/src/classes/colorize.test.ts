import { describe, expect, it } from 'vitest';
import type { Palette } from '@seg/datasets/classes';
import { colorize, overlay } from './colorize.js';

const palette: Palette = [
  [0, 0, 0],
  [255, 0, 0],
  [0, 100, 200],
];

describe('colorize', () => {
  it('paints each label with its palette colour, alpha 255', () => {
    expect(Array.from(colorize([1, 2], 2, 1, palette))).toEqual([255, 0, 0, 255, 0, 100, 200, 255]);
  });
  it('names a label without colour and a size mismatch', () => {
    expect(() => colorize([3], 1, 1, palette)).toThrow('colorize: label 3 at pixel 0 has no colour in a 3-colour palette');
    expect(() => colorize([1], 2, 1, palette)).toThrow(/labels has 1 entries, expected width\*height = 2\*1 = 2/);
  });
});

describe('overlay', () => {
  it('blends (1 - alpha) * image + alpha * colour over RGB and RGBA images', () => {
    const rgb = { data: new Uint8Array([100, 100, 100, 10, 20, 30]), width: 2, height: 1, channels: 3 as const };
    // 0.75*100 + 0.25*255 = 138.75 -> 139; 0.75*10 + 0.25*0 = 7.5 -> 8 (round half up); 0.75*30 + 0.25*200 = 72.5 -> 73
    expect(Array.from(overlay(rgb, [1, 2], palette, 0.25))).toEqual([139, 75, 75, 255, 8, 40, 73, 255]);
    const rgba = { data: new Uint8ClampedArray([100, 100, 100, 0, 10, 20, 30, 0]), width: 2, height: 1 };
    expect(Array.from(overlay(rgba, [1, 2], palette, 0.25))).toEqual([139, 75, 75, 255, 8, 40, 73, 255]);
  });
  it('alpha 0 returns the image and alpha 1 the colours', () => {
    const img = { data: new Uint8Array([9, 8, 7]), width: 1, height: 1, channels: 3 as const };
    expect(Array.from(overlay(img, [2], palette, 0))).toEqual([9, 8, 7, 255]);
    expect(Array.from(overlay(img, [2], palette, 1))).toEqual([0, 100, 200, 255]);
    expect(Array.from(overlay(img, [2], palette))).toEqual([5, 54, 104, 255]);
  });
  it('rejects a bad alpha, a size mismatch and an unknown label', () => {
    const img = { data: new Uint8Array([9, 8, 7]), width: 1, height: 1, channels: 3 as const };
    expect(() => overlay(img, [1], palette, 1.5)).toThrow('overlay: alpha is 1.5; expected a number in [0, 1]');
    expect(() => overlay({ ...img, width: 2 }, [1, 1], palette)).toThrow(/image data has 3 bytes, expected width\*height\*channels = 2\*1\*3/);
    expect(() => overlay(img, [7], palette)).toThrow(/label 7 at pixel 0 has no colour/);
  });
});

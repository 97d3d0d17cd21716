import { describe, expect, it } from 'vitest';
import { labelsFromMask, pairImagesAndMasks } from './training-masks.js';

const PALETTE = [
  [128, 0, 0],
  [0, 128, 0],
  [128, 128, 128],
  [0, 0, 0],
] as const;
const CLASSES = { palette: PALETTE, ignore: 3, extraColors: new Map([[[128, 0, 128] as const, 3]]) };
const rgba = (...pixels: number[][]) => Uint8ClampedArray.from(pixels.flatMap(([r, g, b]) => [r, g, b, 255]));

describe('pairImagesAndMasks', () => {
  it('pairs images with their _GT or _mask files, whatever the order and extension', () => {
    const files = ['a_GT.png', 'b.jpg', 'a.png', 'b_mask.PNG'].map((name) => ({ name }));
    expect(pairImagesAndMasks(files).map(({ image, mask }) => [image.name, mask.name])).toEqual([
      ['b.jpg', 'b_mask.PNG'],
      ['a.png', 'a_GT.png'],
    ]);
  });

  it('names every image without a mask and every mask without an image', () => {
    expect(() => pairImagesAndMasks([{ name: 'a.png' }, { name: 'b_GT.png' }])).toThrow(
      /a\.png has no mask \(name it a_GT\.png or a_mask\.png\); b_GT\.png has no image \(an image named b\.<ext>\)/,
    );
  });
});

describe('labelsFromMask', () => {
  it('reads grey values as class ids, 255 as the ignored id', () => {
    expect(Array.from(labelsFromMask(rgba([0, 0, 0], [2, 2, 2], [255, 255, 255], [1, 1, 1]), 2, 2, CLASSES, 'm.png'))).toEqual([0, 2, 3, 1]);
  });

  it('reads colours through the palette and the extra colours', () => {
    // Grey 128 is above the class count, so this is a colour mask (sky-like grey is class 2).
    expect(Array.from(labelsFromMask(rgba([128, 128, 128], [0, 128, 0], [128, 0, 128], [0, 0, 0]), 2, 2, CLASSES, 'm.png'))).toEqual([2, 1, 3, 3]);
  });

  it('names the file, the colour and its first pixel when a colour is no class', () => {
    expect(() => labelsFromMask(rgba([128, 0, 0], [0, 128, 0], [1, 2, 3], [0, 0, 0]), 2, 2, CLASSES, 'cow_GT.png')).toThrow(
      /cow_GT\.png: colour \[1, 2, 3\] at pixel \(0, 1\) is no class of the legend/,
    );
  });

  it('refuses a buffer of the wrong size', () => {
    expect(() => labelsFromMask(new Uint8Array(12), 2, 2, CLASSES, 'm.png')).toThrow(/12 RGBA bytes do not make a 2×2 image/);
  });
});

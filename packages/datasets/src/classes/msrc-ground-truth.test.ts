import { describe, expect, it } from 'vitest';
import { MSRC_CLASSES, MSRC_VOID } from './msrc.js';
import { groundTruthFromLabels, labelsFromGroundTruth } from './msrc-ground-truth.js';

const rgbOf = (...colors: number[][]) => Uint8Array.from(colors.flat());

describe('labelsFromGroundTruth', () => {
  it('maps every palette colour to its id, void black to 21, horse and mountain to void', () => {
    const colors = MSRC_CLASSES.map((c) => [...c.rgb]);
    colors.push([128, 0, 128], [64, 0, 0]);
    const labels = labelsFromGroundTruth(rgbOf(...colors), colors.length, 1);
    expect([...labels]).toEqual([...MSRC_CLASSES.map((c) => c.id), MSRC_VOID, MSRC_VOID]);
    // Spot checks against the palette, written out independently.
    expect([...labelsFromGroundTruth(rgbOf([128, 0, 0], [0, 128, 0], [192, 64, 0], [0, 0, 0], [128, 192, 128]), 5, 1)]).toEqual([
      0, 1, 20, 21, 18,
    ]);
  });

  it('names an unknown colour and its first pixel (x, y)', () => {
    // 3×2 image; the unknown colour first occurs at x=1, y=1 and again later.
    const rgb = rgbOf([0, 0, 0], [128, 0, 0], [0, 128, 0], [0, 0, 0], [1, 2, 3], [1, 2, 3]);
    expect(() => labelsFromGroundTruth(rgb, 3, 2, { source: 'GroundTruth/7_3_s_GT.bmp' })).toThrow(
      'GroundTruth/7_3_s_GT.bmp: unknown ground-truth colour [1, 2, 3] first at pixel (1, 1) (x, y)',
    );
    expect([...labelsFromGroundTruth(rgb, 3, 2, { unknownColor: 'void' })]).toEqual([21, 0, 1, 21, 21, 21]);
  });

  it('rejects a buffer of the wrong size', () => {
    expect(() => labelsFromGroundTruth(new Uint8Array(5), 2, 1)).toThrow(/5 bytes of RGB data do not make a 2×1 image/);
  });

  it('groundTruthFromLabels is its inverse on 0..21', () => {
    const labels = Uint8Array.from({ length: 44 }, (_, i) => i % 22);
    const gt = groundTruthFromLabels(labels, 11, 4);
    expect([...gt.data.subarray(0, 6)]).toEqual([128, 0, 0, 0, 128, 0]);
    expect([...labelsFromGroundTruth(gt.data, 11, 4)]).toEqual([...labels]);
    expect(() => groundTruthFromLabels(new Uint8Array([22]), 1, 1)).toThrow(/label 22 at pixel 0 is outside 0..21/);
  });
});

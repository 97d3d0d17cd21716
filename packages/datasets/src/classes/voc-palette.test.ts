import { describe, expect, it } from 'vitest';
import { vocPalette } from './voc-palette.js';

describe('vocPalette', () => {
  it('gives the PASCAL VOC colours (background, aeroplane, bicycle, …, person, tvmonitor)', () => {
    const p = vocPalette(21);
    expect(p.slice(0, 4)).toEqual([
      [0, 0, 0],
      [128, 0, 0],
      [0, 128, 0],
      [128, 128, 0],
    ]);
    expect(p[15]).toEqual([192, 128, 128]);
    expect(p[20]).toEqual([0, 64, 128]);
    expect(new Set(vocPalette(256).map((c) => c.join())).size).toBe(256);
  });
});

import { describe, expect, it } from 'vitest';
import { SeededRng } from '../data/rng.js';
import { squaredDistanceTransform } from './distance-transform.js';

/** Squared distance to the nearest site by trying every site: the definition, O(n²). */
function bruteForce(features: Uint8Array, width: number): number[] {
  const sites: [number, number][] = [];
  for (let i = 0; i < features.length; i++) if (features[i]) sites.push([i % width, Math.floor(i / width)]);
  return Array.from(features, (_, i) => {
    const x = i % width;
    const y = Math.floor(i / width);
    return sites.reduce((best, [sx, sy]) => Math.min(best, (x - sx) ** 2 + (y - sy) ** 2), Infinity);
  });
}

describe('squaredDistanceTransform', () => {
  it('equals the brute-force squared Euclidean distance on random sparse and dense images', () => {
    const rng = new SeededRng(5);
    for (const [width, height, density] of [[1, 1, 1], [7, 1, 0.3], [1, 9, 0.2], [13, 11, 0.05], [31, 17, 0.01], [20, 20, 0.5], [16, 24, 0.002]] as const) {
      const features = Uint8Array.from({ length: width * height }, () => (rng.next() < density ? 1 : 0));
      features[rng.int(width * height)] = 1;
      expect(Array.from(squaredDistanceTransform(features, width, height)), `${width}×${height}`).toEqual(bruteForce(features, width));
    }
  });

  it('truncated at maxDistance: exact up to it, Infinity beyond', () => {
    const rng = new SeededRng(6);
    for (const maxDistance of [0, 1, 2.5, 4]) {
      const features = Uint8Array.from({ length: 23 * 19 }, () => (rng.next() < 0.01 ? 1 : 0));
      const expected = bruteForce(features, 23).map((d) => (d <= maxDistance * maxDistance ? d : Infinity));
      expect(Array.from(squaredDistanceTransform(features, 23, 19, undefined, undefined, maxDistance)), `max ${maxDistance}`).toEqual(expected);
    }
  });

  it('is Infinity everywhere without a site, and 0 on the sites', () => {
    expect(Array.from(squaredDistanceTransform(new Uint8Array(6), 3, 2))).toEqual(new Array(6).fill(Infinity));
    // One site in a corner: squared distances are x² + y².
    const one = new Uint8Array(12);
    one[0] = 1;
    expect(Array.from(squaredDistanceTransform(one, 4, 3))).toEqual([0, 1, 4, 9, 1, 2, 5, 10, 4, 5, 8, 13]);
  });
});

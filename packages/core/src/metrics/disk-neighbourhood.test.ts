import { describe, expect, it } from 'vitest';
import { SeededRng } from '../data/rng.js';
import { DiskNeighbourhood } from './disk-neighbourhood.js';

/** Queries with a site at squared distance ≤ tolerance², by trying every site: the definition. */
function bruteForce(query: Int32Array, sites: Int32Array, width: number, tolerance: number): number {
  const at = (i: number) => [i % width, Math.floor(i / width)];
  return Array.from(query).filter((q) => {
    const [x, y] = at(q);
    return Array.from(sites).some((s) => {
      const [sx, sy] = at(s);
      return (x - sx) ** 2 + (y - sy) ** 2 <= tolerance * tolerance;
    });
  }).length;
}

function randomPixels(rng: SeededRng, count: number, pixels: number): Int32Array {
  return Int32Array.from({ length: count }, () => rng.int(pixels));
}

describe('DiskNeighbourhood', () => {
  it('counts the queries within the tolerance of a site as the brute-force definition, frame pixels included', () => {
    const rng = new SeededRng(7);
    // Tolerances on and off integer squared distances (√2, √5, 2.5, √8), 0 (same pixel only) and wider than the image.
    for (const tolerance of [0, 1, Math.SQRT2, 2, Math.sqrt(5), 2.5, Math.sqrt(8), 5.44, 30]) {
      for (const [width, height, sites] of [[1, 1, 1], [9, 1, 2], [1, 12, 3], [23, 17, 6], [40, 31, 30]] as const) {
        const disk = new DiskNeighbourhood(tolerance, width, height);
        const s = randomPixels(rng, sites, width * height);
        const q = Int32Array.from({ length: width * height }, (_, i) => i);
        expect(disk.matched(q, 0, q.length, s, 0, s.length), `${width}×${height} at ${tolerance}`).toBe(bruteForce(q, s, width, tolerance));
      }
    }
  });

  it('reads only its slices, and leaves no site behind for the next call', () => {
    const disk = new DiskNeighbourhood(1, 5, 5);
    // Sites at (2, 2), (0, 0), (4, 4); queries at (1, 0), (3, 4), (2, 2), (3, 2).
    const sites = Int32Array.from([12, 0, 24]);
    const query = Int32Array.from([1, 23, 12, 13]);
    expect(disk.matched(query, 0, 3, sites, 1, 3)).toBe(2);
    // (4, 4) from the call before would match (3, 4).
    expect(disk.matched(query, 0, 3, sites, 1, 2)).toBe(1);
    expect(disk.matched(query, 1, 4, sites, 0, 1)).toBe(2);
    expect(disk.matched(query, 0, 4, sites, 2, 2)).toBe(0);
  });

  it('probes the disk nearest first: the centre, then the four at distance 1', () => {
    const disk = new DiskNeighbourhood(1.5, 10, 10);
    const stride = 10 + 2;
    expect(Array.from(disk.offsets.slice(0, 1))).toEqual([0]);
    expect(Array.from(disk.offsets.slice(1, 5)).sort((a, b) => a - b)).toEqual([-stride, -1, 1, stride]);
    expect(disk.offsets.length).toBe(9);
  });
});

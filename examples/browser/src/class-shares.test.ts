import { expect, it } from 'vitest';
import { classShares } from './class-shares.js';

it('lists the classes present with their share of pixels, largest first, ties by id', () => {
  expect(classShares([3, 1, 1, 3, 0, 3, 1, 2])).toEqual([
    { id: 1, pixels: 3, share: 3 / 8 },
    { id: 3, pixels: 3, share: 3 / 8 },
    { id: 0, pixels: 1, share: 1 / 8 },
    { id: 2, pixels: 1, share: 1 / 8 },
  ]);
  expect(classShares(new Uint8Array(4).fill(21))).toEqual([{ id: 21, pixels: 4, share: 1 }]);
});

import type { Pixels } from '../packages/core/src/data/image.js';

/** Seeded pseudo-random RGB bytes (a linear congruential generator), as a raw image. */
export function randomRgbImage(width: number, height: number, seed: number): Required<Pixels<Uint8Array>> {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, width, height, channels: 3 };
}

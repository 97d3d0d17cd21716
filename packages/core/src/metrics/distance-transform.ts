/**
 * Exact squared Euclidean distance transform of a binary image, after
 * Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions"
 * (Theory of Computing, 2012): the 2-D transform is a 1-D transform per
 * column, then a 1-D transform of those squared distances per row, each the
 * lower envelope of parabolas rooted at the sites. Linear in the pixel count,
 * exact (integer squared distances, no chamfer approximation), which is what
 * a boundary score compared with scipy's `distance_transform_edt` needs.
 */

/** Scratch buffers of {@link squaredDistanceTransform}, reused across calls to spare the allocations. */
export class DistanceTransformScratch {
  column = new Float64Array(0);
  sites = new Int32Array(0);
  bounds = new Float64Array(0);
  row = new Float64Array(0);

  /** Buffers for images up to `length` pixels along a line. */
  fit(length: number): this {
    if (this.row.length < length) {
      this.row = new Float64Array(length);
      this.sites = new Int32Array(length);
      this.bounds = new Float64Array(length + 1);
    }
    return this;
  }
}

/**
 * Squared distance from every pixel to the nearest pixel where `features` is
 * non-zero (row-major, `width × height`); `Infinity` where there is none, or
 * none within `maxDistance`. Writes into `out` when given.
 *
 * `maxDistance` makes a truncated transform, exact up to it: a site more than
 * `maxDistance` rows away can never be that close, so it joins no parabola,
 * and rows far from every site cost a fill. A boundary score only asks
 * whether a pixel lies within its tolerance.
 */
export function squaredDistanceTransform(
  features: Uint8Array,
  width: number,
  height: number,
  out: Float64Array = new Float64Array(width * height),
  scratch: DistanceTransformScratch = new DistanceTransformScratch(),
  maxDistance = Infinity,
): Float64Array {
  // Columns: the 1-D distance to a site is that to the nearest site above or below, found by a
  // downward and an upward scan; both walk whole rows, which keeps the memory access sequential.
  for (let x = 0; x < width; x++) out[x] = features[x] ? 0 : Infinity;
  for (let i = width; i < width * height; i++) out[i] = features[i] ? 0 : out[i - width] + 1;
  for (let i = width * (height - 1) - 1; i >= 0; i--) if (out[i + width] + 1 < out[i]) out[i] = out[i + width] + 1;
  for (let i = 0; i < width * height; i++) out[i] = out[i] <= maxDistance ? out[i] * out[i] : Infinity;
  const maxSquared = maxDistance * maxDistance;
  scratch.fit(width);
  const { sites, bounds, row } = scratch;
  // Rows: d(x) = min over sites s of (x - s)² + f(s), the lower envelope of parabolas.
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let x = 0; x < width; x++) row[x] = out[base + x];
    let k = -1;
    for (let q = 0; q < width; q++) {
      const fq = row[q];
      // A column without a site is no parabola (an infinite one would poison the intersections).
      if (fq === Infinity) continue;
      let s = -Infinity;
      while (k >= 0) {
        const v = sites[k];
        s = (fq + q * q - (row[v] + v * v)) / (2 * (q - v));
        if (s > bounds[k]) break;
        k -= 1;
      }
      k += 1;
      sites[k] = q;
      bounds[k] = k === 0 ? -Infinity : s;
    }
    if (k < 0) {
      for (let x = 0; x < width; x++) out[base + x] = Infinity;
      continue;
    }
    bounds[k + 1] = Infinity;
    for (let x = 0, j = 0; x < width; x++) {
      while (bounds[j + 1] < x) j += 1;
      const d = x - sites[j];
      const squared = d * d + row[sites[j]];
      out[base + x] = squared <= maxSquared ? squared : Infinity;
    }
  }
  return out;
}

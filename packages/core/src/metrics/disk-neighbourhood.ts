/**
 * How many query pixels have a site within a Euclidean distance, by a direct
 * neighbourhood test: the sites are marked in a bitmap padded by the radius on
 * every side (so no probe needs a bounds check), and each query pixel probes
 * the offsets of the disk, nearest first, stopping at the first site. The disk
 * holds every integer offset (dx, dy) with dx² + dy² ≤ tolerance², the
 * comparison the squared distance transform's caller makes, so both give the
 * same answer.
 *
 * Cost: marking and clearing the sites, plus at most |disk| ≈ π·tolerance²
 * probes per query pixel (97 at 5.44 px; a match nearby stops early), so it
 * grows with the boundary pixels and the tolerance but not with the image area.
 * Boundary F1 at 513×513 with 21 classes and its default 5.44 px
 * (bench/boundary-f1.bench.mjs) spends under 1 ms CPU per image in it, of
 * 4–11 ms in all, where matching by distance transforms alone made it 16–64 ms
 * (the most on the salt-noise map). The transform stays the choice where
 * boundary pixels are many, far from their class in the other map, and the
 * tolerance large (boundary-f1.ts weighs the two).
 */

export class DiskNeighbourhood {
  /** Offsets of the disk in the padded bitmap, nearest first. */
  readonly offsets: Int32Array;
  private readonly radius: number;
  private readonly paddedWidth: number;
  /** Sites of the current call, padded by `radius` on every side; all zero between calls. */
  private readonly bitmap: Uint8Array;

  /** For `width × height` images and a finite `tolerance` ≥ 0 in pixels. */
  constructor(
    readonly tolerance: number,
    readonly width: number,
    readonly height: number,
  ) {
    this.radius = Math.floor(tolerance);
    this.paddedWidth = width + 2 * this.radius;
    this.bitmap = new Uint8Array(this.paddedWidth * (height + 2 * this.radius));
    // Nearest first, so a query near a site (the common case) stops after a few probes: a
    // counting sort on the integer squared distance, as an object sort costs microseconds an offset.
    const limit = tolerance * tolerance;
    const r = this.radius;
    const start = new Int32Array(2 * r * r + 2);
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        const squared = dx * dx + dy * dy;
        if (squared <= limit) start[squared + 1] += 1;
      }
    }
    for (let d = 1; d < start.length; d++) start[d] += start[d - 1];
    this.offsets = new Int32Array(start[start.length - 1]);
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        const squared = dx * dx + dy * dy;
        if (squared <= limit) this.offsets[start[squared]++] = dy * this.paddedWidth + dx;
      }
    }
  }

  /**
   * How many of the pixels `query[q0..q1)` lie within the tolerance of one of
   * `sites[s0..s1)` (row-major pixel indices of the image).
   */
  matched(query: Int32Array, q0: number, q1: number, sites: Int32Array, s0: number, s1: number): number {
    const { bitmap, offsets } = this;
    for (let k = s0; k < s1; k++) bitmap[this.padded(sites[k])] = 1;
    const probes = offsets.length;
    let matched = 0;
    for (let k = q0; k < q1; k++) {
      const p = this.padded(query[k]);
      for (let o = 0; o < probes; o++) {
        if (bitmap[p + offsets[o]] !== 0) {
          matched += 1;
          break;
        }
      }
    }
    for (let k = s0; k < s1; k++) bitmap[this.padded(sites[k])] = 0;
    return matched;
  }

  private padded(i: number): number {
    const y = Math.floor(i / this.width);
    return (y + this.radius) * this.paddedWidth + (i - y * this.width) + this.radius;
  }
}

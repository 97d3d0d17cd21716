/**
 * The boundary F1 score (BF) of Csurka et al., "What is a good evaluation
 * measure for semantic segmentation?" (BMVC 2013), as MATLAB's `bfscore`
 * computes it per class: how many predicted boundary pixels lie within a
 * tolerance of a ground-truth boundary (precision), and the other way round
 * (recall). It rewards masks whose edges follow the objects' edges, which
 * IoU barely sees.
 *
 * Conventions (the papers leave them open; each is checked against the
 * scipy reference of scripts/fixtures/boundary_f1.py):
 * - A boundary pixel of class c is a pixel labelled c with a 4-neighbour
 *   labelled with another class. The image frame is no boundary: a class
 *   touching the frame has no edge there.
 * - Ignored pixels (`ignoreIndex` in the ground truth) are removed from both
 *   maps: they are never boundary pixels, and bordering one makes no
 *   boundary (an unknown label is not a different one), so an ignored band
 *   between two objects is not scored.
 * - Distances are Euclidean, between pixel centres, over the whole image
 *   (ignored pixels included); a pixel matches when its distance is at most
 *   `tolerance`.
 * - A class with no boundary pixel in either map (absent from both) has F1
 *   `NaN` and is left out of the mean; a class with boundary pixels in one
 *   map only (absent from the other) has F1 0.
 *
 * Matching, per class: the disk test of disk-neighbourhood.ts (probes around
 * each boundary pixel) or a truncated distance transform (distance-transform.ts)
 * of the box around both maps' boundaries, whichever a cost estimate (see
 * TRANSFORM_COST_PER_PIXEL) expects cheaper; both are exact. At the default
 * tolerance the disk test wins: 513×513 with 21 classes costs 4–11 ms per
 * image on a quiet machine, most of it finding the boundary pixels, where the
 * transforms alone made it 16–64 ms (bench/README.md, side by side).
 */
import { nanMean } from './confusion-matrix.js';
import { DiskNeighbourhood } from './disk-neighbourhood.js';
import { DistanceTransformScratch, squaredDistanceTransform } from './distance-transform.js';

/** Fraction of the image diagonal used as tolerance by default, the Cityscapes-style convention. */
export const BOUNDARY_TOLERANCE_FRACTION = 0.0075;

/** Options of {@link boundaryF1} and {@link BoundaryF1Accumulator}. */
export interface BoundaryF1Options {
  /**
   * Largest distance in pixels at which a boundary pixel still matches one of
   * the other map. Default: 0.75 % of the image diagonal (5.4 px at 513×513).
   */
  tolerance?: number;
  /** Ground-truth id whose pixels are removed from both maps. Default: none. */
  ignoreIndex?: number;
  /** Number of classes, the length of the per-class arrays. Default: 1 + the largest id in either map. */
  numClasses?: number;
}

/** Boundary pixels per class: the counts a split's score pools. */
export interface BoundaryCounts {
  /** Predicted boundary pixels per class. */
  predicted: Float64Array;
  /** Predicted boundary pixels within the tolerance of a ground-truth boundary pixel of the class. */
  predictedMatched: Float64Array;
  /** Ground-truth boundary pixels per class. */
  truth: Float64Array;
  /** Ground-truth boundary pixels within the tolerance of a predicted boundary pixel of the class. */
  truthMatched: Float64Array;
}

/** Boundary precision, recall and F1 per class id, and the mean F1. */
export interface BoundaryScores {
  /** Matched / predicted boundary pixels; `NaN` when the class has no predicted boundary. */
  perClassPrecision: number[];
  /** Matched / ground-truth boundary pixels; `NaN` when the class has no ground-truth boundary. */
  perClassRecall: number[];
  /** 2PR / (P + R): `NaN` with no boundary in either map, 0 with a boundary in one only. */
  perClassF1: number[];
  /** Mean of the defined {@link perClassF1}. */
  meanF1: number;
}

/** {@link boundaryF1}'s result: the scores, the counts behind them and the tolerance used. */
export interface BoundaryF1Result extends BoundaryScores {
  counts: BoundaryCounts;
  tolerance: number;
}

/** The default tolerance for a `width × height` image: 0.75 % of its diagonal. */
export function defaultBoundaryTolerance(width: number, height: number): number {
  return BOUNDARY_TOLERANCE_FRACTION * Math.hypot(width, height);
}

/**
 * Boundary F1 per class of one predicted label map against its ground truth
 * (both row-major, `width × height` class ids).
 *
 * @throws If a map's length is not `width × height`, an id is not an integer
 *   in `0..numClasses-1` (the ground truth's `ignoreIndex` aside), or the
 *   tolerance is negative.
 *
 * @example
 * ```ts
 * const { perClassF1, meanF1 } = boundaryF1(prediction, labels, 513, 513, { ignoreIndex: 255 });
 * ```
 */
export function boundaryF1(
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
  width: number,
  height: number,
  options: BoundaryF1Options = {},
): BoundaryF1Result {
  const numClasses = options.numClasses ?? 1 + Math.max(largestId(predicted, options.ignoreIndex), largestId(truth, options.ignoreIndex));
  const counts = emptyCounts(numClasses);
  const tolerance = options.tolerance ?? defaultBoundaryTolerance(width, height);
  countBoundaryMatches(predicted, truth, width, height, { ...options, numClasses, tolerance }, counts);
  return { ...boundaryScores(counts), counts, tolerance };
}

/**
 * Boundary F1 over a split. Per class, it pools the boundary counts of every
 * image (matched and total predicted and ground-truth boundary pixels), as
 * {@link ConfusionMatrix} pools pixels, so each boundary pixel weighs the
 * same; Csurka et al. average per-image scores instead, which weighs a small
 * object's edge as much as a large one's (average {@link boundaryF1}'s
 * per-image `perClassF1` for that). The default tolerance is each image's
 * own 0.75 % of its diagonal.
 */
export class BoundaryF1Accumulator {
  readonly numClasses: number;
  readonly counts: BoundaryCounts;
  /** Images added. */
  images = 0;
  private readonly options: BoundaryF1Options;
  private readonly scratch = new BoundaryScratch();

  constructor(numClasses: number, options: Omit<BoundaryF1Options, 'numClasses'> = {}) {
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new Error(`BoundaryF1Accumulator: numClasses must be a positive integer, got ${numClasses}`);
    }
    this.numClasses = numClasses;
    this.options = options;
    this.counts = emptyCounts(numClasses);
  }

  /** Adds one image's boundary counts. Throws as {@link boundaryF1}. */
  update(predicted: ArrayLike<number>, truth: ArrayLike<number>, width: number, height: number): this {
    const tolerance = this.options.tolerance ?? defaultBoundaryTolerance(width, height);
    countBoundaryMatches(predicted, truth, width, height, { ...this.options, numClasses: this.numClasses, tolerance }, this.counts, this.scratch);
    this.images += 1;
    return this;
  }

  /** Adds another accumulator's counts (e.g. from another worker). */
  merge(other: BoundaryF1Accumulator): this {
    if (other.numClasses !== this.numClasses) {
      throw new Error(`BoundaryF1Accumulator.merge: ${other.numClasses} classes into ${this.numClasses}`);
    }
    for (const key of COUNT_KEYS) for (let c = 0; c < this.numClasses; c++) this.counts[key][c] += other.counts[key][c];
    this.images += other.images;
    return this;
  }

  reset(): void {
    for (const key of COUNT_KEYS) this.counts[key].fill(0);
    this.images = 0;
  }

  /**
   * The split's scores from the pooled counts.
   *
   * @param exclude Class ids reported as `NaN` and left out of the mean (e.g. void).
   */
  scores(exclude: readonly number[] = []): BoundaryScores {
    return boundaryScores(this.counts, exclude);
  }
}

const COUNT_KEYS = ['predicted', 'predictedMatched', 'truth', 'truthMatched'] as const;

function emptyCounts(numClasses: number): BoundaryCounts {
  return {
    predicted: new Float64Array(numClasses),
    predictedMatched: new Float64Array(numClasses),
    truth: new Float64Array(numClasses),
    truthMatched: new Float64Array(numClasses),
  };
}

/** Scores from counts, with the conventions of the file header. */
function boundaryScores(counts: BoundaryCounts, exclude: readonly number[] = []): BoundaryScores {
  const skip = new Set(exclude);
  const perClassPrecision: number[] = [];
  const perClassRecall: number[] = [];
  const perClassF1: number[] = [];
  for (let c = 0; c < counts.truth.length; c++) {
    const p = !skip.has(c) && counts.predicted[c] > 0 ? counts.predictedMatched[c] / counts.predicted[c] : Number.NaN;
    const r = !skip.has(c) && counts.truth[c] > 0 ? counts.truthMatched[c] / counts.truth[c] : Number.NaN;
    perClassPrecision.push(p);
    perClassRecall.push(r);
    if (skip.has(c) || (Number.isNaN(p) && Number.isNaN(r))) perClassF1.push(Number.NaN);
    else if (Number.isNaN(p) || Number.isNaN(r) || p + r === 0) perClassF1.push(0);
    else perClassF1.push((2 * p * r) / (p + r));
  }
  return { perClassPrecision, perClassRecall, perClassF1, meanF1: nanMean(perClassF1) };
}

/** Buffers of one image, kept by an accumulator so a split allocates them once. */
class BoundaryScratch {
  labels = new Int32Array(0);
  /** Per map, boundary pixel indices bucketed by class (counting sort: `start[c]..start[c + 1]`). */
  predictedPixels = new Int32Array(0);
  truthPixels = new Int32Array(0);
  features = new Uint8Array(0);
  distances = new Float64Array(0);
  readonly transform = new DistanceTransformScratch();
  private neighbourhood: DiskNeighbourhood | undefined;

  /** The disk test for this image size and tolerance, built once per accumulator. */
  disk(tolerance: number, width: number, height: number): DiskNeighbourhood {
    const cached = this.neighbourhood;
    if (cached?.tolerance === tolerance && cached.width === width && cached.height === height) return cached;
    this.neighbourhood = new DiskNeighbourhood(tolerance, width, height);
    return this.neighbourhood;
  }

  fit(pixels: number): this {
    if (this.labels.length < 2 * pixels) {
      this.labels = new Int32Array(2 * pixels);
      this.predictedPixels = new Int32Array(pixels);
      this.truthPixels = new Int32Array(pixels);
    }
    return this;
  }

  /** Grows the distance transform's buffers to `pixels`, on first use only: most images never need them. */
  fitTransform(pixels: number): this {
    if (this.features.length < pixels) {
      this.features = new Uint8Array(pixels);
      this.distances = new Float64Array(pixels);
    }
    return this;
  }
}

/** Internal label of removed (ignored) pixels. */
const REMOVED = -1;

function largestId(map: ArrayLike<number>, ignoreIndex: number | undefined): number {
  let max = 0;
  for (let i = 0; i < map.length; i++) if (map[i] !== ignoreIndex && map[i] > max) max = map[i];
  return max;
}

/** Adds one image's boundary counts to `counts`. */
function countBoundaryMatches(
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
  width: number,
  height: number,
  options: BoundaryF1Options & { numClasses: number; tolerance: number },
  counts: BoundaryCounts,
  scratch: BoundaryScratch = new BoundaryScratch(),
): void {
  const { numClasses, tolerance, ignoreIndex } = options;
  const n = width * height;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`boundaryF1: width and height must be positive integers, got ${width}×${height}`);
  }
  if (predicted.length !== n || truth.length !== n) {
    throw new Error(`boundaryF1: a ${width}×${height} image has ${n} pixels, got ${predicted.length} predicted and ${truth.length} ground-truth labels`);
  }
  if (!(tolerance >= 0)) throw new Error(`boundaryF1: tolerance must be a distance in pixels ≥ 0, got ${tolerance}`);
  scratch.fit(n);
  const { labels } = scratch;
  // labels[0..n) the prediction, labels[n..2n) the truth, ignored pixels removed from both.
  for (let i = 0; i < n; i++) {
    const t = truth[i];
    if (t === ignoreIndex) {
      labels[i] = REMOVED;
      labels[n + i] = REMOVED;
      continue;
    }
    const p = predicted[i];
    if (!(Number.isInteger(t) && t >= 0 && t < numClasses)) {
      throw new Error(`boundaryF1: ground-truth id ${t} at index ${i} is outside 0..${numClasses - 1}`);
    }
    if (!(Number.isInteger(p) && p >= 0 && p < numClasses)) {
      throw new Error(`boundaryF1: predicted id ${p} at index ${i} is outside 0..${numClasses - 1}`);
    }
    labels[i] = p;
    labels[n + i] = t;
  }
  const predictedStart = bucketBoundaryPixels(labels, 0, width, height, numClasses, scratch.predictedPixels);
  const truthStart = bucketBoundaryPixels(labels, n, width, height, numClasses, scratch.truthPixels);
  for (let c = 0; c < numClasses; c++) {
    const p0 = predictedStart[c];
    const p1 = predictedStart[c + 1];
    const t0 = truthStart[c];
    const t1 = truthStart[c + 1];
    counts.predicted[c] += p1 - p0;
    counts.truth[c] += t1 - t0;
    if (p1 === p0 || t1 === t0) continue;
    const { predictedPixels, truthPixels } = scratch;
    const box = boundingBox(width, predictedPixels, p0, p1, truthPixels, t0, t1);
    // Both answers are exact; take the cheaper, counted in disk probes with every query a miss.
    const diskCost = (p1 - p0 + t1 - t0) * Math.PI * tolerance * tolerance;
    const transformCost = 2 * TRANSFORM_COST_PER_PIXEL * box.w * box.h;
    if (diskCost <= transformCost) {
      const disk = scratch.disk(tolerance, width, height);
      counts.predictedMatched[c] += disk.matched(predictedPixels, p0, p1, truthPixels, t0, t1);
      counts.truthMatched[c] += disk.matched(truthPixels, t0, t1, predictedPixels, p0, p1);
    } else {
      counts.predictedMatched[c] += matchedWithin(predictedPixels, p0, p1, truthPixels, t0, t1, width, box, tolerance, scratch);
      counts.truthMatched[c] += matchedWithin(truthPixels, t0, t1, predictedPixels, p0, p1, width, box, tolerance, scratch);
    }
  }
}

/**
 * Cost of a truncated distance transform per pixel of its box, in probes of
 * the disk test. Measured at 513×513 (node 20): about 7 ns per box pixel
 * against 2–3.5 ns per probe, a ratio near 3. The disk's estimate counts
 * every probe of a miss, which real maps rarely pay (a match stops early):
 * with 8, the bench's maps keep the disk test up to 20 px tolerance (2–4×
 * faster than the transform there), and a class whose boundary pixels nearly
 * all miss (1 % salt of a class the truth has only in a corner) stays within
 * 1.3× of the faster method from 5 to 40 px, where the disk test alone is
 * 5× slower than the transform at 40 px.
 */
const TRANSFORM_COST_PER_PIXEL = 8;

type Box = { x0: number; y0: number; w: number; h: number };

/** The box around `a[a0..a1)` and `b[b0..b1)`: distances to sites inside it are exact there. */
function boundingBox(width: number, a: Int32Array, a0: number, a1: number, b: Int32Array, b0: number, b1: number): Box {
  let x0 = width;
  let x1 = -1;
  let y0 = Infinity;
  let y1 = -1;
  for (const [pixels, start, end] of [
    [a, a0, a1],
    [b, b0, b1],
  ] as const) {
    for (let k = start; k < end; k++) {
      const x = pixels[k] % width;
      const y = (pixels[k] - x) / width;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return { x0, y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/**
 * Writes the boundary pixels of the map at `labels[offset..offset + w·h)`
 * into `out`, grouped by class; returns where each class's group starts
 * (`numClasses + 1` entries).
 */
function bucketBoundaryPixels(labels: Int32Array, offset: number, width: number, height: number, numClasses: number, out: Int32Array): Int32Array {
  const start = new Int32Array(numClasses + 1);
  // The boundary pixels in image order, counted per class, then grouped by class (a counting sort).
  let found = 0;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const j = offset + i;
      const l = labels[j];
      if (l === REMOVED) continue;
      // Outside the frame reads as the pixel's own label: no edge there.
      const left = x > 0 ? labels[j - 1] : l;
      const right = x < width - 1 ? labels[j + 1] : l;
      const up = y > 0 ? labels[j - width] : l;
      const down = y < height - 1 ? labels[j + width] : l;
      if ((left !== l && left !== REMOVED) || (right !== l && right !== REMOVED) || (up !== l && up !== REMOVED) || (down !== l && down !== REMOVED)) {
        out[found++] = i;
        start[l + 1] += 1;
      }
    }
  }
  for (let c = 0; c < numClasses; c++) start[c + 1] += start[c];
  const inImageOrder = out.slice(0, found);
  const next = start.slice(0, numClasses);
  for (let k = 0; k < found; k++) {
    const i = inImageOrder[k];
    out[next[labels[offset + i]]++] = i;
  }
  return start;
}

/** How many of `query[q0..q1)` lie within `tolerance` of a pixel of `sites[s0..s1)`, all inside `box`. */
function matchedWithin(
  query: Int32Array,
  q0: number,
  q1: number,
  sites: Int32Array,
  s0: number,
  s1: number,
  width: number,
  box: Box,
  tolerance: number,
  scratch: BoundaryScratch,
): number {
  const features = scratch.fitTransform(box.w * box.h).features.subarray(0, box.w * box.h);
  features.fill(0);
  const local = (i: number) => {
    const x = i % width;
    return ((i - x) / width - box.y0) * box.w + (x - box.x0);
  };
  for (let k = s0; k < s1; k++) features[local(sites[k])] = 1;
  const distances = squaredDistanceTransform(features, box.w, box.h, scratch.distances, scratch.transform, tolerance);
  const limit = tolerance * tolerance;
  let matched = 0;
  for (let k = q0; k < q1; k++) if (distances[local(query[k])] <= limit) matched += 1;
  return matched;
}

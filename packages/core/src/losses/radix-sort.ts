/**
 * A stable LSD radix sort of (key, item) pairs with 30-bit unsigned keys, for
 * the Lovász-Softmax loss's per-class sorts of float errors in [0, 1] (whose
 * float32 bit patterns order like the floats and lie below 2^30).
 *
 * Two passes of 15-bit digits; both digit histograms are counted as the pairs are pushed.
 * Pairs are interleaved in one array, so each scattered write of a pass
 * touches one cache line, not two: measured 25 % faster than separate key and
 * item arrays on 237k keys (21 sorts, 2-core EPYC, loaded). 13-, 14-bit and
 * three 10-/11-bit passes measured within noise or slower.
 *
 * @module
 */

const DIGIT_BITS = 15;
const DIGIT_MASK = (1 << DIGIT_BITS) - 1;

/**
 * Collects up to `capacity` pairs ({@link push}, which also counts both
 * digits, saving the sort a read) and sorts them ({@link sort}). Its buffers
 * are reused by every sort.
 */
export class RadixSorter {
  /** `[key, item, key, item, …]`: the pairs pushed, sorted by `sort()`. */
  readonly pairs: Uint32Array;
  /** Pairs pushed since the last `clear()`. */
  length = 0;
  private readonly scratch: Uint32Array;
  private readonly low = new Int32Array(1 << DIGIT_BITS);
  private readonly high = new Int32Array(1 << DIGIT_BITS);

  constructor(readonly capacity: number) {
    this.pairs = new Uint32Array(2 * capacity);
    this.scratch = new Uint32Array(2 * capacity);
  }

  clear(): void {
    this.length = 0;
    this.low.fill(0);
    this.high.fill(0);
  }

  /** Appends a pair; `key` < 2^30. */
  push(key: number, item: number): void {
    const at = 2 * this.length++;
    this.pairs[at] = key;
    this.pairs[at + 1] = item;
    this.low[key & DIGIT_MASK]++;
    this.high[(key >>> DIGIT_BITS) & DIGIT_MASK]++;
  }

  /** Sorts the pushed pairs by ascending key in `pairs`; pairs with equal keys keep their order. */
  sort(): void {
    const { low, high, pairs, scratch } = this;
    const end = 2 * this.length;
    toOffsets(low);
    toOffsets(high);
    for (let i = 0; i < end; i += 2) {
      const key = pairs[i];
      const at = 2 * low[key & DIGIT_MASK]++;
      scratch[at] = key;
      scratch[at + 1] = pairs[i + 1];
    }
    for (let i = 0; i < end; i += 2) {
      const key = scratch[i];
      const at = 2 * high[(key >>> DIGIT_BITS) & DIGIT_MASK]++;
      pairs[at] = key;
      pairs[at + 1] = scratch[i + 1];
    }
  }
}

/** Counts to exclusive prefix sums, in place. */
function toOffsets(histogram: Int32Array): void {
  let sum = 0;
  for (let b = 0; b < histogram.length; b++) {
    const count = histogram[b];
    histogram[b] = sum;
    sum += count;
  }
}

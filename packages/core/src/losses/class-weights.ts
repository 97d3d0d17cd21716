/** Options of {@link medianFrequencyWeights}. */
export interface MedianFrequencyOptions {
  /**
   * Per class, the total pixels of the images in which that class appears:
   * gives Eigen & Fergus's frequency. Default: none, every class's frequency
   * is its share of all counted pixels.
   */
  imagePixels?: readonly number[];
}

/**
 * Median frequency balancing (Eigen & Fergus, 2015, "Predicting Depth,
 * Surface Normals and Semantic Labels with a Common Multi-Scale
 * Convolutional Architecture"; SegNet's class weights):
 * w_c = median(freq) / freq_c, the median over classes that occur.
 *
 * freq_c is `counts[c] / imagePixels[c]` when `imagePixels` is given (the
 * paper's: pixels of c over the pixels of the images where c is present),
 * else `counts[c] / Σ counts` (the pixel-count version; it differs from the
 * paper's only by how often each class appears per image). A class that never
 * occurs (count 0) gets weight 0 and stays out of the median, which for an
 * even number of classes is the mean of the middle two (numpy's).
 *
 * @param counts Labelled pixels per class over the training split (ignored pixels left out).
 * @returns One weight per class, for `classWeights` or focal's `alpha`.
 */
export function medianFrequencyWeights(counts: readonly number[], options: MedianFrequencyOptions = {}): number[] {
  const { imagePixels } = options;
  const bad = counts.findIndex((n) => !Number.isFinite(n) || n < 0);
  if (bad >= 0) throw new Error(`medianFrequencyWeights: counts[${bad}] is ${counts[bad]}; counts must be finite and ≥ 0`);
  if (imagePixels) {
    if (imagePixels.length !== counts.length) {
      throw new Error(`medianFrequencyWeights: imagePixels has ${imagePixels.length} entries, counts has ${counts.length}`);
    }
    const short = imagePixels.findIndex((n, c) => !(n >= counts[c]) || !Number.isFinite(n));
    if (short >= 0) {
      throw new Error(`medianFrequencyWeights: imagePixels[${short}] is ${imagePixels[short]}, below counts[${short}] = ${counts[short]}; it must count every pixel of the images containing the class`);
    }
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const freq = counts.map((n, c) => (n === 0 ? 0 : n / (imagePixels ? imagePixels[c] : total)));
  const occurring = freq.filter((f) => f > 0).sort((a, b) => a - b);
  if (occurring.length === 0) throw new Error('medianFrequencyWeights: every count is 0; no class occurs');
  const mid = occurring.length >> 1;
  const median = occurring.length % 2 === 1 ? occurring[mid] : (occurring[mid - 1] + occurring[mid]) / 2;
  return freq.map((f) => (f === 0 ? 0 : median / f));
}

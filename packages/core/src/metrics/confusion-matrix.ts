/** Options of {@link ConfusionMatrix}. */
export interface ConfusionMatrixOptions {
  /**
   * Ground-truth id that is skipped when counting (MSRC's void, 21). Pixels
   * predicted as this id still count as errors. Default: none.
   */
  ignoreIndex?: number;
}

/**
 * Scores derived from a confusion matrix. With TP, FP and FN of class c
 * counted over the pixels whose ground truth is counted (not ignored, not
 * excluded), a per-class score is `NaN` when its denominator is 0 and for
 * excluded classes, and every mean skips exactly the `NaN`s.
 */
export interface SegmentationScores {
  /** Correct pixels / counted pixels. */
  pixelAccuracy: number;
  /** Mean of per-class recall over the classes present in the ground truth. */
  meanAccuracy: number;
  /**
   * Mean of per-class IoU, TP / (TP + FP + FN), over every class whose union
   * is non-zero (the FCN / mmsegmentation convention): a class predicted but
   * absent from the ground truth counts as 0 instead of being left out, which
   * would flatter a model that hallucinates classes.
   */
  meanIoU: number;
  /** IoU per class id; `NaN` for classes absent from both prediction and ground truth. */
  perClassIoU: number[];
  /** Recall per class id; `NaN` for classes absent from the ground truth. The same numbers as {@link perClassRecall}. */
  perClassAccuracy: number[];
  /** Precision per class id, TP / (TP + FP); `NaN` for classes never predicted on a counted pixel. */
  perClassPrecision: number[];
  /** Recall per class id, TP / (TP + FN); `NaN` for classes absent from the ground truth. */
  perClassRecall: number[];
  /**
   * F1 per class id, 2·TP / (2·TP + FP + FN): the harmonic mean of precision
   * and recall, which on label maps is the Dice coefficient, and 2·IoU / (1 + IoU).
   * Written with counts, it is `NaN` exactly where IoU is (an empty union) and
   * 0 for a class present on one side only (precision or recall undefined).
   */
  perClassF1: number[];
  /** Mean of {@link perClassF1} over the classes whose union is non-zero, the classes {@link meanIoU} averages. */
  meanF1: number;
  /**
   * Σ_c freq_c · IoU_c with freq_c = (ground-truth pixels of c) / (counted
   * pixels), over the classes present in the ground truth (FCN's score.py,
   * as COCO-Stuff reports it): a class absent from the ground truth weighs 0,
   * even when it is predicted. `NaN` when no pixel is counted.
   */
  frequencyWeightedIoU: number;
  /** Ground-truth pixels of each class / counted pixels (fwIoU's weights); `NaN` for excluded classes. */
  perClassPixelShare: number[];
}

/**
 * Accumulates a `numClasses × numClasses` confusion matrix over label maps
 * (rows: ground truth, columns: prediction) and derives the standard
 * segmentation scores from it, as the MSRC literature reports them.
 */
export class ConfusionMatrix {
  readonly numClasses: number;
  readonly ignoreIndex: number | undefined;
  /** Row-major counts: `counts[truth * numClasses + predicted]`. */
  readonly counts: Float64Array;

  constructor(numClasses: number, options: ConfusionMatrixOptions = {}) {
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new Error(`ConfusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
    }
    this.numClasses = numClasses;
    this.ignoreIndex = options.ignoreIndex;
    this.counts = new Float64Array(numClasses * numClasses);
  }

  /**
   * Adds one batch of predictions.
   *
   * @throws If the arrays differ in length or hold an id outside `0..numClasses-1`
   *   (other than `ignoreIndex` in `truth`).
   */
  update(predicted: ArrayLike<number>, truth: ArrayLike<number>): this {
    if (predicted.length !== truth.length) {
      throw new Error(`ConfusionMatrix.update: ${predicted.length} predictions for ${truth.length} ground-truth pixels`);
    }
    const n = this.numClasses;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i];
      if (t === this.ignoreIndex) continue;
      const p = predicted[i];
      if (!(t >= 0 && t < n && Number.isInteger(t))) {
        throw new Error(`ConfusionMatrix.update: ground-truth id ${t} at index ${i} is outside 0..${n - 1}`);
      }
      if (!(p >= 0 && p < n && Number.isInteger(p))) {
        throw new Error(`ConfusionMatrix.update: predicted id ${p} at index ${i} is outside 0..${n - 1}`);
      }
      this.counts[t * n + p] += 1;
    }
    return this;
  }

  /** Adds another matrix's counts (e.g. from another worker). */
  merge(other: ConfusionMatrix): this {
    if (other.numClasses !== this.numClasses) {
      throw new Error(`ConfusionMatrix.merge: ${other.numClasses} classes into ${this.numClasses}`);
    }
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    return this;
  }

  reset(): void {
    this.counts.fill(0);
  }

  /**
   * Derives the scores.
   *
   * @param exclude Class ids left out of every score, rows and columns (e.g.
   *   void, to report "void excluded" numbers). A pixel whose truth is
   *   excluded is not counted; one predicted as an excluded class still
   *   counts as wrong.
   */
  scores(exclude: readonly number[] = []): SegmentationScores {
    const n = this.numClasses;
    const skip = new Set(exclude);
    let correct = 0;
    let total = 0;
    const tp: number[] = [];
    const truthPixels: number[] = [];
    const predictedPixels: number[] = [];
    for (let c = 0; c < n; c++) {
      let rowSum = 0;
      let colSum = 0;
      for (let k = 0; k < n; k++) {
        rowSum += this.counts[c * n + k];
        if (!skip.has(k)) colSum += this.counts[k * n + c];
      }
      tp.push(this.counts[c * n + c]);
      truthPixels.push(rowSum);
      predictedPixels.push(colSum);
      if (skip.has(c)) continue;
      correct += tp[c];
      total += rowSum;
    }
    const perClass = (score: (c: number) => number) => Array.from({ length: n }, (_, c) => (skip.has(c) ? Number.NaN : score(c)));
    const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
    const perClassIoU = perClass((c) => ratio(tp[c], truthPixels[c] + predictedPixels[c] - tp[c]));
    const perClassRecall = perClass((c) => ratio(tp[c], truthPixels[c]));
    const perClassF1 = perClass((c) => ratio(2 * tp[c], truthPixels[c] + predictedPixels[c]));
    const perClassPixelShare = perClass((c) => ratio(truthPixels[c], total));
    let frequencyWeightedIoU = total > 0 ? 0 : Number.NaN;
    for (let c = 0; c < n; c++) if (perClassPixelShare[c] > 0) frequencyWeightedIoU += perClassPixelShare[c] * perClassIoU[c];
    return {
      pixelAccuracy: ratio(correct, total),
      meanAccuracy: nanMean(perClassRecall),
      meanIoU: nanMean(perClassIoU),
      perClassIoU,
      perClassAccuracy: perClassRecall.slice(),
      perClassPrecision: perClass((c) => ratio(tp[c], predictedPixels[c])),
      perClassRecall,
      perClassF1,
      meanF1: nanMean(perClassF1),
      frequencyWeightedIoU,
      perClassPixelShare,
    };
  }
}

/** Mean of the defined values: `NaN` marks an excluded class or an empty denominator, and each mean skips exactly those. */
export function nanMean(values: readonly number[]): number {
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    sum += v;
    count += 1;
  }
  return count ? sum / count : Number.NaN;
}

/** Options of {@link ConfusionMatrix}. */
export interface ConfusionMatrixOptions {
  /**
   * Ground-truth id that is skipped when counting (MSRC's void, 21). Pixels
   * predicted as this id still count as errors. Default: none.
   */
  ignoreIndex?: number;
}

/** Scores derived from a confusion matrix. */
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
  /** Recall per class id; `NaN` for classes absent from the ground truth. */
  perClassAccuracy: number[];
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
    const perClassIoU: number[] = [];
    const perClassAccuracy: number[] = [];
    for (let c = 0; c < n; c++) {
      if (skip.has(c)) {
        perClassIoU.push(Number.NaN);
        perClassAccuracy.push(Number.NaN);
        continue;
      }
      let rowSum = 0;
      let colSum = 0;
      for (let k = 0; k < n; k++) {
        rowSum += this.counts[c * n + k];
        if (!skip.has(k)) colSum += this.counts[k * n + c];
      }
      const tp = this.counts[c * n + c];
      correct += tp;
      total += rowSum;
      const union = rowSum + colSum - tp;
      perClassIoU.push(union > 0 ? tp / union : Number.NaN);
      perClassAccuracy.push(rowSum > 0 ? tp / rowSum : Number.NaN);
    }
    // NaN marks an excluded class, an empty row (recall) or an empty union (IoU): each mean skips exactly those.
    const mean = (v: number[]) => {
      const defined = v.filter((x) => !Number.isNaN(x));
      return defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : Number.NaN;
    };
    return {
      pixelAccuracy: total > 0 ? correct / total : Number.NaN,
      meanAccuracy: mean(perClassAccuracy),
      meanIoU: mean(perClassIoU),
      perClassIoU,
      perClassAccuracy,
    };
  }
}

import type { StepLogs, TrainingCallback } from '@seg/core';

/** Mean training loss and pixel accuracy over the steps since the last validation, as the reference run logged them. */
export interface WindowMeans {
  trainLoss: number;
  trainPixelAccuracy: number;
}

/**
 * Averages the training loss and accuracy between validations. Put it before
 * the callbacks that read {@link TrainingWindow.last}: it closes the window at
 * each evaluation.
 */
export class TrainingWindow implements TrainingCallback {
  /** The means of the window the last evaluation closed. */
  last: WindowMeans = { trainLoss: Number.NaN, trainPixelAccuracy: Number.NaN };
  private sum = { loss: 0, acc: 0, n: 0 };

  onStepEnd(s: StepLogs): void {
    this.sum.loss += s.loss;
    this.sum.acc += s.metrics.pixelAccuracy;
    this.sum.n += 1;
  }

  onEvaluate(): void {
    const n = Math.max(this.sum.n, 1);
    this.last = { trainLoss: this.sum.loss / n, trainPixelAccuracy: this.sum.acc / n };
    this.sum = { loss: 0, acc: 0, n: 0 };
  }
}

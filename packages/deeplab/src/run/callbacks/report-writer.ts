import type { FitEnd, StepLogs, TrainingCallback } from '@seg/core';
import type { RunReport } from '../report/run-report.js';
import type { Validation } from '../validation.js';
import type { TrainingWindow } from './training-window.js';
import { snapshotPaths } from './snapshots.js';

/** Feeds the HTML report: the loss of every step; curves, confusion matrix and snapshot at each validation; the failure, if training fails. */
export function reportWriter(report: RunReport, iterations: number, window: TrainingWindow, validation: Validation): TrainingCallback {
  let step = 0;
  return {
    onStepEnd(s: StepLogs) {
      step = s.step;
      report.recordStep(s.step, s.loss);
    },
    async onEvaluate() {
      const v = validation.latest!;
      const shot = snapshotPaths(v.step);
      report.recordValidation({ step: v.step, loss: v.loss, pixelAccuracy: v.pixelAccuracy, meanIoU: v.meanIoU, ...window.last }, v.confusion, v.boundary, {
        title: `${v.shown.id} (validation, iteration ${v.step})`,
        image: shot.image,
        truth: shot.truth,
        prediction: shot.prediction,
      });
      await report.write(`training: iteration ${v.step} of ${iterations}`);
    },
    async onFitEnd({ error }: FitEnd) {
      if (error !== undefined) await report.write(`failed at iteration ${step + 1}: ${(error as Error).message ?? String(error)}`);
    },
  };
}

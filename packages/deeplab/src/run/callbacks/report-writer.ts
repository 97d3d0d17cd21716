import type { Evaluation, FitEnd, StepLogs, TrainingCallback } from '@seg/core';
import type { RunReport } from '../report/run-report.js';
import type { TrainingWindow } from './training-window.js';
import { snapshotPaths } from './snapshots.js';

/** Feeds the HTML report: the loss of every step; curves, confusion matrix and snapshot at each validation; the failure, if training fails. */
export function reportWriter(report: RunReport, iterations: number, window: TrainingWindow): TrainingCallback {
  let step = 0;
  return {
    onStepEnd(s: StepLogs) {
      step = s.step;
      report.recordStep(s.step, s.loss);
    },
    async onEvaluate({ step, scores, confusion, boundaryF1, snapshots }: Evaluation) {
      const shot = snapshotPaths(step);
      const { loss, pixelAccuracy, meanIoU } = scores;
      report.recordValidation({ step, loss, pixelAccuracy, meanIoU, ...window.last }, confusion!, boundaryF1, {
        title: `${snapshots![0].id} (validation, iteration ${step})`,
        image: shot.image,
        truth: shot.truth,
        prediction: shot.prediction,
      });
      await report.write(`training: iteration ${step} of ${iterations}`);
    },
    async onFitEnd({ error }: FitEnd) {
      if (error !== undefined) await report.write(`failed at iteration ${step + 1}: ${(error as Error).message ?? String(error)}`);
    },
  };
}

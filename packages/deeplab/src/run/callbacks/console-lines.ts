import type { CheckpointAt, Evaluation, TrainingCallback } from '@seg/core';
import type { Validation } from '../validation.js';
import type { TrainingWindow } from './training-window.js';

/** The MSRC reference run's console lines at each validation and save (of the best model by `monitor`), and one per checkpoint. */
export function consoleLines(say: (line: string) => void, window: TrainingWindow, validation: Validation, monitor = 'pixelAccuracy'): TrainingCallback {
  const scoreName = monitor === 'pixelAccuracy' ? 'accuracy' : monitor;
  return {
    onEvaluate({ step, scores, bestModel }: Evaluation) {
      const v = validation.latest!;
      const w = window.last;
      say(
        `Iteration: ${step}, TrainLoss: ${w.trainLoss.toFixed(4)}, TrainAcc: ${w.trainPixelAccuracy.toFixed(4)}, ` +
          `ValLoss: ${v.loss.toFixed(4)}, ValAcc: ${v.pixelAccuracy.toFixed(4)}, ValMeanIoU: ${v.meanIoU.toFixed(4)}`,
      );
      if (bestModel === 'saved') say(`Saved model @iteration ${step} with ${scoreName} ${scores[monitor].toFixed(4)} and loss ${scores.loss.toFixed(4)}`);
      else say(`Skipped saving @iteration ${step}`);
    },
    onCheckpoint({ step, dir }: CheckpointAt) {
      say(`checkpoint @iteration ${step} in ${dir}`);
    },
  };
}

import type { BestModelSaver, CheckpointAt, Evaluation, TrainingCallback } from '@seg/core';
import type { TrainingWindow } from './training-window.js';

/**
 * The MSRC reference run's console lines at each validation and save (of the
 * best model by the saver's monitor), and one per checkpoint. Put it after
 * `bestModel` (whose decision it prints) and `window`.
 */
export function consoleLines(say: (line: string) => void, window: TrainingWindow, bestModel: BestModelSaver): TrainingCallback {
  const monitor = bestModel.monitor;
  const scoreName = monitor === 'pixelAccuracy' ? 'accuracy' : monitor;
  return {
    onEvaluate({ step, scores }: Evaluation) {
      const w = window.last;
      say(
        `Iteration: ${step}, TrainLoss: ${w.trainLoss.toFixed(4)}, TrainAcc: ${w.trainPixelAccuracy.toFixed(4)}, ` +
          `ValLoss: ${scores.loss.toFixed(4)}, ValAcc: ${scores.pixelAccuracy.toFixed(4)}, ValMeanIoU: ${scores.meanIoU.toFixed(4)}`,
      );
      if (bestModel.decision === 'saved') say(`Saved model @iteration ${step} with ${scoreName} ${scores[monitor].toFixed(4)} and loss ${scores.loss.toFixed(4)}`);
      else say(`Skipped saving @iteration ${step}`);
    },
    onCheckpoint({ step, dir }: CheckpointAt) {
      say(`checkpoint @iteration ${step} in ${dir}`);
    },
  };
}

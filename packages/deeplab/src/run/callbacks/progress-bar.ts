import type { StepLogs, TrainingCallback } from '@seg/core';
import type { Progress } from '../training-progress.js';

/** Moves the progress bar at every step and takes it down when training ends. */
export function progressBar(progress: Progress): TrainingCallback {
  return {
    onStepEnd: (s: StepLogs) => progress.tick(s.step, s.loss),
    onFitEnd: () => progress.stop(),
  };
}

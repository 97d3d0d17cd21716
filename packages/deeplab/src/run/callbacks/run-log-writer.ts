import type { Evaluation, FitEnd, StepLogs, TrainingCallback } from '@seg/core';
import type { RunLog } from '../run-log.js';
import type { TrainingWindow } from './training-window.js';

/** Appends every step and validation to `log.jsonl`, and an end record when training fails. */
export function runLogWriter(log: RunLog, backend: string, window: TrainingWindow): TrainingCallback {
  let stepStarted = Date.now();
  let step = 0;
  return {
    onFitStart(at: number) {
      step = at;
      stepStarted = Date.now();
      void log.write({ type: 'start', time: new Date().toISOString(), step, backend });
    },
    onStepEnd(s: StepLogs) {
      const seconds = (Date.now() - stepStarted) / 1000;
      stepStarted = Date.now();
      step = s.step;
      void log.write({ type: 'step', step: s.step, loss: s.loss, pixelAccuracy: s.metrics.pixelAccuracy, seconds });
    },
    onEvaluate({ step, scores }: Evaluation) {
      void log.write({ type: 'validation', step, loss: scores.loss, pixelAccuracy: scores.pixelAccuracy, meanIoU: scores.meanIoU, ...window.last });
    },
    async onFitEnd({ error }: FitEnd) {
      if (error === undefined) return;
      await log.write({ type: 'end', time: new Date().toISOString(), step, reason: 'failed', error: (error as Error).message ?? String(error) });
    },
  };
}

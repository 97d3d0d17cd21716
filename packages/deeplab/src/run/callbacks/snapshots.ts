import type { Evaluation, TrainingCallback } from '@seg/core';
import type { Palette } from '@seg/datasets/classes';
import { imagePng, labelsPng } from '../images.js';
import { RUN_FILES, type RunOutputs } from '../run-files.js';

/** Where the snapshots of the validation at `step` go, relative to the run folder. */
export function snapshotPaths(step: number): { image: string; truth: string; prediction: string } {
  const at = (kind: string) => `${RUN_FILES.images}/${step}_${kind}.png`;
  return { image: at('img'), truth: at('gt'), prediction: at('pred') };
}

/**
 * Writes each validation's shown image, its ground truth and the prediction
 * as `images/<step>_{img,gt,pred}.png`, label maps painted with `palette`
 * (see `paintingPalette`).
 */
export function validationSnapshots(outputs: RunOutputs, palette: Palette): TrainingCallback {
  return {
    async onEvaluate({ step, snapshots }: Evaluation) {
      const [shown] = snapshots!;
      const { width, height } = shown.image;
      const paths = snapshotPaths(step);
      await outputs.write(paths.image, await imagePng(shown.image));
      await outputs.write(paths.truth, await labelsPng(shown.labels, width, height, palette));
      await outputs.write(paths.prediction, await labelsPng(shown.prediction, width, height, palette));
    },
  };
}

/**
 * Stopping a run at the first non-finite number. A NaN or infinite loss, or
 * gradient, poisons every weight it touches; once applied, no later step
 * recovers, and every checkpoint and "best" model written after it is
 * garbage. So the trainer checks before applying an update and before saving.
 */
import * as tf from '@tensorflow/tfjs-core';
import { untilGpuDeviceLost } from '../backends/webgpu/device-lost.js';

/** What was found non-finite: the batch, the loss, the gradients, the weights after an update, or an evaluation's monitored scores. */
export type NonFiniteKind = 'input' | 'loss' | 'gradients' | 'weights' | 'scores';

/** A checkpoint a run wrote or resumed from, named when training stops. */
export interface CheckpointAt {
  dir: string;
  step: number;
}

/** Thrown when training meets a NaN or infinite loss, gradient, weight or monitored score; names the iteration and the last good checkpoint. */
export class NonFiniteTrainingError extends Error {
  constructor(
    /** The iteration (1-based step number) whose loss, gradients or resulting weights were not finite. */
    readonly step: number,
    readonly kind: NonFiniteKind,
    /** The loss of that iteration (may itself be NaN or ±Infinity; NaN when unknown). */
    readonly loss: number,
    /** The last checkpoint written or resumed before the stop, if any: it holds finite weights and resumes. */
    readonly lastCheckpoint: CheckpointAt | null = null,
    /** For `scores`: the non-finite scores, by name. */
    readonly scores: Record<string, number> = {},
  ) {
    const bad = Object.entries(scores).map(([k, v]) => `${k} ${v}`).join(', ');
    const what = {
      input: "the batch's images hold NaN or Infinity",
      loss: `the loss is ${loss}`,
      gradients: `the gradients hold NaN or Infinity (loss ${loss})`,
      weights: 'the weights hold NaN or Infinity (or values so large that their sum overflows)',
      scores: `the evaluation of its weights scored ${bad}`,
    }[kind];
    const applied = kind === 'weights' || kind === 'scores';
    const resume = lastCheckpoint
      ? `The last good checkpoint is ${lastCheckpoint.dir} (iteration ${lastCheckpoint.step}); it resumes. `
      : 'No checkpoint was written before it. ';
    super(
      `Trainer: training stopped at iteration ${step}: ${what}. ` +
        (applied
          ? 'Nothing was saved from this iteration on; '
          : `Its update was not applied and nothing was saved; the weights are those after iteration ${step - 1}, `) +
        `the checkpoint and best model on disk are untouched. ${resume}` +
        'Check the data for NaN/Infinity pixels, or lower the learning rates.',
    );
    this.name = 'NonFiniteTrainingError';
  }
}

/**
 * A scalar that is finite when every element of `tensors` is: the sum of
 * their sums, which NaN or ±Infinity anywhere makes NaN or infinite. One
 * kernel per tensor and no temporary of its size (wasm has no `IsFinite`
 * kernel; `x · 0` would cost a second kernel and a full-size copy per
 * tensor). A sum of finite values overflowing float32 (above 3.4e38) also
 * reads as non-finite, which for gradients means the step is unusable anyway.
 */
export function finiteProbe(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    let sums = tensors.map((t) => tf.sum(t));
    // At most three inputs per AddN: WebGPU binds one storage buffer per input, and compatibility-mode
    // adapters allow four per shader; a larger AddN fails validation and zeroes the whole submission.
    while (sums.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < sums.length; i += 3) next.push(sums.length - i === 1 ? sums[i] : tf.addN(sums.slice(i, i + 3)));
      sums = next;
    }
    return (sums[0] ?? tf.scalar(0)) as tf.Scalar;
  });
}

/** Whether every element of `tensors` is finite (downloads one number). */
export async function allFinite(tensors: readonly tf.Tensor[]): Promise<boolean> {
  const probe = finiteProbe(tensors);
  try {
    return Number.isFinite((await probe.data())[0]);
  } finally {
    probe.dispose();
  }
}

/**
 * Throws, naming `step` and the last checkpoint, if the batch's images, the
 * loss or any gradient is NaN or infinite: nothing of the step may be applied.
 */
export async function checkFiniteStep(
  step: number,
  images: tf.Tensor,
  loss: number,
  grads: readonly tf.Tensor[],
  lastCheckpoint: CheckpointAt | null,
): Promise<void> {
  // The images too: a ReLU on webgpu turns NaN into 0 (its max(x, 0)), so a NaN pixel may reach neither loss nor gradients.
  const probes = [finiteProbe([images]), finiteProbe(grads)];
  try {
    const [[imagesProbe], [gradsProbe]] = await untilGpuDeviceLost(Promise.all(probes.map((t) => t.data())));
    if (!Number.isFinite(imagesProbe)) throw new NonFiniteTrainingError(step, 'input', loss, lastCheckpoint);
    if (!Number.isFinite(loss)) throw new NonFiniteTrainingError(step, 'loss', loss, lastCheckpoint);
    if (!Number.isFinite(gradsProbe)) throw new NonFiniteTrainingError(step, 'gradients', loss, lastCheckpoint);
  } finally {
    tf.dispose(probes);
  }
}

/** Throws before an evaluation or checkpoint at `step` if an update overflowed `weights` (e.g. a huge learning rate). */
export async function checkFiniteWeights(weights: readonly tf.Tensor[], step: number, lastCheckpoint: CheckpointAt | null): Promise<void> {
  if (!(await allFinite(weights))) throw new NonFiniteTrainingError(step, 'weights', Number.NaN, lastCheckpoint);
}

/**
 * Throws if a score the run decides by (the loss, and every callback's
 * monitor: `watched`) is NaN or infinite: weights that score so must be
 * neither the best model nor a checkpoint.
 */
export function checkFiniteScores(scores: Record<string, number>, watched: readonly string[], step: number, lastCheckpoint: CheckpointAt | null): void {
  const decisive = new Set(['loss', ...watched]);
  const bad = Object.fromEntries(Object.entries(scores).filter(([k, v]) => decisive.has(k) && !Number.isFinite(v)));
  if (Object.keys(bad).length > 0) throw new NonFiniteTrainingError(step, 'scores', Number.NaN, lastCheckpoint, bad);
}

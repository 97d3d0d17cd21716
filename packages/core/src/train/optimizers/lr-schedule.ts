/**
 * Learning-rate schedules for fine-tuning, as closed forms of the step: a
 * resumed run (whose step is restored) gets exactly the rates of an
 * uninterrupted one, with no scheduler state to checkpoint.
 *
 * The shapes are torch's (`torch.optim.lr_scheduler`), in the order
 * torchvision's segmentation reference chains them
 * (`references/segmentation/train.py`: `SequentialLR` of `LinearLR` warmup
 * and `PolynomialLR`): for steps `t < warmup`, `lr·(f + (1 − f)·t/warmup)`
 * (`LinearLR(start_factor=f, total_iters=warmup)`); from then on, with
 * `s = t − warmup` and `T = steps − warmup`,
 *
 * | schedule | rate at `s` | torch |
 * | --- | --- | --- |
 * | `poly` | `lr·(1 − min(s, T)/T)^power` (power 0.9, DeepLab's) | `PolynomialLR(total_iters=T, power)` |
 * | `cosine` | `minLr + (lr − minLr)·(1 + cos(π·min(s, T)/T))/2` | `CosineAnnealingLR(T_max=T, eta_min=minLr)` |
 * | `constant` | `lr` | none needed (`LambdaLR(lambda s: 1)`) |
 *
 * @module
 */

/** The schedules {@link lrSchedule} builds. */
export const LR_SCHEDULES = ['poly', 'cosine', 'constant'] as const;

/** Name of a learning-rate schedule. */
export type LrScheduleName = (typeof LR_SCHEDULES)[number];

/** The learning rate for the update after `step` updates (0 for the first), as {@link lrSchedule} returns it. */
export type LrSchedule = (step: number) => number;

/** Options of {@link lrSchedule}. */
export interface LrScheduleOptions {
  /** The shape after warmup. Required. */
  schedule: LrScheduleName;
  /** Base (peak) learning rate. Required, > 0. */
  learningRate: number;
  /** Updates of the whole run, warmup included (the poly and cosine schedules end there). Required for `poly` and `cosine`. */
  steps?: number;
  /** Updates of linear warmup before the schedule. Default 0. */
  warmup?: number;
  /**
   * The warmup's first rate as a fraction of `learningRate`. Default 0.01
   * (torchvision's segmentation reference, `--lr-warmup-decay`).
   */
  warmupFactor?: number;
  /** Exponent of `poly`. Default 0.9 (DeepLab, Chen et al. 2017). */
  power?: number;
  /** The rate `cosine` ends at. Default 0. */
  minLearningRate?: number;
}

/** `poly` power of DeepLab (Chen et al. 2017, "DeepLab", Sec. 4.1). */
export const POLY_POWER = 0.9;
/** torchvision's segmentation reference's default `--lr-warmup-decay`. */
export const WARMUP_FACTOR = 0.01;

function check(ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new Error(`lrSchedule: ${what}, got ${JSON.stringify(value)}`);
}

/**
 * The learning rate as a function of the step, for a parameter group's
 * `schedule` (see the module notes for the formulas and their torch
 * counterparts). Steps past `steps` keep the last rate (`poly` 0, `cosine`
 * `minLearningRate`).
 *
 * @throws On an unknown schedule or a value out of range, naming it.
 *
 * @example
 * ```ts
 * const schedule = lrSchedule({ schedule: 'poly', learningRate: 0.01, steps: 30_000, warmup: 500 });
 * const trainer = new Trainer({ model, loss, groups: [{ name: 'all', ...createOptimizer({ optimizer: 'sgd', learningRate: 0.01 }), schedule }] });
 * ```
 */
export function lrSchedule(options: LrScheduleOptions): LrSchedule {
  const { schedule, learningRate: lr } = options;
  const warmup = options.warmup ?? 0;
  const factor = options.warmupFactor ?? WARMUP_FACTOR;
  const power = options.power ?? POLY_POWER;
  const minLr = options.minLearningRate ?? 0;
  check((LR_SCHEDULES as readonly string[]).includes(schedule), `schedule must be one of ${LR_SCHEDULES.join(', ')}`, schedule);
  check(lr > 0 && Number.isFinite(lr), 'learningRate must be a finite number > 0', lr);
  check(Number.isInteger(warmup) && warmup >= 0, 'warmup must be an integer >= 0 (updates)', warmup);
  check(factor > 0 && factor <= 1, 'warmupFactor must be in (0, 1]', factor);
  check(power > 0 && Number.isFinite(power), 'power must be a finite number > 0', power);
  check(minLr >= 0 && minLr <= lr, 'minLearningRate must be in [0, learningRate]', minLr);
  const steps = options.steps;
  if (schedule !== 'constant') {
    check(steps !== undefined && Number.isInteger(steps) && steps > warmup, `steps must be an integer > warmup (${warmup}) for ${schedule}`, steps);
  }
  const span = (steps ?? warmup + 1) - warmup;
  const after = (s: number): number => {
    const done = Math.min(s, span) / span;
    if (schedule === 'poly') return lr * (1 - done) ** power;
    if (schedule === 'cosine') return minLr + ((lr - minLr) * (1 + Math.cos(Math.PI * done))) / 2;
    return lr;
  };
  return (step: number) => {
    if (!(Number.isInteger(step) && step >= 0)) throw new Error(`lrSchedule: step must be an integer >= 0, got ${step}`);
    return step < warmup ? lr * (factor + ((1 - factor) * step) / warmup) : after(step - warmup);
  };
}

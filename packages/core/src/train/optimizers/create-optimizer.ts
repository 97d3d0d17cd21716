import * as tf from '@tensorflow/tfjs-core';
import { Adam } from './adam.js';
import { AdamW } from './adamw.js';

/** The optimizers {@link createOptimizer} builds, by `torch.optim` name (lower case). */
export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;

/** Name of an optimizer {@link createOptimizer} builds. */
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Options of {@link createOptimizer}, named as `torch.optim`'s arguments. */
export interface OptimizerOptions {
  /** Which optimizer. Required. */
  optimizer: OptimizerName;
  /** Learning rate (a group's `schedule`, if any, sets it before every step). Required, > 0. */
  learningRate: number;
  /** SGD's momentum. Default 0.9 (DeepLab's); 0 is plain SGD. */
  momentum?: number;
  /**
   * Weight decay: for `sgd` and `adam` torch's L2 penalty added to the
   * gradient (returned as the group's `weightDecay`); for `adamw` the
   * decoupled decay of `torch.optim.AdamW`. Default 0 for `sgd` and `adam`,
   * 0.01 for `adamw` (torch's defaults).
   */
  weightDecay?: number;
  /** Adam's and AdamW's epsilon. Default 1e-8 (torch's). */
  epsilon?: number;
}

/** SGD's momentum in DeepLab's recipe (and torchvision's segmentation reference). */
export const SGD_MOMENTUM = 0.9;

/**
 * An optimizer that takes `torch.optim`'s steps, with the weight decay in the
 * place torch puts it: spread the result into a `ParameterGroupOptions`.
 *
 * - `sgd`: `torch.optim.SGD(lr, momentum, weight_decay)` (dampening 0, not
 *   Nesterov): `buf = momentum·buf + g`, `p −= lr·buf`, which is what
 *   `tf.train.momentum` computes (its first step's buffer is `g`, as torch's).
 * - `adam`: `torch.optim.Adam` ({@link Adam}, flat moments), L2 decay in the gradient.
 * - `adamw`: `torch.optim.AdamW` ({@link AdamW}).
 *
 * @throws On an unknown name or a value out of range, naming it.
 *
 * @example
 * ```ts
 * const groups = [{ name: 'all', ...createOptimizer({ optimizer: 'sgd', learningRate: 0.01, weightDecay: 1e-4 }) }];
 * ```
 */
export function createOptimizer(options: OptimizerOptions): { optimizer: tf.Optimizer; weightDecay: number } {
  const { optimizer: name, learningRate: lr } = options;
  const bad = (what: string, value: unknown) => new Error(`createOptimizer: ${what}, got ${JSON.stringify(value)}`);
  if (!(OPTIMIZERS as readonly string[]).includes(name)) throw bad(`optimizer must be one of ${OPTIMIZERS.join(', ')}`, name);
  if (!(lr > 0 && Number.isFinite(lr))) throw bad('learningRate must be a finite number > 0', lr);
  const weightDecay = options.weightDecay ?? (name === 'adamw' ? 0.01 : 0);
  if (!(weightDecay >= 0 && Number.isFinite(weightDecay))) throw bad('weightDecay must be a finite number >= 0', weightDecay);
  const epsilon = options.epsilon ?? 1e-8;
  if (name === 'sgd') {
    const momentum = options.momentum ?? SGD_MOMENTUM;
    if (!(momentum >= 0 && momentum < 1)) throw bad('momentum must be in [0, 1)', momentum);
    return { optimizer: momentum === 0 ? tf.train.sgd(lr) : tf.train.momentum(lr, momentum), weightDecay };
  }
  if (options.momentum !== undefined) throw bad(`momentum is SGD's; ${name} has none`, options.momentum);
  if (name === 'adam') return { optimizer: new Adam(lr, 0.9, 0.999, epsilon), weightDecay };
  return { optimizer: new AdamW(lr, weightDecay, 0.9, 0.999, epsilon), weightDecay: 0 };
}

/**
 * Sets a tfjs optimizer's learning rate for its next steps: SGD and momentum
 * through `setLearningRate` (they cache `−lr` as a tensor), the others
 * (Adam, AdamW, RMSProp, Adagrad, Adamax, Adadelta) through the rate each
 * step reads.
 *
 * @throws If the optimizer has no learning rate to set.
 */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const o = optimizer as unknown as { learningRate?: unknown; setLearningRate?: (lr: number) => void };
  if (o.learningRate === learningRate) return;
  if (typeof o.setLearningRate === 'function') o.setLearningRate(learningRate);
  else if (typeof o.learningRate === 'number') o.learningRate = learningRate;
  else throw new Error(`setLearningRate: optimizer ${optimizer.getClassName()} has no learning rate a schedule can set`);
}

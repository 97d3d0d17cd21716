import * as tf from '@tensorflow/tfjs-core';
import type { LayerVariable, LayersModel } from '@tensorflow/tfjs-layers';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import { leafLayers } from '../../backbones/torch-state-dict.js';
import { freezeBatchNorm, isBatchNorm } from '../../backprop/frozen-batch-norm.js';
import { Adam } from './adam.js';
import { setLearningRate } from './create-optimizer.js';
import type { LrSchedule } from './lr-schedule.js';

/** Anything that owns weights: a layer or a nested model, e.g. `model.getLayer('resnet101')`. */
export interface WeightOwner {
  readonly trainableWeights: LayerVariable[];
}

/**
 * How one set of a model's trainable weights is optimised, as PyTorch's
 * optimizer parameter groups: the reference DeepLabV3+ run trains the ResNet
 * trunk, the ASPP and the decoder with separate Adam optimizers, learning
 * rates and weight decay, and can freeze the trunk.
 */
export interface ParameterGroupOptions {
  /** Name used in logs and checkpoints. Required, unique. */
  name: string;
  /**
   * Which trainable weights belong to the group: those of a layer or nested
   * model (`model.getLayer('aspp')`), or those whose name (e.g.
   * `layer3.5.conv2/kernel`) starts with a string, matches a regular
   * expression or satisfies a predicate. A weight goes to the first group
   * that matches. Default: every weight no earlier group claimed.
   */
  match?: string | RegExp | ((weightName: string) => boolean) | WeightOwner;
  /** The optimizer. Default: {@link Adam} (tfjs's Adam, leaner) with `learningRate`. */
  optimizer?: tf.Optimizer;
  /** Learning rate of the default Adam optimizer. Default 1e-3 (ignored when `optimizer` is given). */
  learningRate?: number;
  /**
   * L2 penalty added to the gradient (`grad + weightDecay * weight`), which is
   * what `weight_decay` means in `torch.optim.Adam`. Default 0.
   */
  weightDecay?: number;
  /**
   * Compute no gradient for these weights (the reference run's trunk without
   * `--trainTrunk`); their batch norms run in inference mode unless
   * `freezeBN` is false. Default false.
   */
  frozen?: boolean;
  /**
   * Frozen (as `frozen`) for the first this many updates, then trained: the
   * head alone first, then everything (`--freezeTrunk <iterations>`). Being a
   * function of the step, a resumed run switches at the same update. With
   * `workers`, the replicas compute these gradients from the start (their
   * weight set is fixed) and the trainer drops them until then. Default 0.
   */
  frozenSteps?: number;
  /**
   * Run the batch-norm layers whose weights belong to this group in inference
   * mode while training: normalised with their running statistics, which are
   * not updated (torch's `bn.eval()`; see `freezeBatchNorm`). Their `gamma`
   * and `beta` still train unless the group is frozen. Default: while the
   * group is frozen (torchvision's fine-tuning recipe), else false. With
   * `workers`, call `freezeBatchNorm` in the replica module as well.
   */
  freezeBN?: boolean;
  /**
   * The learning rate as a function of the step (updates taken before this
   * one), set on the optimizer before each update, e.g. `lrSchedule({
   * schedule: 'poly', … })`. Being a function of the step, a resumed run
   * follows it exactly. Default none: the optimizer's own rate throughout.
   */
  schedule?: LrSchedule;
}

/** @deprecated Renamed {@link ParameterGroupOptions}. */
export type ParameterGroupConfig = ParameterGroupOptions;

/** A resolved parameter group: its config with defaults and the variables it owns. */
export interface ParameterGroup {
  name: string;
  optimizer: tf.Optimizer;
  weightDecay: number;
  frozen: boolean;
  /** Updates during which the group is frozen (`Infinity` when `frozen`, 0 when it always trains). */
  frozenSteps: number;
  /** `freezeBN` as given (undefined: follow the group's frozen state). */
  freezeBN?: boolean;
  /** The batch-norm layers whose trainable weights all belong to the group. */
  batchNorms: Layer[];
  /** The group's learning-rate schedule, if any. */
  schedule?: LrSchedule;
  /** The group's variables, in the model's weight order (optimizer state is kept in this order). */
  variables: tf.Variable[];
}

function matcher(match: ParameterGroupOptions['match']): (w: LayerVariable) => boolean {
  if (match === undefined) return () => true;
  if (typeof match === 'string') return (w) => w.name.startsWith(match);
  if (match instanceof RegExp) return (w) => match.test(w.name);
  if (typeof match === 'function') return (w) => match(w.name);
  const owned = new Set(match.trainableWeights);
  return (w) => owned.has(w);
}

/**
 * Splits a model's trainable weights into groups.
 *
 * @throws If group names repeat, or a trainable weight matches no group (add a
 *   last group without `match` to catch the rest).
 */
export function resolveParameterGroups(model: LayersModel, configs: readonly ParameterGroupOptions[]): ParameterGroup[] {
  if (configs.length === 0) throw new Error('resolveParameterGroups: give at least one parameter group');
  const seen = new Set<string>();
  const groups: ParameterGroup[] = configs.map((c) => {
    if (seen.has(c.name)) throw new Error(`resolveParameterGroups: group name "${c.name}" is used twice`);
    seen.add(c.name);
    if (c.frozenSteps !== undefined && !(Number.isInteger(c.frozenSteps) && c.frozenSteps >= 0)) {
      throw new Error(`resolveParameterGroups: group "${c.name}" frozenSteps must be an integer >= 0, got ${c.frozenSteps}`);
    }
    if (c.weightDecay !== undefined && !(c.weightDecay >= 0)) {
      throw new Error(`resolveParameterGroups: group "${c.name}" weightDecay must be >= 0, got ${c.weightDecay}`);
    }
    return {
      name: c.name,
      optimizer: c.optimizer ?? new Adam(c.learningRate ?? 1e-3),
      weightDecay: c.weightDecay ?? 0,
      frozen: c.frozen ?? false,
      frozenSteps: c.frozen ? Infinity : (c.frozenSteps ?? 0),
      freezeBN: c.freezeBN,
      batchNorms: [],
      schedule: c.schedule,
      variables: [],
    };
  });
  const tests = configs.map((c) => matcher(c.match));
  for (const w of model.trainableWeights) {
    const i = tests.findIndex((t) => t(w));
    if (i < 0) {
      throw new Error(
        `resolveParameterGroups: trainable weight "${w.name}" matches none of the groups ${configs.map((c) => `"${c.name}"`).join(', ')}; add a last group without \`match\``,
      );
    }
    groups[i].variables.push(w.read() as tf.Variable);
  }
  const groupOf = new Map(groups.flatMap((g) => g.variables.map((v) => [v, g] as const)));
  for (const layer of leafLayers(model)) {
    const owners = new Set(layer.trainableWeights.map((w) => groupOf.get(w.read() as tf.Variable)));
    const [owner] = owners;
    if (isBatchNorm(layer) && owners.size === 1 && owner) owner.batchNorms.push(layer);
  }
  return groups;
}

/** Whether the group computes no gradient for the update after `step` updates. */
export function frozenAt(group: ParameterGroup, step: number): boolean {
  return step < group.frozenSteps;
}

/** The variables trained at the update after `step` updates, in group order. */
export function trainingVariables(groups: readonly ParameterGroup[], step: number): tf.Variable[] {
  return activeGroups(groups)
    .filter((g) => !frozenAt(g, step))
    .flatMap((g) => g.variables);
}

/** Puts each group's batch norms in inference mode or back, as its `freezeBN` (or frozen state) says for `step`. */
export function syncBatchNormModes(groups: readonly ParameterGroup[], step: number): void {
  for (const g of groups) if (g.batchNorms.length > 0) freezeBatchNorm(g.batchNorms, g.freezeBN ?? frozenAt(g, step));
}

/** The groups that train at some point: not frozen for the whole run, and owning at least one variable. */
export function activeGroups(groups: readonly ParameterGroup[]): ParameterGroup[] {
  return groups.filter((g) => !g.frozen && g.variables.length > 0);
}

/**
 * Steps every active group's optimizer with its gradients from `grads` (by
 * variable name), adding each group's L2 weight decay first and setting its
 * scheduled learning rate for `step`; groups frozen at `step` are skipped. Gradients the
 * decay replaces are disposed (and the map updated), so the caller disposes
 * what `grads` holds afterwards, once.
 *
 * @param step Updates taken before this one (the schedules' argument). Default 0.
 */
export function applyGroupUpdates(groups: readonly ParameterGroup[], grads: tf.NamedTensorMap, step = 0): void {
  for (const g of activeGroups(groups)) {
    if (frozenAt(g, step)) continue;
    if (g.schedule) setLearningRate(g.optimizer, g.schedule(step));
    if (g.weightDecay > 0) {
      // One variable at a time, each raw gradient freed at once: no second copy of every gradient.
      for (const v of g.variables) {
        const raw = grads[v.name];
        grads[v.name] = tf.tidy(() => tf.add(raw, tf.mul(v, g.weightDecay)));
        raw.dispose();
      }
    }
    g.optimizer.applyGradients(Object.fromEntries(g.variables.map((v) => [v.name, grads[v.name]])));
  }
}

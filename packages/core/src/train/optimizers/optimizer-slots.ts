import type * as tf from '@tensorflow/tfjs-core';

/** An optimizer and the variables it updates, in order (a parameter group), as checkpoints save it. */
export interface CheckpointGroup {
  name: string;
  optimizer: tf.Optimizer;
  /** The group's variables, in the order the optimizer's slots follow. */
  variables?: readonly tf.Variable[];
}

/** One saved optimizer tensor: its key in `optimizers.safetensors`, its tfjs name and shape. */
export interface SavedSlot {
  key: string;
  name: string;
  shape: number[];
}

/**
 * Checks one group's saved optimizer tensors against its variables: tfjs
 * optimizers save the iteration count (a scalar) and then one slot per
 * variable for each kind of accumulator (Adam: first moments, then second
 * moments), each of its variable's shape, and match them by position.
 *
 * @throws Naming `file`, the tensor and the variable that do not fit.
 */
export function checkOptimizerShapes(file: string, group: CheckpointGroup, saved: readonly SavedSlot[]): void {
  const vars = group.variables;
  if (!vars || saved.length === 0) return;
  const [iterations, ...slots] = saved;
  if (iterations.shape.length !== 0) {
    throw new Error(`checkpoint ${file}: optimizer tensor "${iterations.key}" (${iterations.name}) should be the iteration count, a scalar; it has shape [${iterations.shape}]`);
  }
  if (vars.length === 0 ? slots.length > 0 : slots.length % vars.length !== 0) {
    throw new Error(
      `checkpoint ${file}: group "${group.name}" has ${slots.length} optimizer slots, not a multiple of its ${vars.length} weights; the checkpoint belongs to another model or grouping`,
    );
  }
  slots.forEach((t, i) => {
    const v = vars[i % vars.length];
    if (t.shape.join(',') !== v.shape.join(',')) {
      throw new Error(
        `checkpoint ${file}: optimizer tensor "${t.key}" (${t.name}) has shape [${t.shape}], but group "${group.name}" weight ${i % vars.length} (${v.name}) has shape [${v.shape}]`,
      );
    }
  });
}

/**
 * BatchNorm layers in inference mode inside a training step: torch's
 * `bn.eval()` in a model that trains, which torchvision's fine-tuning recipe
 * uses for a frozen trunk (and `--freezeBN` for one that trains). A frozen
 * BatchNorm normalises with its running statistics, which stay as they are;
 * its `gamma` and `beta` still receive gradients (an affine map), and train
 * unless their parameter group is frozen.
 *
 * How every path sees it: the layer's own `call` is shadowed so that it runs
 * as in inference whatever `training` says (tfjs's tape, `model.apply`), and
 * the layer-by-layer engine differentiates it with `recomputeGradient`
 * (deterministic now, no state to update) instead of the batch-statistics
 * step.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LayerContainer } from '../backbones/torch-state-dict.js';

type Layer = tfl.layers.Layer;
type Call = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

const BATCH_NORM_CLASSES = new Set(['BatchNormalization', 'BatchNormAct']);
const frozen = new WeakSet<Layer>();

/** Whether `layer` is a batch-norm layer (tfjs-layers' `BatchNormalization` or `BatchNormAct`). */
export function isBatchNorm(layer: Layer): boolean {
  return BATCH_NORM_CLASSES.has(layer.getClassName());
}

/** Whether {@link freezeBatchNorm} put `layer` in inference mode. */
export function isBatchNormFrozen(layer: Layer): boolean {
  return frozen.has(layer);
}

function leaves(items: LayerContainer | readonly Layer[], out: Layer[] = []): Layer[] {
  for (const layer of Array.isArray(items) ? items : (items as LayerContainer).layers) {
    const nested = (layer as unknown as Partial<LayerContainer>).layers;
    if (Array.isArray(nested)) leaves(nested, out);
    else out.push(layer);
  }
  return out;
}

/**
 * Puts every batch-norm layer of `layers` (a model, nested models expanded,
 * or a list of layers) in inference mode during training, or back
 * (`frozen = false`). Idempotent. The trainer does this for the batch-norm
 * layers of its parameter groups (`freezeBN`, frozen groups); call it
 * yourself in a replica module, which builds its own model.
 *
 * @returns How many batch-norm layers it set.
 *
 * @example
 * ```ts
 * freezeBatchNorm(model.getLayer('backbone') as tf.LayersModel); // running statistics kept, as torch's backbone.eval()
 * ```
 */
export function freezeBatchNorm(layers: LayerContainer | readonly Layer[], isFrozen = true): number {
  let count = 0;
  for (const layer of leaves(layers)) {
    if (!isBatchNorm(layer)) continue;
    count += 1;
    if (isFrozen === frozen.has(layer)) continue;
    const instance = layer as unknown as { call: Call };
    if (isFrozen) {
      const own = Object.getPrototypeOf(layer).call as Call;
      instance.call = (inputs, kwargs) => own.call(layer, inputs, { ...kwargs, training: false });
      frozen.add(layer);
    } else {
      delete (instance as Partial<typeof instance>).call;
      frozen.delete(layer);
    }
  }
  return count;
}

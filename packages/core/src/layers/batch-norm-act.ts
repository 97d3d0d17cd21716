import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { BatchNormalization as TfBatchNormalization } from '@tensorflow/tfjs-layers/dist/layers/normalization.js';
import { batchNormRunningUpdates, batchNormStep } from '../backprop/batch-normalization.js';
import type { LayerGradient } from '../backprop/layer-gradient.js';
import { applyRunningUpdates } from '../backprop/running-statistics.js';
import { batchNormFields, tfjsLayerClass } from '../backprop/tfjs-layer-fields.js';
import { batchNormTraining } from '../kernels/batch-norm-training.js';

type TfBatchNormArgs = NonNullable<Parameters<typeof tfl.layers.batchNormalization>[0]>;

/** torch's `nn.BatchNorm2d` epsilon, which torchvision weights were trained with. */
export const TORCH_BN_EPSILON = 1e-5;
/** torch's BN momentum 0.1 in tfjs's convention (weight of the old running value). */
export const TORCH_BN_MOMENTUM = 0.9;

/** Arguments of {@link batchNormAct}: tfjs-layers' `batchNormalization` arguments plus an activation. */
export interface BatchNormActArgs extends TfBatchNormArgs {
  /** `'relu'` to clamp the output at zero inside the layer, or `'linear'`. Default `'linear'`. */
  activation?: 'relu' | 'linear';
  /** Normalised axis; only the last (channels-last) is supported. Default `-1`. */
  axis?: number;
  /** Weight of the old value in the running statistics. Default {@link TORCH_BN_MOMENTUM} (torch's 0.1). */
  momentum?: number;
  /** Added to the variance. Default {@link TORCH_BN_EPSILON} (torch's). */
  epsilon?: number;
}

const BatchNormalizationBase = tfjsLayerClass('BatchNormalization') as typeof TfBatchNormalization;

/**
 * Batch normalisation, optionally followed by a ReLU, with tfjs-layers'
 * `BatchNormalization` weights (`gamma`, `beta`, `moving_mean`,
 * `moving_variance`) and config, whose training mode keeps only what its
 * backward pass needs (see `batchNormTraining`): the input and two
 * per-channel vectors, instead of tfjs-layers' several copies of the
 * activation. Inference is tfjs-layers' own. Running statistics are updated
 * as tfjs-layers does (biased batch variance, `momentum` weighting the old
 * value). Named after timm's `BatchNormAct2d`.
 */
export class BatchNormAct extends BatchNormalizationBase {
  /** Name under which the class is registered for (de)serialisation. */
  static override className = 'BatchNormAct';
  /** The activation after the normalisation. */
  readonly activation: 'relu' | 'linear';

  /** @param args See {@link BatchNormActArgs}. */
  constructor(args: BatchNormActArgs = {}) {
    super({ ...args, epsilon: args.epsilon ?? TORCH_BN_EPSILON, momentum: args.momentum ?? TORCH_BN_MOMENTUM });
    this.activation = args.activation ?? 'linear';
    if (this.activation !== 'relu' && this.activation !== 'linear') {
      throw new Error(`BatchNormAct '${this.name}': activation must be 'relu' or 'linear', got ${JSON.stringify(args.activation)}`);
    }
    if ((args.axis ?? -1) !== -1) {
      throw new Error(`BatchNormAct '${this.name}': axis ${args.axis} is not supported; it normalises the last (channels) axis, -1`);
    }
    if (args.center === false || args.scale === false) {
      throw new Error(`BatchNormAct '${this.name}': center and scale must stay true (the fused gradient needs gamma and beta)`);
    }
  }

  /** Normalises with batch statistics when `kwargs.training`, else with the running ones. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const relu = this.activation === 'relu';
    if (!kwargs.training) {
      return tf.tidy(() => {
        const y = super.call(inputs, kwargs) as tf.Tensor;
        return relu ? tf.relu(y) : y;
      });
    }
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const f = batchNormFields(this);
      return batchNormTraining(x, f.gamma.read() as tf.Tensor1D, f.beta.read() as tf.Tensor1D, {
        epsilon: f.epsilon,
        relu,
        // The op disposes the moments after this call.
        onMoments: (mean, variance) => applyRunningUpdates(batchNormRunningUpdates(f, mean, variance), () => false),
      });
    });
  }

  /** tfjs-layers' BatchNormalization config plus `activation`. */
  override getConfig(): serialization.ConfigDict {
    return { ...super.getConfig(), activation: this.activation };
  }
}
serialization.registerClass(BatchNormAct);

/**
 * The training step of {@link BatchNormAct}: tfjs-layers' batch-norm step
 * (the forward and backward that `batchNormTraining` runs under the tape)
 * with the layer's ReLU fused in.
 */
export const batchNormActGradient: LayerGradient = {
  step: (layer, [x], keep) => batchNormStep(layer, x, keep, (layer as BatchNormAct).activation === 'relu'),
};

/**
 * Creates a {@link BatchNormAct} layer: batch normalisation with torch's
 * epsilon and momentum by default, and an optional fused ReLU, whose training
 * step keeps what PyTorch's would.
 *
 * @example
 * ```ts
 * const y = batchNormAct({ activation: 'relu', name: 'layer1.0.bn1' }).apply(conv);
 * ```
 */
export function batchNormAct(args: BatchNormActArgs = {}): BatchNormAct {
  return new BatchNormAct(args);
}

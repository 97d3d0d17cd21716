import type * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { registerLayerGradient } from '@seg/core';
import { MIN_INPUT_SIZE } from './config.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** Arguments of {@link inputSizeGuard}. */
export interface InputSizeGuardArgs extends LayerArgs {
  /** Smallest accepted height and width in pixels. Default {@link MIN_INPUT_SIZE} (32). */
  minSize?: number;
}

function check(layer: string, minSize: number, height: number | null, width: number | null): void {
  const small = [height, width].some((d) => d != null && d < minSize);
  if (small) {
    throw new Error(
      `${layer}: input of ${width ?? '?'}x${height ?? '?'} px (width x height) is too small; DeepLabV3+ needs at least ${minSize}x${minSize} (any size >= ${minSize} px per side works, e.g. 65x77)`,
    );
  }
}

/**
 * Passes `[N, H, W, C]` images through unchanged after checking that both
 * sides are at least `minSize` pixels, so a too-small input fails with a
 * message saying which sizes work instead of deep inside the trunk (as
 * segmentation_models.pytorch checks sizes in `forward()`).
 */
export class InputSizeGuard extends tfl.layers.Layer {
  /** Name under which the class is registered for (de)serialisation. */
  static className = 'InputSizeGuard';
  /** Smallest accepted height and width. */
  readonly minSize: number;

  /** @param args See {@link InputSizeGuardArgs}. */
  constructor(args: InputSizeGuardArgs = {}) {
    super(args);
    this.minSize = args.minSize ?? MIN_INPUT_SIZE;
  }

  /** Returns the input unchanged, or throws if it is smaller than `minSize`. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    check(this.name, this.minSize, x.shape[1] ?? null, x.shape[2] ?? null);
    return x;
  }

  /** The input shape, after the same size check on its known sides. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    check(this.name, this.minSize, shape[1], shape[2]);
    return shape;
  }

  /** The layer config, including `minSize`. */
  override getConfig(): serialization.ConfigDict {
    return { ...super.getConfig(), minSize: this.minSize };
  }
}
serialization.registerClass(InputSizeGuard);
// In a layer-by-layer training step the guard checks and passes values and gradients through.
registerLayerGradient(InputSizeGuard, {
  step: (layer, [x]) => ({
    outputs: [layer.call(x, {}) as tf.Tensor],
    saved: [],
    backward: ([dy]) => ({ inputs: [dy], weights: new Map() }),
  }),
});

/** Creates an {@link InputSizeGuard} layer. */
export function inputSizeGuard(args: InputSizeGuardArgs = {}): InputSizeGuard {
  return new InputSizeGuard(args);
}

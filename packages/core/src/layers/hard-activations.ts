/**
 * MobileNetV3's piecewise-linear activations (Howard et al., "Searching for
 * MobileNetV3", 2019, §5.2), as PyTorch defines them:
 * `hardsigmoid(x) = relu6(x + 3) / 6` and `hardswish(x) = x · hardsigmoid(x)`.
 * tfjs-layers' `hardSigmoid` activation is Keras's `0.2·x + 0.5`, a
 * different function, hence these layers.
 *
 * Each keeps its input for the backward pass, as PyTorch's do, and its
 * gradient is PyTorch's, boundaries included (`hardswish'` is `x/3 + 1/2` on
 * `[-3, 3]`, `hardsigmoid'` is `1/6` on `(-3, 3)`).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerGradient } from '../backprop/layer-gradient.js';

const hardSigmoidOf = (x: tf.Tensor) => tf.div(tf.relu6(tf.add(x, 3)), 6);

/** An elementwise activation layer: shape unchanged, no weights. */
export abstract class ElementwiseActivation extends tfl.layers.Layer {
  /** The activation of `x`. */
  abstract activate(x: tf.Tensor): tf.Tensor;

  /** Applies the activation inside `tidy`. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => this.activate(Array.isArray(inputs) ? inputs[0] : inputs));
  }

  /** The input shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }
}

/** PyTorch's `nn.Hardswish`: `x · relu6(x + 3) / 6`. */
export class HardSwish extends ElementwiseActivation {
  /** Name under which the class is registered for (de)serialisation. */
  static className = 'HardSwish';

  /** hardswish of `x`. */
  activate(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, hardSigmoidOf(x));
  }
}
serialization.registerClass(HardSwish);

/** PyTorch's `nn.Hardsigmoid`: `relu6(x + 3) / 6` (not Keras's `hard_sigmoid`). */
export class HardSigmoid extends ElementwiseActivation {
  /** Name under which the class is registered for (de)serialisation. */
  static className = 'HardSigmoid';

  /** hardsigmoid of `x`. */
  activate(x: tf.Tensor): tf.Tensor {
    return hardSigmoidOf(x);
  }
}
serialization.registerClass(HardSigmoid);

/** A layer-by-layer step that keeps the input and multiplies the output's gradient by `derivative(x)`. */
function elementwiseGradient(derivative: (x: tf.Tensor) => tf.Tensor): LayerGradient {
  return {
    step(layer, [x], keep) {
      return {
        outputs: [layer.call(x, {}) as tf.Tensor],
        saved: keep ? [x] : [],
        backward: ([dy], want) => ({
          inputs: [dy !== null && want.inputs[0] ? tf.tidy(() => tf.mul(dy, derivative(x))) : null],
          weights: new Map(),
        }),
      };
    },
  };
}

/** PyTorch's `hardswish_backward`: 0 below -3, `x/3 + 1/2` up to 3 (inclusive), 1 above. */
export const hardSwishGradient = elementwiseGradient((x) =>
  tf.where(tf.less(x, -3), tf.zerosLike(x), tf.where(tf.lessEqual(x, 3), tf.add(tf.div(x, 3), 0.5), tf.onesLike(x))),
);

/** PyTorch's `hardsigmoid_backward`: 1/6 strictly inside (-3, 3), else 0. */
export const hardSigmoidGradient = elementwiseGradient((x) => tf.mul(tf.cast(tf.logicalAnd(tf.greater(x, -3), tf.less(x, 3)), 'float32'), 1 / 6));

/**
 * Creates a {@link HardSwish} layer.
 *
 * @example
 * ```ts
 * const y = hardSwish({ name: 'features.0.2' }).apply(x);
 * ```
 */
export function hardSwish(args: { name?: string } = {}): HardSwish {
  return new HardSwish(args);
}

/** Creates a {@link HardSigmoid} layer. */
export function hardSigmoid(args: { name?: string } = {}): HardSigmoid {
  return new HardSigmoid(args);
}

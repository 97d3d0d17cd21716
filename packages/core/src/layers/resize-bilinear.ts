import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import type { LayerGradient } from '../backprop/layer-gradient.js';
import { resizeBilinearGradHalfPixel } from '../kernels/resize-bilinear-grad.js';

type Shape = tfl.Shape;

function checkSize(where: string, size: readonly number[]): void {
  if (size.length !== 2 || !size.every((s) => Number.isInteger(s) && s > 0)) {
    throw new Error(`${where}: size must be [height, width] of positive integers, got ${JSON.stringify(size)}`);
  }
}

/**
 * Bilinear resize of an NHWC tensor that matches PyTorch's
 * `F.interpolate(x, size, mode='bilinear', align_corners=False)`, with a
 * gradient that is right on every backend.
 *
 * The forward pass is tfjs's `resizeBilinear` with `halfPixelCenters: true`;
 * the gradient is {@link resizeBilinearGradHalfPixel}, because the built-in
 * `ResizeBilinearGrad` kernels of tfjs 4.22 ignore half-pixel centres.
 *
 * @param x Images `[batch, height, width, channels]`.
 * @param size Output `[height, width]`.
 */
export function interpolateBilinear(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  checkSize('interpolateBilinear', size);
  if (x.rank !== 4) {
    throw new Error(`interpolateBilinear: expected an NHWC tensor of rank 4, got shape [${x.shape.join(', ')}]`);
  }
  const inputSize: [number, number] = [x.shape[1], x.shape[2]];
  const resize = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: tf.image.resizeBilinear(args[0] as tf.Tensor4D, size, false, true),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => resizeBilinearGradHalfPixel(dy as tf.Tensor4D, inputSize),
  }));
  return resize(x) as tf.Tensor4D;
}

/** Arguments of {@link resizeBilinear}. Give `size`, `scale`, or neither (reference mode). */
export interface ResizeBilinearArgs extends LayerArgs {
  /**
   * Fixed output `[height, width]`. Default none.
   */
  size?: [number, number];
  /**
   * Factor applied to the input's height and width (one number for both);
   * the output size is `floor(input × scale)` as in PyTorch. Sample positions
   * follow the resulting sizes, which equals PyTorch's `scale_factor` mapping
   * whenever `input × scale` is an integer (e.g. ×2, ×4). Default none.
   */
  scale?: number | [number, number];
}

/**
 * A layer that resizes NHWC feature maps bilinearly, exactly like PyTorch's
 * `F.interpolate(mode='bilinear', align_corners=False)` (see
 * {@link interpolateBilinear}).
 *
 * Three modes: to a fixed `size`, by a `scale` factor, or, when neither is
 * given, to the spatial size of a second input: `layer.apply([x, reference])`
 * returns `x` resized to `reference`'s height and width, which works for
 * inputs whose size is only known at run time (e.g. ASPP's image pooling
 * branch and DeepLabV3+'s decoder upsampling).
 */
export class ResizeBilinear extends tfl.layers.Layer {
  /** Name under which the class is registered for (de)serialisation. */
  static className = 'ResizeBilinear';
  /** Fixed output size, if any. */
  readonly size: [number, number] | null;
  /** Scale factors `[height, width]`, if any. */
  readonly scale: [number, number] | null;

  /** @param args See {@link ResizeBilinearArgs}. */
  constructor(args: ResizeBilinearArgs = {}) {
    super(args);
    if (args.size != null && args.scale != null) {
      throw new Error(`ResizeBilinear '${this.name}': give either size or scale, not both`);
    }
    if (args.size != null) checkSize(`ResizeBilinear '${this.name}'`, args.size);
    this.size = args.size ? [args.size[0], args.size[1]] : null;
    const scale = args.scale == null ? null : typeof args.scale === 'number' ? [args.scale, args.scale] : args.scale;
    if (scale != null && (scale.length !== 2 || !scale.every((s) => Number.isFinite(s) && s > 0))) {
      throw new Error(`ResizeBilinear '${this.name}': scale must be a positive number or [sh, sw], got ${JSON.stringify(args.scale)}`);
    }
    this.scale = scale ? [scale[0], scale[1]] : null;
  }

  private get referenceMode(): boolean {
    return this.size == null && this.scale == null;
  }

  private splitShapes(inputShape: Shape | Shape[]): [Shape, Shape | null] {
    const shapes = Array.isArray(inputShape[0]) ? (inputShape as Shape[]) : [inputShape as Shape];
    if (this.referenceMode) {
      if (shapes.length !== 2) {
        throw new Error(
          `ResizeBilinear '${this.name}': without size or scale the layer takes [x, reference], got ${shapes.length} input(s)`,
        );
      }
      return [shapes[0], shapes[1]];
    }
    if (shapes.length !== 1) {
      throw new Error(`ResizeBilinear '${this.name}': with size or scale the layer takes one input, got ${shapes.length}`);
    }
    return [shapes[0], null];
  }

  private outputSize(inH: number | null, inW: number | null, ref: Shape | null): [number | null, number | null] {
    if (this.size) return this.size;
    if (this.scale) {
      const [sh, sw] = this.scale;
      return [inH == null ? null : Math.floor(inH * sh), inW == null ? null : Math.floor(inW * sw)];
    }
    return [ref![1], ref![2]];
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [x, ref] = this.splitShapes(inputShape);
    if (x.length !== 4) {
      throw new Error(`ResizeBilinear '${this.name}': expected NHWC input of rank 4, got shape [${x.join(', ')}]`);
    }
    const [h, w] = this.outputSize(x[1], x[2], ref);
    return [x[0], h, w, x[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const [x, ref] = this.splitShapes(list.map((t) => t.shape));
      const [h, w] = this.outputSize(x[1], x[2], ref);
      if (h == null || w == null || h < 1 || w < 1) {
        throw new Error(
          `ResizeBilinear '${this.name}': input [${x.join(', ')}] gives output size ${h}×${w}; it must be at least 1×1`,
        );
      }
      return interpolateBilinear(list[0] as tf.Tensor4D, [h, w]);
    });
  }

  override getConfig(): serialization.ConfigDict {
    const config: serialization.ConfigDict = {};
    if (this.size) config.size = [...this.size];
    if (this.scale) config.scale = [...this.scale];
    return { ...config, ...super.getConfig() };
  }
}
serialization.registerClass(ResizeBilinear);

/**
 * The training step of {@link ResizeBilinear}: the layer's `call()`, and the
 * exact gradient of the resize in the backward pass, which needs only the
 * input's size; a reference input (size only) gets no gradient.
 */
export const resizeBilinearGradient: LayerGradient = {
  step(layer, inputs) {
    const x = inputs[0] as tf.Tensor4D;
    const size: [number, number] = [x.shape[1], x.shape[2]];
    return {
      outputs: [layer.call(inputs.length === 1 ? x : inputs, {}) as tf.Tensor],
      saved: [],
      backward: ([dy], want) => ({
        inputs: inputs.map((_, i) => (i === 0 && dy !== null && want.inputs[0] ? resizeBilinearGradHalfPixel(dy as tf.Tensor4D, size) : null)),
        weights: new Map(),
      }),
    };
  },
};

/**
 * Creates a {@link ResizeBilinear} layer.
 *
 * @example
 * ```ts
 * const up4 = resizeBilinear({ scale: 4 }).apply(logits);
 * const back = resizeBilinear().apply([pooled, features]); // to features' H×W
 * ```
 */
export function resizeBilinear(args: ResizeBilinearArgs = {}): ResizeBilinear {
  return new ResizeBilinear(args);
}

/**
 * Atrous MobileNetV3-Large (Howard et al., "Searching for MobileNetV3",
 * 2019) built from tfjs layers, numerically equal to torchvision's
 * `mobilenet_v3_large(...).features` (eval mode) and named after its modules.
 *
 * **Layer naming.** Layers carry their path inside torchvision's `features`:
 * `0.0`/`0.1`/`0.2` (stem conv, BN, hardswish), `{i}.block.{j}.0`/`.1`/`.2`
 * (conv, BN, activation of block `i`), `{i}.block.{j}.fc1`/`fc2` (its
 * squeeze-excitation), `16.0`/`16.1`/`16.2` (last 1×1 conv). A ReLU lives
 * inside its BN layer; helpers are named after what they serve
 * (`{…}.0.pad`, `{i}.add`, `{…}.avgpool`, `{…}.scale_activation`, `{…}.mul`).
 * So torchvision's ImageNet state dict maps under the prefix `features.` and
 * a segmentation model's under `backbone.`.
 *
 * **Output stride.** The table has four stride-2 stages (C1–C4, output
 * strides 4, 8, 16, 32). As torchvision's segmentation models do
 * (`mobilenet_v3_large(dilated=True)`), output stride 16 runs the C4 blocks
 * at stride 1 and dilation 2, the first block included; output stride 8 does
 * the same to C3 (dilation 2) and C4 (dilation 4).
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { convBNAct, type InvertedResidualSpec, invertedResidual, type MobileNetActivation } from './mobilenet-v3-blocks.js';
import { checkOutputStride, DEFAULT_OUTPUT_STRIDE, type OutputStride } from '../layers/output-stride.js';

/** One row of the paper's Table 1 (torchvision's `_mobilenet_v3_conf`): kernel, expansion, output channels, SE, activation, stride. */
export type MobileNetV3Row = readonly [kernel: number, expanded: number, out: number, se: boolean, activation: MobileNetActivation, stride: 1 | 2];

/** MobileNetV3-Large's inverted residual blocks (`features.1` … `features.15`), at width 1; the stem gives 16 channels. */
export const MOBILENET_V3_LARGE: readonly MobileNetV3Row[] = [
  [3, 16, 16, false, 'relu', 1],
  [3, 64, 24, false, 'relu', 2], // C1
  [3, 72, 24, false, 'relu', 1],
  [5, 72, 40, true, 'relu', 2], // C2
  [5, 120, 40, true, 'relu', 1],
  [5, 120, 40, true, 'relu', 1],
  [3, 240, 80, false, 'hardswish', 2], // C3
  [3, 200, 80, false, 'hardswish', 1],
  [3, 184, 80, false, 'hardswish', 1],
  [3, 184, 80, false, 'hardswish', 1],
  [3, 480, 112, true, 'hardswish', 1],
  [3, 672, 112, true, 'hardswish', 1],
  [5, 672, 160, true, 'hardswish', 2], // C4
  [5, 960, 160, true, 'hardswish', 1],
  [5, 960, 160, true, 'hardswish', 1],
];

/** Channels of the stem at width 1. */
const STEM_CHANNELS = 16;

/**
 * torchvision's `_make_divisible(v, 8)`: the nearest multiple of 8, not
 * below 8 nor more than 10% below `v`.
 */
export function makeDivisible(v: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

/** Configuration of {@link mobileNetV3Large}. */
export interface MobileNetV3Options {
  /** Ratio of input size to the last features' size: 8, 16 or 32. Default `16`. */
  outputStride?: OutputStride;
  /** torchvision's `width_mult`: channels scale by it (rounded to multiples of 8). Default `1`. Narrower networks keep the key layout; tests use them. */
  widthMultiplier?: number;
  /** `[height, width, 3]`; `null` sizes accept any input size. Default `[null, null, 3]`. */
  inputShape?: [number | null, number | null, 3];
  /**
   * Indices of torchvision's `features` whose outputs the model returns, in
   * this order (its `IntermediateLayerGetter` return layers). Default
   * `[16, 3]`: the last features and the last stride-4 features, the
   * `[high, low]` a DeepLabV3+ decoder takes.
   */
  outputs?: number[];
  /** Model name. Default `'mobilenet_v3_large'`. */
  name?: string;
}

/** @deprecated Renamed {@link MobileNetV3Options}. */
export type MobileNetV3Config = MobileNetV3Options;

/** The blocks of the table at a width and output stride, as {@link invertedResidual} builds them. */
export function mobileNetV3Blocks(outputStride: OutputStride = DEFAULT_OUTPUT_STRIDE, widthMultiplier = 1): InvertedResidualSpec[] {
  checkOutputStride('mobileNetV3Large: outputStride', outputStride);
  const width = (c: number) => makeDivisible(c * widthMultiplier);
  let input = width(STEM_CHANNELS);
  let stride = 2; // after the stem
  let dilation = 1;
  return MOBILENET_V3_LARGE.map(([kernel, expanded, out, se, activation, tableStride], i) => {
    let blockStride: number = tableStride;
    // A stride that would pass the output stride becomes dilation, for this block and the rest.
    if (tableStride === 2 && stride * 2 > outputStride) {
      dilation *= 2;
      blockStride = 1;
    } else stride *= tableStride;
    const spec: InvertedResidualSpec = {
      index: i + 1,
      input,
      kernel,
      expanded: width(expanded),
      out: width(out),
      squeeze: se ? makeDivisible(Math.floor(width(expanded) / 4)) : 0,
      activation,
      stride: blockStride,
      dilation,
      residual: tableStride === 1 && input === width(out),
    };
    input = spec.out;
    return spec;
  });
}

/** Channels of `features[index]`'s output at a width. */
export function mobileNetV3Channels(index: number, widthMultiplier = 1): number {
  const blocks = mobileNetV3Blocks(32, widthMultiplier);
  if (index === 0) return makeDivisible(STEM_CHANNELS * widthMultiplier);
  if (index === blocks.length + 1) return 6 * blocks[blocks.length - 1].out;
  if (!(index >= 1 && index <= blocks.length)) throw new Error(`mobileNetV3Large: features has no index ${index}; it has 0…${blocks.length + 1}`);
  return blocks[index - 1].out;
}

/**
 * Builds an atrous MobileNetV3-Large: torchvision's `features` (stem, 15
 * inverted residual blocks, last 1×1 conv to 960 channels) returning the
 * outputs of `features[i]` for `i` in `outputs` (default `[16, 3]`: 960
 * channels at the output stride, 24 at stride 4). See the module notes for
 * naming and dilation.
 *
 * Feed it images normalised as torchvision expects (ImageNet mean/std) when
 * using pretrained weights; load them with `loadTorchvisionWeights`.
 *
 * @example
 * ```ts
 * const trunk = mobileNetV3Large({ outputStride: 16 });
 * const [high, low] = trunk.predict(images) as tf.Tensor4D[];
 * ```
 */
export function mobileNetV3Large(config: MobileNetV3Options = {}): tfl.LayersModel {
  const widthMultiplier = config.widthMultiplier ?? 1;
  if (!(widthMultiplier > 0)) throw new Error(`mobileNetV3Large: widthMultiplier ${widthMultiplier} must be positive`);
  const blocks = mobileNetV3Blocks(config.outputStride ?? DEFAULT_OUTPUT_STRIDE, widthMultiplier);
  const outputs = config.outputs ?? [blocks.length + 1, 3];
  if (outputs.length === 0 || !outputs.every((i) => Number.isInteger(i) && i >= 0 && i <= blocks.length + 1)) {
    throw new Error(`mobileNetV3Large: outputs ${JSON.stringify(outputs)} must be indices of features, 0…${blocks.length + 1}`);
  }
  const name = config.name ?? 'mobilenet_v3_large';
  const input = tfl.input({ shape: config.inputShape ?? [null, null, 3], name: `${name}_input` });
  const features = [convBNAct(input, '0', mobileNetV3Channels(0, widthMultiplier), 3, 2, 'hardswish')];
  for (const spec of blocks) features.push(invertedResidual(features[features.length - 1], spec));
  const last = blocks[blocks.length - 1];
  features.push(convBNAct(features[features.length - 1], String(blocks.length + 1), 6 * last.out, 1, 1, 'hardswish'));
  return tfl.model({ inputs: input, outputs: outputs.map((i) => features[i]), name });
}

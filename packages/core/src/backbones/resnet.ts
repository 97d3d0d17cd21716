/**
 * Atrous ResNet-18/34/50/101 built from tfjs layers, numerically equal to
 * torchvision's `resnet*` (eval mode) and named after torchvision's modules.
 *
 * **Layer naming.** Every layer holding weights is named after the
 * torchvision module path, so a state-dict key maps to a layer by dropping
 * its last component: `conv1`, `bn1`, `layer{1-4}.{block}.conv{1-3}`,
 * `layer{1-4}.{block}.bn{1-3}`, `layer{s}.0.downsample.0` (1×1 conv) and
 * `layer{s}.0.downsample.1` (its BN). A BN followed by a ReLU in torchvision
 * (`bn1`, `{block}.bn1`, and `bn2` of bottlenecks) is one `BatchNormAct`
 * layer with the ReLU inside. Weight-free helpers are named after what they
 * serve: `conv1.pad`, `maxpool.pad`, `maxpool`, `layer2.0.conv2.pad`
 * (symmetric padding of a strided conv), `{block}.add`, `{block}.relu`
 * (block output).
 *
 * **Output stride.** torchvision's `replace_stride_with_dilation`: OS 32 is
 * the plain network; OS 16 replaces layer4's stride by dilation 2; OS 8 also
 * replaces layer3's (layer3 dilation 2, layer4 dilation 4). The first block
 * of a dilated stage keeps the previous stage's dilation (its 1×1 downsample
 * then has stride 1) and the following blocks use the new one. ResNet-18/34
 * (basic blocks, which torchvision refuses to dilate) follow the same
 * schedule with both 3×3 convs of a block at the block's dilation. With
 * `dilateFirstBlock`, the first block of a dilated stage already uses the
 * stage's dilation (the original DeepLab code and the reference MSRC
 * project do this).
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { checkOutputStride, DEFAULT_OUTPUT_STRIDE, type OutputStride } from '../layers/output-stride.js';
import { basicBlock, batchNorm, bottleneckBlock, convBN } from './resnet-blocks.js';

/** ResNet depths {@link resnet} builds. */
export const RESNET_DEPTHS = [18, 34, 50, 101] as const;
/** A ResNet depth. */
export type ResNetDepth = (typeof RESNET_DEPTHS)[number];

/** Blocks per stage (layer1…layer4) of torchvision's ResNets. */
export const RESNET_BLOCKS: Readonly<Record<ResNetDepth, readonly [number, number, number, number]>> = {
  18: [2, 2, 2, 2],
  34: [3, 4, 6, 3],
  50: [3, 4, 6, 3],
  101: [3, 4, 23, 3],
};

/** Configuration of {@link resnet}. */
export interface ResNetOptions {
  /** 18 or 34 (basic blocks) or 50 or 101 (bottleneck blocks). Required. */
  depth: ResNetDepth;
  /** Ratio of input size to `high`'s size, one of `OUTPUT_STRIDES`. Default `DEFAULT_OUTPUT_STRIDE` (16). */
  outputStride?: OutputStride;
  /** `[height, width, 3]`; `null` sizes accept any input size. Default `[null, null, 3]`. */
  inputShape?: [number | null, number | null, 3];
  /** Model name. Default `resnet{depth}`. */
  name?: string;
  /**
   * Blocks per stage. Default torchvision's for the depth (e.g. `[3, 4, 23, 3]`
   * for 101). Smaller counts keep torchvision's key layout; tests use them.
   */
  blocks?: [number, number, number, number];
  /**
   * Width of the stem and of stage 1 (`planes`; stages double it). Default
   * `64` as torchvision. Narrower networks keep the key layout; tests use them.
   */
  baseWidth?: number;
  /**
   * torchvision's `width_per_group`: the bottleneck's inner width is
   * `planes · widthPerGroup / 64` (128 gives Wide ResNet). Default `64`.
   * Ignored by basic blocks.
   */
  widthPerGroup?: number;
  /**
   * Whether the first block of a dilated stage uses the stage's dilation
   * (DeepLab's original ResNets, the reference MSRC project's trunk) rather
   * than the previous stage's (torchvision's `replace_stride_with_dilation`).
   * Default `false`.
   */
  dilateFirstBlock?: boolean;
}

/** @deprecated Renamed {@link ResNetOptions}. */
export type ResNetConfig = ResNetOptions;

/** Stride and dilations of one stage, following torchvision's `_make_layer`. */
export interface StageSchedule {
  /** Stride of the stage's first block (1 once the stage is dilated). */
  stride: number;
  /** Dilation of the first block: the previous stage's dilation. */
  firstDilation: number;
  /** Dilation of the other blocks. */
  dilation: number;
}

/** torchvision's `replace_stride_with_dilation` (layer2, layer3, layer4) per output stride, as its segmentation models pass it. */
const REPLACE_STRIDE_WITH_DILATION: Readonly<Record<OutputStride, readonly [boolean, boolean, boolean]>> = {
  8: [false, true, true],
  16: [false, false, true],
  32: [false, false, false],
};

/**
 * The per-stage stride/dilation schedule of torchvision's
 * `replace_stride_with_dilation` for an output stride; with
 * `dilateFirstBlock`, first blocks take their stage's dilation.
 */
export function resnetStageSchedule(outputStride: OutputStride, dilateFirstBlock = false): StageSchedule[] {
  const replace = REPLACE_STRIDE_WITH_DILATION[checkOutputStride('resnet: outputStride', outputStride)];
  const stages: StageSchedule[] = [{ stride: 1, firstDilation: 1, dilation: 1 }];
  let dilation = 1;
  for (const dilate of replace) {
    const previous = dilation;
    let stride = 2;
    if (dilate) {
      dilation *= stride;
      stride = 1;
    }
    stages.push({ stride, firstDilation: dilateFirstBlock ? dilation : previous, dilation });
  }
  return stages;
}

/** Channel counts `[high, low]` of a ResNet's outputs (layer4, layer1). */
export function resnetOutChannels(depth: ResNetDepth, baseWidth = 64): [number, number] {
  const expansion = depth >= 50 ? 4 : 1;
  return [baseWidth * 8 * expansion, baseWidth * expansion];
}

function positiveInt(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) > 0;
}

function validate(config: ResNetOptions): Required<ResNetOptions> {
  if (config == null || !RESNET_DEPTHS.includes(config.depth)) {
    throw new Error(`resnet: depth ${JSON.stringify(config?.depth)} is not supported; use one of ${RESNET_DEPTHS.join(', ')}`);
  }
  const full: Required<ResNetOptions> = {
    depth: config.depth,
    outputStride: config.outputStride ?? DEFAULT_OUTPUT_STRIDE,
    inputShape: config.inputShape ?? [null, null, 3],
    name: config.name ?? `resnet${config.depth}`,
    blocks: config.blocks ?? [...RESNET_BLOCKS[config.depth]],
    baseWidth: config.baseWidth ?? 64,
    widthPerGroup: config.widthPerGroup ?? 64,
    dilateFirstBlock: config.dilateFirstBlock ?? false,
  };
  checkOutputStride('resnet: outputStride', full.outputStride);
  const [h, w, c] = full.inputShape;
  if (full.inputShape.length !== 3 || c !== 3 || ![h, w].every((s) => s === null || positiveInt(s))) {
    throw new Error(
      `resnet: inputShape ${JSON.stringify(full.inputShape)} must be [height, width, 3] (sizes positive integers or null)`,
    );
  }
  if (full.blocks.length !== 4 || !full.blocks.every(positiveInt)) {
    throw new Error(`resnet: blocks ${JSON.stringify(full.blocks)} must be four positive integers (blocks of layer1…layer4)`);
  }
  if (!positiveInt(full.baseWidth)) throw new Error(`resnet: baseWidth ${full.baseWidth} must be a positive integer`);
  if (typeof full.dilateFirstBlock !== 'boolean') {
    throw new Error(`resnet: dilateFirstBlock ${JSON.stringify(full.dilateFirstBlock)} must be true or false`);
  }
  if (!positiveInt(full.widthPerGroup)) {
    throw new Error(`resnet: widthPerGroup ${full.widthPerGroup} must be a positive integer`);
  }
  return full;
}

/**
 * Builds an atrous ResNet whose outputs are `[high, low]`: `high` is layer4's
 * output (stride `outputStride`, `8·baseWidth·expansion` channels, 2048 for
 * ResNet-50/101) and `low` layer1's (stride 4, 256 channels for 50/101, 64
 * for 18/34). See the module notes for naming and dilation.
 *
 * Feed it images normalised as torchvision expects (ImageNet mean/std) when
 * using pretrained weights; load them with {@link loadTorchvisionWeights}.
 *
 * @example
 * ```ts
 * const trunk = resnet({ depth: 101, outputStride: 8 });
 * const [high, low] = trunk.predict(images) as tf.Tensor4D[];
 * ```
 */
export function resnet(config: ResNetOptions): tfl.LayersModel {
  const { depth, outputStride, inputShape, name, blocks, baseWidth, widthPerGroup, dilateFirstBlock } = validate(config);
  const input = tfl.input({ shape: inputShape, name: `${name}_input` });
  // Padding the stem's max-pool with zeros equals torch's -inf padding here: it follows a ReLU.
  let x = convBN(input, 'conv1', baseWidth, 7, 2);
  x = batchNorm(x, 'bn1', 'relu');
  x = tfl.layers.zeroPadding2d({ padding: 1, name: 'maxpool.pad' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'maxpool' }).apply(x) as tfl.SymbolicTensor;

  const bottleneck = depth >= 50;
  const expansion = bottleneck ? 4 : 1;
  const block = bottleneck ? bottleneckBlock : basicBlock;
  let channels = baseWidth;
  let low: tfl.SymbolicTensor | undefined;
  resnetStageSchedule(outputStride, dilateFirstBlock).forEach((stage, s) => {
    const planes = baseWidth * 2 ** s;
    const width = Math.floor((planes * widthPerGroup) / 64);
    for (let b = 0; b < blocks[s]; b++) {
      const first = b === 0;
      const stride = first ? stage.stride : 1;
      x = block(x, {
        prefix: `layer${s + 1}.${b}`,
        planes,
        width,
        stride,
        dilation: first ? stage.firstDilation : stage.dilation,
        downsample: first && (stride !== 1 || channels !== planes * expansion),
      });
      channels = planes * expansion;
    }
    if (s === 0) low = x;
  });
  return tfl.model({ inputs: input, outputs: [x, low!], name });
}

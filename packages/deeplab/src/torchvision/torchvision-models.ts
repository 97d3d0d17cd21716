/**
 * torchvision's semantic segmentation models (`torchvision.models.segmentation`)
 * as tfjs `LayersModel`s: trunks from `@seg/core` (atrous ResNet, MobileNetV3),
 * heads from `torchvision-heads.ts`. Every layer holding weights is named
 * after its torch module, nested sub-models included (`backbone` ›
 * `layer1.0.conv1` is `backbone.layer1.0.conv1`), so torchvision's state
 * dicts load key for key.
 *
 * @module
 */
import { mobileNetV3Large, type ResNetDepth, resizeBilinear, resnet } from '@seg/core';
import { mobileNetV3Channels, RESNET_BLOCKS, resnetOutChannels } from '@seg/core/internals';
import * as tfl from '@tensorflow/tfjs-layers';
import { setModelClasses } from '../classes/model-classes.js';
import { deeplabHead, fcnHead, lrasppHead } from './torchvision-heads.js';
import { VOC_MODEL_CLASSES } from '../classes/voc-classes.js';

type Sym = tfl.SymbolicTensor;

/** How torchvision builds one segmentation model (`torchvision.models.segmentation`'s builders). */
export interface TorchvisionModelSpec {
  /** Trunk: an atrous ResNet of this depth at output stride 8, or MobileNetV3-Large at output stride 16. */
  trunk: ResNetDepth | 'mobilenet_v3_large';
  /** The classifier on the trunk's features `[out, low]`, whose channels are `channels`. */
  head(features: Sym[], channels: number[], numClasses: number): Sym;
  /** Whether the head reads the second feature map too (LR-ASPP's low-level branch). */
  headReadsLow: boolean;
  /** Whether torchvision's `aux_loss=True` adds an auxiliary FCN classifier on the second feature map. */
  hasAux: boolean;
}

const deeplabv3 = ([out]: Sym[], [channels]: number[], numClasses: number) => deeplabHead(out, channels, numClasses);
const fcn = ([out]: Sym[], [channels]: number[], numClasses: number) => fcnHead(out, channels, numClasses, 'classifier');
const lraspp = ([out, low]: Sym[], [channels]: number[], numClasses: number) => lrasppHead(out, low, channels, numClasses);

/** The torchvision segmentation models {@link fromTorchvision} builds, by torchvision's builder name. */
export const TORCHVISION_MODELS = [
  'deeplabv3_resnet50',
  'deeplabv3_resnet101',
  'deeplabv3_mobilenet_v3_large',
  'fcn_resnet50',
  'fcn_resnet101',
  'lraspp_mobilenet_v3_large',
] as const;

/** Name of a torchvision segmentation model. */
export type TorchvisionModelName = (typeof TORCHVISION_MODELS)[number];

/** How each of {@link TORCHVISION_MODELS} is built: one entry each, no more, no fewer. */
export const TORCHVISION_MODEL_SPECS: Readonly<Record<TorchvisionModelName, TorchvisionModelSpec>> = {
  deeplabv3_resnet50: { trunk: 50, head: deeplabv3, headReadsLow: false, hasAux: true },
  deeplabv3_resnet101: { trunk: 101, head: deeplabv3, headReadsLow: false, hasAux: true },
  deeplabv3_mobilenet_v3_large: { trunk: 'mobilenet_v3_large', head: deeplabv3, headReadsLow: false, hasAux: true },
  fcn_resnet50: { trunk: 50, head: fcn, headReadsLow: false, hasAux: true },
  fcn_resnet101: { trunk: 101, head: fcn, headReadsLow: false, hasAux: true },
  lraspp_mobilenet_v3_large: { trunk: 'mobilenet_v3_large', head: lraspp, headReadsLow: true, hasAux: false },
};

/** Classes of torchvision's pretrained segmentation weights: the 20 Pascal VOC categories and background. */
export const TORCHVISION_NUM_CLASSES = 21;

/** Options of {@link torchvisionModel} and `fromTorchvision`. */
export interface TorchvisionModelOptions {
  /**
   * Also build the auxiliary classifier (`aux_classifier.*`, an FCN head on
   * layer3 or MobileNetV3's `features[4]`) as a second output, as
   * torchvision's `aux_loss=True`. LR-ASPP has none. Default `false`.
   */
  aux?: boolean;
  /**
   * Classes the heads predict. Default {@link TORCHVISION_NUM_CLASSES} (21,
   * the published weights'). The classifier convs (`classifier.4`,
   * `aux_classifier.4`, LR-ASPP's `low_classifier` and `high_classifier`)
   * start as torch's `nn.Conv2d` does.
   */
  numClasses?: number;
  /** `[height, width, 3]`; `null` sizes accept any input size. Default `[null, null, 3]`. */
  inputShape?: [number | null, number | null, 3];
  /**
   * Blocks per stage of a ResNet trunk (torchvision's `ResNet(Bottleneck,
   * layers)`). Default the model's (`[3, 4, 6, 3]` or `[3, 4, 23, 3]`);
   * fewer blocks keep the key layout; tests use them.
   */
  blocks?: [number, number, number, number];
  /**
   * Channel width of a MobileNetV3 trunk, as torchvision's
   * `mobilenet_v3_large(width_mult=…)`. Default 1 (the published models);
   * narrower trunks keep the key layout; tests use them.
   */
  widthMultiplier?: number;
}

/**
 * A trunk sub-model `backbone` returning `out` and, when `second`, the
 * features of the auxiliary classifier or LR-ASPP's low-level branch
 * (torchvision's `IntermediateLayerGetter`), with their channels.
 */
function trunk(spec: TorchvisionModelSpec, image: Sym, second: boolean, options: TorchvisionModelOptions): { features: Sym[]; channels: number[] } {
  const inputShape = options.inputShape;
  let model: tfl.LayersModel;
  let channels: number[];
  if (spec.trunk === 'mobilenet_v3_large') {
    // features[16] (output stride 16) and features[4] (the first block at stride 8), as torchvision picks them.
    const taps = second ? [16, 4] : [16];
    const widthMultiplier = options.widthMultiplier ?? 1;
    model = mobileNetV3Large({ outputStride: 16, outputs: taps, inputShape, widthMultiplier, name: 'backbone' });
    channels = taps.map((i) => mobileNetV3Channels(i, widthMultiplier));
  } else {
    const depth = spec.trunk;
    const blocks = options.blocks ?? [...RESNET_BLOCKS[depth]];
    const full = resnet({ depth, outputStride: 8, blocks, inputShape, name: 'backbone' });
    // layer4 and layer3: their last blocks' outputs, named `{block}.relu`.
    const taps = [`layer4.${blocks[3] - 1}.relu`, `layer3.${blocks[2] - 1}.relu`].slice(0, second ? 2 : 1);
    model = tfl.model({ inputs: full.inputs, outputs: taps.map((t) => full.getLayer(t).output as Sym), name: 'backbone' });
    // Each stage doubles the channels of the one before: layer3 has half of layer4's.
    const [layer4] = resnetOutChannels(depth);
    channels = [layer4, layer4 / 2];
  }
  return { features: [model.apply(image) as Sym | Sym[]].flat(), channels };
}

/**
 * Builds torchvision's segmentation model `name` with initial weights: the
 * architecture {@link fromTorchvision} loads a state dict into. It maps
 * ImageNet-normalised images `[N, H, W, 3]` to logits `[N, H, W, numClasses]`
 * (default 21) at the input's size (torchvision's `out`), and with
 * `options.aux` also the auxiliary classifier's. A 21-class model records the
 * VOC class names and colours (`setModelClasses`), so `saveModel` keeps them;
 * name another class count's classes with `setModelClasses`.
 *
 * @throws On an unknown name, listing the valid ones.
 */
export function torchvisionModel(name: TorchvisionModelName, options: TorchvisionModelOptions = {}): tfl.LayersModel {
  if (!Object.hasOwn(TORCHVISION_MODEL_SPECS, name)) {
    throw new Error(`torchvision: unknown model ${JSON.stringify(name)}; valid names are ${TORCHVISION_MODELS.join(', ')}`);
  }
  const spec = TORCHVISION_MODEL_SPECS[name];
  if (options.blocks !== undefined && spec.trunk === 'mobilenet_v3_large') {
    throw new Error(`torchvision: ${name} has a MobileNetV3 trunk; options.blocks is for the ResNet models`);
  }
  if (options.widthMultiplier !== undefined && spec.trunk !== 'mobilenet_v3_large') {
    throw new Error(`torchvision: ${name} has a ResNet trunk; options.widthMultiplier is for the MobileNetV3 models`);
  }
  const numClasses = options.numClasses ?? TORCHVISION_NUM_CLASSES;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`torchvision: options.numClasses must be a positive integer, got ${JSON.stringify(options.numClasses)}`);
  }
  const aux = options.aux ?? false;
  if (aux && !spec.hasAux) throw new Error(`torchvision: ${name} has no auxiliary classifier; leave options.aux unset`);
  const image = tfl.input({ shape: options.inputShape ?? [null, null, 3], name: 'image' });
  const { features, channels } = trunk(spec, image, aux || spec.headReadsLow, options);
  const logits = spec.head(features, channels, numClasses);
  const outputs = [resizeBilinear({ name: 'upsample' }).apply([logits, image]) as Sym];
  if (aux) {
    const auxLogits = fcnHead(features[1], channels[1], numClasses, 'aux_classifier');
    outputs.push(resizeBilinear({ name: 'aux_upsample' }).apply([auxLogits, image]) as Sym);
  }
  const model = tfl.model({ inputs: image, outputs, name });
  // Saved and exported copies then name and colour their classes (segment-many, the CLI, model.json).
  if (numClasses === TORCHVISION_NUM_CLASSES) setModelClasses(model, VOC_MODEL_CLASSES);
  return model;
}

import type * as tfl from '@tensorflow/tfjs-layers';
import { checkOutputStride, DEFAULT_OUTPUT_STRIDE, OUTPUT_STRIDES, type OutputStride } from '../layers/output-stride.js';
import { type MobileNetV3Options, mobileNetV3Channels, mobileNetV3Large } from './mobilenet-v3.js';
import { type ResNetOptions, type ResNetDepth, resnet, resnetOutChannels } from './resnet.js';
import type { TorchvisionWeightsReport } from './torch-state-dict.js';
import { loadTorchvisionWeights, type TorchvisionWeightsOptions } from './torchvision-weights.js';

/**
 * Options of {@link getBackbone}: every {@link ResNetOptions} field except
 * `depth`, and MobileNetV3's `widthMultiplier`; a backbone refuses the
 * options of another family.
 */
export type BackboneOptions = Omit<ResNetOptions, 'depth'> & Pick<MobileNetV3Options, 'widthMultiplier'>;

/** Throws if `options` sets any of `foreign`, the options of another backbone family. */
function refuse(options: BackboneOptions, name: string, foreign: readonly (keyof BackboneOptions)[]): void {
  const given = foreign.filter((k) => options[k] !== undefined);
  if (given.length > 0) throw new Error(`getBackbone: ${name} takes no ${given.join(', ')} (options of another backbone family)`);
}

const RESNET_ONLY = ['blocks', 'baseWidth', 'widthPerGroup', 'dilateFirstBlock'] as const;

/**
 * One backbone of the registry: how to build it and what a decoder needs to
 * know about it (after segmentation_models.pytorch's encoder mixin).
 */
export interface BackboneSpec {
  /** Builds the model, whose outputs are `[high, low]`; `options.name` names it. */
  build(options: BackboneOptions & { name: string }): tfl.LayersModel;
  /** Channels of `[high, low]` for `options`. */
  outChannels(options: BackboneOptions): [number, number];
  /** Output strides it can be dilated to. */
  outputStrides: readonly OutputStride[];
  /** Ratio of input size to `low`'s size. */
  lowOutputStride: number;
  /** Loads pretrained weights (torchvision/timm names) into a model it built. */
  loadWeights(model: tfl.LayersModel, source: string | Uint8Array, options?: TorchvisionWeightsOptions): Promise<TorchvisionWeightsReport>;
}

function resnetSpec(depth: ResNetDepth): BackboneSpec {
  return {
    build: (options) => {
      refuse(options, `resnet${depth}`, ['widthMultiplier']);
      return resnet({ ...options, depth });
    },
    outChannels: (options) => resnetOutChannels(depth, options.baseWidth),
    outputStrides: OUTPUT_STRIDES,
    // layer1 follows the stride-2 stem conv and the stride-2 max-pool.
    lowOutputStride: 4,
    loadWeights: loadTorchvisionWeights,
  };
}

const mobileNetV3LargeSpec: BackboneSpec = {
  build: ({ outputStride, inputShape, name, widthMultiplier, ...rest }) => {
    refuse(rest, 'mobilenet_v3_large', RESNET_ONLY);
    return mobileNetV3Large({ outputStride, inputShape, name, widthMultiplier });
  },
  // features[16] and features[3], the last stride-4 features (24 channels at width 1).
  outChannels: ({ widthMultiplier }) => [mobileNetV3Channels(16, widthMultiplier), mobileNetV3Channels(3, widthMultiplier)],
  outputStrides: OUTPUT_STRIDES,
  lowOutputStride: 4,
  loadWeights: loadTorchvisionWeights,
};

/** Every backbone {@link getBackbone} builds, by name: a new backbone is one entry here. */
export const BACKBONES = {
  resnet18: resnetSpec(18),
  resnet34: resnetSpec(34),
  resnet50: resnetSpec(50),
  resnet101: resnetSpec(101),
  mobilenet_v3_large: mobileNetV3LargeSpec,
} as const satisfies Readonly<Record<string, BackboneSpec>>;

/** A backbone name. */
export type BackboneName = keyof typeof BACKBONES;

/** Names {@link getBackbone} knows, in registry order. */
export const BACKBONE_NAMES = Object.keys(BACKBONES) as readonly BackboneName[];

/** A backbone built by {@link getBackbone}, with what a decoder needs to know about it. */
export interface Backbone {
  /** The registry name. */
  name: BackboneName;
  /** The model; outputs `[high, low]`. */
  model: tfl.LayersModel;
  /** Channels of `[high, low]`. */
  outChannels: [number, number];
  /** Ratio of input size to `high`'s size. */
  outputStride: OutputStride;
  /** Ratio of input size to `low`'s size (4 for ResNets). */
  lowOutputStride: number;
  /** Loads torchvision/timm weights into `model` (see {@link loadTorchvisionWeights}). */
  loadWeights(source: string | Uint8Array, options?: TorchvisionWeightsOptions): Promise<TorchvisionWeightsReport>;
}

/**
 * Builds a backbone by name.
 *
 * @example
 * ```ts
 * const { model, outChannels } = getBackbone('resnet101', { outputStride: 8 });
 * ```
 * @throws On an unknown name, listing the valid ones, or an output stride the backbone does not support.
 */
export function getBackbone(name: BackboneName, options: BackboneOptions = {}): Backbone {
  if (!Object.hasOwn(BACKBONES, name)) {
    throw new Error(`getBackbone: unknown backbone ${JSON.stringify(name)}; valid names are ${BACKBONE_NAMES.join(', ')}`);
  }
  const spec: BackboneSpec = BACKBONES[name];
  const outputStride = checkOutputStride(`getBackbone: ${name} outputStride`, options.outputStride ?? DEFAULT_OUTPUT_STRIDE, spec.outputStrides);
  const model = spec.build({ name, ...options, outputStride });
  return {
    name,
    model,
    outChannels: spec.outChannels(options),
    outputStride,
    lowOutputStride: spec.lowOutputStride,
    loadWeights: (source, loadOptions) => spec.loadWeights(model, source, loadOptions),
  };
}

import type * as tfl from '@tensorflow/tfjs-layers';
import { checkOutputStride, DEFAULT_OUTPUT_STRIDE, OUTPUT_STRIDES, type OutputStride } from '../layers/output-stride.js';
import { type MobileNetV3Options, mobileNetV3Channels, mobileNetV3Large } from './mobilenet-v3.js';
import { type ResNetOptions, type ResNetDepth, resnet, resnetOutChannels } from './resnet.js';
import type { TorchvisionWeightsReport } from './torch-state-dict.js';
import { loadTorchvisionWeights, type TorchvisionWeightsOptions } from './torchvision-weights.js';

/**
 * Options of {@link getBackbone}: every {@link ResNetOptions} field except
 * `depth`, and MobileNetV3's `widthMultiplier`; a backbone refuses the
 * options of another family. {@link BackboneOptionsByName} has each
 * backbone's own.
 */
export type BackboneOptions = Omit<ResNetOptions, 'depth'> & Pick<MobileNetV3Options, 'widthMultiplier'>;

/** What every backbone takes from the model around it. */
export type CommonBackboneOptions = Pick<ResNetOptions, 'outputStride' | 'inputShape' | 'name'>;
const COMMON_OPTIONS: readonly (keyof CommonBackboneOptions)[] = ['outputStride', 'inputShape', 'name'];

/** A ResNet backbone's own options (see {@link ResNetOptions}). */
export type ResNetBackboneOptions = Pick<ResNetOptions, 'blocks' | 'baseWidth' | 'widthPerGroup' | 'dilateFirstBlock'>;
const RESNET_OPTIONS: readonly (keyof ResNetBackboneOptions)[] = ['blocks', 'baseWidth', 'widthPerGroup', 'dilateFirstBlock'];

/** A MobileNetV3 backbone's own options (see {@link MobileNetV3Options}). */
export type MobileNetV3BackboneOptions = Pick<MobileNetV3Options, 'widthMultiplier'>;
const MOBILENET_V3_OPTIONS: readonly (keyof MobileNetV3BackboneOptions)[] = ['widthMultiplier'];

/**
 * Each backbone's own options, by name: what a model's `backboneOptions`
 * may hold for that backbone (the model sets the output stride, input shape
 * and name itself).
 */
export interface BackboneOptionsByName {
  resnet18: ResNetBackboneOptions;
  resnet34: ResNetBackboneOptions;
  resnet50: ResNetBackboneOptions;
  resnet101: ResNetBackboneOptions;
  mobilenet_v3_large: MobileNetV3BackboneOptions;
}

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
  /** Names of its own options (beyond `outputStride`, `inputShape`, `name`): what {@link checkBackboneOptions} accepts. */
  options: readonly string[];
  /** Loads pretrained weights (torchvision/timm names) into a model it built. */
  loadWeights(model: tfl.LayersModel, source: string | Uint8Array, options?: TorchvisionWeightsOptions): Promise<TorchvisionWeightsReport>;
}

function resnetSpec(depth: ResNetDepth): BackboneSpec {
  return {
    build: (options) => resnet({ ...options, depth }),
    outChannels: (options) => resnetOutChannels(depth, options.baseWidth),
    outputStrides: OUTPUT_STRIDES,
    // layer1 follows the stride-2 stem conv and the stride-2 max-pool.
    lowOutputStride: 4,
    options: RESNET_OPTIONS,
    loadWeights: loadTorchvisionWeights,
  };
}

const mobileNetV3LargeSpec: BackboneSpec = {
  build: ({ outputStride, inputShape, name, widthMultiplier }) => mobileNetV3Large({ outputStride, inputShape, name, widthMultiplier }),
  // features[16] and features[3], the last stride-4 features (24 channels at width 1).
  outChannels: ({ widthMultiplier }) => [mobileNetV3Channels(16, widthMultiplier), mobileNetV3Channels(3, widthMultiplier)],
  outputStrides: OUTPUT_STRIDES,
  lowOutputStride: 4,
  options: MOBILENET_V3_OPTIONS,
  loadWeights: loadTorchvisionWeights,
};

/** Every backbone {@link getBackbone} builds, by name: a new backbone is one entry here. */
export const BACKBONES = {
  resnet18: resnetSpec(18),
  resnet34: resnetSpec(34),
  resnet50: resnetSpec(50),
  resnet101: resnetSpec(101),
  mobilenet_v3_large: mobileNetV3LargeSpec,
} as const satisfies Readonly<Record<keyof BackboneOptionsByName, BackboneSpec>>;

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
 * Checks that `options` holds only options of backbone `name`: its own
 * (`BACKBONES[name].options`) and, unless `own` only, the common
 * `outputStride`, `inputShape` and `name`.
 *
 * @param where Prefix of the error, e.g. `'getBackbone: resnet50 options'`.
 * @throws Naming the first unknown key and the valid ones.
 */
export function checkBackboneOptions(name: BackboneName, options: object, where: string, own = false): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${where} is ${JSON.stringify(options)}; expected an object of ${name} options`);
  }
  const valid = [...(own ? [] : COMMON_OPTIONS), ...BACKBONES[name].options];
  const unknown = Object.keys(options).find((k) => !valid.includes(k));
  if (unknown !== undefined) throw new Error(`${where}: ${name} has no option "${unknown}"; its options are ${valid.join(', ')}`);
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
export function getBackbone<N extends BackboneName>(name: N, options: CommonBackboneOptions & BackboneOptionsByName[N] = {}): Backbone {
  if (!Object.hasOwn(BACKBONES, name)) {
    throw new Error(`getBackbone: unknown backbone ${JSON.stringify(name)}; valid names are ${BACKBONE_NAMES.join(', ')}`);
  }
  const spec: BackboneSpec = BACKBONES[name];
  checkBackboneOptions(name, options, `getBackbone: ${name} options`);
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

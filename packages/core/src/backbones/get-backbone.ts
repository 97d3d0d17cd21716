import type * as tfl from '@tensorflow/tfjs-layers';
import { checkOutputStride, DEFAULT_OUTPUT_STRIDE, OUTPUT_STRIDES, type OutputStride } from '../layers/output-stride.js';
import { type ResNetConfig, type ResNetDepth, resnet, resnetOutChannels } from './resnet.js';
import { loadTorchvisionWeights, type TorchvisionWeightsOptions, type TorchvisionWeightsReport } from './torchvision-weights.js';

/** Options of {@link getBackbone}: every {@link ResNetConfig} field except `depth`. */
export type BackboneOptions = Omit<ResNetConfig, 'depth'>;

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
    build: (options) => resnet({ ...options, depth }),
    outChannels: (options) => resnetOutChannels(depth, options.baseWidth),
    outputStrides: OUTPUT_STRIDES,
    // layer1 follows the stride-2 stem conv and the stride-2 max-pool.
    lowOutputStride: 4,
    loadWeights: loadTorchvisionWeights,
  };
}

/** Every backbone {@link getBackbone} builds, by name: a new backbone is one entry here. */
export const BACKBONES = {
  resnet18: resnetSpec(18),
  resnet34: resnetSpec(34),
  resnet50: resnetSpec(50),
  resnet101: resnetSpec(101),
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

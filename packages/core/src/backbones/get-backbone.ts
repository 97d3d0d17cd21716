import type * as tfl from '@tensorflow/tfjs-layers';
import {
  DEFAULT_OUTPUT_STRIDE,
  type OutputStride,
  type ResNetConfig,
  type ResNetDepth,
  resnet,
  resnetOutChannels,
} from './resnet.js';
import type { TorchvisionWeightsReport } from './torch-state-dict.js';
import { loadTorchvisionWeights, type TorchvisionWeightsOptions } from './torchvision-weights.js';

/** Names {@link getBackbone} knows. */
export const BACKBONE_NAMES = ['resnet18', 'resnet34', 'resnet50', 'resnet101'] as const;
/** A backbone name. */
export type BackboneName = (typeof BACKBONE_NAMES)[number];

/** Options of {@link getBackbone}: every {@link ResNetConfig} field except `depth`. */
export type BackboneOptions = Omit<ResNetConfig, 'depth'>;

/**
 * A backbone and what a decoder needs to know about it (after
 * segmentation_models.pytorch's encoder mixin).
 */
export interface Backbone {
  /** The registry name. */
  name: BackboneName;
  /** The model; outputs `[high, low]`. */
  model: tfl.LayersModel;
  /** Channels of `[high, low]`. */
  outChannels: [number, number];
  /** Ratio of input size to `high`'s size. */
  outputStride: OutputStride;
  /** Ratio of input size to `low`'s size (always 4 for ResNets). */
  lowOutputStride: number;
  /** Loads torchvision/timm weights into `model` (see {@link loadTorchvisionWeights}). */
  loadWeights(source: string | Uint8Array, options?: TorchvisionWeightsOptions): Promise<TorchvisionWeightsReport>;
}

const DEPTHS: Record<BackboneName, ResNetDepth> = { resnet18: 18, resnet34: 34, resnet50: 50, resnet101: 101 };

/**
 * Builds a backbone by name.
 *
 * @example
 * ```ts
 * const { model, outChannels } = getBackbone('resnet101', { outputStride: 8 });
 * ```
 * @throws On an unknown name, listing the valid ones.
 */
export function getBackbone(name: BackboneName, options: BackboneOptions = {}): Backbone {
  if (!Object.hasOwn(DEPTHS, name)) {
    throw new Error(`getBackbone: unknown backbone ${JSON.stringify(name)}; valid names are ${BACKBONE_NAMES.join(', ')}`);
  }
  const depth = DEPTHS[name];
  const model = resnet({ name, ...options, depth });
  return {
    name,
    model,
    outChannels: resnetOutChannels(depth, options.baseWidth),
    outputStride: options.outputStride ?? DEFAULT_OUTPUT_STRIDE,
    lowOutputStride: 4,
    loadWeights: (source, loadOptions) => loadTorchvisionWeights(model, source, loadOptions),
  };
}

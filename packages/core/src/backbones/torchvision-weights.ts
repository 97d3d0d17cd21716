/**
 * torchvision/timm backbone weights — ResNet and MobileNetV3-Large, from
 * `.safetensors` or `.pth` — into `resnet()` and `mobileNetV3Large()` models
 * (or models holding one), through the state-dict mapping of
 * `torch-state-dict.ts`.
 *
 * @module
 */
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import type { SafetensorsFile } from '../io/safetensors.js';
import { readWeightFile } from '../io/tensor-files.js';
import {
  assignTorchWeights,
  findKeyPrefix,
  type LayerContainer,
  leafLayers,
  type TorchvisionWeightSpec,
  type TorchvisionWeightsReport,
  torchWeightSpecs,
} from './torch-state-dict.js';

/** Options of {@link loadTorchvisionWeights}. */
export interface TorchvisionWeightsOptions {
  /**
   * Prefix of the backbone's layer names inside the model, for a backbone
   * whose layers were added to a bigger model under a prefix (layer
   * `backbone.layer1.0.conv1` ↔ key `layer1.0.conv1.weight` with prefix
   * `'backbone.'`). A backbone nested as a sub-model needs none. Default `''`.
   */
  prefix?: string;
  /**
   * Prefix of the backbone's keys in the file: `''` for torchvision's and
   * timm's ImageNet ResNets, `'features.'` for torchvision's MobileNetV3,
   * `'backbone.'` for torchvision's segmentation models, `'model.'` for a
   * `{'model': state_dict}` checkpoint. Keys without it are ignored (and
   * reported). Default: the prefix under which the file holds most of the
   * model's keys.
   */
  keyPrefix?: string;
}

/** What sets a backbone's layers apart in a model, and the file keys it never loads. */
interface BackboneLayout {
  name: string;
  /** The module every such backbone has. */
  anchor: string;
  /** Names of the layers that hold its modules. */
  module: RegExp;
  /** Keys of its ImageNet classifier, which the backbone does not hold. */
  classifier: RegExp;
}

/** See `resnet()` and `mobileNetV3Large()` for the layer naming. */
const LAYOUTS: readonly BackboneLayout[] = [
  {
    name: 'resnet()',
    anchor: 'conv1',
    module: /^(conv1|bn1|layer[1-4]\.\d+\.(?:conv[1-3]|bn[1-3]|downsample\.[01]))$/,
    classifier: /^fc\./,
  },
  { name: 'mobileNetV3Large()', anchor: '0.0', module: /^\d+\.(\d+|block\.\d+\.(\d+|fc[12]))$/, classifier: /^classifier\./ },
];

function backboneModules(model: LayerContainer, prefix: string): { layout: BackboneLayout; modules: Array<{ module: string; layer: Layer }> } {
  const layers = leafLayers(model).filter((l) => l.name.startsWith(prefix));
  const layout = LAYOUTS.find((l) => layers.some((layer) => layer.name === `${prefix}${l.anchor}`));
  if (!layout) {
    throw new Error(
      `torchvision weights: the model has no layer named ${LAYOUTS.map((l) => `"${prefix}${l.anchor}"`).join(' or ')}; ` +
        `expected a model built by ${LAYOUTS.map((l) => l.name).join(' or ')} (or containing one), with options.prefix if its layer names are prefixed`,
    );
  }
  const modules = layers
    .map((layer) => ({ module: layer.name.slice(prefix.length), layer }))
    .filter(({ module }) => layout.module.test(module));
  const seen = new Set<string>();
  for (const { module, layer } of modules) {
    if (seen.has(module)) {
      throw new Error(`torchvision weights: two layers are named "${layer.name}"; pass the backbone sub-model itself, or a prefix that selects one`);
    }
    seen.add(module);
  }
  return { layout, modules };
}

/**
 * Lists the torchvision state-dict tensors that `model`'s backbone layers
 * expect, keyed by state-dict key without any file prefix.
 *
 * @param model A model built by `resnet()` or `mobileNetV3Large()`, or any
 *   model containing one (nested as a sub-model, or flattened under
 *   `options.prefix`).
 * @throws If the model holds no such backbone, or a backbone layer name occurs twice.
 */
export function torchvisionWeightSpecs(
  model: LayerContainer,
  options: TorchvisionWeightsOptions = {},
): Map<string, TorchvisionWeightSpec> {
  return torchWeightSpecs(backboneModules(model, options.prefix ?? '').modules);
}

/**
 * Assigns the tensors of a parsed torchvision/timm backbone file (ResNet or
 * MobileNetV3-Large) to the backbone layers of `model`: the lower-level half
 * of {@link loadTorchvisionWeights}, for callers that already hold the file.
 *
 * Every key, shape and dtype is checked before the first weight is assigned,
 * so a bad file leaves the model untouched.
 *
 * @param file A parsed `.safetensors` or `.pth` file (`parseWeightFile`).
 * @param source The file's name, for error messages.
 * @throws Listing every missing key (with the model's shape), unexpected key
 *   (with the file's shape), shape mismatch (both shapes) and non-float dtype.
 */
export function applyTorchvisionWeights(
  model: LayerContainer,
  file: SafetensorsFile,
  source = '<bytes>',
  options: TorchvisionWeightsOptions = {},
): TorchvisionWeightsReport {
  const { layout, modules } = backboneModules(model, options.prefix ?? '');
  const specs = torchWeightSpecs(modules);
  return assignTorchWeights(specs, file, source, {
    ignore: layout.classifier,
    keyPrefix: options.keyPrefix ?? findKeyPrefix(specs, file, `${layout.anchor}.weight`, source),
    hint: 'missing/unexpected keys usually mean a file for another architecture, depth, width or block count',
  });
}

/**
 * Loads torchvision/timm backbone weights — ResNet (e.g. `resnet101.tv_in1k`)
 * or MobileNetV3-Large (torchvision's `mobilenet_v3_large-8738ca79.pth`) —
 * from a `.safetensors` or `.pth` file into a model built by `resnet()` or
 * `mobileNetV3Large()`, or into a model that contains one (nested sub-model,
 * or flattened with `options.prefix`). The backbone of a torchvision
 * segmentation checkpoint (`backbone.*` keys) loads the same way.
 *
 * Conv kernels are transposed OIHW → HWIO, BatchNorm `weight`/`bias`/
 * `running_mean`/`running_var` become `gamma`/`beta`/`moving_mean`/
 * `moving_variance`; the ImageNet classifier (`fc.*`, `classifier.*`),
 * `num_batches_tracked` and keys outside the backbone's prefix are ignored;
 * F16, BF16 and F64 are converted to float32. A `.pth` file is read without
 * running any of its code (see `readTorchCheckpoint`).
 *
 * @param source A file path (Node.js) or the file's bytes; the format is
 *   told by the bytes, not the name.
 * @returns Which keys were loaded and which ignored.
 * @throws If the file is unreadable or malformed, or its keys or shapes do not
 *   fit the model (see {@link applyTorchvisionWeights}); nothing is assigned then.
 *
 * @example
 * ```ts
 * const trunk = resnet({ depth: 101, outputStride: 8 });
 * const { loaded } = await loadTorchvisionWeights(trunk, 'resnet101.tv_in1k.safetensors');
 * ```
 */
export async function loadTorchvisionWeights(
  model: LayerContainer,
  source: string | Uint8Array,
  options: TorchvisionWeightsOptions = {},
): Promise<TorchvisionWeightsReport> {
  // Before reading the file: a model without a backbone fails at once.
  backboneModules(model, options.prefix ?? '');
  const { name, file } = await readWeightFile(source);
  return applyTorchvisionWeights(model, file, name, options);
}

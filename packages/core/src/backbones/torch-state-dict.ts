/**
 * PyTorch state dicts ↔ tfjs layer weights, for any model whose layers are
 * named after torch modules: which tensor each weight receives (by the
 * layer's class), and an all-or-nothing assignment that lists every
 * missing, unexpected, mismatched or non-float key before touching a weight.
 *
 * | tfjs layer | weight | torch tensor |
 * | --- | --- | --- |
 * | `Conv2D`, `AtrousConv2D` | `kernel` `[kh, kw, in, out]` / `bias` | `weight` `[out, in, kh, kw]` / `bias` |
 * | `DepthwiseConv2D`, `AtrousDepthwiseConv2D` | `depthwise_kernel` `[kh, kw, c, m]` / `bias` | `weight` `[c·m, 1, kh, kw]` / `bias` |
 * | `BatchNormalization`, `BatchNormAct` | `gamma`, `beta`, `moving_mean`, `moving_variance` | `weight`, `bias`, `running_mean`, `running_var` |
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import type { SafetensorsFile } from '../io/safetensors.js';
import { safetensorsToFloat32 } from '../io/safetensors.js';

/** A model, or a container of layers such as a nested sub-model. */
export interface LayerContainer {
  /** The container's layers; nested containers are searched too. */
  readonly layers: Layer[];
}

/** One state-dict tensor the model expects. */
export interface TorchvisionWeightSpec {
  /** State-dict key, e.g. `layer3.5.conv2.weight`. */
  key: string;
  /** Shape in torch layout (OIHW for conv kernels). */
  shape: number[];
  /** The tfjs layer receiving it. */
  layer: Layer;
  /** Index of the weight in `layer.getWeights()`. */
  index: number;
  /** Whether the values need the OIHW → HWIO transpose (conv and depthwise kernels). */
  transposeKernel: boolean;
}

/** What a load did with the file's tensors. */
export interface TorchvisionWeightsReport {
  /** Keys assigned to the model, in file order. */
  loaded: string[];
  /** Keys deliberately skipped (a classifier the model lacks, `*.num_batches_tracked`, keys outside the model's prefix), in file order. */
  ignored: string[];
}

/** A layer and the torch module whose tensors it holds (`layer3.5.conv2`). */
export interface TorchModule {
  module: string;
  layer: Layer;
}

/** What {@link assignTorchWeights} skips and how it reads the file's keys. */
export interface TorchWeightAssignOptions {
  /** Keys (after `keyPrefix` is removed) skipped on purpose, e.g. an ImageNet classifier. Default none. */
  ignore?: RegExp;
  /** Only file keys starting with this prefix are matched, without it; the others are ignored. Default `''`. */
  keyPrefix?: string;
  /** Said in the error when keys are missing or unexpected. Default none. */
  hint?: string;
}

const BN_TENSORS: Record<string, string> = { gamma: 'weight', beta: 'bias', moving_mean: 'running_mean', moving_variance: 'running_var' };
const CONV_CLASSES = new Set(['Conv2D', 'AtrousConv2D', 'DepthwiseConv2D', 'AtrousDepthwiseConv2D']);
const BN_CLASSES = new Set(['BatchNormalization', 'BatchNormAct']);
const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);
/** BatchNorm's step counter: state dicts carry it, tfjs has no place for it. */
export const NUM_BATCHES_TRACKED = /(^|\.)num_batches_tracked$/;

/** The leaf layers of a container, nested containers expanded. */
export function leafLayers(container: LayerContainer, out: Layer[] = []): Layer[] {
  for (const layer of container.layers) {
    const nested = (layer as unknown as Partial<LayerContainer>).layers;
    if (Array.isArray(nested)) leafLayers(layer as unknown as LayerContainer, out);
    else out.push(layer);
  }
  return out;
}

/**
 * The leaf layers of a container with their torch module paths, a nested
 * sub-model's name joined in front of its layers' (`backbone` › `layer1.0.conv1`
 * → `backbone.layer1.0.conv1`): the layout `fromTorchvision`'s models use.
 */
export function nestedModules(container: LayerContainer, prefix = ''): TorchModule[] {
  return container.layers.flatMap((layer) => {
    const nested = (layer as unknown as Partial<LayerContainer>).layers;
    if (Array.isArray(nested)) return nestedModules(layer as unknown as LayerContainer, `${prefix}${layer.name}.`);
    return [{ module: `${prefix}${layer.name}`, layer }];
  });
}

/** The weight's own name (`gamma`, `kernel`, …) without layer scope or uniquifying suffix. */
function weightName(layer: Layer, index: number): string {
  const full = layer.weights[index].originalName;
  return full.slice(full.lastIndexOf('/') + 1).replace(/_\d+$/, '');
}

/**
 * The state-dict tensors the given layers expect, by key; layers without
 * weights are skipped.
 *
 * @throws If a layer with weights is of a class without a torch counterpart,
 *   or two layers claim the same module.
 */
export function torchWeightSpecs(modules: Iterable<TorchModule>): Map<string, TorchvisionWeightSpec> {
  const specs = new Map<string, TorchvisionWeightSpec>();
  for (const { module, layer } of modules) {
    if (layer.weights.length === 0) continue;
    const className = layer.getClassName();
    const bn = BN_CLASSES.has(className);
    if (!bn && !CONV_CLASSES.has(className)) {
      throw new Error(`torch weights: layer "${layer.name}" is a ${className}, which has no torch counterpart here`);
    }
    layer.weights.forEach((w, index) => {
      const name = weightName(layer, index);
      const param = bn ? BN_TENSORS[name] : { kernel: 'weight', depthwise_kernel: 'weight', bias: 'bias' }[name];
      if (!param) throw new Error(`torch weights: layer "${layer.name}" has a weight "${name}" with no torch counterpart`);
      const key = `${module}.${param}`;
      if (specs.has(key)) throw new Error(`torch weights: two layers hold "${key}" (the second is "${layer.name}")`);
      const kernel = param === 'weight' && !bn;
      const [h, wd, i, o] = w.shape as number[];
      // tfjs kernels are HWIO (depthwise: H, W, C, multiplier), torch's OIHW (depthwise: C·multiplier, 1, H, W).
      const shape = !kernel ? [...w.shape] : name === 'kernel' ? [o, i, h, wd] : [i * o, 1, h, wd];
      specs.set(key, { key, shape: shape as number[], layer, index, transposeKernel: kernel });
    });
  }
  return specs;
}

/** Reorders an OIHW kernel to HWIO; a depthwise `[c·m, 1, h, w]` kernel comes out as `[h, w, 1, c·m]`, laid out as tfjs's `[h, w, c, m]`. */
function oihwToHwio(values: Float32Array, [o, i, h, w]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let oo = 0; oo < o; oo++) {
    for (let ii = 0; ii < i; ii++) {
      for (let hh = 0; hh < h; hh++) {
        for (let ww = 0; ww < w; ww++) {
          out[((hh * w + ww) * i + ii) * o + oo] = values[((oo * i + ii) * h + hh) * w + ww];
        }
      }
    }
  }
  return out;
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

function problemsError(source: string, lists: string[][], hint: string): Error {
  const section = (items: string[]) => {
    const shown = items.slice(0, 8);
    return shown.join('\n  ') + (items.length > shown.length ? `\n  … and ${items.length - shown.length} more` : '');
  };
  const count = lists.reduce((n, l) => n + l.length, 0);
  const parts = lists.filter((l) => l.length > 0).map(section);
  return new Error(`torch weights ${source}: ${count} problem(s), no weight was assigned${hint}:\n  ${parts.join('\n  ')}`);
}

/**
 * The prefix under which `file` holds most of `specs`' keys (`''` if it
 * holds none): `model.` for a `{'model': state_dict}` checkpoint,
 * `backbone.` for a segmentation model's backbone, … Candidates are the
 * prefixes of the file keys ending in `anchorKey`.
 *
 * @param source The file's name, for error messages.
 * @throws If several prefixes hold equally many keys, naming them.
 */
export function findKeyPrefix(specs: Map<string, TorchvisionWeightSpec>, file: SafetensorsFile, anchorKey: string, source: string): string {
  const candidates = [...file.tensors.keys()]
    .filter((k) => k.endsWith(anchorKey) && (k.length === anchorKey.length || k[k.length - anchorKey.length - 1] === '.'))
    .map((k) => k.slice(0, k.length - anchorKey.length));
  const score = (p: string) => [...specs.keys()].filter((k) => file.tensors.has(`${p}${k}`)).length;
  const ranked = candidates.map((p) => ({ p, n: score(p) })).sort((a, b) => b.n - a.n);
  const best = ranked.filter((r) => r.n === ranked[0].n);
  if (best.length > 1) {
    throw new Error(
      `torch weights ${source}: the file holds the model's keys under several prefixes (${best.map((r) => JSON.stringify(r.p)).join(', ')}); pass options.keyPrefix`,
    );
  }
  return ranked[0]?.p ?? '';
}

/**
 * Assigns a state dict's tensors to the layers `specs` describe. Every key,
 * shape and dtype is checked before the first weight is assigned, so a bad
 * file leaves the model untouched. Conv kernels are transposed OIHW → HWIO;
 * F16, BF16 and F64 become float32.
 *
 * @param source The file's name, for error messages.
 * @throws Listing every missing key (with the model's shape), unexpected key
 *   (with the file's shape), shape mismatch (both shapes) and non-float dtype.
 */
export function assignTorchWeights(
  specs: Map<string, TorchvisionWeightSpec>,
  file: SafetensorsFile,
  source: string,
  options: TorchWeightAssignOptions = {},
): TorchvisionWeightsReport {
  const keyPrefix = options.keyPrefix ?? '';
  const [missing, unexpected, mismatched, dtype]: string[][] = [[], [], [], []];
  const loaded: string[] = [];
  const ignored: string[] = [];
  const found = new Map<string, string>();
  for (const [fileKey, tensor] of file.tensors) {
    const key = fileKey.startsWith(keyPrefix) ? fileKey.slice(keyPrefix.length) : null;
    if (key === null || NUM_BATCHES_TRACKED.test(key) || options.ignore?.test(key)) {
      ignored.push(fileKey);
      continue;
    }
    const spec = specs.get(key);
    if (!spec) {
      unexpected.push(`unexpected key "${fileKey}" (file shape ${fmt(tensor.shape)}): the model has no such weight`);
    } else if (fmt(tensor.shape) !== fmt(spec.shape)) {
      mismatched.push(`key "${fileKey}": file shape ${fmt(tensor.shape)} but the model expects ${fmt(spec.shape)}`);
    } else if (!FLOAT_DTYPES.has(tensor.dtype)) {
      dtype.push(`key "${fileKey}": dtype ${tensor.dtype} is not a weight type; expected F32, F16, BF16 or F64`);
    } else {
      loaded.push(fileKey);
      found.set(key, fileKey);
    }
  }
  for (const [key, spec] of specs) {
    if (!file.tensors.has(`${keyPrefix}${key}`)) missing.push(`missing key "${keyPrefix}${key}": the model expects shape ${fmt(spec.shape)}`);
  }
  if (missing.length + unexpected.length + mismatched.length + dtype.length > 0) {
    const hint = missing.length + unexpected.length > 0 && options.hint ? ` (${options.hint})` : '';
    throw problemsError(source, [missing, unexpected, mismatched, dtype], hint);
  }
  const byLayer = new Map<Layer, TorchvisionWeightSpec[]>();
  for (const spec of specs.values()) byLayer.set(spec.layer, [...(byLayer.get(spec.layer) ?? []), spec]);
  // One layer at a time, so at most one layer's weights exist twice in memory.
  for (const [layer, layerSpecs] of byLayer) {
    const tensors: tf.Tensor[] = [];
    for (const spec of layerSpecs) {
      let values = safetensorsToFloat32(file.tensors.get(found.get(spec.key)!)!);
      if (spec.transposeKernel) values = oihwToHwio(values, spec.shape);
      tensors[spec.index] = tf.tensor(values, layer.weights[spec.index].shape as number[], 'float32');
    }
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  return { loaded, ignored };
}

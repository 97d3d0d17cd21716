import * as tf from '@tensorflow/tfjs-core';
import type { Layer } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import { readFileBytes } from '../io/node-files.js';
import { parseSafetensors, type SafetensorsFile, safetensorsToFloat32 } from '../io/safetensors.js';

/** What {@link loadTorchvisionWeights} did with the file's tensors. */
export interface TorchvisionWeightsReport {
  /** Keys assigned to the model, in file order. */
  loaded: string[];
  /** Keys deliberately skipped (`fc.*`, `*.num_batches_tracked`), in file order. */
  ignored: string[];
}

/** Options of {@link loadTorchvisionWeights}. */
export interface TorchvisionWeightsOptions {
  /**
   * Prefix of the ResNet's layer names inside the model, for a ResNet whose
   * layers were added to a bigger model under a prefix (layer
   * `backbone.layer1.0.conv1` ↔ key `layer1.0.conv1.weight` with prefix
   * `'backbone.'`). A ResNet nested as a sub-model needs none. Default `''`.
   */
  prefix?: string;
}

/** A model, or a container of layers such as a nested sub-model. */
export interface LayerContainer {
  /** The container's layers; nested containers are searched too. */
  readonly layers: Layer[];
}

/** One torchvision state-dict tensor the model expects. */
export interface TorchvisionWeightSpec {
  /** State-dict key, e.g. `layer3.5.conv2.weight`. */
  key: string;
  /** Shape in torch layout (OIHW for conv kernels). */
  shape: number[];
  /** The tfjs layer receiving it. */
  layer: Layer;
  /** Index of the weight in `layer.getWeights()`. */
  index: number;
  /** Whether the values need the OIHW → HWIO transpose. */
  transposeKernel: boolean;
}

/** torchvision ResNet modules that hold weights. */
const RESNET_MODULE = /^(conv1|bn1|layer[1-4]\.\d+\.(?:conv[1-3]|bn[1-3]|downsample\.[01]))$/;
/** torch BatchNorm2d tensors ↔ tfjs BatchNormalization weights. */
const BN_TENSORS: Record<string, string> = {
  weight: 'gamma',
  bias: 'beta',
  running_mean: 'moving_mean',
  running_var: 'moving_variance',
};
const CONV_CLASSES = new Set(['Conv2D', 'AtrousConv2D']);
const BN_CLASSES = new Set(['BatchNormalization', 'BatchNormAct']);
const IGNORED_KEY = /^fc\.|(^|\.)num_batches_tracked$/;
const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

function leafLayers(container: LayerContainer, out: Layer[] = []): Layer[] {
  for (const layer of container.layers) {
    const nested = (layer as unknown as Partial<LayerContainer>).layers;
    if (Array.isArray(nested)) leafLayers(layer as unknown as LayerContainer, out);
    else out.push(layer);
  }
  return out;
}

/** The weight's own name (`gamma`, `kernel`, …) without layer scope or uniquifying suffix. */
function weightName(layer: Layer, index: number): string {
  const full = layer.weights[index].originalName;
  return full.slice(full.lastIndexOf('/') + 1).replace(/_\d+$/, '');
}

const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * Lists the torchvision state-dict tensors that `model`'s ResNet layers
 * expect, keyed by state-dict key (see `resnet()` for the layer naming).
 *
 * @param model A model built by `resnet()`, or any model containing one
 *   (nested as a sub-model, or flattened under `options.prefix`).
 * @throws If no `conv1` layer is found, a ResNet layer name occurs twice, or
 *   a layer named like a conv/BN module is of another kind.
 */
export function torchvisionWeightSpecs(
  model: LayerContainer,
  options: TorchvisionWeightsOptions = {},
): Map<string, TorchvisionWeightSpec> {
  const prefix = options.prefix ?? '';
  const specs = new Map<string, TorchvisionWeightSpec>();
  const seen = new Set<string>();
  for (const layer of leafLayers(model)) {
    if (!layer.name.startsWith(prefix)) continue;
    const module = layer.name.slice(prefix.length);
    if (!RESNET_MODULE.test(module)) continue;
    if (seen.has(module)) {
      throw new Error(
        `torchvision weights: two layers are named "${layer.name}"; pass the ResNet sub-model itself, or a prefix that selects one`,
      );
    }
    seen.add(module);
    const className = layer.getClassName();
    const isBN = /\.bn\d$|^bn1$|downsample\.1$/.test(module);
    if (isBN !== BN_CLASSES.has(className) || (!isBN && !CONV_CLASSES.has(className))) {
      throw new Error(`torchvision weights: layer "${layer.name}" is a ${className}; expected ${isBN ? 'BatchNormalization' : 'Conv2D'}`);
    }
    layer.weights.forEach((w, index) => {
      const name = weightName(layer, index);
      let param: string | undefined;
      if (isBN) param = Object.keys(BN_TENSORS).find((k) => BN_TENSORS[k] === name);
      else param = name === 'kernel' ? 'weight' : name === 'bias' ? 'bias' : undefined;
      if (!param) throw new Error(`torchvision weights: layer "${layer.name}" has a weight "${name}" with no torchvision counterpart`);
      const kernel = !isBN && name === 'kernel';
      // tfjs kernels are HWIO, torch's OIHW.
      const shape = kernel ? [w.shape[3], w.shape[2], w.shape[0], w.shape[1]] : [...w.shape];
      specs.set(`${module}.${param}`, { key: `${module}.${param}`, shape: shape as number[], layer, index, transposeKernel: kernel });
    });
  }
  if (!seen.has('conv1')) {
    throw new Error(
      `torchvision weights: the model has no layer named "${prefix}conv1"; expected a model built by resnet() ` +
        '(or containing one), with options.prefix if its layer names are prefixed',
    );
  }
  return specs;
}

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

interface Problems {
  missing: string[];
  unexpected: string[];
  mismatched: string[];
  dtype: string[];
}

function problemsError(source: string, p: Problems): Error {
  const section = (items: string[]) => {
    const shown = items.slice(0, 8);
    return shown.join('\n  ') + (items.length > shown.length ? `\n  … and ${items.length - shown.length} more` : '');
  };
  const parts = [p.missing, p.unexpected, p.mismatched, p.dtype].filter((list) => list.length > 0).map(section);
  const count = p.missing.length + p.unexpected.length + p.mismatched.length + p.dtype.length;
  const hint =
    p.missing.length + p.unexpected.length > 0
      ? ' (missing/unexpected keys usually mean a file for another depth or block count)'
      : '';
  return new Error(
    `torchvision weights ${source}: ${count} problem(s), no weight was assigned${hint}:\n  ${parts.join('\n  ')}`,
  );
}

/**
 * Assigns the tensors of a parsed torchvision/timm ResNet safetensors file to
 * the ResNet layers of `model`: the lower-level half of
 * {@link loadTorchvisionWeights}, for callers that already hold the file.
 *
 * Every key, shape and dtype is checked before the first weight is assigned,
 * so a bad file leaves the model untouched.
 *
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
  const specs = torchvisionWeightSpecs(model, options);
  const problems: Problems = { missing: [], unexpected: [], mismatched: [], dtype: [] };
  const loaded: string[] = [];
  const ignored: string[] = [];
  for (const [key, tensor] of file.tensors) {
    if (IGNORED_KEY.test(key)) {
      ignored.push(key);
      continue;
    }
    const spec = specs.get(key);
    if (!spec) {
      problems.unexpected.push(`unexpected key "${key}" (file shape ${fmt(tensor.shape)}): the model has no such weight`);
    } else if (fmt(tensor.shape) !== fmt(spec.shape)) {
      problems.mismatched.push(`key "${key}": file shape ${fmt(tensor.shape)} but the model expects ${fmt(spec.shape)}`);
    } else if (!FLOAT_DTYPES.has(tensor.dtype)) {
      problems.dtype.push(`key "${key}": dtype ${tensor.dtype} is not a weight type; expected F32, F16, BF16 or F64`);
    } else {
      loaded.push(key);
    }
  }
  for (const [key, spec] of specs) {
    if (!file.tensors.has(key)) problems.missing.push(`missing key "${key}": the model expects shape ${fmt(spec.shape)}`);
  }
  if (Object.values(problems).some((list) => list.length > 0)) throw problemsError(source, problems);

  const byLayer = new Map<Layer, TorchvisionWeightSpec[]>();
  for (const spec of specs.values()) byLayer.set(spec.layer, [...(byLayer.get(spec.layer) ?? []), spec]);
  // One layer at a time, so at most one layer's weights exist twice in memory.
  for (const [layer, layerSpecs] of byLayer) {
    const tensors: tf.Tensor[] = [];
    for (const spec of layerSpecs) {
      let values = safetensorsToFloat32(file.tensors.get(spec.key)!);
      if (spec.transposeKernel) values = oihwToHwio(values, spec.shape);
      tensors[spec.index] = tf.tensor(values, layer.weights[spec.index].shape as number[], 'float32');
    }
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  return { loaded, ignored };
}

/**
 * Loads torchvision/timm ResNet weights (e.g. `resnet101.tv_in1k`) from a
 * `.safetensors` file into a model built by `resnet()`, or into a model that
 * contains one (nested sub-model, or flattened with `options.prefix`).
 *
 * Conv kernels are transposed OIHW → HWIO, BatchNorm `weight`/`bias`/
 * `running_mean`/`running_var` become `gamma`/`beta`/`moving_mean`/
 * `moving_variance`; `fc.*` and `num_batches_tracked` are ignored; F16, BF16
 * and F64 are converted to float32.
 *
 * @param source A file path (Node.js) or the file's bytes.
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
  const name = typeof source === 'string' ? source : '<bytes>';
  const bytes = typeof source === 'string' ? await readFileBytes(source, 'safetensors file') : source;
  return applyTorchvisionWeights(model, parseSafetensors(bytes, name), name, options);
}

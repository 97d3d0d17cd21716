import { graphOutputShapes, graphMemory, type LayerGraph, layerGraph } from '@seg/core/internals';
import type * as tfl from '@tensorflow/tfjs-layers';
import { IMAGENET_MEAN, IMAGENET_STD } from '../inference/preprocess.js';
import type { ConvertContext, WeightValues } from './convert-context.js';
import { LAYER_CONVERTERS } from './convert-layers.js';
import { OnnxGraphBuilder, type OnnxPrecision, type OnnxValue } from './onnx-graph.js';
import { getModelClasses } from '../classes/model-classes.js';
import { ONNX_METADATA_FORMAT, ONNX_METADATA_KEYS } from './onnx-metadata.js';
import { encodeOnnxModel, ONNX_DTYPE, type OnnxValueInfo } from './onnx-proto.js';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** ONNX opset of the default domain, 17 to 21. Default {@link DEFAULT_ONNX_OPSET}. */
  opset?: number;
  /**
   * How weights are stored: `'fp32'`, or `'fp16'` for kernels in half
   * precision (half the file; they are cast back to float32 when the model
   * loads, so the arithmetic stays float32). Default `'fp32'`.
   */
  precision?: OnnxPrecision;
}

/** The opset {@link exportOnnx} writes by default: the oldest it supports, so the most runtimes load it. */
export const DEFAULT_ONNX_OPSET = 17;
/** ONNX IR version for each opset export writes (the lowest that allows it). */
export const ONNX_IR_VERSIONS: Readonly<Record<number, number>> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

function resolveOptions(options: unknown): Required<ExportOnnxOptions> {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') throw new Error(`exportOnnx: options is ${String(options)}; expected an object such as { precision: 'fp16' }`);
  const { opset = DEFAULT_ONNX_OPSET, precision = 'fp32' } = options as ExportOnnxOptions;
  if (!(opset in ONNX_IR_VERSIONS)) throw new Error(`exportOnnx: options.opset is ${JSON.stringify(opset)}; expected one of ${Object.keys(ONNX_IR_VERSIONS).join(', ')}`);
  if (precision !== 'fp32' && precision !== 'fp16') throw new Error(`exportOnnx: options.precision is ${JSON.stringify(precision)}; expected 'fp32' or 'fp16'`);
  return { opset, precision };
}

/** Each layer's weights by their short name (`kernel`, `gamma`, …), read from the backend. */
async function readWeights(plan: LayerGraph): Promise<Map<tfl.layers.Layer, Map<string, WeightValues>>> {
  const out = new Map<tfl.layers.Layer, Map<string, WeightValues>>();
  for (const { layer } of plan.calls) {
    if (out.has(layer)) continue;
    const weights = new Map<string, WeightValues>();
    for (const w of layer.weights) {
      const short = w.originalName.slice(w.originalName.lastIndexOf('/') + 1).replace(/_\d+$/, '');
      weights.set(short, { values: Float32Array.from(await w.read().data()), shape: [...w.shape] as number[] });
    }
    out.set(layer, weights);
  }
  return out;
}

const dimNames = (shape: tfl.Shape, prefix: string): (number | string)[] =>
  shape.length === 4 ? ['batch', shape[3] ?? `${prefix}channels`, shape[1] ?? `${prefix}height`, shape[2] ?? `${prefix}width`] : shape.map((d, i) => d ?? (i === 0 ? 'batch' : `${prefix}d${i}`));

/** Metadata of the export: normalisation, classes, sizes (see `onnx-metadata.ts`). */
function metadata(model: tfl.LayersModel, plan: LayerGraph, precision: OnnxPrecision): Record<string, string> {
  const guard = plan.calls.find((s) => s.layer.getClassName() === 'InputSizeGuard');
  const out: Record<string, string> = {
    [ONNX_METADATA_KEYS.format]: ONNX_METADATA_FORMAT,
    [ONNX_METADATA_KEYS.layout]: 'NCHW',
    [ONNX_METADATA_KEYS.normalization]: JSON.stringify({ scale: 255, mean: IMAGENET_MEAN, std: IMAGENET_STD }),
    [ONNX_METADATA_KEYS.minInputSize]: String((guard?.layer as unknown as { minSize?: number })?.minSize ?? 1),
    [ONNX_METADATA_KEYS.precision]: precision,
    [ONNX_METADATA_KEYS.sourceModel]: model.name,
  };
  const classes = getModelClasses(model);
  if (classes) out[ONNX_METADATA_KEYS.classes] = JSON.stringify(classes);
  const output = model.outputs[0].shape;
  if (model.outputs.length === 1 && output.length === 4 && output[3] != null) out[ONNX_METADATA_KEYS.numClasses] = String(output[3]);
  const [, h, w, c] = model.inputs[0].shape;
  if (model.inputs.length === 1 && c != null) {
    const [height, width] = [h ?? 512, w ?? 512];
    try {
      const { peakBytes } = graphMemory(plan, [[1, height, width, c]]);
      out[ONNX_METADATA_KEYS.peakBytesPerPixel] = String(Math.ceil(peakBytes / (height * width)));
    } catch {
      // A model that cannot be sized from shapes alone is exported without the estimate.
    }
  }
  return out;
}

/**
 * Converts a tfjs-layers model built from @seg's layers and the tfjs layers
 * they use (DeepLabV3+ on every backbone, output stride and head, the bare
 * backbones, ASPP; convolutions, batch norm, pooling, resizes, merges,
 * activations, dense, reshape and flatten in general) to the bytes of an
 * ONNX model: opset 17 by default (IR version 8), dynamic batch, height and
 * width, weights inside the file.
 *
 * Layout: channels-first (`NCHW`) input and output, the layout of ONNX's
 * own operators and of every other ONNX vision model, so a consumer feeds it
 * as it feeds a PyTorch export and the runtime inserts no transposes. A
 * single image input is named `image` (float32 `[N, 3, H, W]`,
 * ImageNet-normalised RGB as {@link preprocess} makes it, in NCHW order); a
 * single output `logits` (`[N, classes, H, W]` for DeepLabV3+). The model's
 * metadata states the layout, the normalisation, the number of classes and
 * the smallest input size (see `ONNX_METADATA_KEYS`).
 *
 * @throws Naming the layer and its class, if a layer has no ONNX form here;
 *   naming the option, if one is invalid.
 *
 * @example
 * ```ts
 * const bytes = await exportOnnx(model, { precision: 'fp16' });
 * await writeFile('model.onnx', bytes);
 * ```
 */
export async function exportOnnx(model: tfl.LayersModel, options: ExportOnnxOptions = {}): Promise<Uint8Array> {
  const { opset, precision } = resolveOptions(options);
  const plan = layerGraph(model);
  for (const { layer, path } of plan.calls) {
    if (!LAYER_CONVERTERS[layer.getClassName()]) {
      throw new Error(`exportOnnx: layer "${path}" (class ${layer.getClassName()}) cannot be exported to ONNX; classes that export: ${Object.keys(LAYER_CONVERTERS).join(', ')}`);
    }
  }
  const weights = await readWeights(plan);
  const g = new OnnxGraphBuilder(precision);
  const values: OnnxValue[] = [];
  // Graph inputs and outputs keep their names; layer nodes are named after layer paths, which may clash.
  const outputNames = model.outputs.map((_, i) => g.reserve(model.outputs.length === 1 ? 'logits' : model.outputNames[i]));
  const inputs: OnnxValueInfo[] = model.inputs.map((t, i) => {
    const name = g.reserve(model.inputs.length === 1 ? 'image' : model.inputNames[i]);
    values[plan.inputs[i]] = { name, layout: t.shape.length === 4 ? 'nchw' : 'nhwc', rank: t.shape.length };
    return { name, elemType: ONNX_DTYPE.FLOAT, dims: dimNames(t.shape, '') };
  });
  for (const step of plan.calls) {
    const own = weights.get(step.layer) as Map<string, WeightValues>;
    const context: ConvertContext = {
      g,
      layer: step.layer,
      config: step.layer.getConfig(),
      path: step.path,
      inputs: step.inputs.map((s) => values[s]),
      weight: (name) => own.get(name),
      fail: (reason) => {
        throw new Error(`exportOnnx: layer "${step.path}" (class ${step.layer.getClassName()}) cannot be exported: ${reason}`);
      },
    };
    const outs = LAYER_CONVERTERS[step.layer.getClassName()](context);
    step.outputs.forEach((slot, i) => {
      values[slot] = outs[i];
    });
  }
  const sameSize = model.outputs.length === 1 && model.inputs.length === 1 && sizesMatch(model, plan);
  const outputs: OnnxValueInfo[] = model.outputs.map((t, i) => {
    const name = outputNames[i];
    const v = g.toNchw(values[plan.outputs[i]], name);
    g.nodes.push({ opType: 'Identity', name: g.unique(`${name}.identity`), inputs: [v.name], outputs: [name], attributes: [] });
    return { name, elemType: ONNX_DTYPE.FLOAT, dims: dimNames(t.shape, sameSize ? '' : `${name}_`) };
  });
  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSIONS[opset],
    opset,
    producerName: '@seg/deeplab',
    producerVersion: ONNX_METADATA_FORMAT,
    docString: `${model.name}, exported from TensorFlow.js by @seg/deeplab's exportOnnx`,
    metadata: metadata(model, plan, precision),
    graph: { name: model.name, nodes: g.nodes, initializers: g.initializers, inputs, outputs },
  });
}

/** Whether the model's output has its input's height and width (DeepLabV3+'s logits do). */
function sizesMatch(model: tfl.LayersModel, plan: LayerGraph): boolean {
  const [, h, w, c] = model.inputs[0].shape;
  const [height, width] = [h ?? 97, w ?? 129];
  try {
    const [out] = graphOutputShapes(plan, [[1, height, width, c ?? 3]]);
    return out.length === 4 && out[1] === height && out[2] === width;
  } catch {
    return false;
  }
}

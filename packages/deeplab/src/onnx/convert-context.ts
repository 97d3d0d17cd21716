import type { serialization } from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { littleEndian } from './float16.js';
import type { OnnxGraphBuilder, OnnxValue } from './onnx-graph.js';
import { ONNX_DTYPE } from './onnx-proto.js';

/** A weight's values and tfjs shape. */
export interface WeightValues {
  values: Float32Array;
  shape: number[];
}

/** What a layer converter gets: the graph, the layer, its inputs as ONNX values. */
export interface ConvertContext {
  readonly g: OnnxGraphBuilder;
  readonly layer: tfl.layers.Layer;
  /** `layer.getConfig()`. */
  readonly config: serialization.ConfigDict;
  /** The layer's path in the model (nested model names included): names its nodes. */
  readonly path: string;
  readonly inputs: readonly OnnxValue[];
  /** The weight named `kernel`, `bias`, `gamma`… (tfjs's name without the layer prefix), if the layer has it. */
  weight(name: string): WeightValues | undefined;
  /** Throws an error naming the layer, its class and `reason`. */
  fail(reason: string): never;
}

/** Turns one tfjs layer call into ONNX nodes; returns its outputs in order. */
export type LayerConverter = (c: ConvertContext) => OnnxValue[];

/** The weight `name` of the layer, or an error naming it. */
export function required(c: ConvertContext, name: string): WeightValues {
  return c.weight(name) ?? c.fail(`it has no "${name}" weight`);
}

/** A numeric pair from a layer config (`kernelSize: 3` or `[3, 3]`). */
export function pair(value: unknown): [number, number] {
  return Array.isArray(value) ? [value[0], value[1]] : [value as number, value as number];
}

/** Appends the ONNX form of a tfjs activation (`'linear'` adds nothing) to `v`. */
export function activation(c: ConvertContext, v: OnnxValue, name: unknown): OnnxValue {
  const at = (op: string, attributes: Parameters<OnnxGraphBuilder['op']>[3] = []) => ({ ...v, name: c.g.op(op, [v.name], `${c.path}.${name}`, attributes) });
  switch (name ?? 'linear') {
    case 'linear':
      return v;
    case 'relu':
      return at('Relu');
    case 'relu6':
      return { ...v, name: c.g.op('Clip', [v.name, scalar(c, 'min', 0), scalar(c, 'max', 6)], `${c.path}.relu6`) };
    case 'sigmoid':
      return at('Sigmoid');
    case 'tanh':
      return at('Tanh');
    case 'elu':
      return at('Elu');
    case 'selu':
      return at('Selu', [
        { name: 'alpha', f: 1.6732632423543772 },
        { name: 'gamma', f: 1.0507009873554805 },
      ]);
    case 'softplus':
      return at('Softplus');
    case 'softsign':
      return at('Softsign');
    case 'hardSigmoid':
      return at('HardSigmoid', [
        { name: 'alpha', f: 0.2 },
        { name: 'beta', f: 0.5 },
      ]);
    case 'softmax':
      return at('Softmax', [{ name: 'axis', i: c.g.axis(v, -1) }]);
    case 'swish':
      return { ...v, name: c.g.op('Mul', [v.name, c.g.op('Sigmoid', [v.name], `${c.path}.swish.sigmoid`)], `${c.path}.swish`) };
    default:
      return c.fail(`its activation ${JSON.stringify(name)} has no ONNX form here; use linear, relu, relu6, sigmoid, tanh, elu, selu, softplus, softsign, hardSigmoid, softmax or swish`);
  }
}

/** A float32 scalar constant. */
export function scalar(c: ConvertContext, name: string, value: number): string {
  const id = c.g.unique(`${c.path}.${name}`);
  c.g.initializers.push({ name: id, dims: [], dataType: ONNX_DTYPE.FLOAT, rawData: littleEndian(Float32Array.of(value)) });
  return id;
}

import { float16Bytes, littleEndian } from './float16.js';
import { ONNX_DTYPE, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnx-proto.js';

/** How weights are stored: float32, or float16 cast back to float32 on load. */
export type OnnxPrecision = 'fp32' | 'fp16';

/**
 * A value of the ONNX graph and its layout: `nchw` for a rank-4 tfjs tensor
 * (NHWC in tfjs) stored channels-first, `nhwc` for one in tfjs's own axis
 * order (any rank), as a `Reshape` or `Flatten` needs it.
 */
export interface OnnxValue {
  name: string;
  layout: 'nchw' | 'nhwc';
  rank: number;
}

/** Position of tfjs's NHWC axis `axis` in an NCHW tensor. */
export const NCHW_AXIS_OF_NHWC = [0, 2, 3, 1] as const;

/** Collects nodes and initializers, and names them uniquely. */
export class OnnxGraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly used = new Set<string>();

  constructor(readonly precision: OnnxPrecision) {}

  /** `base`, or `base_2`, `base_3`… if taken. */
  unique(base: string): string {
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Reserves `name` (a graph input), which must be free. */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`exportOnnx: the name "${name}" is used twice`);
    this.used.add(name);
    return name;
  }

  /** Adds a node named after `name` and returns its output names. */
  node(opType: string, inputs: readonly string[], name: string, attributes: readonly OnnxAttribute[] = [], outputs = 1): string[] {
    const nodeName = this.unique(name);
    const outs = Array.from({ length: outputs }, (_, i) => (outputs === 1 ? nodeName : this.unique(`${nodeName}:${i}`)));
    this.nodes.push({ opType, name: nodeName, inputs, outputs: outs, attributes });
    return outs;
  }

  /** A single-output node; returns its output name. */
  op(opType: string, inputs: readonly string[], name: string, attributes: readonly OnnxAttribute[] = []): string {
    return this.node(opType, inputs, name, attributes)[0];
  }

  /**
   * A float32 weight. With `fp16` precision, tensors of rank 2 or more (the
   * kernels: nearly all the bytes) are stored as float16 and cast back, so
   * the file halves while the arithmetic stays float32; vectors (biases,
   * batch-norm statistics, whose variances can sit below float16's normal
   * range) stay float32.
   */
  weight(name: string, values: Float32Array, dims: readonly number[]): string {
    if (this.precision === 'fp16' && dims.length >= 2) {
      const stored = this.unique(`${name}.fp16`);
      this.initializers.push({ name: stored, dims, dataType: ONNX_DTYPE.FLOAT16, rawData: float16Bytes(values) });
      return this.op('Cast', [stored], name, [{ name: 'to', i: ONNX_DTYPE.FLOAT }]);
    }
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims, dataType: ONNX_DTYPE.FLOAT, rawData: littleEndian(Float32Array.from(values)) });
    return unique;
  }

  /** An int64 vector constant (shapes, pads, axes). */
  int64s(name: string, values: readonly number[]): string {
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims: [values.length], dataType: ONNX_DTYPE.INT64, rawData: littleEndian(BigInt64Array.from(values.map(BigInt))) });
    return unique;
  }

  /** A float32 vector constant that is not a weight (never stored as float16). */
  floats(name: string, values: readonly number[]): string {
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims: [values.length], dataType: ONNX_DTYPE.FLOAT, rawData: littleEndian(Float32Array.from(values)) });
    return unique;
  }

  /** `v` in channels-first layout (a no-op unless it is a rank-4 `nhwc` value). */
  toNchw(v: OnnxValue, name: string): OnnxValue {
    if (v.layout === 'nchw' || v.rank !== 4) return v;
    return { name: this.op('Transpose', [v.name], `${name}.to_nchw`, [{ name: 'perm', ints: [0, 3, 1, 2] }]), layout: 'nchw', rank: 4 };
  }

  /** `v` in tfjs's own axis order. */
  toNhwc(v: OnnxValue, name: string): OnnxValue {
    if (v.layout === 'nhwc') return v;
    return { name: this.op('Transpose', [v.name], `${name}.to_nhwc`, [{ name: 'perm', ints: [0, 2, 3, 1] }]), layout: 'nhwc', rank: 4 };
  }

  /** The ONNX axis of tfjs axis `axis` (negative counts from the end) in `v`'s layout. */
  axis(v: OnnxValue, axis: number): number {
    const a = axis < 0 ? v.rank + axis : axis;
    return v.layout === 'nchw' ? NCHW_AXIS_OF_NHWC[a] : a;
  }
}

/**
 * Atrous Spatial Pyramid Pooling (Chen et al., DeepLabV3, 2017), laid out and
 * named like torchvision's `torchvision.models.segmentation.deeplabv3.ASPP`
 * so its state dict maps onto the layers mechanically:
 *
 * | layer | torchvision module |
 * | --- | --- |
 * | `convs.0.0` / `.1` | 1×1 conv / BN + ReLU |
 * | `convs.{1,2,3}.0` / `.1` | 3×3 atrous conv (rate i) / BN + ReLU |
 * | `convs.4.0` … `convs.4.2` | image pooling: global average pool / 1×1 conv / BN + ReLU |
 * | `convs.4.resize` | bilinear back to the input's size (`F.interpolate`) |
 * | `concat`, `project.0`, `.1`, `.3` | concatenation, 1×1 conv / BN + ReLU / dropout |
 *
 * torchvision's separate ReLU modules (`convs.0.2`, …) live inside the
 * preceding `BatchNormAct` layer, which keeps a training step lean.
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { atrousConv2d } from './atrous-conv2d.js';
import { atrousSeparableConv2d } from './atrous-separable-conv2d.js';
import { batchNormAct } from './batch-norm-act.js';
import { resizeBilinear } from './resize-bilinear.js';

type Sym = tfl.SymbolicTensor;

/** Atrous rates of DeepLabV3 at output stride 16; they scale with 16 / outputStride. */
export const ASPP_RATES_OS16: readonly [number, number, number] = [6, 12, 18];

/** Configuration of {@link aspp}. */
export interface ASPPConfig {
  /** Channels of the feature map the block receives (2048 for ResNet-50/101). Required. */
  inputChannels: number;
  /**
   * Output stride of the incoming features; picks the default `rates`
   * (`[6, 12, 18]` at 16, `[12, 24, 36]` at 8, `[3, 6, 9]` at 32). Default `16`.
   */
  outputStride?: 8 | 16 | 32;
  /** Atrous rates of the three 3×3 branches. Default from `outputStride`. */
  rates?: [number, number, number];
  /** Filters of every branch and of the projection. Default `256`. */
  filters?: number;
  /**
   * Whether the 3×3 branches are depthwise-separable (DeepLabV3+'s
   * Xception-style ASPP: depthwise atrous 3×3 + pointwise 1×1). Default `false`.
   */
  separable?: boolean;
  /** Dropout rate after the projection. Default `0.5`. */
  dropout?: number;
  /** Model name. Default `'aspp'`. */
  name?: string;
}

/** torch's BN (epsilon, momentum) and the ReLU after it, as one layer: training keeps only the BN input. */
function bnRelu(x: Sym, prefix: string, bnIndex: number): Sym {
  return batchNormAct({ activation: 'relu', name: `${prefix}.${bnIndex}` }).apply(x) as Sym;
}

/** An {@link atrousConv2d} like every conv here: on wasm it trains faster than `tf.layers.conv2d` (bench/README.md). */
function conv1x1(x: Sym, filters: number, name: string): Sym {
  return atrousConv2d({ filters, kernelSize: 1, useBias: false, kernelInitializer: 'heNormal', name }).apply(x) as Sym;
}

function atrousBranch(x: Sym, filters: number, rate: number, separable: boolean, prefix: string): Sym {
  const common = { kernelSize: 3, padding: 'same' as const, dilationRate: rate, useBias: false, name: `${prefix}.0` };
  const conv = separable
    ? atrousSeparableConv2d({ ...common, filters, depthwiseInitializer: 'heNormal', pointwiseInitializer: 'heNormal' })
    : atrousConv2d({ ...common, filters, kernelInitializer: 'heNormal' });
  return bnRelu(conv.apply(x) as Sym, prefix, 1);
}

function validate(config: ASPPConfig): Required<ASPPConfig> {
  const outputStride = config.outputStride ?? 16;
  if (![8, 16, 32].includes(outputStride)) {
    throw new Error(`aspp: outputStride ${outputStride} is not supported; use 8, 16 or 32`);
  }
  const full: Required<ASPPConfig> = {
    inputChannels: config.inputChannels,
    outputStride,
    rates: config.rates ?? (ASPP_RATES_OS16.map((r) => (r * 16) / outputStride) as [number, number, number]),
    filters: config.filters ?? 256,
    separable: config.separable ?? false,
    dropout: config.dropout ?? 0.5,
    name: config.name ?? 'aspp',
  };
  if (!Number.isInteger(full.inputChannels) || full.inputChannels < 1) {
    throw new Error(`aspp: inputChannels must be a positive integer (the backbone's high-level channels), got ${full.inputChannels}`);
  }
  if (full.rates.length !== 3 || !full.rates.every((r) => Number.isInteger(r) && r >= 1)) {
    throw new Error(`aspp: rates must be three positive integers, got ${JSON.stringify(full.rates)}`);
  }
  if (!Number.isInteger(full.filters) || full.filters < 1) {
    throw new Error(`aspp: filters must be a positive integer, got ${full.filters}`);
  }
  if (!(full.dropout >= 0 && full.dropout < 1)) throw new Error(`aspp: dropout must be in [0, 1), got ${full.dropout}`);
  return full;
}

/**
 * Builds an ASPP block as a `tf.LayersModel` that maps
 * `[batch, h, w, inputChannels]` to `[batch, h, w, filters]` for any `h × w`;
 * apply it to a symbolic tensor to use it as a layer. See the module notes
 * for the layer names.
 *
 * @example
 * ```ts
 * const head = aspp({ inputChannels: 2048, outputStride: 8 });
 * const features = head.apply(high) as tf.SymbolicTensor;
 * ```
 */
export function aspp(config: ASPPConfig): tfl.LayersModel {
  const { inputChannels, rates, filters, separable, dropout, name } = validate(config);
  const input = tfl.input({ shape: [null, null, inputChannels], name: `${name}_input` });
  const branches = [bnRelu(conv1x1(input, filters, 'convs.0.0'), 'convs.0', 1)];
  rates.forEach((rate, i) => {
    branches.push(atrousBranch(input, filters, rate, separable, `convs.${i + 1}`));
  });
  let pooled = tfl.layers.globalAveragePooling2d({ name: 'convs.4.0' }).apply(input) as Sym;
  pooled = tfl.layers.reshape({ targetShape: [1, 1, inputChannels], name: 'convs.4.0.reshape' }).apply(pooled) as Sym;
  pooled = bnRelu(conv1x1(pooled, filters, 'convs.4.1'), 'convs.4', 2);
  // The input's size is only known at run time, so resize to "the size of that tensor".
  branches.push(resizeBilinear({ name: 'convs.4.resize' }).apply([pooled, input]) as Sym);

  const concat = tfl.layers.concatenate({ axis: -1, name: 'concat' }).apply(branches) as Sym;
  let y = bnRelu(conv1x1(concat, filters, 'project.0'), 'project', 1);
  y = tfl.layers.dropout({ rate: dropout, name: 'project.3' }).apply(y) as Sym;
  return tfl.model({ inputs: input, outputs: y, name });
}

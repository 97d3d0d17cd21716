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
 * | `convs.{0..3}.dropout`, `convs.4.dropout` | spatial dropout after each branch (only when `branchDropout > 0`) |
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { atrousConv2d } from './atrous-conv2d.js';
import { atrousSeparableConv2d } from './atrous-separable-conv2d.js';
import { batchNormAct } from './batch-norm-act.js';
import { checkOutputStride, DEFAULT_OUTPUT_STRIDE, type OutputStride } from './output-stride.js';
import { resizeBilinear } from './resize-bilinear.js';

type Sym = tfl.SymbolicTensor;

/** Atrous rates of DeepLabV3 at output stride 16; they scale with 16 / outputStride. */
export const ASPP_RATES_OS16: readonly [number, number, number] = [6, 12, 18];

/**
 * The paper's atrous rates at `outputStride`: {@link ASPP_RATES_OS16} scaled
 * by 16 / outputStride, so the field of view stays the same (Chen et al. 2017).
 */
export function asppRatesFor(outputStride: OutputStride): [number, number, number] {
  return ASPP_RATES_OS16.map((r) => (r * 16) / outputStride) as [number, number, number];
}

/** Filters of every ASPP branch and of its projection (Chen et al. 2017; torchvision's `out_channels`). */
export const DEFAULT_ASPP_FILTERS = 256;

/** Dropout after the ASPP projection, as torchvision's ASPP and the reference implementations. */
export const DEFAULT_ASPP_DROPOUT = 0.5;

/** Configuration of {@link aspp}. */
export interface ASPPOptions {
  /** Channels of the feature map the block receives (2048 for ResNet-50/101). Required. */
  inputChannels: number;
  /**
   * Output stride of the incoming features; picks the default `rates`
   * ({@link asppRatesFor}: `[6, 12, 18]` at 16, `[12, 24, 36]` at 8, `[3, 6, 9]` at 32).
   * Default `DEFAULT_OUTPUT_STRIDE` (16).
   */
  outputStride?: OutputStride;
  /** Atrous rates of the three 3×3 branches. Default from `outputStride`. */
  rates?: [number, number, number];
  /** Filters of every branch and of the projection. Default {@link DEFAULT_ASPP_FILTERS} (256). */
  filters?: number;
  /**
   * Whether the 3×3 branches are depthwise-separable (DeepLabV3+'s
   * Xception-style ASPP: depthwise atrous 3×3 + pointwise 1×1). Default `false`.
   */
  separable?: boolean;
  /** Dropout rate after the projection. Default {@link DEFAULT_ASPP_DROPOUT} (0.5). */
  dropout?: number;
  /**
   * Whether the projection's dropout drops whole channels per sample (PyTorch's
   * `Dropout2d`) instead of single activations (`Dropout`, torchvision's ASPP).
   * Default `false`.
   */
  spatialDropout?: boolean;
  /**
   * Spatial dropout rate (whole channels, as `Dropout2d`) after each of the
   * five branches, before concatenation. Default `0` (none, as in the paper).
   */
  branchDropout?: number;
  /**
   * Whether the branch and projection convolutions carry a bias. The batch
   * norm after each makes it redundant, hence default `false`; some
   * reimplementations kept PyTorch's `Conv2d` default (`true`).
   */
  useBias?: boolean;
  /** Model name. Default `'aspp'`. */
  name?: string;
}

/** @deprecated Renamed {@link ASPPOptions}. */
export type ASPPConfig = ASPPOptions;

/** torch's BN (epsilon, momentum) and the ReLU after it, as one layer: training keeps only the BN input. */
function bnRelu(x: Sym, prefix: string, bnIndex: number): Sym {
  return batchNormAct({ activation: 'relu', name: `${prefix}.${bnIndex}` }).apply(x) as Sym;
}

/** An {@link atrousConv2d} like every conv here: on wasm it trains faster than `tf.layers.conv2d` (bench/README.md). */
function conv1x1(x: Sym, filters: number, name: string, useBias = false): Sym {
  return atrousConv2d({ filters, kernelSize: 1, useBias, kernelInitializer: 'heNormal', name }).apply(x) as Sym;
}

/**
 * Dropout of whole channels per sample, PyTorch's `Dropout2d`: a standard
 * `Dropout` whose noise shape broadcasts over height and width, so the model
 * still saves and loads with stock tfjs-layers.
 */
export function spatialDropout2d(rate: number, name: string): tfl.layers.Layer {
  // tfjs types noiseShape as number[], but like Keras it reads a null entry as "the input's size there".
  return tfl.layers.dropout({ rate, noiseShape: [null, 1, 1, null] as unknown as number[], name });
}

function maybeDropout(x: Sym, rate: number, name: string): Sym {
  return rate > 0 ? (spatialDropout2d(rate, name).apply(x) as Sym) : x;
}

function atrousBranch(x: Sym, filters: number, rate: number, separable: boolean, useBias: boolean, prefix: string): Sym {
  const common = { kernelSize: 3, padding: 'same' as const, dilationRate: rate, useBias, name: `${prefix}.0` };
  const conv = separable
    ? atrousSeparableConv2d({ ...common, filters, depthwiseInitializer: 'heNormal', pointwiseInitializer: 'heNormal' })
    : atrousConv2d({ ...common, filters, kernelInitializer: 'heNormal' });
  return bnRelu(conv.apply(x) as Sym, prefix, 1);
}

/** The ASPP's tunable options: everything of {@link ASPPOptions} but what the surrounding model decides (input channels, output stride, name). */
export type ASPPHeadOptions = Omit<ASPPOptions, 'inputChannels' | 'outputStride' | 'name'>;

/**
 * Fills in the defaults of `options` at `outputStride` and checks every field:
 * the one checker of ASPP options, shared by {@link aspp} and models that
 * take ASPP options (deeplab's `config.aspp`).
 *
 * @param where Prefix of error messages naming the options, e.g. `'aspp: '` or `'deeplabV3Plus: config.aspp.'`.
 * @throws Naming the field, its value and the valid values.
 */
export function resolveAsppOptions(options: ASPPHeadOptions, outputStride: OutputStride, where: string): Required<ASPPHeadOptions> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${where.replace(/\.$/, '')} is ${JSON.stringify(options)}; expected an object of ASPP options such as { rates: [6, 12, 18] }`);
  }
  const known: readonly (keyof ASPPHeadOptions)[] = ['rates', 'filters', 'separable', 'dropout', 'spatialDropout', 'branchDropout', 'useBias'];
  const unknown = Object.keys(options).find((k) => !(known as readonly string[]).includes(k));
  if (unknown !== undefined) throw new Error(`${where}${unknown} is not an ASPP option; expected one of ${known.join(', ')}`);
  const full: Required<ASPPHeadOptions> = {
    rates: options.rates ?? asppRatesFor(outputStride),
    filters: options.filters ?? DEFAULT_ASPP_FILTERS,
    separable: options.separable ?? false,
    dropout: options.dropout ?? DEFAULT_ASPP_DROPOUT,
    spatialDropout: options.spatialDropout ?? false,
    branchDropout: options.branchDropout ?? 0,
    useBias: options.useBias ?? false,
  };
  const fail = (field: string, value: unknown, expected: string): never => {
    throw new Error(`${where}${field} is ${JSON.stringify(value)}; expected ${expected}`);
  };
  const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  const rate = (v: unknown) => typeof v === 'number' && v >= 0 && v < 1;
  if (!Array.isArray(full.rates) || full.rates.length !== 3 || !full.rates.every(positiveInt)) fail('rates', full.rates, 'three positive integers, e.g. [6, 12, 18]');
  if (!positiveInt(full.filters)) fail('filters', full.filters, 'a positive integer');
  for (const flag of ['separable', 'spatialDropout', 'useBias'] as const) {
    if (typeof full[flag] !== 'boolean') fail(flag, full[flag], 'true or false');
  }
  if (!rate(full.dropout)) fail('dropout', full.dropout, 'a rate in [0, 1)');
  if (!rate(full.branchDropout)) fail('branchDropout', full.branchDropout, 'a rate in [0, 1)');
  return { ...full, rates: [...full.rates] };
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
export function aspp(config: ASPPOptions): tfl.LayersModel {
  const { inputChannels, outputStride: stride, name = 'aspp', ...head } = config;
  const outputStride = checkOutputStride('aspp: outputStride', stride ?? DEFAULT_OUTPUT_STRIDE);
  if (!Number.isInteger(inputChannels) || inputChannels < 1) {
    throw new Error(`aspp: inputChannels must be a positive integer (the backbone's high-level channels), got ${inputChannels}`);
  }
  const { rates, filters, separable, dropout, spatialDropout, branchDropout, useBias } = resolveAsppOptions(head, outputStride, 'aspp: ');
  const input = tfl.input({ shape: [null, null, inputChannels], name: `${name}_input` });
  const branches = [maybeDropout(bnRelu(conv1x1(input, filters, 'convs.0.0', useBias), 'convs.0', 1), branchDropout, 'convs.0.dropout')];
  rates.forEach((rate, i) => {
    const branch = atrousBranch(input, filters, rate, separable, useBias, `convs.${i + 1}`);
    branches.push(maybeDropout(branch, branchDropout, `convs.${i + 1}.dropout`));
  });
  let pooled = tfl.layers.globalAveragePooling2d({ name: 'convs.4.0' }).apply(input) as Sym;
  pooled = tfl.layers.reshape({ targetShape: [1, 1, inputChannels], name: 'convs.4.0.reshape' }).apply(pooled) as Sym;
  pooled = bnRelu(conv1x1(pooled, filters, 'convs.4.1', useBias), 'convs.4', 2);
  // Dropped before the broadcast: a channel of the pooled 1×1 map is the whole channel after it.
  pooled = maybeDropout(pooled, branchDropout, 'convs.4.dropout');
  // The input's size is only known at run time, so resize to "the size of that tensor".
  branches.push(resizeBilinear({ name: 'convs.4.resize' }).apply([pooled, input]) as Sym);

  const concat = tfl.layers.concatenate({ axis: -1, name: 'concat' }).apply(branches) as Sym;
  let y = bnRelu(conv1x1(concat, filters, 'project.0', useBias), 'project', 1);
  y = (spatialDropout ? spatialDropout2d(dropout, 'project.3') : tfl.layers.dropout({ rate: dropout, name: 'project.3' })).apply(y) as Sym;
  return tfl.model({ inputs: input, outputs: y, name });
}

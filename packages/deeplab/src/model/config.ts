import { type ASPPHeadOptions, BACKBONE_NAMES, type BackboneName, type BackboneOptionsByName, DEFAULT_ASPP_FILTERS, DEFAULT_OUTPUT_STRIDE, OUTPUT_STRIDES, type OutputStride } from '@seg/core';
import { checkBackboneOptions, checkOutputStride, resolveAsppOptions } from '@seg/core/internals';

/** An output stride DeepLabV3+ is built at. */
export type DeepLabOutputStride = Exclude<OutputStride, 32>;

/**
 * Output strides DeepLabV3+ is built at: `@seg/core`'s `OUTPUT_STRIDES` but
 * 32. The model runs its ASPP at stride 16 or 8; at 32 a {@link MIN_INPUT_SIZE}
 * input would leave the ASPP a single pixel.
 */
export const DEEPLAB_OUTPUT_STRIDES: readonly DeepLabOutputStride[] = OUTPUT_STRIDES.filter((s): s is DeepLabOutputStride => s !== 32);

/** The paper's trunk for the reference run. */
export const DEFAULT_BACKBONE: BackboneName = 'resnet101';

/** Channels of the 1x1 low-level projection: 48, so the low-level features do not outweigh the ASPP's (Chen et al. 2018, Table 1). */
export const DEFAULT_LOW_LEVEL_CHANNELS = 48;

/** Channels of the ASPP output and of the decoder's two 3x3 convolutions (`config.aspp.filters`): one width for both, the ASPP's (256 in the paper). */
export const DEFAULT_DECODER_CHANNELS = DEFAULT_ASPP_FILTERS;

/** Smallest supported input side: 32 px still leaves 2 px of stride-16 features for the ASPP and 8 px of low-level features. */
export const MIN_INPUT_SIZE = 32;

/**
 * Configuration of {@link deeplabV3Plus}; `B` is the backbone, which types
 * `backboneOptions` (`BackboneOptionsByName` of `@seg/core`).
 */
export interface DeepLabV3PlusConfig<B extends BackboneName = BackboneName> {
  /** Trunk network: any backbone of `@seg/core`'s registry (`BACKBONE_NAMES`). Default {@link DEFAULT_BACKBONE} (`'resnet101'`). */
  backbone?: B;
  /** One of {@link DEEPLAB_OUTPUT_STRIDES} (8 or 16). Default `DEFAULT_OUTPUT_STRIDE` of `@seg/core` (16). */
  outputStride?: DeepLabOutputStride;
  /** Number of classes of the logits. Required. */
  numClasses: number;
  /** `[height | null, width | null, 3]`; `null` sides accept any size of at least 32 px. Default `[null, null, 3]`. */
  inputShape?: [number | null, number | null, 3];
  /**
   * Options of the ASPP, under the names of `aspp()` of `@seg/core`: `rates`
   * (default: the paper's for the output stride, `asppRatesFor`: 6/12/18 at 16,
   * 12/24/36 at 8), `filters` (channels of the ASPP output and of the decoder
   * convolutions, default {@link DEFAULT_DECODER_CHANNELS}, 256), `separable`
   * (default `false`), `dropout` (after the projection, default 0.5),
   * `spatialDropout` (default `false`), `branchDropout` (default 0) and
   * `useBias` (default `false`).
   */
  aspp?: ASPPHeadOptions;
  /** Channels of the low-level projection. Default {@link DEFAULT_LOW_LEVEL_CHANNELS} (48). */
  lowLevelChannels?: number;
  /**
   * Spatial dropout rates (as `Dropout2d`) in the decoder: after the low-level
   * projection, after the first and after the second 3x3 fusion convolution.
   * Default `[0, 0, 0]` (the paper uses none).
   */
  decoderDropout?: [number, number, number];
  /**
   * The backbone's own options, handed to `@seg/core`'s `getBackbone` (e.g.
   * `{ baseWidth: 8 }` for a narrow ResNet, `{ widthMultiplier: 0.5 }` for
   * MobileNetV3); another backbone's option is an error. Default none.
   */
  backboneOptions?: BackboneOptionsByName[B];
  /**
   * Seed of the initial weights: the same seed builds the same weights
   * (every initializer draws from it, see `withSeededRandom` of `@seg/core`).
   * Default none: other weights at every build.
   */
  seed?: number;
  /** @deprecated Use `aspp.rates`; accepted until the next major release. */
  asppRates?: [number, number, number];
  /** @deprecated Use `aspp.separable`; accepted until the next major release. */
  separableAspp?: boolean;
  /** @deprecated Use `aspp.filters`; accepted until the next major release. */
  decoderChannels?: number;
  /** @deprecated Use `aspp.dropout`; accepted until the next major release. */
  dropout?: number;
  /** @deprecated Use `aspp.spatialDropout`; accepted until the next major release. */
  spatialDropout?: boolean;
  /** @deprecated Use `aspp.branchDropout`; accepted until the next major release. */
  asppBranchDropout?: number;
  /** @deprecated Use `aspp.useBias`; accepted until the next major release. */
  asppBias?: boolean;
}

/**
 * The flat ASPP keys of {@link DeepLabV3PlusConfig} before `aspp` (deprecated)
 * and their name under `config.aspp`: configs saved before still build.
 */
export const DEPRECATED_ASPP_KEYS = {
  asppRates: 'rates',
  separableAspp: 'separable',
  decoderChannels: 'filters',
  dropout: 'dropout',
  spatialDropout: 'spatialDropout',
  asppBranchDropout: 'branchDropout',
  asppBias: 'useBias',
} as const satisfies Record<string, keyof ASPPHeadOptions>;

export type DeprecatedAsppKey = keyof typeof DEPRECATED_ASPP_KEYS;

/** The current keys of {@link DeepLabV3PlusConfig}. */
const CONFIG_KEYS = [
  'backbone',
  'outputStride',
  'numClasses',
  'inputShape',
  'aspp',
  'lowLevelChannels',
  'decoderDropout',
  'backboneOptions',
  'seed',
] as const satisfies readonly Exclude<keyof DeepLabV3PlusConfig, DeprecatedAsppKey>[];

/**
 * `config.aspp` with the deprecated flat keys moved in under their new names.
 *
 * @throws If a deprecated key and its new name disagree.
 */
function asppOptionsOf(config: DeepLabV3PlusConfig): ASPPHeadOptions {
  const aspp: Record<string, unknown> = config.aspp === undefined ? {} : (config.aspp as Record<string, unknown>);
  if (aspp === null || typeof aspp !== 'object') return aspp; // resolveAsppOptions names the bad value
  const merged: Record<string, unknown> = { ...aspp };
  for (const [old, key] of Object.entries(DEPRECATED_ASPP_KEYS) as [DeprecatedAsppKey, keyof ASPPHeadOptions][]) {
    const value = config[old];
    if (value === undefined) continue;
    if (merged[key] !== undefined && JSON.stringify(merged[key]) !== JSON.stringify(value)) {
      throw new Error(
        `deeplabV3Plus: config.${old} (deprecated, now config.aspp.${key}) is ${JSON.stringify(value)} but config.aspp.${key} is ${JSON.stringify(merged[key])}; keep only config.aspp.${key}`,
      );
    }
    merged[key] = value;
  }
  return merged;
}

/** A {@link DeepLabV3PlusConfig} with every default filled in. */
export type ResolvedDeepLabV3PlusConfig = Required<Omit<DeepLabV3PlusConfig, 'aspp' | 'backboneOptions' | 'seed' | DeprecatedAsppKey>> & {
  aspp: Required<ASPPHeadOptions>;
  backboneOptions: BackboneOptionsByName[BackboneName];
  /** `null`: unseeded. */
  seed: number | null;
};

function positiveInt(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`deeplabV3Plus: config.${field} is ${JSON.stringify(value)}; expected a positive integer`);
  }
  return value;
}

function dropoutRate(field: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new Error(`deeplabV3Plus: config.${field} is ${JSON.stringify(value)}; expected a rate in [0, 1)`);
  }
  return value;
}

/**
 * Fills in defaults and checks every field once.
 *
 * @throws Naming the field and its valid values.
 */
export function resolveConfig(config: DeepLabV3PlusConfig): ResolvedDeepLabV3PlusConfig {
  if (config === null || typeof config !== 'object') {
    throw new Error('deeplabV3Plus: config must be an object such as { numClasses: 21 }');
  }
  // A misspelt or retired key would otherwise be dropped silently.
  const unknown = Object.keys(config).find((k) => !(CONFIG_KEYS as readonly string[]).includes(k) && !Object.hasOwn(DEPRECATED_ASPP_KEYS, k));
  if (unknown !== undefined) {
    throw new Error(`deeplabV3Plus: config.${unknown} is no option; expected one of ${CONFIG_KEYS.join(', ')} (ASPP options go under config.aspp)`);
  }
  const backbone = config.backbone ?? DEFAULT_BACKBONE;
  if (!BACKBONE_NAMES.includes(backbone)) {
    throw new Error(`deeplabV3Plus: config.backbone is ${JSON.stringify(backbone)}; expected one of ${BACKBONE_NAMES.join(', ')}`);
  }
  const outputStride = checkOutputStride('deeplabV3Plus: config.outputStride', config.outputStride ?? DEFAULT_OUTPUT_STRIDE, DEEPLAB_OUTPUT_STRIDES);
  const numClasses = positiveInt('numClasses', config.numClasses);
  const inputShape = config.inputShape ?? [null, null, 3];
  if (
    !Array.isArray(inputShape) ||
    inputShape.length !== 3 ||
    inputShape[2] !== 3 ||
    !inputShape.slice(0, 2).every((d) => d === null || (Number.isInteger(d) && (d as number) >= MIN_INPUT_SIZE))
  ) {
    throw new Error(
      `deeplabV3Plus: config.inputShape is ${JSON.stringify(inputShape)}; expected [height, width, 3] with each side null or an integer >= ${MIN_INPUT_SIZE}`,
    );
  }
  const aspp = resolveAsppOptions(asppOptionsOf(config), outputStride, 'deeplabV3Plus: config.aspp.');
  const lowLevelChannels = positiveInt('lowLevelChannels', config.lowLevelChannels ?? DEFAULT_LOW_LEVEL_CHANNELS);
  const decoderDropout = config.decoderDropout ?? [0, 0, 0];
  if (!Array.isArray(decoderDropout) || decoderDropout.length !== 3) {
    throw new Error(
      `deeplabV3Plus: config.decoderDropout is ${JSON.stringify(decoderDropout)}; expected three rates in [0, 1) (low-level projection, fuse 1, fuse 2), e.g. [0.5, 0.5, 0.15]`,
    );
  }
  for (const [i, r] of decoderDropout.entries()) dropoutRate(`decoderDropout[${i}]`, r);
  const backboneOptions = config.backboneOptions ?? {};
  // Only the backbone's own options: the model sets its output stride, input shape and name.
  checkBackboneOptions(backbone, backboneOptions, 'deeplabV3Plus: config.backboneOptions', true);
  const seed = config.seed ?? null;
  if (seed !== null && !Number.isInteger(seed)) throw new Error(`deeplabV3Plus: config.seed is ${JSON.stringify(seed)}; expected an integer`);
  return {
    backbone,
    outputStride,
    numClasses,
    inputShape,
    aspp,
    lowLevelChannels,
    decoderDropout: [...decoderDropout] as [number, number, number],
    backboneOptions,
    seed,
  };
}

/**
 * Output stride, the ratio of input size to the size of a trunk's deepest
 * features: the ResNets dilate their last stages to reach it, and the ASPP
 * picks its atrous rates from it. Declared here, below both, so each imports
 * the one list.
 *
 * @module
 */

/** Output strides the backbones can be dilated to and the ASPP has rates for. */
export const OUTPUT_STRIDES = [8, 16, 32] as const;

/** An output stride. */
export type OutputStride = (typeof OUTPUT_STRIDES)[number];

/**
 * The default output stride of backbones, ASPP and DeepLabV3+: 16 trains and
 * runs about 4x cheaper than 8 at a small accuracy cost (Chen et al. 2018, Table 1).
 */
export const DEFAULT_OUTPUT_STRIDE = 16 satisfies OutputStride;

/**
 * `value` as an output stride, if it is one of `supported`.
 *
 * @param what What is being checked, for the error, e.g. `'aspp: outputStride'`.
 * @throws Naming `what`, the value and the supported ones.
 */
export function checkOutputStride(what: string, value: unknown): OutputStride;
export function checkOutputStride<S extends OutputStride>(what: string, value: unknown, supported: readonly S[]): S;
export function checkOutputStride(what: string, value: unknown, supported: readonly OutputStride[] = OUTPUT_STRIDES): OutputStride {
  if (!supported.includes(value as OutputStride)) {
    throw new Error(`${what} is ${JSON.stringify(value)}; expected one of ${supported.join(', ')}`);
  }
  return value as OutputStride;
}

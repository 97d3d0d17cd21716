/**
 * The MSRC-21 classes and colour coding alone, for code that cannot load the
 * Node file-system adapter (browsers): `import { MSRC_PALETTE } from '@seg/msrc/palette'`.
 * They live in `@seg/datasets/classes`.
 *
 * @packageDocumentation
 */
export { groundTruthFromLabels, labelsFromGroundTruth, MSRC_CLASSES, MSRC_DROPPED_COLORS, MSRC_PALETTE, MSRC_VOID } from '@seg/datasets/classes';
export type { LabelsFromGroundTruthOptions, MsrcClass } from '@seg/datasets/classes';

/**
 * The MSRC-21 classes and colour coding alone, for code that cannot load the
 * Node file-system adapter (browsers): `import { MSRC_PALETTE } from '@seg/msrc/palette'`.
 *
 * @packageDocumentation
 */
export { MSRC_CLASSES, MSRC_PALETTE, MSRC_VOID } from './classes.js';
export type { MsrcClass } from './classes.js';
export { groundTruthFromLabels, labelsFromGroundTruth, MSRC_DROPPED_COLORS } from './ground-truth.js';
export type { LabelsFromGroundTruthOptions } from './ground-truth.js';

/**
 * @seg/msrc: the MSRC-v2 (MSRC-21) semantic segmentation dataset for @seg.
 *
 * @packageDocumentation
 */
export { MSRC_CLASSES, MSRC_PALETTE, MSRC_VOID } from './classes.js';
export type { MsrcClass } from './classes.js';
export { groundTruthFromLabels, labelsFromGroundTruth, MSRC_DROPPED_COLORS } from './ground-truth.js';
export type { LabelsFromGroundTruthOptions } from './ground-truth.js';
export { encodeBmp } from './bmp.js';
export type { EncodeBmpOptions } from './bmp.js';
export { decodeImage, readImageFile } from './decode.js';
export { encodePng } from './png.js';
export { findMsrcLayout, MSRC_SPLIT_FILES, MSRC_SPLITS, msrcSampleFiles, readSplitFile } from './layout.js';
export type { MsrcLayout, MsrcLayoutOptions, MsrcSampleFiles, MsrcSplitEntry, MsrcSplitName } from './layout.js';
export { openMsrc } from './open.js';
export type { MsrcDataset, MsrcSplit, OpenMsrcOptions } from './open.js';
export { formatMsrcReport, validateMsrc } from './validate.js';
export type { MsrcProblem, MsrcProblemKind, MsrcValidationReport, ValidateMsrcOptions } from './validate.js';
export {
  generateSyntheticMsrc,
  SYNTHETIC_MSRC_CLASS_IDS,
  syntheticMsrcId,
  syntheticMsrcSample,
  syntheticMsrcSplits,
} from './synthetic.js';
export type { SyntheticMsrcOptions, SyntheticMsrcResult, SyntheticMsrcSample } from './synthetic.js';

/**
 * @seg/msrc: the MSRC-v2 (MSRC-21) semantic segmentation dataset for @seg.
 * The reader lives in `@seg/datasets` (`openDataset(root, { format: 'msrc' })`);
 * its names are re-exported here unchanged, beside the synthetic
 * MSRC-format generator and the `seg-msrc` command line.
 *
 * @packageDocumentation
 */
export { groundTruthFromLabels, labelsFromGroundTruth, MSRC_CLASSES, MSRC_DROPPED_COLORS, MSRC_PALETTE, MSRC_VOID } from '@seg/datasets/classes';
export type { LabelsFromGroundTruthOptions, MsrcClass } from '@seg/datasets/classes';
export { decodeImage, encodeBmp, encodeRgbPng as encodePng, readImageFile } from '@seg/datasets';
export type { EncodeBmpOptions } from '@seg/datasets';
export { findMsrcLayout, formatMsrcReport, MSRC_SPLIT_FILES, MSRC_SPLITS, msrcSampleFiles, openMsrc, readSplitFile, validateMsrc } from '@seg/datasets/msrc';
export type {
  MsrcDataset,
  MsrcLayout,
  MsrcLayoutOptions,
  MsrcProblem,
  MsrcProblemKind,
  MsrcSampleFiles,
  MsrcSplit,
  MsrcSplitEntry,
  MsrcSplitName,
  MsrcValidationReport,
  OpenMsrcOptions,
  ValidateMsrcOptions,
} from '@seg/datasets/msrc';
export {
  generateSyntheticMsrc,
  SYNTHETIC_MSRC_CLASS_IDS,
  syntheticMsrcId,
  syntheticMsrcSample,
  syntheticMsrcSplits,
} from './synthetic.js';
export type { SyntheticMsrcOptions, SyntheticMsrcResult, SyntheticMsrcSample } from './synthetic.js';

/**
 * The MSRC-v2 reader behind `openDataset(root, { format: 'msrc' })`, with its
 * own options (split folder, high-quality ground truth, cache) and report;
 * `@seg/msrc` re-exports these names.
 *
 * @packageDocumentation
 */
export { findMsrcLayout, MSRC_SPLIT_FILES, MSRC_SPLITS, msrcSampleFiles, readSplitFile } from './formats/msrc/layout.js';
export type { MsrcLayout, MsrcLayoutOptions, MsrcSampleFiles, MsrcSplitEntry, MsrcSplitName } from './formats/msrc/layout.js';
export { openMsrc } from './formats/msrc/open.js';
export type { MsrcDataset, MsrcSplit, OpenMsrcOptions } from './formats/msrc/open.js';
export { formatMsrcReport, validateMsrc } from './formats/msrc/validate.js';
export type { MsrcProblem, MsrcProblemKind, MsrcValidationReport, ValidateMsrcOptions } from './formats/msrc/validate.js';
export type { ListedId } from './formats/files.js';

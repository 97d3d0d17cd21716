/**
 * The class names and published colours of the datasets `@seg/datasets`
 * reads, with no Node module in reach, for browsers:
 * `import { CITYSCAPES_CLASS_NAMES } from '@seg/datasets/classes'`.
 *
 * @packageDocumentation
 */
export type { ClassInfo, Palette, Rgb } from './classes/palette.js';
export { vocPalette } from './classes/voc-palette.js';
export { VOC_CLASS_NAMES, VOC_CLASS_PALETTE, VOC_IGNORE_INDEX } from './classes/voc.js';
export {
  CITYSCAPES_CLASS_NAMES,
  CITYSCAPES_CLASS_PALETTE,
  CITYSCAPES_IGNORE_INDEX,
  CITYSCAPES_LABELS,
} from './classes/cityscapes.js';
export type { CityscapesLabel } from './classes/cityscapes.js';
export { ADE20K_CLASS_NAMES, ADE20K_CLASS_PALETTE } from './classes/ade20k.js';
export {
  COCO_STUFF_CLASS_NAMES,
  COCO_STUFF_CLASS_PALETTE,
  COCO_STUFF_ID_TO_CLASS,
  COCO_STUFF_IGNORE_INDEX,
  COCO_STUFF_UNUSED_IDS,
} from './classes/coco-stuff.js';
export { MSRC_CLASSES, MSRC_PALETTE, MSRC_VOID } from './classes/msrc.js';
export type { MsrcClass } from './classes/msrc.js';
export { groundTruthFromLabels, labelsFromGroundTruth, MSRC_DROPPED_COLORS } from './classes/msrc-ground-truth.js';
export type { LabelsFromGroundTruthOptions } from './classes/msrc-ground-truth.js';

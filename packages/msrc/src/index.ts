/**
 * @seg/msrc: the MSRC-v2 (MSRC-21) semantic segmentation dataset for @seg.
 *
 * @packageDocumentation
 */
export { MSRC_CLASSES, MSRC_PALETTE, MSRC_VOID } from './classes.js';
export type { MsrcClass } from './classes.js';

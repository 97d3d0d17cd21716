/**
 * @seg/deeplab: DeepLabV3+ semantic segmentation for TensorFlow.js.
 *
 * @packageDocumentation
 */
export { colorize } from './colorize.js';
export type { Palette } from './colorize.js';

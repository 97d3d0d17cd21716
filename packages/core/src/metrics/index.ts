export { ConfusionMatrix } from './confusion-matrix.js';
export type { ConfusionMatrixOptions, SegmentationScores } from './confusion-matrix.js';

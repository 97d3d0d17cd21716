export { ConfusionMatrix } from './confusion-matrix.js';
export type { ConfusionMatrixOptions, SegmentationScores } from './confusion-matrix.js';
export { BoundaryF1Accumulator, boundaryF1 } from './boundary-f1.js';
export type { BoundaryCounts, BoundaryF1Options, BoundaryF1Result, BoundaryScores } from './boundary-f1.js';

export { sparseCrossEntropyLoss, sparseSoftmaxCrossEntropy } from './cross-entropy.js';
export type { CrossEntropyOptions } from './cross-entropy.js';
export type { SegmentationLoss, SegmentationMetrics } from './segmentation-loss.js';

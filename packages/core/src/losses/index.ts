export { sparseCrossEntropyLoss, sparseSoftmaxCrossEntropy } from './cross-entropy.js';
export type { CrossEntropyOptions } from './cross-entropy.js';

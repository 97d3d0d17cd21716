// Public exports of src/backprop.
export type { LayerClass, LayerGradient, LayerGradients, LayerStep, WantedGradients } from './layer-gradient.js';
export type { RunningUpdate } from './running-statistics.js';
export { registerLayerGradient } from './layer-gradient.js';
export { layerBackpropSupported, type ModelGradients, modelGradients, unsupportedLayers } from './model-gradients.js';
export { recomputeGradient } from './recompute-gradient.js';
export { freezeBatchNorm, isBatchNormFrozen } from './frozen-batch-norm.js';

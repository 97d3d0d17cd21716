// Public exports of src/backprop.
export type { LayerGradient, LayerGradients, LayerStep, WantedGradients } from './layer-gradient.js';
export type { RunningUpdate } from '../layers/running-statistics.js';
export { registerLayerGradient } from './layer-gradient.js';
export { layerBackpropSupported, type ModelGradients, modelGradients, unsupportedLayers } from './model-gradients.js';
export { recomputeGradient } from './recompute-gradient.js';

// Public exports of src/backprop.
export type { LayerGradient, LayerGradients, LayerStep, RunningUpdate, WantedGradients } from './layer-gradient.js';
export { registerLayerGradient } from './layer-gradient.js';
export { layerBackpropSupported, type ModelGradients, modelGradients, unsupportedLayers } from './model-gradients.js';
export { recomputeGradient } from './recompute-gradient.js';

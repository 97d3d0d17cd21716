// Model files live in @seg/core (any tfjs model can use them; users import them from
// there). The package's own loaders take them from here, which also registers the
// DeepLabV3+ layer classes that loading needs, in entries that import nothing else
// of the model (the pool worker).
import './deeplab-model.js';
import './input-size-guard.js';

export { loadModel, saveModel } from '@seg/core';

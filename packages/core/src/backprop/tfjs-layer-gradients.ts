/**
 * The layer-by-layer gradients of tfjs-layers' own classes, by class name
 * (tfjs-layers does not export its classes; `registration.ts` registers
 * this table). A class missing here is run by tfjs's tape for the whole
 * model: random layers (`GaussianNoise`, `GaussianDropout`, `AlphaDropout`),
 * recurrent layers and wrappers, masking layers (`Masking`, `Embedding`).
 *
 * @module
 */
import { batchNormalizationGradient } from './batch-normalization.js';
import { conv2dGradient } from './conv-layers.js';
import { addGradient, dropoutGradient, reluGradient } from './elementwise-layers.js';
import type { LayerGradient } from './layer-gradient.js';
import { orRecompute, recomputeGradient } from './recompute-gradient.js';
import {
  concatenateGradient,
  globalAveragePooling2dGradient,
  maxPooling2dGradient,
  reshapeGradient,
  zeroPadding2dGradient,
} from './shape-layers.js';

/**
 * Deterministic tfjs-layers classes without running state, whose training
 * step {@link recomputeGradient} takes from tfjs's tape one layer at a time
 * (their input is kept; the backward runs the layer once more).
 */
const RECOMPUTED = [
  'Activation',
  'AveragePooling1D',
  'AveragePooling2D',
  'AveragePooling3D',
  'Average',
  'CenterCrop',
  'Conv1D',
  'Conv2DTranspose',
  'Conv3D',
  'Conv3DTranspose',
  'Cropping2D',
  'Dense',
  'DepthwiseConv2D',
  'Dot',
  'ELU',
  'Flatten',
  'GlobalAveragePooling1D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'LayerNormalization',
  'LeakyReLU',
  'Maximum',
  'MaxPooling1D',
  'MaxPooling3D',
  'Minimum',
  'Multiply',
  'Permute',
  'PReLU',
  'RepeatVector',
  'Rescaling',
  'Resizing',
  'SeparableConv2D',
  'Softmax',
  'ThresholdedReLU',
  'UpSampling2D',
] as const;

/** The gradient of each covered tfjs-layers class, by `className`. */
export const TFJS_LAYER_GRADIENTS: Readonly<Record<string, LayerGradient>> = {
  ...Object.fromEntries(RECOMPUTED.map((name) => [name, recomputeGradient])),
  Add: addGradient,
  BatchNormalization: batchNormalizationGradient,
  Concatenate: concatenateGradient,
  Conv2D: orRecompute(conv2dGradient),
  Dropout: dropoutGradient,
  GlobalAveragePooling2D: orRecompute(globalAveragePooling2dGradient),
  MaxPooling2D: orRecompute(maxPooling2dGradient),
  ReLU: orRecompute(reluGradient),
  Reshape: reshapeGradient,
  SpatialDropout1D: dropoutGradient,
  ZeroPadding2D: orRecompute(zeroPadding2dGradient),
};

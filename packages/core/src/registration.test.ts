import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
// The package entry, as a user imports it: nothing else here registers anything.
import { aspp, atrousConv2d, batchNormAct, layerBackpropSupported, resnet, resizeBilinear, unsupportedLayers } from './index.js';
import { conv2dGradConfig } from './kernels/conv2d-grad.js';
import { depthwiseConv2dGradConfig } from './kernels/depthwise-conv2d-grad.js';
import { wasmConv2dBackpropFilterConfig } from './kernels/wasm-kernels.js';

it("importing @seg/core registers the kernels and gradients it adds to tfjs", () => {
  expect(tf.getGradient(tf.Conv2D)).toBe(conv2dGradConfig);
  expect(tf.getGradient(tf.DepthwiseConv2dNative)).toBe(depthwiseConv2dGradConfig);
  expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBe(wasmConv2dBackpropFilterConfig);
});

it("importing @seg/core registers the layer-by-layer step of @seg's layers and of tfjs-layers' own", () => {
  const input = tfl.input({ shape: [32, 32, 3] });
  const [high, low] = resnet({ depth: 18, outputStride: 16, baseWidth: 2, inputShape: [32, 32, 3] } as never).apply(input) as tfl.SymbolicTensor[];
  let y = aspp({ inputChannels: 16, filters: 4, separable: true }).apply(high) as tfl.SymbolicTensor;
  y = resizeBilinear().apply([y, low]) as tfl.SymbolicTensor;
  y = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.batchNormalization().apply(y) as tfl.SymbolicTensor;
  y = batchNormAct({ activation: 'relu' }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.upSampling2d({ size: [2, 2] }).apply(y) as tfl.SymbolicTensor;
  y = atrousConv2d({ filters: 3, kernelSize: 1, activation: 'tanh' }).apply(y) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: y });
  expect(unsupportedLayers(model)).toEqual([]);
  expect(layerBackpropSupported(model)).toBe(true);
  model.dispose();
});

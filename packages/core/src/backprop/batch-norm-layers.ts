/**
 * Batch normalisation layers (`@seg/core`'s `BatchNormAct` and tfjs-layers'
 * `BatchNormalization`, channels last) in a layer-by-layer training step:
 * batch statistics, running statistics updated as tfjs-layers does, and the
 * analytic backward of `batchNormTraining` keeping the input and two
 * per-channel vectors.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batchNormTrainingBackward, batchNormTrainingForward } from '../kernels/batch-norm-training.js';
import { type Layer, type LayerGradient, registerLayerGradient } from './layer-gradient.js';

/** The fields of tfjs-layers' `BatchNormalization` read here (private in its typings). */
interface BatchNormFields {
  axis: number;
  center: boolean;
  scale: boolean;
  momentum: number;
  epsilon: number;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
  activation?: 'relu' | 'linear';
}

const fields = (layer: Layer) => layer as unknown as BatchNormFields;

export const batchNormGradient: LayerGradient = {
  supports(layer) {
    const f = fields(layer);
    return f.axis === -1 && f.center && f.scale;
  },
  step(layer, [x], keep) {
    const f = fields(layer);
    const relu = f.activation === 'relu';
    const gamma = f.gamma.read() as tf.Tensor1D;
    const beta = f.beta.read() as tf.Tensor1D;
    const { y, mean, variance, invStd } = batchNormTrainingForward(x, gamma, beta, f.epsilon, relu);
    if (!keep) invStd.dispose();
    return {
      outputs: [y],
      saved: keep ? [x, mean, invStd] : [],
      runningUpdates: [
        { variable: f.movingMean, value: mean, momentum: f.momentum },
        { variable: f.movingVariance, value: variance, momentum: f.momentum },
      ],
      backward([dy], want) {
        const weights = new Map<tfl.LayerVariable, tf.Tensor>();
        if (dy === null) return { inputs: [null], weights };
        const { dx, dGamma, dBeta } = batchNormTrainingBackward(dy, { x, mean, invStd }, gamma, beta, relu);
        if (want.weights.has(f.gamma)) weights.set(f.gamma, dGamma);
        else dGamma.dispose();
        if (want.weights.has(f.beta)) weights.set(f.beta, dBeta);
        else dBeta.dispose();
        if (want.inputs[0]) return { inputs: [dx], weights };
        dx.dispose();
        return { inputs: [null], weights };
      },
    };
  },
};

registerLayerGradient('BatchNormalization', batchNormGradient);
registerLayerGradient('BatchNormAct', batchNormGradient);

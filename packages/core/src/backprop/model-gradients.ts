/**
 * Loss and weight gradients of any tfjs-layers `LayersModel` (functional or
 * `Sequential`, nested and shared models and layers, several outputs):
 * layer by layer where every layer has a registered {@link LayerGradient}
 * (PyTorch's memory profile, see `layer-by-layer.ts`), else through tfjs's
 * tape for the whole model.
 *
 * Why per model and not per layer: a layer without a registered gradient
 * can only be differentiated by running it again under the tape, which is
 * exact only if it is deterministic and keeps no running state, and nothing
 * says so of a class nobody registered. Deterministic classes join the
 * layer-by-layer path with `registerLayerGradient(MyLayer, recomputeGradient)`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { registerSegKernels } from '../kernels/register.js';
import { layerByLayerGradients, type ModelGradients } from './layer-by-layer.js';
import { layerGradient } from './layer-gradient.js';
import { type LayerGraph, layerGraph } from '../graph/layer-graph.js';

export type { ModelGradients } from './layer-by-layer.js';

const missingIn = (graph: LayerGraph): string[] => [
  ...new Set(graph.calls.filter((c) => layerGradient(c.layer) === undefined).map((c) => `${c.layer.name} (${c.layer.getClassName()})`)),
];

/**
 * The layers of `model` (nested models expanded) that no registered layer
 * gradient covers, by name and class: while there is one, {@link modelGradients}
 * runs the model under tfjs's tape.
 */
export function unsupportedLayers(model: tfl.LayersModel): string[] {
  return missingIn(layerGraph(model));
}

/** Whether {@link modelGradients} runs `model` layer by layer (else through tfjs's tape). */
export function layerBackpropSupported(model: tfl.LayersModel): boolean {
  return unsupportedLayers(model).length === 0;
}

/**
 * Runs `model` on `inputs` in training mode, `loss` on its outputs, and
 * back-propagates to the gradients of `variables`: what
 * `tf.variableGrads(() => loss([model.apply(inputs, { training: true })].flat()), variables)`
 * computes, layer by layer with PyTorch's memory profile when every layer
 * has a registered gradient (see {@link unsupportedLayers}), else with that
 * very call. A variable the loss does not depend on gets a zero gradient.
 *
 * One difference from tfjs-layers: a nested model with several outputs runs
 * once per call, where tfjs-layers' executor runs it once per output it
 * needs, moving its batch-norm running statistics that many times.
 *
 * @param loss Called once with the model's outputs under tfjs's tape (it
 *   may compute and `tf.keep` metrics from them); returns the scalar loss.
 */
export function modelGradients(
  model: tfl.LayersModel,
  inputs: tf.Tensor[],
  loss: (outputs: tf.Tensor[]) => tf.Scalar,
  variables: readonly tf.Variable[],
): ModelGradients {
  // The one check beyond import and selectBackend, cheap (a few registry reads): a backend
  // activated with tf.setBackend after @seg/core loaded still gets its replaced kernels, and a
  // second tfjs copy loaded later, which puts tfjs's dilation-rejecting gradients back, loses again.
  registerSegKernels();
  const graph = layerGraph(model);
  if (missingIn(graph).length === 0) return layerByLayerGradients(graph, inputs, loss, variables);
  return tapeGradients(model, inputs, loss, variables);
}

/** {@link modelGradients} through tfjs's tape. */
function tapeGradients(
  model: tfl.LayersModel,
  inputs: tf.Tensor[],
  loss: (outputs: tf.Tensor[]) => tf.Scalar,
  variables: readonly tf.Variable[],
): ModelGradients {
  const outputs = () => [model.apply(inputs.length === 1 ? inputs[0] : inputs, { training: true }) as tf.Tensor | tf.Tensor[]].flat();
  const trainable = variables.filter((v) => v.trainable);
  // tf.variableGrads refuses an empty list, and throws when no variable reaches the loss:
  // 0 · Σ w of one of them adds nothing to the loss and gradients (exactly, for finite weights) and connects it.
  const { value, grads } =
    trainable.length > 0
      ? tf.variableGrads(() => tf.add(loss(outputs()), tf.mul(0, tf.sum(trainable[0]))) as tf.Scalar, trainable)
      : { value: tf.tidy(() => loss(outputs())), grads: {} as tf.NamedTensorMap };
  const named: tf.NamedTensorMap = {};
  for (const v of variables) named[v.name] = grads[v.name] ?? tf.zerosLike(v);
  return { value, grads: named };
}

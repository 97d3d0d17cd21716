/**
 * The layer-by-layer backward pass: each layer's backward runs as soon as
 * the gradients of its outputs are complete, and its saved tensors and those
 * gradients are freed right after, as PyTorch's autograd does.
 *
 * Why: tfjs's `variableGrads` keeps every saved tensor and the gradient of
 * every intermediate tensor until the whole backward pass is over, so a
 * DeepLabV3+ step needed several times the activation memory PyTorch needs
 * (bench/README.md). Layers whose inputs need no gradient and whose weights
 * are not trained (a frozen trunk) save nothing at all.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type LayerStep, layerGradient } from './layer-gradient.js';
import type { LayerGraph } from '../graph/layer-graph.js';
import { applyRunningUpdates, type RunningUpdate } from './running-statistics.js';

/** The loss and the gradients of the variables asked for, by name; the caller disposes all. */
export interface ModelGradients {
  value: tf.Scalar;
  /** Gradients by variable name (`tf.Variable.name`), for the variables asked for. */
  grads: tf.NamedTensorMap;
}

/**
 * Runs `graph` (every call of which has a registered layer gradient) on
 * `inputs` in training mode, `loss` on its outputs, and back-propagates
 * layer by layer to the gradients of `variables`.
 */
export function layerByLayerGradients(
  graph: LayerGraph,
  inputs: tf.Tensor[],
  loss: (outputs: tf.Tensor[]) => tf.Scalar,
  variables: readonly tf.Variable[],
): ModelGradients {
  const wanted = new Set(variables);
  const external = new Set(inputs);
  const values = new Map<number, tf.Tensor>();
  for (const [i, id] of graph.inputs.entries()) values.set(id, inputs[i]);

  // How many forward reads and saved copies still hold each tensor; freed at zero.
  const holds = new Map<tf.Tensor, number>();
  const hold = (t: tf.Tensor, n = 1) => {
    if (!external.has(t)) holds.set(t, (holds.get(t) ?? 0) + n);
  };
  const release = (t: tf.Tensor) => {
    const n = holds.get(t);
    if (n === undefined) return;
    if (n > 1) holds.set(t, n - 1);
    else {
      holds.delete(t);
      t.dispose();
    }
  };
  const reads = new Map<number, number>();
  for (const c of graph.calls) for (const id of c.inputs) reads.set(id, (reads.get(id) ?? 0) + 1);
  for (const id of graph.outputs) reads.set(id, (reads.get(id) ?? 0) + 1);

  const needsGrad = new Set<number>();
  const steps: Array<{ step: LayerStep; inputsWanted: boolean[]; weights: Set<tfl.LayerVariable> } | null> = [];
  const grads = new Map<number, tf.Tensor>();
  const weightGrads = new Map<tf.Variable, tf.Tensor>();
  const runningUpdates: RunningUpdate[] = [];
  // Gives every stored gradient its own handle: a layer may return one tensor for several inputs (Add).
  const handed = new Set<tf.Tensor>();
  const own = (t: tf.Tensor) => {
    if (!handed.has(t)) {
      handed.add(t);
      return t;
    }
    return tf.reshape(t, t.shape);
  };
  const accumulate = <K>(map: Map<K, tf.Tensor>, key: K, g: tf.Tensor) => {
    const previous = map.get(key);
    if (previous === undefined) map.set(key, own(g));
    else {
      map.set(key, tf.add(previous, g));
      previous.dispose();
    }
  };
  let value: tf.Scalar | undefined;
  try {
    for (const call of graph.calls) {
      const ins = call.inputs.map((id) => values.get(id)!);
      const weights = new Set(call.layer.trainableWeights.filter((w) => wanted.has(w.read() as tf.Variable)));
      const inputsWanted = call.inputs.map((id) => needsGrad.has(id));
      const keep = weights.size > 0 || inputsWanted.some(Boolean);
      const step = layerGradient(call.layer)!.step(call.layer, ins, keep);
      for (const t of step.saved) hold(t);
      step.outputs.forEach((t, i) => {
        const id = call.outputs[i];
        values.set(id, t);
        hold(t, reads.get(id) ?? 0);
        if (keep) needsGrad.add(id);
        // An output nobody reads or saved.
        if (!external.has(t) && !holds.get(t)) {
          holds.delete(t);
          t.dispose();
        }
      });
      ins.forEach(release);
      steps.push(keep ? { step, inputsWanted, weights } : null);
      if (step.runningUpdates) runningUpdates.push(...step.runningUpdates);
    }
    applyRunningUpdates(runningUpdates, (t) => !holds.has(t));
    runningUpdates.length = 0;

    const outputs = graph.outputs.map((id) => values.get(id)!);
    // An output listed twice is handed to the tape as two tensors, so each position gets its own gradient.
    const fed = outputs.map((t, i) => (outputs.indexOf(t) < i ? tf.clone(t) : t));
    const { value: lossValue, grads: outputGrads } = tf.valueAndGrads((...outs: tf.Tensor[]) => loss(outs))(fed);
    value = lossValue as tf.Scalar;
    tf.dispose(fed.filter((t, i) => t !== outputs[i]));
    handed.clear();
    graph.outputs.forEach((id, i) => {
      if (needsGrad.has(id)) accumulate(grads, id, outputGrads[i]);
      else outputGrads[i].dispose();
    });
    outputs.forEach(release);

    for (let i = graph.calls.length - 1; i >= 0; i--) {
      const entry = steps[i];
      if (entry === null) continue;
      const call = graph.calls[i];
      const dys = call.outputs.map((id) => grads.get(id) ?? null);
      for (const id of call.outputs) grads.delete(id);
      handed.clear();
      const result =
        dys.some((d) => d !== null) ? entry.step.backward(dys, { inputs: entry.inputsWanted, weights: entry.weights }) : null;
      entry.step.saved.forEach(release);
      steps[i] = null;
      if (result) {
        result.inputs.forEach((g, j) => {
          if (g !== null && entry.inputsWanted[j]) accumulate(grads, call.inputs[j], g);
        });
        for (const [w, g] of result.weights) accumulate(weightGrads, w.read() as tf.Variable, g);
      }
      // What was not stored is freed; a layer may pass a gradient straight through (Add), so check by identity.
      const spent = [...dys, ...(result?.inputs ?? []), ...(result?.weights.values() ?? [])];
      for (const t of spent) if (t !== null && !handed.has(t)) t.dispose();
    }
    const named: tf.NamedTensorMap = {};
    for (const v of variables) named[v.name] = weightGrads.get(v) ?? tf.zerosLike(v);
    weightGrads.clear();
    return { value, grads: named };
  } catch (e) {
    value?.dispose();
    tf.dispose([...grads.values(), ...weightGrads.values()]);
    throw e;
  } finally {
    tf.dispose(runningUpdates.map((u) => u.value));
    for (const t of holds.keys()) t.dispose();
    for (const entry of steps) if (entry) for (const t of entry.step.saved) if (!external.has(t)) t.dispose();
  }
}

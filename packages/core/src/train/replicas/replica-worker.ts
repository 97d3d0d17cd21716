/**
 * Entry point of one data-parallel replica, run by the replica pool as a
 * worker thread (CPU) or a child process (one per GPU). It builds the model
 * with the user's replica module, then for each step: loads the trainer's
 * weights, computes the loss and gradients of its shard with the trainer's
 * own gradient path, and hands the gradients back. It keeps no optimizer
 * state; the trainer owns that.
 *
 * @module
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients; tfjs-layers does.
import '@tensorflow/tfjs-layers';
import '../../registration.js';
import { selectBackend } from '../../backends/select.js';
import { batchNormLayers, freezeBatchNorm } from '../../backprop/frozen-batch-norm.js';
import { SeededRng } from '../../data/rng.js';
import { type StepTensors, stepGradients } from '../step-gradients.js';
import { type FlatLayout, flatLayout, readFlat, writeFlat } from './flat-weights.js';
import type { FromReplica, ReplicaInit, ReplicaStep, ToReplica } from './protocol.js';
import type { ReplicaModule, ReplicaParts } from './workers.js';

const send: (m: FromReplica) => void = parentPort ? (m) => parentPort!.postMessage(m) : (m) => process.send!(m);

interface Replica {
  init: ReplicaInit;
  parts: ReplicaParts;
  weights: Float32Array;
  grads: Float32Array;
  weightLayout: FlatLayout;
  gradLayout: FlatLayout;
  statLayout: FlatLayout;
  /** The model's batch-norm layers, found at the first step (the trainer names the frozen ones by index). */
  batchNorms?: ReturnType<typeof batchNormLayers>;
}

let replica: Replica | null = null;

async function start(init: ReplicaInit): Promise<Replica> {
  await selectBackend(init.backends);
  const mod = (await import(init.replica)) as { default?: ReplicaModule };
  if (typeof mod.default !== 'function') {
    throw new Error(`${init.replica} has no default export; it must export default (args, { index }) => ({ model, loss, metrics })`);
  }
  const parts = await mod.default(init.args, { index: init.index });
  if (!parts?.model || typeof parts.loss !== 'function') {
    throw new Error(`${init.replica}: its default export must return { model, loss }`);
  }
  const shapes = parts.model.weights.map((w) => w.shape as number[]);
  const mismatch = init.weightShapes.findIndex((s, i) => JSON.stringify(s) !== JSON.stringify(shapes[i]));
  if (shapes.length !== init.weightShapes.length || mismatch >= 0) {
    throw new Error(
      `${init.replica} builds a model with ${shapes.length} weights, the trainer's has ${init.weightShapes.length}` +
        (mismatch >= 0 ? `; weight ${mismatch} (${parts.model.weights[mismatch]?.name}) is [${shapes[mismatch]}], the trainer's [${init.weightShapes[mismatch]}]` : '') +
        '; the replica module must build the same model as the trainer',
    );
  }
  const missing = init.metricNames.filter((n) => typeof parts.metrics?.[n] !== 'function');
  if (missing.length > 0) {
    throw new Error(`${init.replica} returns no metric ${missing.join(', ')}; return the trainer's metrics as { model, loss, metrics }`);
  }
  const weightLayout = flatLayout(shapes, shapes.map((_, i) => i));
  const gradLayout = flatLayout(shapes, init.gradIndices);
  const statLayout = flatLayout(shapes, init.statIndices);
  const weights = init.weights ? new Float32Array(init.weights) : new Float32Array(weightLayout.length);
  const grads = init.grads ? new Float32Array(init.grads) : new Float32Array(gradLayout.length + statLayout.length);
  return { init, parts, weights, grads, weightLayout, gradLayout, statLayout };
}

async function step(r: Replica, msg: ReplicaStep): Promise<{ loss: number; metrics: Record<string, number> }> {
  if (msg.weights) r.weights.set(msg.weights);
  const { model, loss, metrics = {} } = r.parts;
  const frozen = new Set(msg.frozenBatchNorms);
  r.batchNorms ??= batchNormLayers(model);
  for (const [i, layer] of r.batchNorms.entries()) freezeBatchNorm([layer], frozen.has(i));
  // All of the trainer's weights, BatchNorm moving statistics too.
  writeFlat(model.weights, r.weightLayout, r.weights);
  const vars = r.init.gradIndices.map((i) => model.weights[i].read() as tf.Variable);
  const images = tf.tensor4d(msg.images, msg.imageShape as [number, number, number, number]);
  const labels = tf.tensor3d(msg.labels, msg.labelShape as [number, number, number], 'int32');
  // Only the metrics the trainer reports.
  const wanted = Object.fromEntries(r.init.metricNames.map((n) => [n, metrics[n]]));
  let result: StepTensors | undefined;
  try {
    const random = msg.random === undefined ? undefined : SeededRng.fromState(msg.random);
    result = stepGradients(model, loss, wanted, images, labels, vars, random);
    for (const [j, v] of vars.entries()) r.grads.set(await result.grads[v.name].data(), r.gradLayout.offsets[j]);
    // Replica 0's BatchNorm moving statistics become the trainer's, as nn.DataParallel keeps device 0's.
    if (r.init.index === 0) await readFlat(model.weights, r.statLayout, r.grads, r.gradLayout.length);
    const scores: Record<string, number> = {};
    for (const [name, t] of Object.entries(result.scores)) scores[name] = (await t.data())[0];
    return { loss: (await result.value.data())[0], metrics: scores };
  } finally {
    tf.dispose([images, labels]);
    if (result) tf.dispose([result.value, ...Object.values(result.grads), ...Object.values(result.scores)]);
  }
}

async function onMessage(msg: ToReplica): Promise<void> {
  try {
    if (msg.type === 'init') {
      replica = await start(msg);
      send({ type: 'ready' });
    } else {
      if (!replica) throw new Error('step before init');
      const { loss, metrics } = await step(replica, msg);
      // Counted once the step's tensors are freed: a leak in a replica shows as a growing count.
      send({ type: 'done', loss, metrics, tensors: tf.memory().numTensors, grads: replica.init.grads ? undefined : replica.grads });
    }
  } catch (e) {
    const err = e as Error;
    send({ type: 'error', message: err?.message ?? String(e) });
  }
}

// Steps run one at a time: a message waits for the previous one to finish.
let queue: Promise<void> = Promise.resolve();
const enqueue = (msg: ToReplica) => {
  queue = queue.then(() => onMessage(msg));
};
if (parentPort) parentPort.on('message', enqueue);
else {
  process.on('message', (m) => enqueue(m as ToReplica));
  // The trainer's process is gone (crash, Ctrl-C, exit): no orphan.
  process.on('disconnect', () => process.exit(0));
}

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../../../test-utils/backends.js';
import '../registration.js';
import { sparseSoftmaxCrossEntropy } from '../losses/cross-entropy.js';
import { BoundaryF1Accumulator, boundaryF1 } from '../metrics/boundary-f1.js';
import { EarlyStopping } from './callbacks/early-stopping.js';
import { evaluateSegmentation } from './evaluate.js';
import type { TrainBatch } from './gradient-source.js';
import { Trainer } from './trainer.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'seg-trainer-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** trunk (1×1 conv, 3→6) → head (1×1 conv, 6→3 classes): two parameter groups by name. */
function tinyModel(seed: number): tfl.LayersModel {
  const input = tfl.input({ shape: [5, 5, 3] });
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: s });
  const trunk = tfl.layers.conv2d({ filters: 6, kernelSize: 1, activation: 'relu', name: 'trunk', kernelInitializer: init(seed) });
  const head = tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'head', kernelInitializer: init(seed + 1) });
  return tfl.model({ inputs: input, outputs: head.apply(trunk.apply(input)) as tfl.SymbolicTensor });
}

/** A learnable batch: the label of a pixel is the index of its largest colour channel. */
function batch(seed: number): TrainBatch {
  return tf.tidy(() => {
    const images = tf.randomUniform([2, 5, 5, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
    return { images, labels: tf.cast(tf.argMax(images, -1), 'int32') as tf.Tensor3D };
  });
}

async function* batches(n: number, offset = 0): AsyncGenerator<TrainBatch> {
  for (let i = 0; i < n; i++) yield batch(offset + i);
}

const ce = (labels: tf.Tensor, logits: tf.Tensor) => sparseSoftmaxCrossEntropy(labels, logits);
// Asynchronous reads: the webgpu backend cannot read synchronously in Node.
const weightsOf = (m: tfl.LayersModel) => Promise.all(m.getWeights().map(async (w) => Array.from(await w.data())));

describeEachBackend('Trainer', () => {
  it('lowers the loss of a learnable problem', async () => {
    const trainer = new Trainer({ model: tinyModel(1), loss: ce, groups: [{ name: 'all', learningRate: 0.05 }], data: batches(60) });
    const losses: number[] = [];
    await trainer.fit({ steps: 60, callbacks: [{ onStepEnd: ({ loss }) => void losses.push(loss) }] });
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(trainer.step).toBe(60);
    expect(mean(losses.slice(-10))).toBeLessThan(0.6 * mean(losses.slice(0, 10)));
  });

  it('adds weight decay to the gradient as torch.optim does (hand-computed SGD step)', async () => {
    // One 1×1 conv without bias, input all ones, loss = mean(logits): dLoss/dw = 1.
    const input = tfl.input({ shape: [2, 2, 1] });
    const conv = tfl.layers.conv2d({ filters: 1, kernelSize: 1, useBias: false, kernelInitializer: 'ones', name: 'w' });
    const model = tfl.model({ inputs: input, outputs: conv.apply(input) as tfl.SymbolicTensor });
    model.setWeights([tf.fill([1, 1, 1, 1], 2)]);
    const trainer = new Trainer({
      model,
      loss: (_labels, logits) => tf.mean(logits) as tf.Scalar,
      groups: [{ name: 'w', optimizer: tf.train.sgd(0.1), weightDecay: 0.5 }],
    });
    const b = { images: tf.ones([1, 2, 2, 1]) as tf.Tensor4D, labels: tf.zeros([1, 2, 2], 'int32') as tf.Tensor3D };
    const { loss } = await trainer.trainStep(b);
    tf.dispose([b.images, b.labels]);
    expect(loss).toBeCloseTo(2, 6);
    // w1 = w0 - lr * (grad + wd * w0) = 2 - 0.1 * (1 + 0.5 * 2) = 1.8
    expect((await weightsOf(model))[0][0]).toBeCloseTo(1.8, 6);
  });

  it('leaves a frozen group untouched and trains the others', async () => {
    const model = tinyModel(2);
    const before = await weightsOf(model);
    const trainer = new Trainer({
      model,
      loss: ce,
      groups: [
        { name: 'trunk', match: model.getLayer('trunk'), frozen: true },
        { name: 'head', learningRate: 0.01 },
      ],
      data: batches(3),
    });
    expect(trainer.groups.map((g) => g.variables.length)).toEqual([2, 2]);
    await trainer.fit({ steps: 3 });
    const after = await weightsOf(model);
    expect(after[0]).toEqual(before[0]);
    expect(after[1]).toEqual(before[1]);
    expect(after[2]).not.toEqual(before[2]);
  });

  it('reports training metrics computed on the same logits', async () => {
    // A model whose logits equal its input: accuracy on the argmax labels is exactly 1.
    const input = tfl.input({ shape: [5, 5, 3] });
    const conv = tfl.layers.conv2d({ filters: 3, kernelSize: 1, useBias: false, name: 'id' });
    const model = tfl.model({ inputs: input, outputs: conv.apply(input) as tfl.SymbolicTensor });
    model.setWeights([tf.reshape(tf.eye(3), [1, 1, 3, 3])]);
    const accuracy = (labels: tf.Tensor, logits: tf.Tensor) =>
      tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(labels, 'int32')), 'float32')) as tf.Scalar;
    const trainer = new Trainer({ model, loss: ce, metrics: { accuracy }, groups: [{ name: 'id', optimizer: tf.train.sgd(0) }] });
    const b = batch(1);
    const logs = await trainer.trainStep(b);
    tf.dispose([b.images, b.labels]);
    expect(logs.metrics).toEqual({ accuracy: 1 });
    expect(logs.step).toBe(1);
  });

  it('keeps the tensor count flat across steps', async () => {
    const trainer = new Trainer({ model: tinyModel(3), loss: ce, metrics: { mean: (_l, x) => tf.mean(x) as tf.Scalar } });
    const b = batch(0);
    await trainer.trainStep(b); // creates Adam's moment variables
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) await trainer.trainStep(b);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([b.images, b.labels]);
  });

  it('resumes from a checkpoint exactly where an uninterrupted run would be', async () => {
    const dir = join(tempDir(), 'ckpt');
    const groups = [{ name: 'all', learningRate: 0.02 }];
    const uninterrupted = new Trainer({ model: tinyModel(4), loss: ce, groups, data: batches(6) });
    await uninterrupted.fit({ steps: 6 });

    const first = new Trainer({ model: tinyModel(4), loss: ce, groups, data: batches(3) });
    await first.fit({ steps: 3, checkpointDir: dir, checkpointState: () => ({ nextBatch: 3 }) });

    // A fresh model with other initial weights and a fresh optimizer, as after a crash; a plain
    // stream's position is the caller's to keep (here in the user section), read when fit() starts.
    let nextBatch = 0;
    const data = { [Symbol.asyncIterator]: () => batches(3, nextBatch) };
    const resumed = new Trainer({ model: tinyModel(99), loss: ce, groups, data });
    const restored = await resumed.restore(dir);
    expect(restored).toMatchObject({ step: 3, user: { nextBatch: 3 } });
    expect(resumed.step).toBe(3);
    nextBatch = (restored!.user as { nextBatch: number }).nextBatch;
    await resumed.fit({ steps: 6 });

    const a = await weightsOf(uninterrupted.model);
    const b = await weightsOf(resumed.model);
    for (const [i, w] of a.entries()) {
      for (const [j, v] of w.entries()) expect(b[i][j]).toBeCloseTo(v, 5);
    }
    expect(readdirSync(join(dir, '..'))).toEqual(['ckpt']);
  });

  it('stops early after `patience` evaluations without improvement and restores the best weights', async () => {
    const scores = [0.5, 0.7, 0.6, 0.65, 0.9];
    const snapshots = new Map<number, number[][]>();
    const model = tinyModel(5);
    const es = new EarlyStopping({ monitor: 'meanIoU', patience: 2 });
    const trainer = new Trainer({ model, loss: ce, groups: [{ name: 'all', learningRate: 0.05 }], data: batches(20) });
    const verdicts: string[] = [];
    const result = await trainer.fit({
      steps: 20,
      evaluateEvery: 2,
      evaluate: async () => {
        snapshots.set(trainer.step, await weightsOf(model));
        return { meanIoU: scores[snapshots.size - 1] };
      },
      callbacks: [es, { onEvaluate: () => void verdicts.push(es.verdict!) }],
    });
    expect(verdicts).toEqual(['improved', 'improved', 'waiting', 'stop']);
    expect(result).toMatchObject({ step: 8, stoppedEarly: true });
    expect(es.best).toEqual({ score: 0.7, step: 4 });
    expect(await weightsOf(model)).toEqual(snapshots.get(4));
  });
});

describeEachBackend('evaluateSegmentation', () => {
  it('scores arg-max predictions against the labels, skipping the ignore index', async () => {
    // Identity 1×1 conv: the logits are the input channels, so predictions are hand-set.
    const input = tfl.input({ shape: [1, 4, 3] });
    const conv = tfl.layers.conv2d({ filters: 3, kernelSize: 1, useBias: false, name: 'id' });
    const model = tfl.model({ inputs: input, outputs: conv.apply(input) as tfl.SymbolicTensor });
    model.setWeights([tf.reshape(tf.eye(3), [1, 1, 3, 3])]);
    // Predictions 0, 1, 2, 2; truth 0, 1, 1, 9 (ignored).
    const images = tf.tensor4d([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1], [1, 1, 4, 3]);
    const labels = tf.tensor3d([0, 1, 1, 9], [1, 1, 4], 'int32');
    async function* one() {
      yield { images, labels };
    }
    const before = tf.memory().numTensors;
    const r = await evaluateSegmentation(model, one(), { numClasses: 3, ignoreIndex: 9, exclude: [2] });
    expect(tf.memory().numTensors).toBe(before - 2);
    expect(r.pixels).toBe(3);
    expect(r.pixelAccuracy).toBeCloseTo(2 / 3, 10);
    // IoU: class 0 = 1/1, class 1 = 1/2; class 2 is absent from the truth but predicted once: 0, and it counts.
    expect(r.meanIoU).toBeCloseTo(0.5, 10);
    expect(r.excluded!.meanIoU).toBeCloseTo(0.75, 10);
    expect(r.excluded!.pixelAccuracy).toBeCloseTo(2 / 3, 10);
  });

  it('reports the per-class table, fwIoU and the boundary F1 pooled over images, void removed in the excluded view', async () => {
    // Two 4×5 images, 3 classes + void (3); the logits are one-hot predictions through an identity conv.
    const input = tfl.input({ shape: [4, 5, 4] });
    const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, name: 'id' });
    const model = tfl.model({ inputs: input, outputs: conv.apply(input) as tfl.SymbolicTensor });
    model.setWeights([tf.reshape(tf.eye(4), [1, 1, 4, 4])]);
    const truth = [
      [0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 3, 3, 2, 2, 0, 0, 2, 2, 2],
      [2, 2, 2, 2, 2, 0, 0, 0, 2, 2, 0, 0, 0, 1, 1, 3, 3, 1, 1, 1],
    ];
    const predicted = [
      [0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 3, 2, 2, 0, 2, 2, 2, 2],
      [2, 2, 2, 2, 2, 0, 0, 2, 2, 2, 0, 0, 0, 0, 1, 0, 3, 1, 1, 1],
    ];
    const batch = () => ({ images: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor3d(predicted.flat(), [2, 4, 5], 'int32'), 4), 'float32')) as tf.Tensor4D, labels: tf.tensor3d(truth.flat(), [2, 4, 5], 'int32') });
    async function* one() {
      yield batch();
    }
    const r = await evaluateSegmentation(model, one(), { numClasses: 4, exclude: [3], boundaryF1: { tolerance: 1 } });
    const s = r.confusion.scores([3]);
    expect(r.excluded).toMatchObject({ perClassF1: s.perClassF1, perClassPrecision: s.perClassPrecision, frequencyWeightedIoU: s.frequencyWeightedIoU, perClassPixelShare: s.perClassPixelShare });
    // Boundary F1: the same counts as each image scored alone, pooled; void counted as a class, then removed from both maps.
    const pooled = (ignore?: number) => {
      const acc = new BoundaryF1Accumulator(4, { tolerance: 1, ignoreIndex: ignore });
      for (let i = 0; i < 2; i++) {
        const alone = boundaryF1(predicted[i], truth[i], 5, 4, { tolerance: 1, ignoreIndex: ignore, numClasses: 4 });
        expect(alone.counts.truth.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        acc.update(predicted[i], truth[i], 5, 4);
      }
      return acc;
    };
    expect(r.boundaryF1).toEqual(pooled().scores());
    const noVoid = pooled(3).scores([3]);
    expect(r.excluded!.boundaryF1).toEqual(noVoid);
    expect(noVoid.perClassF1[3]).toBeNaN();
    expect(r.boundaryF1!.perClassF1[3]).not.toBeNaN();
    const off = await evaluateSegmentation(model, one(), { numClasses: 4, boundaryF1: false });
    expect(off.boundaryF1).toBeUndefined();
  });
});

it('refuses a corrupt checkpoint, naming the file, and leaves the model alone', async () => {
  const dir = join(tempDir(), 'bad');
  const trainer = new Trainer({ model: tinyModel(6), loss: ce });
  await trainer.save(dir);
  const before = await weightsOf(trainer.model);
  writeFileSync(join(dir, 'weights.safetensors'), new Uint8Array(10));
  const other = new Trainer({ model: tinyModel(7), loss: ce });
  await expect(other.restore(dir)).rejects.toThrow(/weights\.safetensors: header is not valid UTF-8 JSON/);
  writeFileSync(join(dir, 'state.json'), '{ nope');
  await expect(other.restore(dir)).rejects.toThrow(/state\.json: not valid JSON/);
  expect(await weightsOf(trainer.model)).toEqual(before);
  const wrongGroups = new Trainer({ model: tinyModel(6), loss: ce, groups: [{ name: 'x', match: 'trunk/' }, { name: 'y' }] });
  await trainer.save(dir);
  await expect(wrongGroups.restore(dir)).rejects.toThrow(/sections\.trainer\.groups has optimizer groups \[all\], the trainer has \[x, y\]/);
  expect(await other.restore(join(tempDir(), 'none'))).toBeNull();
});

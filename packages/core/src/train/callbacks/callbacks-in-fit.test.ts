// How fit() drives its callbacks: stateful callbacks in any order, what an evaluation carries,
// and a gradient source of one's own.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModel } from '../../../../../test-utils/tiny-run.js';
import '../../registration.js';
import { sparseSoftmaxCrossEntropy } from '../../losses/cross-entropy.js';
import { ConfusionMatrix } from '../../metrics/confusion-matrix.js';
import type { GradientSource, TrainBatch } from '../gradient-source.js';
import { NonFiniteTrainingError } from '../non-finite.js';
import { Trainer } from '../trainer.js';
import { BestModelSaver } from './best-model-saver.js';
import { EarlyStopping } from './early-stopping.js';
import type { Evaluation, TrainingCallback } from './training-callback.js';

const root = mkdtempSync(join(tmpdir(), 'seg-callbacks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ce = (labels: tf.Tensor, logits: tf.Tensor) => sparseSoftmaxCrossEntropy(labels, logits);
async function* batches(): AsyncGenerator<TrainBatch> {
  for (let i = 0; ; i++) {
    yield tf.tidy(() => {
      const images = tf.randomUniform([2, 6, 6, 3], 0, 1, 'float32', i) as tf.Tensor4D;
      return { images, labels: tf.cast(tf.argMax(images, -1), 'int32') as tf.Tensor3D };
    });
  }
}
const trainerOf = (seed: number) => new Trainer({ model: tinyModel(seed), loss: ce, groups: [{ name: 'all', learningRate: 0.05 }], data: batches() });

describe('fit() and its callbacks', () => {
  it.each([
    ['early stopping first', true],
    ['the saver first', false],
  ])('an early stop makes its evaluation the best-model saver\'s last, off `every`, and the final checkpoint has it (%s)', async (_order, stopperFirst) => {
    const trainer = trainerOf(1);
    const saves: number[] = [];
    const saver = new BestModelSaver({ dir: join(root, 'unused'), monitor: 'iou', every: 100, save: async () => void saves.push(trainer.step) });
    // 0.5 at step 2, then 0.4 at step 4: no improvement, a patience of 1 stops there.
    const stopper = new EarlyStopping({ monitor: 'iou', patience: 1, restoreBestWeights: false });
    const scores = [0.5, 0.4];
    const checkpointDir = join(root, `ckpt-${stopperFirst}`);
    const result = await trainer.fit({
      steps: 20,
      evaluateEvery: 2,
      evaluate: async () => ({ iou: scores[trainer.step / 2 - 1] }),
      checkpointDir,
      callbacks: stopperFirst ? [stopper, saver] : [saver, stopper],
    });
    expect(result).toMatchObject({ step: 4, stoppedEarly: true });
    // Step 2 is no multiple of `every` and not the last: not considered. Step 4 ended the run: considered, and the first score saved.
    expect(saves).toEqual([4]);
    expect(saver.saved).toEqual({ score: 0.4, step: 4 });
    expect(saver.decision).toBe(stopperFirst ? 'saved' : 'not-checked');
    const state = JSON.parse(readFileSync(join(checkpointDir, 'state.json'), 'utf8'));
    expect(state.sections.bestModel).toMatchObject({ best: 0.4, bestStep: 4 });
    expect(state.sections.earlyStopping).toMatchObject({ best: 0.5, bestStep: 2, wait: 1 });
    trainer.model.dispose();
  });

  it('hands every callback what evaluate returned beside the scores, and the trainer as it is', async () => {
    const trainer = trainerOf(2);
    const confusion = new ConfusionMatrix(3);
    const snapshots = [{ id: 'a', image: { data: new Uint8Array(3), width: 1, height: 1 }, labels: [1], prediction: [2] }];
    const seen: [Evaluation, number, boolean][] = [];
    const spy: TrainingCallback = { onEvaluate: (e, t) => void seen.push([e, t.step, t.model === trainer.model]) };
    await trainer.fit({ steps: 4, evaluateEvery: 2, evaluate: async () => ({ scores: { iou: 0.5 }, confusion, snapshots }), callbacks: [spy] });
    expect(seen.map(([e, step, model]) => [e.step, e.last, e.scores, step, model])).toEqual([
      [2, false, { iou: 0.5 }, 2, true],
      [4, true, { iou: 0.5 }, 4, true],
    ]);
    expect(seen[0][0].confusion).toBe(confusion);
    expect(seen[0][0].snapshots).toBe(snapshots);
    trainer.model.dispose();
  });

  it("stops at a NaN in a callback's monitored score, wherever evaluate put it", async () => {
    const trainer = trainerOf(3);
    const seen: number[] = [];
    const error = await trainer
      .fit({
        steps: 4,
        evaluateEvery: 2,
        evaluate: async () => ({ scores: { iou: Number.NaN, other: Number.NaN } }),
        callbacks: [new EarlyStopping({ monitor: 'iou' }), { onEvaluate: (e) => void seen.push(e.step) }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteTrainingError);
    // Only the monitored score (and the loss) decide: `other` is not named.
    expect(error).toMatchObject({ step: 2, kind: 'scores', scores: { iou: Number.NaN } });
    expect(seen).toEqual([]);
    trainer.model.dispose();
  });

  it('steps with the gradients of a source passed in', async () => {
    const input = tfl.input({ shape: [1, 1, 1] });
    const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 2, name: 'd' }).apply(input) as tfl.SymbolicTensor });
    model.setWeights([tf.tensor2d([[1, 2]]), tf.tensor1d([3, 4])]);
    // Every gradient 1 and a loss of 0.25, whatever the batch: SGD(0.1) must take exactly 0.1 off every weight.
    const source: GradientSource = {
      start: async () => {},
      dispose: async () => {},
      gradients: async () => ({
        loss: 0.25,
        metrics: {},
        grads: Object.fromEntries(model.trainableWeights.map((w) => [(w.read() as tf.Variable).name, tf.onesLike(w.read())])),
        commit: () => {},
      }),
    };
    const trainer = new Trainer({ model, loss: ce, groups: [{ name: 'all', optimizer: tf.train.sgd(0.1) }], gradientSource: source });
    const b = { images: tf.zeros([1, 1, 1, 1]) as tf.Tensor4D, labels: tf.zeros([1, 1, 1], 'int32') as tf.Tensor3D };
    expect(await trainer.trainStep(b)).toEqual({ step: 1, loss: 0.25, metrics: {} });
    tf.dispose([b.images, b.labels]);
    const after = await Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
    expect(after.flat()).toEqual([1, 2, 3, 4].map((v) => Math.fround(Math.fround(v) - Math.fround(0.1))));
    const workers = { count: 2, replica: 'x.mjs' };
    expect(() => new Trainer({ model, loss: ce, gradientSource: source, workers })).toThrow('Trainer: pass either gradientSource or workers, not both');
    model.dispose();
  });
});

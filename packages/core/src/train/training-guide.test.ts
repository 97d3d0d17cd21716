/**
 * Follows docs/guides/training.md sections 2–4 step by step (a tiny model in
 * place of DeepLabV3+): run the script, "crash" it mid-run, run the same
 * script again, and check it continues exactly as an uninterrupted run.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { tinyModel, tinySamples } from '../../../../test-utils/tiny-run.js';
import {
  BestModelSaver,
  compose,
  EarlyStopping,
  evaluateSegmentation,
  inMemoryDataset,
  randomCrop,
  randomHorizontalFlip,
  resumableBatches,
  segmentationBatches,
  sparseSoftmaxCrossEntropy,
  Trainer,
} from '../index.js';

const root = mkdtempSync(join(tmpdir(), 'seg-guide-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

class Crash extends Error {}

/** The guide's script, in `dir`; `crashAfter` throws out of training after that step, as a kill would stop it. */
async function guideScript(dir: string, crashAfter?: number) {
  const train = inMemoryDataset(tinySamples(12, 3));
  const validation = inMemoryDataset(tinySamples(4, 4));
  // 2. A dataset and a batch stream
  const augment = compose([randomHorizontalFlip(), randomCrop({ size: 6, ignoreIndex: 255 })]);
  const stream = segmentationBatches(train, { batchSize: 2, transform: augment, seed: 1, normalize: 'unit' });
  // 3. The model and the trainer, with its stateful parts
  const model = tinyModel(11);
  const trainer = new Trainer({
    model,
    loss: (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits, { ignoreIndex: 255 }),
    groups: [
      { name: 'trunk', match: model.getLayer('trunk'), optimizer: tf.train.adam(1e-2) },
      { name: 'head', optimizer: tf.train.adam(2e-2), weightDecay: 1e-4 },
    ],
    data: resumableBatches(stream),
    config: { batchSize: 2, steps: 14 },
  });
  const earlyStopping = new EarlyStopping({ monitor: 'meanIoU', patience: 10 });
  const bestModel = new BestModelSaver({ dir: join(dir, 'best-model'), monitor: 'meanIoU' });
  // 4. Fit, evaluate, stop early, resume
  const valBatches = () => segmentationBatches(validation, { batchSize: 1, shuffle: false, normalize: 'unit' }).epoch(0);
  const restored = await trainer.restore(join(dir, 'ckpt'));
  const losses = new Map<number, number>();
  const result = await trainer
    .fit({
      steps: 14,
      evaluateEvery: 4,
      evaluate: async () => {
        const { meanIoU, pixelAccuracy } = await evaluateSegmentation(model, valBatches(), { numClasses: 3 });
        return { meanIoU, pixelAccuracy };
      },
      checkpointDir: join(dir, 'ckpt'),
      callbacks: [
        earlyStopping,
        bestModel,
        {
          onStepEnd: ({ step, loss }) => {
            losses.set(step, loss);
            if (step === crashAfter) throw new Crash(`killed after step ${step}`);
          },
        },
      ],
    })
    .catch((e: unknown) => {
      if (!(e instanceof Crash)) throw e;
      return null;
    });
  const esState = earlyStopping.getState();
  model.dispose();
  return { restored, losses, result, esState, saved: bestModel.saved };
}

it('the training guide resumes a run as it says: same losses, early stopping and best model as without the crash', async () => {
  await useBackend('cpu');
  const whole = await guideScript(join(root, 'whole'));
  expect(whole.restored).toBeNull();
  expect(whole.losses.size).toBe(14);

  const dir = join(root, 'crashed');
  const crashed = await guideScript(dir, 10);
  expect(crashed.result).toBeNull();
  const again = await guideScript(dir);
  // The last checkpoint before the crash was at the evaluation of step 8.
  expect(again.restored).toMatchObject({ step: 8, user: null });
  expect([...again.losses.keys()]).toEqual([9, 10, 11, 12, 13, 14]);
  for (const [step, loss] of again.losses) expect(loss).toBe(whole.losses.get(step)!);
  expect(again.result).toEqual(whole.result);
  expect(again.esState).toEqual(whole.esState);
  expect(again.saved).toEqual(whole.saved);
  expect(existsSync(join(dir, 'best-model', 'model.json'))).toBe(true);
});

// A checkpoint the Trainer wrote before early stopping and the best-model saver became callbacks
// (fixtures/checkpoint-v2, from scripts/fixtures/checkpoint_v2.sh) resumes with today's Trainer and
// callbacks: the same section keys and files, read into the callbacks when fit() starts.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, expect, it } from 'vitest';
import { tinyRun } from '../../../../../test-utils/tiny-run.js';
import '../../registration.js';

const root = mkdtempSync(join(tmpdir(), 'seg-checkpoint-v2-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fixture = fileURLToPath(new URL('../../../fixtures/checkpoint-v2', import.meta.url));

/** The fixture's run (dropout 0.5, seed 1) in `dir`, to `steps`; resumed from `checkpoint` when given. */
async function run(dir: string, steps: number, checkpoint?: string) {
  const r = tinyRun({ dir, steps, modelSeed: checkpoint ? 9 : 1, dropout: 0.5, seed: 1 });
  if (checkpoint) {
    cpSync(checkpoint, r.fit.checkpointDir!, { recursive: true });
    expect(await r.trainer.restore(r.fit.checkpointDir!, { allowConfigChanges: ['steps'] })).toMatchObject({ step: 4 });
  }
  const losses = new Map<number, number>();
  // Best weights kept until the end: compare what early stopping holds, not what it put back.
  const held: number[][] = [];
  const keep = { onTrainEnd: async () => void held.push(...(await Promise.all((r.earlyStopping.bestWeights ?? []).map(async (w) => Array.from(await w.data()))))) };
  await r.trainer.fit({ ...r.fit, callbacks: [...r.fit.callbacks, keep, { onStepEnd: (s) => void losses.set(s.step, s.loss) }] });
  const weights = await Promise.all(r.trainer.model.weights.map(async (w) => Array.from(await w.read().data())));
  r.trainer.model.dispose();
  return { losses, weights, held, earlyStopping: r.earlyStopping.getState(), saved: r.bestModel.saved };
}

it('resumes a checkpoint of the previous layout bit for bit: steps, early stopping, best weights, best-model score', async () => {
  await tf.setBackend('cpu');
  const whole = await run(join(root, 'whole'), 8);
  const resumed = await run(join(root, 'resumed'), 8, fixture);
  expect([...resumed.losses.keys()]).toEqual([5, 6, 7, 8]);
  for (const [step, loss] of resumed.losses) expect(loss).toBe(whole.losses.get(step));
  expect(resumed.earlyStopping).toEqual(whole.earlyStopping);
  expect(resumed.saved).toEqual(whole.saved);
  expect(resumed.held).toEqual(whole.held);
  expect(resumed.weights).toEqual(whole.weights);
});

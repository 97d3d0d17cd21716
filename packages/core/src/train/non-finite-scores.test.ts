// Huge but finite weights (a learning rate of 1e30) score a NaN validation loss
// while pixel accuracy stays a finite 0: such weights must become neither the
// best model nor a checkpoint, the stop must name the iteration and the last
// good checkpoint, and that checkpoint must resume.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tinyRun } from '../../../../test-utils/tiny-run.js';
import '../registration.js';
import { NonFiniteTrainingError } from './non-finite.js';

const root = mkdtempSync(join(tmpdir(), 'seg-non-finite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const files = (dir: string) => readdirSync(dir).sort().map((f) => `${f}:${readFileSync(join(dir, f)).toString('base64')}`);

it('stops at the evaluation that scores a NaN loss, saving nothing, naming the last good checkpoint, which resumes', async () => {
  const dir = join(root, 'run');
  const first = tinyRun({ dir, steps: 2 });
  await first.trainer.fit(first.fit);
  first.trainer.model.dispose();
  const checkpoint = join(dir, 'checkpoint');
  const best = join(dir, 'best');
  const [checkpointBefore, bestBefore] = [files(checkpoint), files(best)];

  // The same run continued with a learning rate of 1e30: one step makes every weight huge.
  const exploding = tinyRun({ dir, steps: 6, learningRate: 1e30 });
  await exploding.trainer.restore(checkpoint, { allowConfigChanges: ['steps', 'learningRate'] });
  const scores: Record<string, number>[] = [];
  const error = await exploding.trainer
    .fit({ ...exploding.fit, evaluateEvery: 1, checkpointEvery: 1, callbacks: [...exploding.fit.callbacks, { onEvaluate: (e) => void scores.push(e.scores) }] })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NonFiniteTrainingError);
  expect(error).toMatchObject({ step: 3, kind: 'scores', lastCheckpoint: { dir: checkpoint, step: 2 } });
  const message = (error as Error).message;
  expect(message).toMatch(/^Trainer: training stopped at iteration 3: the evaluation of its weights scored loss (NaN|Infinity)\. Nothing was saved/);
  expect(message).toContain(`The last good checkpoint is ${checkpoint} (iteration 2); it resumes.`);
  // The weights really are finite: the weight check alone would have let them through.
  const weights = await Promise.all(exploding.trainer.model.weights.map((w) => w.read().data()));
  expect(weights.every((w) => w.every(Number.isFinite))).toBe(true);
  expect(Math.max(...weights.map((w) => Math.max(...w.map(Math.abs))))).toBeGreaterThan(1e20);
  // No callback saw the broken evaluation; checkpoint and best model are byte for byte the last good ones.
  expect(scores).toEqual([]);
  expect(files(checkpoint)).toEqual(checkpointBefore);
  expect(files(best)).toEqual(bestBefore);
  exploding.trainer.model.dispose();

  // The named checkpoint resumes, and training from it stays finite.
  const resumed = tinyRun({ dir, steps: 4 });
  expect((await resumed.trainer.restore(checkpoint, { allowConfigChanges: ['steps'] }))?.step).toBe(2);
  const losses: number[] = [];
  await resumed.trainer.fit({ ...resumed.fit, callbacks: [...resumed.fit.callbacks, { onStepEnd: (s) => void losses.push(s.loss) }] });
  expect(losses).toHaveLength(2);
  expect(losses.every(Number.isFinite)).toBe(true);
  resumed.trainer.model.dispose();
});

// Data-parallel training (Trainer `workers`). The replicas load the built
// @seg/core (dist) and the .mjs fixtures beside this file: worker threads and
// child processes run JavaScript, not vitest's TypeScript. `pnpm test` builds
// first; alone, run `pnpm build` before these tests.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../registration.js';
import type { TrainBatch } from '../gradient-source.js';
import { Trainer } from '../trainer.js';
// @ts-expect-error: a plain-JS fixture without types (replicas load it too).
import { loss, metrics, tinyModel } from './fixtures/tiny-replica.mjs';
import { shardSizes } from './shards.js';
import type { TrainerWorkers } from './workers.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const model = (args: { seed?: number; batchNorm?: boolean; dropout?: number } = {}) => tinyModel(args) as tfl.LayersModel;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A learnable batch of `n` 5×5 images: a pixel's label is its largest colour channel. */
function batch(n: number, seed: number): TrainBatch {
  return tf.tidy(() => {
    const images = tf.randomUniform([n, 5, 5, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
    return { images, labels: tf.cast(tf.argMax(images, -1), 'int32') as tf.Tensor3D };
  });
}

const weightsOf = (m: tfl.LayersModel) => Promise.all(m.weights.map(async (w) => Array.from(await w.read().data())));

/** The largest difference between two weight lists, relative to the largest magnitude of each weight. */
function maxRelativeDifference(a: number[][], b: number[][]): number {
  let worst = 0;
  for (const [i, wa] of a.entries()) {
    const scale = Math.max(1e-12, ...wa.map(Math.abs));
    for (const [k, x] of wa.entries()) worst = Math.max(worst, Math.abs(x - b[i][k]) / scale);
  }
  return worst;
}

/** Trains a fresh tiny model on `sizes` batches, with the given workers (or none), and returns its weights and logs. */
async function train(
  sizes: number[],
  workers?: TrainerWorkers,
  batchNorm = false,
  random: { dropout?: number; seed?: number } = {},
  group: { freezeBN?: boolean } = {},
) {
  const trainer = new Trainer({
    model: model({ seed: 1, batchNorm, dropout: random.dropout }),
    loss,
    metrics,
    workers,
    groups: [{ name: 'all', learningRate: 0.05, ...group }],
    seed: random.seed,
  });
  try {
    const logs = [];
    for (const [i, n] of sizes.entries()) {
      const b = batch(n, 10 + i);
      logs.push(await trainer.trainStep(b));
      tf.dispose([b.images, b.labels]);
    }
    return { weights: await weightsOf(trainer.model), logs };
  } finally {
    await trainer.dispose();
  }
}

/** Threads of this process (Linux), so a replica thread left behind shows. */
async function threadCount(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  return Number(/Threads:\s+(\d+)/.exec(status)![1]);
}

describe('shardSizes', () => {
  it('splits a batch as evenly as it allows, one image per replica at least', () => {
    expect(shardSizes(4, 2)).toEqual([2, 2]);
    expect(shardSizes(5, 2)).toEqual([3, 2]);
    expect(shardSizes(7, 3)).toEqual([3, 2, 2]);
    expect(shardSizes(1, 4)).toEqual([1]);
  });
});

describe('Trainer workers', () => {
  // Batches of 4, 3 (uneven shards 2 + 1: the pixel weighting shows) and 4.
  const sizes = [4, 3, 4];

  it('2 replicas (threads) train to the weights of 1 replica and of one thread, with the same loss and metrics', async () => {
    const inThread = await train(sizes);
    const one = await train(sizes, { count: 1, replica: fixture('tiny-replica.mjs') });
    const two = await train(sizes, { count: 2, replica: fixture('tiny-replica.mjs') });
    expect(maxRelativeDifference(two.weights, one.weights)).toBeLessThan(1e-5);
    expect(maxRelativeDifference(two.weights, inThread.weights)).toBeLessThan(1e-5);
    for (const [i, logs] of inThread.logs.entries()) {
      expect(two.logs[i].step).toBe(logs.step);
      expect(two.logs[i].loss).toBeCloseTo(logs.loss, 5);
      expect(two.logs[i].metrics.accuracy).toBeCloseTo(logs.metrics.accuracy, 5);
    }
  });

  it('2 replicas in child processes train to the same weights as one thread', async () => {
    const inThread = await train(sizes);
    const two = await train(sizes, { count: 2, replica: fixture('tiny-replica.mjs'), transport: 'process' });
    expect(maxRelativeDifference(two.weights, inThread.weights)).toBeLessThan(1e-5);
  });

  it('with dropout and a seed: 2 replicas give bit-identical runs, and 1 replica draws the masks of one thread', async () => {
    const random = { dropout: 0.5, seed: 3 };
    const workers = (count: number, args = {}) => ({ count, replica: fixture('tiny-replica.mjs'), args: { dropout: 0.5, ...args } });
    const a = await train(sizes, workers(2), false, random);
    const b = await train(sizes, workers(2), false, random);
    expect(b.weights).toEqual(a.weights);
    expect(b.logs).toEqual(a.logs);
    const otherSeed = await train(sizes, workers(2), false, { ...random, seed: 4 });
    expect(otherSeed.weights).not.toEqual(a.weights);
    // One replica computes the whole batch with the thread's stream, on the thread's backend (cpu): the same run.
    const one = await train(sizes, workers(1), false, random);
    const inThread = await train(sizes, undefined, false, random);
    expect(one.weights).toEqual(inThread.weights);
    expect(one.logs).toEqual(inThread.logs);
  });

  it("keeps replica 0's BatchNorm moving statistics, as nn.DataParallel keeps device 0's", async () => {
    // One image per replica: replica 0's statistics are those of image 0 alone.
    const two = await train([2], { count: 2, replica: fixture('tiny-replica.mjs'), args: { batchNorm: true } }, true);
    const firstImage = await train([1], undefined, true);
    const names = model({ batchNorm: true }).weights.map((w) => w.name);
    const moving = names.flatMap((n, i) => (/moving/.test(n) ? [i] : []));
    expect(moving.length).toBe(2);
    for (const i of moving) {
      expect(maxRelativeDifference([two.weights[i]], [firstImage.weights[i]])).toBeLessThan(1e-5);
    }
  });

  it('runs the batch norms the trainer froze (freezeBN) in inference mode in every replica: statistics kept, steps as in one thread', async () => {
    const workers = { count: 2, replica: fixture('tiny-replica.mjs'), args: { batchNorm: true } };
    const two = await train([4, 4], workers, true, {}, { freezeBN: true });
    const inThread = await train([4, 4], undefined, true, {}, { freezeBN: true });
    const untouched = await weightsOf(model({ seed: 1, batchNorm: true }));
    const names = model({ batchNorm: true }).weights.map((w) => w.name);
    for (const [i, name] of names.entries()) {
      // Frozen: the moving statistics are the initial ones, bit for bit; every weight as the one-thread run's.
      if (/moving/.test(name)) expect(two.weights[i]).toEqual(untouched[i]);
      expect(maxRelativeDifference([two.weights[i]], [inThread.weights[i]])).toBeLessThan(1e-5);
    }
  });

  it('rejects naming the module when a replica cannot load it, or it builds another model', async () => {
    const b = batch(2, 1);
    const missing = new Trainer({ model: model(), loss, workers: { count: 2, replica: fixture('missing.mjs') } });
    await expect(missing.trainStep(b)).rejects.toThrow(/replica [01] failed: .*missing\.mjs/);
    await missing.dispose();
    // The trainer's model has BatchNorm, the replicas' not: 8 weights against 4.
    const other = new Trainer({ model: model({ batchNorm: true }), loss, workers: { count: 1, replica: fixture('tiny-replica.mjs') } });
    await expect(other.trainStep(b)).rejects.toThrow(/replica 0 failed: .*tiny-replica\.mjs builds a model with 4 weights, the trainer's has 8/);
    await other.dispose();
    tf.dispose([b.images, b.labels]);
  });

  it('resumes a 2-replica run with dropout from its checkpoint bit for bit as it would have continued', async () => {
    const workers = { count: 2, replica: fixture('tiny-replica.mjs'), args: { batchNorm: true, dropout: 0.5 } };
    const trainer = (seed = 1) => new Trainer({ model: model({ seed, batchNorm: true, dropout: 0.5 }), loss, workers, seed: 5 });
    const dir = mkdtempSync(join(tmpdir(), 'seg-replicas-'));
    dirs.push(dir);
    const run = async (trainer: Trainer, from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const b = batch(4, 20 + i);
        await trainer.trainStep(b);
        tf.dispose([b.images, b.labels]);
      }
    };
    const straight = trainer();
    await run(straight, 0, 4);
    const expected = await weightsOf(straight.model);
    await straight.dispose();

    const first = trainer();
    await run(first, 0, 2);
    await first.save(dir);
    await first.dispose();
    expect(readdirSync(dir).length).toBeGreaterThan(0);
    // Another initialisation: everything must come from the checkpoint.
    const resumed = trainer(7);
    expect((await resumed.restore(dir))?.step).toBe(2);
    await run(resumed, 2, 4);
    expect(resumed.step).toBe(4);
    // The steps' dropout masks come from the seed and the step, Adam's state is restored as the run had it.
    expect(await weightsOf(resumed.model)).toEqual(expected);
    await resumed.dispose();
  });

  it('leaks no tensor (here or in a replica) and no thread across 100 steps', async () => {
    const threads = await threadCount();
    const trainer = new Trainer({ model: model(), loss, workers: { count: 2, replica: fixture('tiny-replica.mjs') } });
    const b = batch(2, 3);
    await trainer.trainStep(b);
    const tensors = tf.memory().numTensors;
    const replicaTensors = [...trainer.replicaTensors];
    for (let i = 0; i < 99; i++) await trainer.trainStep(b);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(trainer.replicaTensors).toEqual(replicaTensors);
    await trainer.dispose();
    expect(await threadCount()).toBe(threads);
    tf.dispose([b.images, b.labels]);
  });
});

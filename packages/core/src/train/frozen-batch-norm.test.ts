import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../test-utils/backends.js';
import '../registration.js';
import { freezeBatchNorm, isBatchNormFrozen } from '../backprop/frozen-batch-norm.js';
import { atrousConv2d } from '../layers/atrous-conv2d.js';
import { batchNormAct } from '../layers/batch-norm-act.js';
import { sparseSoftmaxCrossEntropy } from '../losses/cross-entropy.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainBatch } from './gradient-source.js';
import { createOptimizer } from './optimizers/create-optimizer.js';
import { lrSchedule } from './optimizers/lr-schedule.js';
import type { ParameterGroupOptions } from './optimizers/parameter-groups.js';
import { Trainer } from './trainer.js';

/** trunk (3×3 conv, BN + ReLU) → head (1×1 conv to 3 classes); BN statistics start away from a batch's, so moving them shows. */
function model(): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 3] });
  let x = atrousConv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'trunk.conv', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }).apply(input);
  x = batchNormAct({ activation: 'relu', name: 'trunk.bn', movingMeanInitializer: 'ones', movingVarianceInitializer: tfl.initializers.constant({ value: 2 }) }).apply(x);
  const y = atrousConv2d({ filters: 3, kernelSize: 1, name: 'head', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }).apply(x);
  return tfl.model({ inputs: input, outputs: y as tfl.SymbolicTensor });
}

const loss = (labels: tf.Tensor, logits: tf.Tensor) => sparseSoftmaxCrossEntropy(labels, logits);
function batch(seed: number): TrainBatch {
  return tf.tidy(() => {
    const images = tf.randomUniform([2, 6, 6, 3], -1, 2, 'float32', seed) as tf.Tensor4D;
    return { images, labels: tf.cast(tf.argMax(images, -1), 'int32') as tf.Tensor3D };
  });
}

/** Every weight's values by name (`trunk.bn/moving_mean`, …). */
async function snapshot(m: tfl.LayersModel): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const w of m.weights) out[w.originalName] = (await w.read().data()) as Float32Array;
  return out;
}
const TRUNK = ['trunk.conv/kernel', 'trunk.bn/gamma', 'trunk.bn/beta'];
const STATS = ['trunk.bn/moving_mean', 'trunk.bn/moving_variance'];

/** Trains `steps` SGD updates with `trunk`'s group options; returns the weights before and after each step. */
async function train(trunk: Partial<ParameterGroupOptions>, steps: number) {
  const m = model();
  const groups = [{ name: 'trunk', match: 'trunk.', optimizer: tf.train.sgd(0.5), ...trunk }, { name: 'head', optimizer: tf.train.sgd(0.5) }];
  const trainer = new Trainer({ model: m, loss, groups });
  const states = [await snapshot(m)];
  const losses: number[] = [];
  for (let k = 1; k <= steps; k++) {
    const b = batch(k);
    // From the second step on (the optimizers' state exists), a step leaves no tensor behind, frozen BN included.
    const step = () => trainer.trainStep(b);
    losses.push((await (k > 1 ? expectNoTensorLeak(step) : step())).loss);
    tf.dispose([b.images, b.labels]);
    states.push(await snapshot(m));
  }
  return { m, trainer, states, losses };
}
const same = (a: Record<string, Float32Array>, b: Record<string, Float32Array>, keys: string[]) => keys.every((k) => a[k].every((v, i) => Object.is(v, b[k][i])));
const changed = (a: Record<string, Float32Array>, b: Record<string, Float32Array>, keys: string[]) => keys.every((k) => a[k].some((v, i) => v !== b[k][i]));

describeEachBackend('frozen batch norms in training steps', () => {
  it('a trunk that trains updates its BN running statistics (the control the other tests rely on)', async () => {
    const { m, trainer, states } = await train({}, 1);
    expect(changed(states[0], states[1], [...TRUNK, ...STATS])).toBe(true);
    await trainer.dispose();
    m.dispose();
  });

  it('a frozen group: weights and running statistics bit-identical after steps, BN in inference mode (the loss is the inference loss)', async () => {
    const { m, trainer, states, losses } = await train({ frozen: true }, 3);
    expect(same(states[0], states[3], [...TRUNK, ...STATS])).toBe(true);
    expect(changed(states[0], states[3], ['head/kernel'])).toBe(true);
    expect(isBatchNormFrozen(m.getLayer('trunk.bn'))).toBe(true);
    // Step 1's loss was taken before any update, by the untouched trunk: it must be the inference-mode loss.
    const fresh = model();
    const b = batch(1);
    const inferenceLoss = tf.tidy(() => loss(b.labels, fresh.apply(b.images, { training: false }) as tf.Tensor));
    const want = (await inferenceLoss.data())[0];
    inferenceLoss.dispose();
    expect(Math.abs(losses[0] - want)).toBeLessThan(1e-5 * Math.max(1, want));
    tf.dispose([b.images, b.labels]);
    fresh.dispose();
    await trainer.dispose();
    m.dispose();
  });

  it('freezeBN on a trunk that trains: its weights, gamma and beta move, its running statistics stay bit-identical', async () => {
    const { m, trainer, states } = await train({ freezeBN: true }, 2);
    expect(changed(states[0], states[2], TRUNK)).toBe(true);
    expect(same(states[0], states[2], STATS)).toBe(true);
    await trainer.dispose();
    m.dispose();
  });

  it('frozenSteps 2: trunk and statistics untouched for two updates, then trained in training mode', async () => {
    const { m, trainer, states } = await train({ frozenSteps: 2 }, 3);
    expect(same(states[0], states[2], [...TRUNK, ...STATS])).toBe(true);
    expect(changed(states[0], states[2], ['head/kernel'])).toBe(true);
    expect(changed(states[2], states[3], [...TRUNK, ...STATS])).toBe(true);
    expect(isBatchNormFrozen(m.getLayer('trunk.bn'))).toBe(false);
    await trainer.dispose();
    m.dispose();
  });

  it("tfjs's BatchNormalization under the tape: frozen it is the inference map and keeps its statistics; unfrozen it trains again", async () => {
    const bn = tfl.layers.batchNormalization({ movingMeanInitializer: 'ones' });
    const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 7);
    bn.apply(x);
    expect(freezeBatchNorm([bn])).toBe(1);
    {
      const before = await bn.getWeights()[2].data();
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(bn.apply(x, { training: true }) as tf.Tensor)), bn.trainableWeights.map((w) => w.read() as tf.Variable));
      const inference = bn.apply(x, { training: false }) as tf.Tensor;
      const want = tf.sum(tf.square(inference));
      expect(Math.abs((await value.data())[0] - (await want.data())[0])).toBeLessThan(1e-4);
      expect(Array.from(await bn.getWeights()[2].data())).toEqual(Array.from(before));
      tf.dispose([value, inference, want, ...Object.values(grads)]);
    }
    freezeBatchNorm([bn], false);
    tf.dispose(bn.apply(x, { training: true }) as tf.Tensor);
    expect((await bn.getWeights()[2].data())[0]).not.toBe(1);
    x.dispose();
    bn.dispose();
  });

  it('resumes a run with schedules, SGD momentum, AdamW and a trunk frozen for its first steps to the uninterrupted weights, bit for bit', async () => {
    const trainer = (m: tfl.LayersModel) =>
      new Trainer({
        model: m,
        loss,
        groups: [
          {
            name: 'trunk',
            match: 'trunk.',
            frozenSteps: 2,
            ...createOptimizer({ optimizer: 'sgd', learningRate: 0.2, weightDecay: 1e-3 }),
            schedule: lrSchedule({ schedule: 'poly', learningRate: 0.2, steps: 6 }),
          },
          {
            name: 'head',
            ...createOptimizer({ optimizer: 'adamw', learningRate: 0.05 }),
            schedule: lrSchedule({ schedule: 'cosine', learningRate: 0.05, steps: 6, warmup: 2 }),
          },
        ],
      });
    const run = async (t: Trainer, from: number, to: number) => {
      for (let k = from + 1; k <= to; k++) {
        const b = batch(k);
        await t.trainStep(b);
        tf.dispose([b.images, b.labels]);
      }
    };
    const whole = trainer(model());
    await run(whole, 0, 6);
    const dir = mkdtempSync(join(tmpdir(), 'seg-frozen-resume-'));
    try {
      const first = trainer(model());
      await run(first, 0, 3);
      await first.save(join(dir, 'checkpoint'));
      const second = trainer(model());
      await second.restore(join(dir, 'checkpoint'));
      expect(second.step).toBe(3);
      await run(second, 3, 6);
      const [want, got] = [await snapshot(whole.model), await snapshot(second.model)];
      expect(same(want, got, Object.keys(want))).toBe(true);
      // The trunk thawed at step 2: it trained, and its BN left inference mode.
      expect(changed(await snapshot(model()), got, [...TRUNK, ...STATS])).toBe(true);
      for (const t of [whole, first, second]) {
        await t.dispose();
        t.model.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

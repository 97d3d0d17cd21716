/**
 * A seed makes a run: two runs of the tiny run with dropout and the same
 * trainer seed end bit-identical, and a run stopped and resumed in a fresh
 * trainer ends bit-equal to an uninterrupted one, whatever drew random
 * numbers in between. Checked by bytes of the checkpoint files (weights and
 * Adam moments), not by a tolerance.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../../../test-utils/backends.js';
import { tempDirs } from '../../../../test-utils/temp-dirs.js';
import { tinyRun } from '../../../../test-utils/tiny-run.js';
import { unsupportedLayers } from '../backprop/model-gradients.js';
import { SeededRng } from '../data/rng.js';
import { withSeededRandom } from '../data/seeded-random.js';
import { sparseSoftmaxCrossEntropy } from '../losses/cross-entropy.js';
import { CHECKPOINT_FILES } from './checkpoint/checkpoint.js';
import { Trainer } from './trainer.js';

const tempDir = tempDirs('seg-seeded-');

const DROPOUT = 0.5;

/** Trains (or, with `resume`, continues) the tiny run with dropout in `dir` to `steps`; returns each step's loss and the checkpoint's bytes. */
async function run(dir: string, steps: number, seed: number | undefined, resume = false) {
  const { trainer, fit } = tinyRun({ dir, steps, dropout: DROPOUT, seed, modelSeed: resume ? 99 : 1 });
  if (resume) await trainer.restore(fit.checkpointDir!, { allowConfigChanges: ['steps'] });
  const losses = new Map<number, number>();
  await trainer.fit({ ...fit, callbacks: [...fit.callbacks, { onStepEnd: ({ step, loss }) => void losses.set(step, loss) }] });
  trainer.model.dispose();
  await trainer.dispose();
  const file = (name: string) => readFileSync(join(fit.checkpointDir!, name));
  return { losses, weights: file(CHECKPOINT_FILES.weights), optimizers: file(CHECKPOINT_FILES.optimizers) };
}

describeEachBackend('seeded training runs', () => {
  it('the same seed gives bit-identical runs; another seed, or none, another run', async () => {
    const a = await run(tempDir(), 6, 1);
    const b = await run(tempDir(), 6, 1);
    expect(b.losses).toEqual(a.losses);
    expect(b.weights.equals(a.weights)).toBe(true);
    expect(b.optimizers.equals(a.optimizers)).toBe(true);
    // Same data, same initial weights: only the dropout masks differ.
    const other = await run(tempDir(), 6, 2);
    expect(other.weights.equals(a.weights)).toBe(false);
    expect(other.losses.get(1)).not.toBe(a.losses.get(1));
    const unseeded = [await run(tempDir(), 6, undefined), await run(tempDir(), 6, undefined)];
    expect(unseeded[0].weights.equals(unseeded[1].weights)).toBe(false);
  });

  it('a run stopped after step 4 and resumed in a fresh trainer ends bit-equal to an uninterrupted one', async () => {
    const whole = await run(tempDir(), 9, 1);
    const dir = tempDir();
    const first = await run(dir, 4, 1);
    // Random draws in between, as another process or other work would make: the masks of step 5 must not depend on them.
    tf.dispose(tf.randomUniform([100]));
    Math.random();
    const second = await run(dir, 9, 1, true);
    expect([...second.losses.keys()]).toEqual([5, 6, 7, 8, 9]);
    expect(new Map([...first.losses, ...second.losses])).toEqual(whole.losses);
    expect(second.weights.equals(whole.weights)).toBe(true);
    expect(second.optimizers.equals(whole.optimizers)).toBe(true);
  });

  it("seeds the tape's step too: a model with GaussianNoise (no layer-by-layer gradient) repeats with its seed", async () => {
    const steps = async (seed?: number) => {
      const input = tfl.input({ shape: [4, 4, 3] });
      const noisy = tfl.layers.gaussianNoise({ stddev: 0.5 }).apply(input) as tfl.SymbolicTensor;
      const conv = tfl.layers.conv2d({ filters: 3, kernelSize: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) });
      const model = tfl.model({ inputs: input, outputs: tfl.layers.dropout({ rate: 0.5 }).apply(conv.apply(noisy)) as tfl.SymbolicTensor });
      expect(unsupportedLayers(model)).toEqual([expect.stringMatching(/\(GaussianNoise\)$/)]);
      const trainer = new Trainer({ model, loss: (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits), seed });
      const losses: number[] = [];
      for (let k = 1; k <= 3; k++) {
        const [images, labels] = tf.tidy(() => {
          const x = tf.randomUniform([2, 4, 4, 3], 0, 1, 'float32', k) as tf.Tensor4D;
          return [x, tf.cast(tf.argMax(x, -1), 'int32') as tf.Tensor3D] as const;
        });
        losses.push((await trainer.trainStep({ images, labels })).loss);
        tf.dispose([images, labels]);
      }
      const weights = await Promise.all(model.weights.map(async (w) => Array.from(await w.read().data())));
      await trainer.dispose();
      model.dispose();
      return { losses, weights };
    };
    const a = await steps(7);
    expect(await steps(7)).toEqual(a);
    expect((await steps()).losses).not.toEqual((await steps()).losses);
  });

});

describe('Trainer seed', () => {
  it('refuses a seed that is not an integer', () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [1] })] });
    expect(() => new Trainer({ model, loss: (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits), seed: 0.5 })).toThrow(
      'Trainer: seed must be an integer, got 0.5',
    );
    model.dispose();
  });
});

describe('withSeededRandom', () => {
  it("seeds tfjs's unseeded draws from the generator, and puts Math.random back", () => {
    const original = Math.random;
    const draw = () => Array.from(tf.tidy(() => tf.randomUniform([4]).dataSync()));
    const a = withSeededRandom(5, draw);
    Math.random();
    expect(withSeededRandom(5, draw)).toEqual(a);
    expect(withSeededRandom(new SeededRng(5), draw)).toEqual(a);
    expect(withSeededRandom(6, draw)).not.toEqual(a);
    expect(Math.random).toBe(original);
    expect(() =>
      withSeededRandom(5, () => {
        throw new Error('inner');
      }),
    ).toThrow('inner');
    expect(Math.random).toBe(original);
  });

  it('refuses an async function, whose continuation it could not seed', async () => {
    const original = Math.random;
    expect(() => withSeededRandom(1, async () => 1)).toThrow(/fn returned a promise; only its synchronous part would be seeded/);
    expect(Math.random).toBe(original);
  });
});

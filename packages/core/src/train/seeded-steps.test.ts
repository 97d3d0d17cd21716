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
import { describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../../../test-utils/backends.js';
import { tempDirs } from '../../../../test-utils/temp-dirs.js';
import { tinyRun } from '../../../../test-utils/tiny-run.js';
import { SeededRng } from '../data/rng.js';
import { withSeededRandom } from '../data/seeded-random.js';
import { CHECKPOINT_FILES } from './checkpoint.js';

const tempDir = tempDirs('seg-seeded-');

const DROPOUT = 0.5;

/** Trains (or, with `resume`, continues) the tiny run with dropout in `dir` to `steps`; returns each step's loss and the checkpoint's bytes. */
async function run(dir: string, steps: number, seed: number | undefined, resume = false) {
  const { trainer, fit } = tinyRun({ dir, steps, dropout: DROPOUT, seed, modelSeed: resume ? 99 : 1 });
  if (resume) await trainer.restore(fit.checkpointDir!, { allowConfigChanges: ['steps'] });
  const losses = new Map<number, number>();
  await trainer.fit({ ...fit, callbacks: [{ onStepEnd: ({ step, loss }) => void losses.set(step, loss) }] });
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

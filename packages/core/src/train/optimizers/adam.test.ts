import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend } from '../../../../../test-utils/backends.js';
import { Adam, replayAdamBetaPowers } from './adam.js';

describeEachBackend('Adam', () => {
  it("takes tf.train.adam's steps exactly and keeps the same state layout", async () => {
    const init = [tf.tensor2d([[0.5, -1], [2, 0.25]]), tf.tensor1d([1, -3, 0.5])];
    const grads = (k: number) => [tf.tensor2d([[k, -0.5], [0.1 * k, 2]]), tf.tensor1d([-k, 0.3, 0])];
    const run = async (optimizer: tf.Optimizer) => {
      const vars = init.map((t) => tf.variable(t));
      for (let k = 1; k <= 3; k++) {
        const g = grads(k);
        optimizer.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, g[i]])));
        tf.dispose(g);
      }
      const state = await optimizer.getWeights();
      const out = {
        values: await Promise.all(vars.map(async (v) => Array.from(await v.data()))),
        state: await Promise.all(state.map(async (s) => [s.name.replace(/^.*\//, ''), Array.from(await s.tensor.data())])),
      };
      tf.dispose(vars);
      tf.dispose(state.map((s) => s.tensor));
      optimizer.dispose();
      return out;
    };
    const ours = await run(new Adam(0.01));
    const theirs = await run(tf.train.adam(0.01));
    expect(ours.values).toEqual(theirs.values);
    expect(ours.state).toEqual(theirs.state);
    tf.dispose(init);
  });

  it('equals tf.train.adam on variables split over several flat chunks (4M elements each)', async () => {
    const shapes = [[3_000_000], [1000, 2000], [10]];
    const run = async (optimizer: tf.Optimizer) => {
      // Seeds from 1: tfjs treats a seed of 0 as none.
      const vars = shapes.map((shape, i) => tf.variable(tf.randomNormal(shape, 0, 1, 'float32', i + 1)));
      for (let k = 1; k <= 2; k++) {
        const g = shapes.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', 10 * k + i));
        optimizer.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, g[i]])));
        tf.dispose(g);
      }
      const out = await Promise.all(vars.map(async (v) => (await v.data()).slice()));
      tf.dispose(vars);
      optimizer.dispose();
      return out;
    };
    const ours = await run(new Adam(0.01));
    const theirs = await run(tf.train.adam(0.01));
    ours.forEach((v, i) => {
      let worst = 0;
      v.forEach((x, j) => {
        worst = Math.max(worst, Math.abs(x - theirs[i][j]));
      });
      expect(worst, `variable ${i}`).toBe(0);
    });
  });

  it('moves its state to and from tf.train.adam (checkpoints) and keeps the tensor count flat', async () => {
    const values = [tf.tensor2d([[0.5, -1], [2, 0.25]]), tf.tensor1d([1, -3, 0.5])];
    const grads = (k: number) => [tf.tensor2d([[k, -0.5], [0.1 * k, 2]]), tf.tensor1d([-k, 0.3, 0])];
    /** Two steps with `first`, its state moved into `second`, two more steps: the final values. */
    const handOver = async (first: tf.Optimizer, second: tf.Optimizer) => {
      const vars = values.map((t) => tf.variable(t));
      const step = (opt: tf.Optimizer, k: number) => {
        const g = grads(k);
        opt.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, g[i]])));
        tf.dispose(g);
      };
      step(first, 1);
      step(first, 2);
      const state = await first.getWeights();
      await second.setWeights(state.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) })));
      tf.dispose(state.map((w) => w.tensor));
      step(second, 3); // lays out Adam's flat moments from the restored ones
      const before = tf.memory().numTensors;
      step(second, 4);
      expect(tf.memory().numTensors).toBe(before);
      const out = await Promise.all(vars.map(async (v) => Array.from(await v.data())));
      tf.dispose(vars);
      first.dispose();
      second.dispose();
      return out;
    };
    const reference = await handOver(tf.train.adam(0.01), tf.train.adam(0.01));
    expect(await handOver(new Adam(0.01), tf.train.adam(0.01))).toEqual(reference);
    expect(await handOver(tf.train.adam(0.01), new Adam(0.01))).toEqual(reference);
    expect(await handOver(new Adam(0.01), new Adam(0.01))).toEqual(reference);
    tf.dispose(values);
  });

  it('continues bit for bit after its state was moved, after hundreds of steps too, once its bias corrections are replayed', async () => {
    const betaPowers = async (o: tf.Optimizer) => {
      const s = o as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
      return [(await s.accBeta1.data())[0], (await s.accBeta2.data())[0]];
    };
    for (const make of [() => new Adam(0.01), () => tf.train.adam(0.01)]) {
      const vars = [tf.variable(tf.tensor1d([0.5, -1, 2])), tf.variable(tf.tensor1d([0.5, -1, 2]))];
      const step = (opt: tf.Optimizer, v: tf.Variable, k: number) => {
        const g = tf.tensor1d([Math.sin(k), Math.cos(k), (k % 7) - 3]);
        opt.applyGradients({ [v.name]: g });
        g.dispose();
      };
      const [whole, first, second] = [make(), make(), make()];
      for (let k = 1; k <= 300; k++) {
        step(whole, vars[0], k);
        step(first, vars[1], k);
      }
      const state = await first.getWeights();
      await second.setWeights(state.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) })));
      tf.dispose(state.map((w) => w.tensor));
      // tfjs's setWeights recomputes β^(t+1) with one pow: not the run's step-by-step product.
      expect(await betaPowers(second)).not.toEqual(await betaPowers(whole));
      replayAdamBetaPowers(second as tf.AdamOptimizer);
      expect(await betaPowers(second)).toEqual(await betaPowers(whole));
      for (let k = 301; k <= 303; k++) {
        step(whole, vars[0], k);
        step(second, vars[1], k);
      }
      expect(Array.from(await vars[1].data())).toEqual(Array.from(await vars[0].data()));
      tf.dispose(vars);
      for (const o of [whole, first, second]) o.dispose();
    }
  });

  it('names a missing gradient and a changed variable list', () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.tensor1d([3]));
    const adam = new Adam(0.1);
    const g = tf.tensor1d([1, 1]);
    expect(() => adam.applyGradients({ [a.name]: g, [b.name]: null as unknown as tf.Tensor })).toThrow(
      new RegExp(`no gradient for ${b.name}`),
    );
    adam.applyGradients({ [a.name]: g });
    expect(() => adam.applyGradients({ [b.name]: tf.tensor1d([1]) })).toThrow(/its state is for/);
    tf.dispose([a, b, g]);
    adam.dispose();
  });
});

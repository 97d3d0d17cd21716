import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../test-utils/backends.js';
import { Adam } from './adam.js';

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
        values: vars.map((v) => Array.from(v.dataSync())),
        state: state.map((s) => [s.name.replace(/^.*\//, ''), Array.from(s.tensor.dataSync())]),
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

  it('skips a variable without a gradient and leaks no tensors', async () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.tensor1d([3]));
    const adam = new Adam(0.1);
    const g = tf.tensor1d([1, 1]);
    const step = () => adam.applyGradients({ [a.name]: g, [b.name]: null as unknown as tf.Tensor });
    step(); // builds the state, b's included (as tf.train.adam does)
    await expectNoTensorLeak(step);
    expect(Array.from(b.dataSync())).toEqual([3]);
    expect(a.dataSync()[0]).toBeLessThan(1 - 0.1 * 1.9);
    tf.dispose([a, b, g]);
    adam.dispose();
  });
});

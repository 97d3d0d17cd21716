import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../../test-utils/backends.js';
import { applyGroupUpdates, type ParameterGroup } from './parameter-groups.js';
import { AdamW } from './adamw.js';
import { createOptimizer, type OptimizerOptions } from './create-optimizer.js';
import { type LrScheduleOptions, lrSchedule } from './lr-schedule.js';

// torch.optim + torch.optim.lr_scheduler trajectories: scripts/fixtures/optimizers.py.
interface Problem {
  shape: number[];
  init: number[];
  c: number[];
  t: number[];
}
const fixture: {
  problem: Problem[];
  schedules: { options: LrScheduleOptions; lr: number[] }[];
  optimizers: { optimizer: OptimizerOptions; schedule: Omit<LrScheduleOptions, 'learningRate'>; steps: { lr: number; params: number[][] }[] }[];
} = JSON.parse(readFileSync(new URL('../../../fixtures/optimizers/torch-optim.json', import.meta.url), 'utf8'));

const label = (o: object) => JSON.stringify(o).replace(/"/g, '');

describe("lrSchedule vs torch's schedulers", () => {
  for (const { options, lr } of fixture.schedules) {
    it(`${label(options)}: every step's rate within 1e-12 of torch's`, () => {
      const schedule = lrSchedule(options);
      for (const [step, want] of lr.entries()) expect(Math.abs(schedule(step) - want), `step ${step}`).toBeLessThan(1e-12);
    });
  }

  it('names what is wrong', () => {
    expect(() => lrSchedule({ schedule: 'step' as never, learningRate: 0.1 })).toThrow(/schedule must be one of poly, cosine, constant, got "step"/);
    expect(() => lrSchedule({ schedule: 'poly', learningRate: 0.1 })).toThrow(/steps must be an integer > warmup \(0\) for poly, got undefined/);
    expect(() => lrSchedule({ schedule: 'cosine', learningRate: 0.1, steps: 5, warmup: 5 })).toThrow(/steps must be an integer > warmup \(5\)/);
    expect(() => lrSchedule({ schedule: 'constant', learningRate: -1 })).toThrow(/learningRate must be a finite number > 0, got -1/);
    expect(() => lrSchedule({ schedule: 'constant', learningRate: 1, warmup: 1.5 })).toThrow(/warmup must be an integer >= 0/);
    expect(() => lrSchedule({ schedule: 'constant', learningRate: 1 })(-1)).toThrow(/step must be an integer >= 0, got -1/);
    expect(() => createOptimizer({ optimizer: 'rmsprop' as never, learningRate: 1 })).toThrow(/optimizer must be one of sgd, adam, adamw, got "rmsprop"/);
    expect(() => createOptimizer({ optimizer: 'adam', learningRate: 1, momentum: 0.9 })).toThrow(/momentum is SGD's; adam has none/);
    expect(() => createOptimizer({ optimizer: 'sgd', learningRate: 1, momentum: 1 })).toThrow(/momentum must be in \[0, 1\), got 1/);
  });
});

describeEachBackend("createOptimizer + lrSchedule through applyGroupUpdates vs torch.optim", () => {
  for (const c of fixture.optimizers) {
    it(`${label(c.optimizer)} with ${label(c.schedule)}: each step's rate and weights as torch's`, async () => {
      const { optimizer, weightDecay } = createOptimizer(c.optimizer);
      const schedule = lrSchedule({ ...c.schedule, learningRate: c.optimizer.learningRate });
      const variables = fixture.problem.map((p) => tf.variable(tf.tensor(p.init, p.shape)));
      const [curvature, target] = [fixture.problem.map((p) => tf.tensor(p.c, p.shape)), fixture.problem.map((p) => tf.tensor(p.t, p.shape))];
      const group: ParameterGroup = { name: 'all', optimizer, weightDecay, frozen: false, frozenSteps: 0, batchNorms: [], schedule, variables };
      const step = (k: number) => {
        const grads = Object.fromEntries(variables.map((v, i) => [v.name, tf.tidy(() => tf.mul(curvature[i], tf.sub(v, target[i])))]));
        applyGroupUpdates([group], grads, k);
        tf.dispose(Object.values(grads));
      };
      step(0); // lays out the optimizer's state
      const before = tf.memory().numTensors;
      for (const [k, want] of c.steps.entries()) {
        if (k > 0) step(k);
        expect(Math.abs(schedule(k) - want.lr), `step ${k} rate`).toBeLessThan(1e-12);
        for (const [i, v] of variables.entries()) {
          const got = await v.data();
          const worst = Math.max(...want.params[i].map((w, j) => Math.abs(got[j] - w) / Math.max(1, Math.abs(w))));
          // float32 in both, rounded in other orders (Adam's feedback loop grows that to ~2e-6); a wrong decay or
          // bias correction is off by ≥ lr·weightDecay = 5e-3 per step.
          expect(worst, `step ${k} parameter ${i}`).toBeLessThan(1e-5);
        }
      }
      // The schedule's rate scalar (SGD caches −lr) replaces the previous one: no tensor is left behind.
      expect(tf.memory().numTensors).toBe(before);
      optimizer.dispose();
      tf.dispose([...variables, ...curvature, ...target]);
    });
  }

  it("AdamW's state is Adam's (checkpoints of either load into the other), and a step keeps the tensor count flat", async () => {
    const v = tf.variable(tf.tensor1d([1, -2, 3]));
    const g = tf.tensor1d([0.5, 0.5, -1]);
    const a = new AdamW(0.1, 0.5, 0.9, 0.999, 1e-8);
    a.applyGradients({ [v.name]: g });
    await expectNoTensorLeak(() => a.applyGradients({ [v.name]: g }));
    const state = await a.getWeights();
    expect(state.map((s) => s.name.replace(/^.*\//, ''))).toEqual(['iter', 'm', 'v']);
    expect(a.getClassName()).toBe('AdamW');
    tf.dispose(state.map((s) => s.tensor));
    a.dispose();
    tf.dispose([v, g]);
  });
});

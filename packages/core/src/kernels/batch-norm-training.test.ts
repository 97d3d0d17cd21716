import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../test-utils/backends.js';
import { relativeError as relError, scalarOf } from '../../../../test-utils/compare.js';
import { parseSafetensors, safetensorsToFloat32 } from '../io/safetensors.js';
import { batchNormTraining } from './batch-norm-training.js';

// Fixtures written by scripts/fixtures/fused_blocks.py (torch autograd, float64 reference).
const FIXTURES = new URL('../../fixtures/fused-blocks/', import.meta.url);
const file = parseSafetensors(readFileSync(new URL('fused-blocks.safetensors', FIXTURES)), 'fused-blocks.safetensors');
interface BatchNormCase {
  name: string;
  relu: boolean;
  epsilon: number;
}
const CASES: BatchNormCase[] = JSON.parse(readFileSync(new URL('cases.json', FIXTURES), 'utf8')).batch_norm;

function fixture(name: string): tf.Tensor {
  const t = file.tensors.get(name);
  if (t == null) throw new Error(`fused-blocks.safetensors has no tensor '${name}'`);
  return tf.tensor(safetensorsToFloat32(t), t.shape, 'float32');
}

// float32 against a float64 reference. The backward pass subtracts two
// per-channel means from dy (dx = γσ⁻¹(g − Σg/M − x̂ Σgx̂/M)), which cancels
// some digits; measured worst cases are 3e-7 on cpu and on wasm (the same
// float32 arithmetic) and 3.7e-7 on webgpu (llvmpipe: same float32 maths,
// other summation order). 1e-5 keeps 30× headroom and still fails for an
// epsilon of 1e-3 instead of 1e-5 (≈5e-4 here).
const TOLERANCE = { cpu: 1e-5, wasm: 1e-5, webgpu: 1e-5 } as const;

describeEachBackend('batchNormTraining matches torch F.batch_norm(training=True)', (backend) => {
  const tolerance = TOLERANCE[backend];
  for (const c of CASES) {
    it(`${c.name}: output, batch moments and gradients for x, gamma, beta`, async () => {
      await expectNoTensorLeak(async () => {
        const pairs = tf.tidy(() => {
          const [x, gamma, beta, dy] = ['x', 'gamma', 'beta', 'dy'].map((k) => fixture(`${c.name}.${k}`));
          let moments: tf.Tensor[] = [];
          const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
            batchNormTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, {
              epsilon: c.epsilon,
              relu: c.relu,
              onMoments: (mean, variance) => {
                moments = [mean, variance, tf.keep(mean.clone()), tf.keep(variance.clone())];
              },
            });
          const { value, grads } = tf.valueAndGrads(f)([x, gamma, beta], dy);
          const [mean, variance, meanCopy, varianceCopy] = moments;
          // As documented: the tensors handed to onMoments do not outlive the call.
          expect(mean.isDisposed && variance.isDisposed).toBe(true);
          const out: [string, tf.Tensor, tf.Tensor][] = [
            ['mean', meanCopy, fixture(`${c.name}.mean`)],
            ['variance', varianceCopy, fixture(`${c.name}.variance`)],
            ['y', value, fixture(`${c.name}.y`)],
            ['dx', grads[0], fixture(`${c.name}.dx`)],
            ['dgamma', grads[1], fixture(`${c.name}.dgamma`)],
            ['dbeta', grads[2], fixture(`${c.name}.dbeta`)],
          ];
          return out;
        });
        for (const [what, actual, expected] of pairs) expect(await relError(actual, expected), what).toBeLessThan(tolerance);
        tf.dispose(pairs.flatMap(([, a, e]) => [a, e]));
      });
    });
  }

  it('passes the mixed-gamma ReLU case through its bulk of clamped values', async () => {
    // The fixture is only a ReLU test if many outputs are clamped.
    const [zeros, size] = tf.tidy(() => {
      const y = fixture('bn_relu_mixed_gamma.y');
      return [tf.sum(tf.cast(tf.equal(y, 0), 'float32')), y.size] as const;
    });
    expect((await scalarOf(zeros)) / size).toBeGreaterThan(0.3);
    zeros.dispose();
  });

  it('gives the same gradients as the same maths in elementary tfjs ops', async () => {
    const [expected, actual] = tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 4, 5], 1, 2, 'float32', 21);
      const gamma = tf.tensor1d([1.5, -0.5, 0.8, -1.2, 0.3]);
      const beta = tf.tensor1d([0.1, -0.4, 0.2, 0.5, -0.3]);
      const dy = tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', 22);
      const reference = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, [0, 1, 2]);
        return tf.relu(tf.batchNorm(a, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5));
      };
      const fused = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        batchNormTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, { epsilon: 1e-5, relu: true });
      return [tf.grads(reference)([x, gamma, beta], dy), tf.grads(fused)([x, gamma, beta], dy)];
    });
    for (const [i, g] of actual.entries()) expect(await relError(g, expected[i]), `gradient ${i}`).toBeLessThan(tolerance);
    tf.dispose([...expected, ...actual]);
  });
});

describe('batchNormTraining arguments', () => {
  it('names the shapes when gamma or beta do not match the channels', () => {
    tf.tidy(() => {
      const x = tf.zeros([2, 3, 3, 4]);
      expect(() => batchNormTraining(x, tf.ones([3]), tf.zeros([4]), { epsilon: 1e-5 })).toThrow(
        /gamma \[3\] and beta \[4\] must have the input's 4 channels \(input \[2,3,3,4\]\)/,
      );
    });
  });
});

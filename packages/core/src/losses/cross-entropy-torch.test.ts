import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../test-utils/backends.js';
import { relativeError as relError, scalarOf } from '../../../../test-utils/compare.js';
import { parseSafetensors, safetensorsToFloat32 } from '../io/safetensors.js';
import { sparseSoftmaxCrossEntropy } from './cross-entropy.js';

// Fixtures written by scripts/fixtures/fused_blocks.py: torch's
// F.cross_entropy(reduction='mean') in float64 over 22 classes on a [2, 5, 7]
// label map where a quarter of the pixels are void (21, or -100 in the last case).
const FIXTURES = new URL('../../fixtures/fused-blocks/', import.meta.url);
const file = parseSafetensors(readFileSync(new URL('fused-blocks.safetensors', FIXTURES)), 'fused-blocks.safetensors');
interface CrossEntropyCase {
  name: string;
  weighted: boolean;
  /** torch's ignore_index; null: torch's default -100, which no label uses. */
  ignore_index: number | null;
}
const CASES: CrossEntropyCase[] = JSON.parse(readFileSync(new URL('cases.json', FIXTURES), 'utf8')).cross_entropy;

function entry(name: string) {
  const t = file.tensors.get(name);
  if (t == null) throw new Error(`fused-blocks.safetensors has no tensor '${name}'`);
  return t;
}
const fixture = (name: string): tf.Tensor => tf.tensor(safetensorsToFloat32(entry(name)), entry(name).shape, 'float32');
/** The labels, stored as I32. */
function labels(name: string): tf.Tensor {
  const t = entry(name);
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const ids = Int32Array.from({ length: t.data.byteLength / 4 }, (_, i) => view.getInt32(4 * i, true));
  return tf.tensor(ids, t.shape, 'int32');
}
const classWeights = (name: string) => Array.from(safetensorsToFloat32(entry(name)));

// float32 against a float64 reference: the loss is a weighted mean of 70
// log-sum-exps, the gradient softmax − onehot; measured worst case 2.3e-7 on
// cpu and on wasm (same float32 arithmetic) and 2e-7 on webgpu (llvmpipe).
// 1e-5 leaves ample headroom and fails for any miscounted pixel (≥1/70 of the loss).
const TOLERANCE = { cpu: 1e-5, wasm: 1e-5, webgpu: 1e-5 } as const;

describeEachBackend('sparseSoftmaxCrossEntropy vs torch F.cross_entropy', (backend) => {
  const tolerance = TOLERANCE[backend];
  for (const c of CASES) {
    const options = {
      ignoreIndex: c.ignore_index ?? undefined,
      classWeights: c.weighted ? classWeights(`${c.name}.weight`) : undefined,
    };
    it(`${c.name}: loss and gradient for the logits`, async () => {
      await expectNoTensorLeak(async () => {
        const [value, grad, loss, dlogits] = tf.tidy(() => {
          const [ids, logits] = [labels(`${c.name}.labels`), fixture(`${c.name}.logits`)];
          const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => sparseSoftmaxCrossEntropy(ids, x, options))(logits);
          return [value, grad, fixture(`${c.name}.loss`), fixture(`${c.name}.dlogits`)];
        });
        const expected = await scalarOf(loss);
        expect(Math.abs((await scalarOf(value)) - expected) / expected).toBeLessThan(tolerance);
        expect(await relError(grad, dlogits)).toBeLessThan(tolerance);
        tf.dispose([value, grad, loss, dlogits]);
      });
    });
  }

  it('scales the gradient by the upstream gradient and accepts float labels', async () => {
    const [grad, expected] = tf.tidy(() => {
      const c = CASES[0];
      const options = { ignoreIndex: c.ignore_index!, classWeights: classWeights(`${c.name}.weight`) };
      const ids = tf.cast(labels(`${c.name}.labels`), 'float32');
      const grad = tf.grad((x: tf.Tensor) => sparseSoftmaxCrossEntropy(ids, x, options))(
        fixture(`${c.name}.logits`),
        tf.scalar(-2.5),
      );
      return [grad, tf.mul(fixture(`${c.name}.dlogits`), -2.5)];
    });
    expect(await relError(grad, expected)).toBeLessThan(tolerance);
    tf.dispose([grad, expected]);
  });
});

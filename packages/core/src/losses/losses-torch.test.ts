import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../test-utils/backends.js';
import { maxAbsDiff, relativeError as relError, scalarOf } from '../../../../test-utils/compare.js';
import { parseSafetensors, safetensorsToFloat32 } from '../io/safetensors.js';
import { diceLoss } from './dice.js';
import { focalLoss } from './focal.js';
import { lovaszSoftmaxLoss } from './lovasz-softmax.js';

// Fixtures written by scripts/fixtures/losses.py: each loss written from its
// definition in torch float64 (Dice as segmentation_models.pytorch's
// multiclass DiceLoss, Lovász as Berman et al.'s lovasz_softmax) on [2, 6, 7]
// labels over 5 classes, a quarter of the pixels void (255): with ignored
// pixels, with class 3 absent, with every pixel ignored, with class weights.
const FIXTURES = new URL('../../fixtures/losses/', import.meta.url);
const file = parseSafetensors(readFileSync(new URL('losses.safetensors', FIXTURES)), 'losses.safetensors');
interface LossCase {
  name: string;
  loss: keyof typeof LOSSES;
  inputs: string;
  options: Record<string, unknown>;
}
const CASES: LossCase[] = JSON.parse(readFileSync(new URL('cases.json', FIXTURES), 'utf8')).cases;
const LOSSES = { dice: diceLoss, focal: focalLoss, lovasz: lovaszSoftmaxLoss } as const;

function entry(name: string) {
  const t = file.tensors.get(name);
  if (t == null) throw new Error(`losses.safetensors has no tensor '${name}'`);
  return t;
}
const fixture = (name: string): tf.Tensor => tf.tensor(safetensorsToFloat32(entry(name)), entry(name).shape, 'float32');
/** The labels, stored as I32. */
function labels(name: string): tf.Tensor {
  const t = entry(name);
  return tf.tensor(new Int32Array(new Uint8Array(t.data).buffer), t.shape, 'int32');
}

async function maxAbs(t: tf.Tensor): Promise<number> {
  const zero = tf.zerosLike(t);
  const v = await maxAbsDiff(t, zero);
  zero.dispose();
  return v;
}

// float32 against a float64 reference; the gradients are sums over ≤ 84
// pixels of products of probabilities. Measured worst case on cpu and wasm:
// 5.5e-7 relative (Lovász's gradient), values ≤ 2e-7. 1e-5 leaves headroom
// for webgpu's summation order and fails for any miscounted pixel or class.
const TOLERANCE = 1e-5;

describeEachBackend('losses vs torch float64', () => {
  for (const c of CASES) {
    it(`${c.name}: loss and gradient for the logits`, async () => {
      await expectNoTensorLeak(async () => {
        const [value, grad, loss, dlogits] = tf.tidy(() => {
          const [ids, logits] = [labels(`${c.inputs}.labels`), fixture(`${c.inputs}.logits`)];
          const fn = LOSSES[c.loss] as (l: tf.Tensor, x: tf.Tensor, o: object) => tf.Scalar;
          const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => fn(ids, x, c.options))(logits);
          return [value, grad, fixture(`${c.name}.loss`), fixture(`${c.name}.dlogits`)];
        });
        const expected = await scalarOf(loss);
        const got = await scalarOf(value);
        if (c.inputs === 'all_ignored') {
          // Exactly zero, not merely small: nothing is scored.
          expect(expected).toBe(0);
          expect(got).toBe(0);
          expect(await maxAbs(grad)).toBe(0);
          expect(await maxAbs(dlogits)).toBe(0);
        } else {
          expect(Math.abs(got - expected) / Math.abs(expected)).toBeLessThan(TOLERANCE);
          expect(await relError(grad, dlogits)).toBeLessThan(TOLERANCE);
        }
        tf.dispose([value, grad, loss, dlogits]);
      });
    });
  }
});

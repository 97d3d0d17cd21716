import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../../../../../test-utils/backends.js';
import { sparseSoftmaxCrossEntropy } from '../../losses/index.js';
import { Trainer } from '../../train/trainer.js';

// Its own file: destroying the device leaves this process's webgpu backend unusable.
describe.runIf(TEST_BACKENDS.includes('webgpu'))('a lost GPU device [webgpu]', () => {
  it('stops training with an error naming the loss instead of hanging', async () => {
    await useBackend('webgpu');
    const input = tfl.input({ shape: [4, 4, 3] });
    const model = tfl.model({ inputs: input, outputs: tfl.layers.conv2d({ filters: 3, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor });
    const trainer = new Trainer({ model, loss: (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits) });
    const batch = { images: tf.randomNormal([1, 4, 4, 3]) as tf.Tensor4D, labels: tf.zeros([1, 4, 4], 'int32') as tf.Tensor3D };
    expect((await trainer.trainStep(batch)).step).toBe(1);

    (tf.backend() as unknown as { device: { destroy(): void } }).device.destroy();
    const outcome = await Promise.race([
      trainer.trainStep(batch).then(
        () => 'finished',
        (e: Error) => e.message,
      ),
      new Promise((resolve) => setTimeout(() => resolve('hung for 20 s'), 20_000)),
    ]);
    expect(outcome).toMatch(/^GPU device lost \(destroyed.*restart the run from its last checkpoint/);
    expect(trainer.step).toBeLessThanOrEqual(2);
  });
});

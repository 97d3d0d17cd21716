// runOnce calls each layer once where tfjs-layers repeats a nested model per
// output it feeds, gives model.apply's result, and frees what it no longer needs;
// evaluateSegmentation runs on it, so any model (a plain saved one too) is scored
// with one pass of its trunk.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import { describeEachBackend } from '../../../../test-utils/backends.js';
import { maxAbsDiff } from '../../../../test-utils/compare.js';
import '../registration.js';
import { evaluateSegmentation } from '../train/evaluate.js';
import { layerGraph } from './layer-graph.js';
import { runOnce } from './run-once.js';

/** A trunk with two outputs (like a backbone's high and low features) feeding two heads; counts its stem's calls. */
function twoOutputTrunkModel() {
  const calls = { stem: 0 };
  const input = tfl.input({ shape: [8, 8, 3] });
  const stem = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'stem', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) });
  const call = stem.call.bind(stem);
  stem.call = (inputs, kwargs) => {
    calls.stem += 1;
    return call(inputs, kwargs);
  };
  const x = stem.apply(input) as tfl.SymbolicTensor;
  const high = tfl.layers.conv2d({ filters: 4, kernelSize: 1, name: 'high', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }).apply(x);
  const trunk = tfl.model({ inputs: input, outputs: [high as tfl.SymbolicTensor, x], name: 'trunk' });
  const image = tfl.input({ shape: [8, 8, 3] });
  const [h, l] = trunk.apply(image) as tfl.SymbolicTensor[];
  const joined = tfl.layers.concatenate({ name: 'join' }).apply([h, l]) as tfl.SymbolicTensor;
  const logits = tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'classifier', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }).apply(joined);
  return { model: tfl.model({ inputs: image, outputs: logits as tfl.SymbolicTensor }), calls };
}

describeEachBackend('runOnce', () => {
  it("calls a nested model's layers once (tfjs-layers' apply and predict call them per output), with apply's result", async () => {
    const { model, calls } = twoOutputTrunkModel();
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 4);
    const expected = model.apply(x) as tf.Tensor;
    expect(calls.stem).toBeGreaterThan(1);
    calls.stem = 0;
    const before = tf.memory().numTensors;
    const [y] = runOnce(model, x);
    // Only the output is left: every intermediate was freed after its last reader.
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(calls.stem).toBe(1);
    expect(await maxAbsDiff(y, expected)).toBeLessThan(1e-6);
    expect(layerGraph(model).calls.map((c) => c.path)).toEqual(['trunk/stem', 'trunk/high', 'join', 'classifier']);
    tf.dispose([x, y, expected]);
    model.dispose();
  });

  it('makes evaluateSegmentation run the trunk once per batch', async () => {
    const { model, calls } = twoOutputTrunkModel();
    async function* batches() {
      for (let i = 0; i < 3; i++) {
        const images = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', i) as tf.Tensor4D;
        yield { images, labels: tf.zeros([1, 8, 8], 'int32') as tf.Tensor3D };
      }
    }
    await evaluateSegmentation(model, batches(), { numClasses: 3 });
    expect(calls.stem).toBe(3);
    model.dispose();
  });
});

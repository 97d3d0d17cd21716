import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak, roundTripInMemory } from '../../../../test-utils/backends.js';
import { relativeError as relError } from '../../../../test-utils/compare.js';
import { parseSafetensors, safetensorsToFloat32 } from '../io/safetensors.js';
import { atrousConv2d } from './atrous-conv2d.js';
import { BatchNormAct, batchNormAct, TORCH_BN_EPSILON, TORCH_BN_MOMENTUM } from './batch-norm-act.js';

// Fixtures written by scripts/fixtures/fused_blocks.py (torch autograd, float64 reference).
const FIXTURES = new URL('../../fixtures/fused-blocks/', import.meta.url);
const file = parseSafetensors(readFileSync(new URL('fused-blocks.safetensors', FIXTURES)), 'fused-blocks.safetensors');
const cases = JSON.parse(readFileSync(new URL('cases.json', FIXTURES), 'utf8'));
const BN_CASES: Array<{ name: string; relu: boolean }> = cases.batch_norm;
/** 3×3 conv (no bias) → BN (training) → ReLU; torch pads `torch_padding` on every side. */
const BLOCK_CASES: Array<{ name: string; filters: number; strides: number; dilation: number; torch_padding: number }> =
  cases.blocks;

function fixture(name: string): tf.Tensor {
  const t = file.tensors.get(name);
  if (t == null) throw new Error(`fused-blocks.safetensors has no tensor '${name}'`);
  return tf.tensor(safetensorsToFloat32(t), t.shape, 'float32');
}

/** What was computed, what it should be, and what the comparison is about. */
type Check = [what: string, actual: tf.Tensor, expected: tf.Tensor];

/**
 * Expects every `actual` within `tolerance` of its `expected` (relative error,
 * read back asynchronously), then disposes all of them.
 */
async function expectWithin(checks: Check[], tolerance: number): Promise<void> {
  try {
    for (const [what, actual, expected] of checks) expect(await relError(actual, expected), what).toBeLessThan(tolerance);
  } finally {
    tf.dispose(checks.flatMap(([, actual, expected]) => [actual, expected]));
  }
}

// float32 against a float64 reference: measured worst case 5e-7 on cpu and
// on wasm over BN alone and the conv → BN → ReLU blocks (conv sums of 27
// products, then BN's mean-subtracting backward pass), 5.6e-7 on webgpu
// (llvmpipe: same float32 maths, other summation order); 1e-5 leaves 20×
// headroom and still catches an unbiased running variance (5e-4 to 9e-3 here).
const TOLERANCE = { cpu: 1e-5, wasm: 1e-5, webgpu: 1e-5 } as const;

const BN_STATE = ['gamma', 'beta', 'moving_mean', 'moving_variance'];

/** The weights' tf.Variables, whose names key tf.variableGrads' result. */
function variablesOf(layer: tfl.layers.Layer): tf.Variable[] {
  return layer.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** A functional model of one conv → BN → ReLU block, as resnet-blocks.ts builds it. */
function blockModel(c: (typeof BLOCK_CASES)[number], inputShape: number[], bn: tfl.layers.Layer) {
  const input = tfl.input({ shape: inputShape.slice(1) });
  let h: tfl.SymbolicTensor = input;
  // Strided convs: torch's symmetric padding, then 'valid'; dilated ones: 'same' is symmetric.
  if (c.strides > 1) h = tfl.layers.zeroPadding2d({ padding: c.torch_padding }).apply(h) as tfl.SymbolicTensor;
  const conv = atrousConv2d({
    filters: c.filters,
    kernelSize: 3,
    strides: c.strides,
    dilationRate: c.dilation,
    padding: c.strides > 1 ? 'valid' : 'same',
    useBias: false,
  });
  const output = bn.apply(conv.apply(h)) as tfl.SymbolicTensor;
  return { model: tfl.model({ inputs: input, outputs: output }), conv };
}

describeEachBackend('BatchNormAct vs torch', (backend) => {
  const tolerance = TOLERANCE[backend];

  for (const c of BN_CASES) {
    it(`${c.name}: training output, gamma/beta gradients and running statistics`, async () => {
      const layer = batchNormAct({ activation: c.relu ? 'relu' : 'linear' });
      const checks = tf.tidy((): Check[] => {
        const [x, dy] = [fixture(`${c.name}.x`), fixture(`${c.name}.dy`)];
        layer.apply(x);
        layer.setWeights(BN_STATE.map((k) => fixture(`${c.name}.${k}`)));
        const [gamma, beta] = variablesOf(layer);
        let y: tf.Tensor | undefined;
        const { grads } = tf.variableGrads(() => {
          y = tf.keep(layer.apply(x, { training: true }) as tf.Tensor);
          return tf.sum(tf.mul(y, dy));
        }, [gamma, beta]);
        // getWeights hands out the layer's own variables: compare copies.
        const [, , movingMean, movingVariance] = layer.getWeights().map((w) => tf.clone(w));
        return [
          ['y', y!, fixture(`${c.name}.y`)],
          ['dgamma', grads[gamma.name], fixture(`${c.name}.dgamma`)],
          ['dbeta', grads[beta.name], fixture(`${c.name}.dbeta`)],
          ['moving_mean', movingMean, fixture(`${c.name}.moving_mean_next`)],
          ['moving_variance', movingVariance, fixture(`${c.name}.moving_variance_next`)],
        ];
      });
      await expectWithin(checks, tolerance);
      layer.dispose();
    });

    it(`${c.name}: inference uses the running statistics (torch eval mode)`, async () => {
      const layer = batchNormAct({ activation: c.relu ? 'relu' : 'linear' });
      const [checks, movingMean, expectedMean] = tf.tidy((): [Check[], tf.Tensor, tf.Tensor] => {
        const x = fixture(`${c.name}.x`);
        layer.apply(x);
        layer.setWeights(BN_STATE.map((k) => fixture(`${c.name}.${k}`)));
        const checks: Check[] = [
          ['default call', layer.apply(x) as tf.Tensor, fixture(`${c.name}.eval_y`)],
          ['training: false', layer.apply(x, { training: false }) as tf.Tensor, fixture(`${c.name}.eval_y`)],
        ];
        return [checks, tf.clone(layer.getWeights()[2]), fixture(`${c.name}.moving_mean`)];
      });
      await expectWithin(checks, tolerance);
      // Inference leaves the running statistics alone.
      expect(await relError(movingMean, expectedMean)).toBe(0);
      tf.dispose([movingMean, expectedMean]);
      layer.dispose();
    });
  }

  for (const c of BLOCK_CASES) {
    it(`${c.name}: gradients for input, conv kernel, gamma and beta inside a model`, async () => {
      const inputShape = file.tensors.get(`${c.name}.x`)!.shape;
      const bn = batchNormAct({ activation: 'relu' });
      const { model, conv } = blockModel(c, inputShape, bn);
      const checks = tf.tidy((): Check[] => {
        conv.setWeights([fixture(`${c.name}.kernel`)]);
        bn.setWeights(BN_STATE.map((k) => fixture(`${c.name}.${k}`)));
        const x = tf.variable(fixture(`${c.name}.x`));
        const dy = fixture(`${c.name}.dy`);
        const [kernel] = variablesOf(conv);
        const [gamma, beta] = variablesOf(bn);
        let y: tf.Tensor | undefined;
        const { grads } = tf.variableGrads(() => {
          y = tf.keep(model.apply(x, { training: true }) as tf.Tensor);
          return tf.sum(tf.mul(y, dy));
        }, [x, kernel, gamma, beta]);
        // One training call, one update of the running statistics (copies: getWeights hands out the variables).
        const [, , movingMean, movingVariance] = bn.getWeights().map((w) => tf.clone(w));
        const checks: Check[] = [
          ['y', y!, fixture(`${c.name}.y`)],
          ['dx', grads[x.name], fixture(`${c.name}.dx`)],
          ['dkernel', grads[kernel.name], fixture(`${c.name}.dkernel`)],
          ['dgamma', grads[gamma.name], fixture(`${c.name}.dgamma`)],
          ['dbeta', grads[beta.name], fixture(`${c.name}.dbeta`)],
          ['moving_mean', movingMean, fixture(`${c.name}.moving_mean_next`)],
          ['moving_variance', movingVariance, fixture(`${c.name}.moving_variance_next`)],
        ];
        x.dispose();
        return checks;
      });
      await expectWithin(checks, tolerance);
      model.dispose();
    });

    it(`${c.name}: inference equals torch eval mode and tfjs's batchNormalization + relu`, async () => {
      const inputShape = file.tensors.get(`${c.name}.x`)!.shape;
      const ours = blockModel(c, inputShape, batchNormAct({ activation: 'relu' }));
      const stock = tfl.layers.batchNormalization({ epsilon: 1e-5, momentum: 0.9 });
      const theirs = blockModel(c, inputShape, stock);
      const [torch, stockRelu] = tf.tidy((): Check[] => {
        const weights = [fixture(`${c.name}.kernel`), ...BN_STATE.map((k) => fixture(`${c.name}.${k}`))];
        ours.model.setWeights(weights);
        theirs.model.setWeights(weights);
        const x = fixture(`${c.name}.x`);
        const y = ours.model.predict(x) as tf.Tensor;
        return [
          ['torch eval mode', y, fixture(`${c.name}.eval_y`)],
          ['batchNormalization + relu', tf.clone(y), tf.relu(theirs.model.predict(x) as tf.Tensor)],
        ];
      });
      await expectWithin([torch], tolerance);
      // Same kernels on both sides: only float rounding order could differ.
      await expectWithin([stockRelu], 1e-6);
      ours.model.dispose();
      theirs.model.dispose();
    });
  }

  it('round-trips its config through tf.serialization and a saved model', async () => {
    const layer = batchNormAct({ activation: 'relu', name: 'layer1.0.bn1' });
    const config = layer.getConfig();
    expect(config).toMatchObject({ activation: 'relu', epsilon: TORCH_BN_EPSILON, momentum: TORCH_BN_MOMENTUM, name: 'layer1.0.bn1' });
    expect([TORCH_BN_EPSILON, TORCH_BN_MOMENTUM]).toEqual([1e-5, 0.9]);
    // What tfjs-layers' deserialisation looks up for className 'BatchNormAct'.
    const [registered, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap.BatchNormAct;
    expect(registered).toBe(BatchNormAct);
    const clone = fromConfig(registered, config) as BatchNormAct;
    expect(clone).toBeInstanceOf(BatchNormAct);
    expect(clone.activation).toBe('relu');
    // Initializers may or may not report an empty customObjects, depending on how they were built.
    const plain = (c: object) => JSON.parse(JSON.stringify(c, (k, v) => (k === 'customObjects' ? undefined : v)));
    expect(plain(clone.getConfig())).toEqual(plain(config));
    const { name: _a, activation: _b, ...bnConfig } = config;
    const { name: _c, ...stockConfig } = tfl.layers.batchNormalization({ epsilon: 1e-5, momentum: 0.9 }).getConfig();
    expect(plain(bnConfig)).toEqual(plain(stockConfig));

    const c = BLOCK_CASES[0];
    const inputShape = file.tensors.get(`${c.name}.x`)!.shape;
    const { model } = blockModel(c, inputShape, batchNormAct({ activation: 'relu', name: 'bn' }));
    tf.tidy(() => {
      model.setWeights([fixture(`${c.name}.kernel`), ...BN_STATE.map((k) => fixture(`${c.name}.${k}`))]);
    });
    const bn = model.getLayer('bn');
    expect(bn.weights.map((w) => [w.originalName.split('/').pop(), w.shape, w.trainable])).toEqual([
      ['gamma', [c.filters], true],
      ['beta', [c.filters], true],
      ['moving_mean', [c.filters], false],
      ['moving_variance', [c.filters], false],
    ]);
    expect(bn.computeOutputShape([null, ...inputShape.slice(1, 3), c.filters])).toEqual(model.outputs[0].shape);
    const loaded = await roundTripInMemory(model);
    expect(loaded.getLayer('bn')).toBeInstanceOf(BatchNormAct);
    expect((loaded.getLayer('bn') as BatchNormAct).activation).toBe('relu');
    const [y, torch, original] = tf.tidy(() => {
      const x = fixture(`${c.name}.x`);
      return [loaded.predict(x) as tf.Tensor, fixture(`${c.name}.eval_y`), model.predict(x) as tf.Tensor];
    });
    expect(await relError(y, torch)).toBeLessThan(tolerance);
    expect(await relError(y, original)).toBe(0);
    tf.dispose([y, torch, original]);
    model.dispose();
    loaded.dispose();
  });

  it('trains a block without leaking tensors', async () => {
    const c = BLOCK_CASES[1];
    const inputShape = file.tensors.get(`${c.name}.x`)!.shape;
    const bn = batchNormAct({ activation: 'relu' });
    const { model } = blockModel(c, inputShape, bn);
    const x = fixture(`${c.name}.x`);
    const dy = fixture(`${c.name}.dy`);
    const optimizer = tf.train.sgd(0.01);
    const step = () => optimizer.minimize(() => tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, dy)));
    step();
    await expectNoTensorLeak(() => {
      for (let i = 0; i < 3; i++) step();
    });
    const before = tf.memory().numTensors;
    tf.dispose([x, dy]);
    optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });
});

describe('batchNormAct arguments', () => {
  it('names the problem on unsupported settings', () => {
    expect(() => batchNormAct({ activation: 'tanh' as 'relu', name: 'b' })).toThrow(
      /BatchNormAct 'b': activation must be 'relu' or 'linear', got "tanh"/,
    );
    expect(() => batchNormAct({ axis: 1, name: 'b' })).toThrow(/BatchNormAct 'b': axis 1 is not supported/);
    expect(() => batchNormAct({ center: false, name: 'b' })).toThrow(/center and scale must stay true/);
  });
});

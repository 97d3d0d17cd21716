// Forward + backward time of each segmentation loss against cross-entropy's,
// on one batch of logits (default 1×513×513×21, wasm): the time of
// `tf.valueAndGrad(x => loss(labels, x))(logits)` until the gradient is read.
// The losses run in turn within each round, so that all see the same machine
// load; each row is the median over the rounds, and `vs_ce` its ratio to
// cross-entropy's median (target ≤ 1.5).
//
// Labels: 9×9 blocks of random classes among the first --present (default
// all; every one present at this size) with 10 % of the pixels void (255,
// ignored). Logits standard normal, as from an untrained model, or with
// --confident 4 added to the true class's logit, as from a model that is
// mostly right (Lovász then sorts more: see lovasz-weights.ts).
//
//   node bench/losses.bench.mjs --backend wasm --size 513 --classes 21 --batch 1 --rounds 7
//   node bench/losses.bench.mjs --confident --present 5
//
// --baseline <file> adds a row `lovasz_softmax_baseline`: the
// `lovaszSoftmaxLoss` of another build of @seg/core, to compare versions in
// one run. The file must import the same @tensorflow/tfjs-core instance, so
// put the other build's dist inside packages/core (e.g. packages/core/.tmp/,
// which git ignores):
//   git -C <other checkout> … && cp -r <other>/packages/core/dist packages/core/.tmp/dist-old
//   node bench/losses.bench.mjs --baseline packages/core/.tmp/dist-old/index.js
//
// The last line printed is one JSON object (alone with --json):
// { backend, size, classes, present, confident, batch, rounds, ms: { loss: median }, vs_ce: { loss: ratio } }
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { diceLoss, focalLoss, lovaszSoftmaxLoss, selectBackend, sparseSoftmaxCrossEntropy } from '@seg/core';
import * as tf from '@tensorflow/tfjs-core';
import { median } from './timing.mjs';

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    size: { type: 'string', default: '513' },
    classes: { type: 'string', default: '21' },
    batch: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '7' },
    present: { type: 'string' },
    confident: { type: 'boolean', default: false },
    'allow-software-gpu': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    baseline: { type: 'string' },
  },
});
const int = (name) => {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`losses.bench: --${name} must be a positive integer, got ${JSON.stringify(flags[name])}`);
    process.exit(2);
  }
  return n;
};
const [size, classes, batch, rounds] = [int('size'), int('classes'), int('batch'), int('rounds')];
const present = flags.present === undefined ? classes : Math.min(int('present'), classes);
await selectBackend([flags.backend], { allowSoftwareGpu: flags['allow-software-gpu'] });

const VOID = 255;
const LOSSES = {
  cross_entropy: (l, x) => sparseSoftmaxCrossEntropy(l, x, { ignoreIndex: VOID }),
  dice: (l, x) => diceLoss(l, x, { ignoreIndex: VOID }),
  focal: (l, x) => focalLoss(l, x, { ignoreIndex: VOID }),
  lovasz_softmax: (l, x) => lovaszSoftmaxLoss(l, x, { ignoreIndex: VOID }),
};
if (flags.baseline !== undefined) {
  const { lovaszSoftmaxLoss: baseline } = await import(pathToFileURL(resolve(flags.baseline)).href);
  LOSSES.lovasz_softmax_baseline = (l, x) => baseline(l, x, { ignoreIndex: VOID });
}

const block = Math.ceil(size / 9);
const ids = new Int32Array(batch * size * size);
const blockClass = Array.from({ length: batch * 81 }, (_, i) => i % present);
for (let b = 0; b < batch; b++) {
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (b * size + y) * size + x;
      ids[i] = Math.random() < 0.1 ? VOID : blockClass[b * 81 + Math.floor(y / block) * 9 + Math.floor(x / block)];
    }
  }
}
const labels = tf.tensor3d(ids, [batch, size, size], 'int32');
const logits = tf.tidy(() => {
  const noise = tf.randomNormal([batch, size, size, classes], 0, 1, 'float32', 1);
  if (!flags.confident) return noise;
  // oneHot of the void id (255 ≥ classes) is all zeros: void pixels get no boost.
  return tf.add(noise, tf.mul(tf.cast(tf.oneHot(labels, classes), 'float32'), 4));
});

async function forwardBackward(loss) {
  const { value, grad } = tf.valueAndGrad((x) => loss(labels, x))(logits);
  await grad.data();
  await value.data();
  tf.dispose([value, grad]);
}

const times = Object.fromEntries(Object.keys(LOSSES).map((k) => [k, []]));
for (const loss of Object.values(LOSSES)) await forwardBackward(loss); // warm-up (wasm memory growth, shader compiles)
const before = tf.memory().numTensors;
for (let r = 0; r < rounds; r++) {
  for (const [name, loss] of Object.entries(LOSSES)) {
    const t0 = performance.now();
    await forwardBackward(loss);
    times[name].push(performance.now() - t0);
  }
}
if (tf.memory().numTensors !== before) throw new Error(`losses.bench: tensors leaked (${before} → ${tf.memory().numTensors})`);

const ms = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(median(v) * 10) / 10]));
const vsCe = Object.fromEntries(Object.keys(ms).map((k) => [k, Math.round((ms[k] / ms.cross_entropy) * 100) / 100]));
if (!flags.json) {
  const kind = flags.confident ? 'confident' : 'random';
  console.log(`${tf.getBackend()}, ${kind} logits [${batch}, ${size}, ${size}, ${classes}], ${present} classes present, median of ${rounds} rounds (forward + backward)`);
  for (const k of Object.keys(ms)) console.log(`${k.padEnd(24)} ${String(ms[k]).padStart(9)} ms  ${vsCe[k].toFixed(2)}× CE`);
}
console.log(JSON.stringify({ backend: tf.getBackend(), size, classes, present, confident: flags.confident, batch, rounds, ms, vs_ce: vsCe }));
tf.dispose([labels, logits]);

// The half-pixel bilinear resize's input gradient: the library's
// `resizeBilinearGradHalfPixel` (a gather and a fixed-order sum on GPU backends,
// the scatter-add on cpu and wasm) against the scatter-add alone
// (`SparseSegmentSum`, whose webgpu kernel adds with float atomics in thread
// order), on one backend, side by side in one run; and whether each gives the
// same bits on every call.
//
// Run after `pnpm build`:
//   node bench/resize-grad-route.bench.mjs [--backend wasm|cpu|webgpu] [--runs 5]
// Prints a markdown table: median ms of the gradient read back, per route.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../packages/core/dist/index.js';
import { bilinearTaps, resizeBilinearGradHalfPixel } from '../packages/core/dist/kernels/index.js';
import { medianMs } from './timing.mjs';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'wasm' }, runs: { type: 'string', default: '5' } } });
const RUNS = Number(values.runs);
const selection = await selectBackend([values.backend], { allowSoftwareGpu: true });

/** The replaced route: every tap scatter-added into its input row by SparseSegmentSum. */
function scatterAlongFirstAxis(t, inSize, outSize) {
  const { lo, hi, wLo, wHi } = bilinearTaps(inSize, outSize);
  const data = tf.concat([tf.mul(t, tf.tensor2d(wLo, [outSize, 1])), tf.mul(t, tf.tensor2d(wHi, [outSize, 1])), tf.zeros([1, t.shape[1]])]);
  const entries = [];
  for (let p = 0; p < outSize; p++) entries.push([lo[p], p], [hi[p], outSize + p]);
  entries.push([inSize - 1, 2 * outSize]);
  entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return tf.sparse.sparseSegmentSum(data, tf.tensor1d(entries.map((e) => e[1]), 'int32'), tf.tensor1d(entries.map((e) => e[0]), 'int32'));
}

function scatterGrad(dy, [inH, inW]) {
  return tf.tidy(() => {
    const [batch, outH, outW, channels] = dy.shape;
    const rows = scatterAlongFirstAxis(tf.reshape(tf.transpose(dy, [1, 0, 2, 3]), [outH, batch * outW * channels]), inH, outH);
    const byCol = tf.transpose(tf.reshape(rows, [inH, batch, outW, channels]), [2, 1, 0, 3]);
    const cols = scatterAlongFirstAxis(tf.reshape(byCol, [outW, batch * inH * channels]), inW, outW);
    return tf.transpose(tf.reshape(cols, [inW, batch, inH, channels]), [1, 2, 0, 3]);
  });
}

const CASES = [
  { input: [1, 65, 65, 21], out: [260, 260] },
  { input: [2, 129, 129, 22], out: [513, 513] },
  { input: [2, 17, 17, 256], out: [65, 65] },
  { input: [2, 1, 1, 256], out: [33, 33] },
];

console.log(`${selection.name} backend; median of ${RUNS} runs after a warm-up, both routes in this run\n`);
console.log('| input gradient of | scatter-add | library (used) | max abs difference | scatter-add: same bits every run | library: same bits every run |\n| --- | --- | --- | --- | --- | --- |');
for (const { input, out } of CASES) {
  const dy = tf.randomNormal([input[0], ...out, input[3]], 0, 1, 'float32', 1);
  const size = [input[1], input[2]];
  const time = (grad) =>
    medianMs(async () => {
      const g = grad(dy, size);
      await g.data();
      g.dispose();
    }, RUNS);
  const scatter = await time(scatterGrad);
  const gather = await time(resizeBilinearGradHalfPixel);
  const [a, b] = [scatterGrad(dy, size), resizeBilinearGradHalfPixel(dy, size)];
  const diff = tf.max(tf.abs(tf.sub(a, b)));
  const sameBits = async (grad, first) => {
    const want = await first.data();
    for (let i = 0; i < RUNS; i++) {
      const g = grad(dy, size);
      const got = await g.data();
      g.dispose();
      if (got.some((v, j) => v !== want[j])) return 'no';
    }
    return 'yes';
  };
  const row = [`${input.join('×')} → ${out.join('×')}`, `${scatter.toFixed(0)} ms`, `${gather.toFixed(0)} ms`, (await diff.data())[0].toExponential(1)];
  row.push(await sameBits(scatterGrad, a), await sameBits(resizeBilinearGradHalfPixel, b));
  console.log(`| ${row.join(' | ')} |`);
  tf.dispose([dy, a, b, diff]);
}

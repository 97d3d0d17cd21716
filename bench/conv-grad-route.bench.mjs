// Dilation-1 Conv2D and depthwise gradients: the library's composed ones (forward convs and
// matMuls, see packages/core/src/kernels/) against the backend's own
// Conv2DBackpropInput / Conv2DBackpropFilter (and depthwise) kernels, on one backend.
//
// Run after `pnpm build`:
//   node bench/conv-grad-route.bench.mjs [--backend webgpu|wasm|cpu|tensorflow] [--runs 5]
// webgpu may use a software adapter here (this is a measurement). Prints a
// markdown table: per conv, median ms of input + filter gradient read back,
// peak bytes and kernels run (from tf.profile) for each route.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { formatBackendSkip, NoUsableBackendError, selectBackend } from '../packages/core/dist/index.js';
import { conv2dFilterGrad, conv2dInputGrad, depthwiseConv2dFilterGrad, depthwiseConv2dInputGrad } from '../packages/core/dist/kernels/index.js';
import { median } from './timing.mjs';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'webgpu' }, runs: { type: 'string', default: '5' } } });
const RUNS = Number(values.runs);

let selection;
try {
  selection = await selectBackend([values.backend], { allowSoftwareGpu: true });
} catch (e) {
  if (!(e instanceof NoUsableBackendError)) throw e;
  console.log(`conv-grad-route: skipped, ${values.backend} is not usable here: ${e.skipped.map(formatBackendSkip).join('; ')}`);
  process.exit(0);
}

/** ResNet-like convolutions at dilation 1, small enough for a software GPU. */
const CASES = [
  { label: '3×3 s1, 1×32×32×64 → 64', shape: [1, 32, 32, 64], cout: 64, k: 3, strides: 1 },
  { label: '3×3 s2, 1×64×64×32 → 64', shape: [1, 64, 64, 32], cout: 64, k: 3, strides: 2 },
  { label: '1×1 s1, 1×32×32×128 → 64', shape: [1, 32, 32, 128], cout: 64, k: 1, strides: 1 },
  { label: '7×7 s2 stem, 1×64×64×3 → 16', shape: [1, 64, 64, 3], cout: 16, k: 7, strides: 2 },
  { label: 'depthwise 3×3 s1, 1×32×32×64', shape: [1, 32, 32, 64], cout: 1, k: 3, strides: 1, depthwise: true },
  { label: 'depthwise 3×3 s2, 1×64×64×32', shape: [1, 64, 64, 32], cout: 1, k: 3, strides: 2, depthwise: true },
];

async function measure(fn) {
  const read = async () => {
    const outs = fn();
    for (const t of outs) await t.data();
    tf.dispose(outs);
  };
  for (let i = 0; i < 2; i++) await read();
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await read();
    times.push(performance.now() - t0);
  }
  let kept = [];
  const profile = await tf.profile(() => {
    kept = fn();
    return kept;
  });
  for (const t of kept) await t.data();
  tf.dispose(kept);
  return { ms: median(times), peak: profile.peakBytes, kernels: profile.kernels.length };
}

const rows = [];
for (const c of CASES) {
  const x = tf.randomNormal(c.shape, 0, 1, 'float32', 1);
  const filter = tf.randomNormal([c.k, c.k, c.shape[3], c.cout], 0, 0.05, 'float32', 2);
  const attrs = { strides: c.strides, dilations: 1, pad: 'same', dataFormat: 'NHWC' };
  const y = c.depthwise ? tf.depthwiseConv2d(x, filter, c.strides, 'same') : tf.conv2d(x, filter, c.strides, 'same');
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
  const run = (name, inputs, extra) => tf.engine().runKernel(name, inputs, { ...attrs, ...extra });
  const [inputGrad, filterGrad] = c.depthwise ? [depthwiseConv2dInputGrad, depthwiseConv2dFilterGrad] : [conv2dInputGrad, conv2dFilterGrad];
  const [inputKernel, filterKernel] = c.depthwise
    ? [tf.DepthwiseConv2dNativeBackpropInput, tf.DepthwiseConv2dNativeBackpropFilter]
    : [tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter];
  const library = await measure(() => [inputGrad(x.shape, dy, filter, attrs), filterGrad(x, dy, filter.shape, attrs)]);
  const native = await measure(() => [
    run(inputKernel, { dy, filter }, { inputShape: x.shape }),
    run(filterKernel, { x, dy }, { filterShape: filter.shape }),
  ]);
  rows.push({ label: c.label, library, native });
  tf.dispose([x, filter, y, dy]);
}

const kib = (b) => `${Math.round(b / 1024)} KiB`;
console.log(`backend ${selection.name} on ${selection.device ?? 'unknown device'}, median of ${RUNS}`);
console.log('| conv (dx + dw) | library: ms / peak / kernels | backend kernels: ms / peak / kernels |');
console.log('| --- | --- | --- |');
for (const r of rows) {
  const cell = (m) => `${m.ms.toFixed(1)} / ${kib(m.peak)} / ${m.kernels}`;
  console.log(`| ${r.label} | ${cell(r.library)} | ${cell(r.native)} |`);
}

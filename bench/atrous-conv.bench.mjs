// Atrous convolution on the wasm backend: forward, input-gradient and
// filter-gradient times of a ResNet-like 3×3 conv (1×64×64×256 → 256) at
// dilation 1 and 2, plus stride 2, ASPP-like rates and a depthwise conv.
//
// Run after `pnpm build`:  node bench/atrous-conv.bench.mjs [runs]
// Prints a markdown table: per row, the timed functions run interleaved
// (forward, input grad, filter grad, ... then again) so that load from other
// processes hits them alike; each cell is the median of `runs` runs after two
// warm-up rounds.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { atrousConv2d } from '../packages/core/dist/index.js';
import { conv2dFilterGrad, conv2dFilterGradByTaps, convGeometry, conv2dInputGrad, depthwiseConv2dFilterGrad, depthwiseConv2dInputGrad } from '../packages/core/dist/kernels/index.js';
import { median, medianMs } from './timing.mjs';

const RUNS = Number(process.argv[2] ?? 7);

await tf.setBackend('wasm');
await tf.ready();

/** Medians (ms) of each function in `fns`, run interleaved; each returns a tensor that is read back. */
function interleavedMedians(fns) {
  const names = Object.keys(fns);
  const times = Object.fromEntries(names.map((k) => [k, []]));
  for (let round = 0; round < RUNS + 2; round++) {
    for (const name of names) {
      const t0 = performance.now();
      // Read outside tidy: tidy walks a returned typed array element by element.
      const out = fns[name]();
      out.dataSync();
      out.dispose();
      if (round >= 2) times[name].push(performance.now() - t0);
    }
  }
  return Object.fromEntries(names.map((k) => [k, median(times[k])]));
}

function benchConv({ label, shape, cout, k = 3, strides = 1, dilations = 1, native = false }) {
  const [n, h, w, cin] = shape;
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
  const filter = tf.randomNormal([k, k, cin, cout], 0, 0.05, 'float32', 2);
  const attrs = { strides, dilations, pad: 'same', dataFormat: 'NHWC' };
  const y = tf.conv2d(x, filter, strides, 'same', 'NHWC', dilations);
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
  const fns = {
    forward: () => tf.conv2d(x, filter, strides, 'same', 'NHWC', dilations),
    inputGrad: () => conv2dInputGrad(x.shape, dy, filter, attrs),
    filterGrad: () => conv2dFilterGrad(x, dy, filter.shape, attrs),
  };
  if (strides === 1 && dilations === 1) {
    // The per-tap route, which conv2dFilterGrad leaves for one convolution at stride 1 and dilation 1.
    const g = convGeometry('bench', x.shape, filter.shape, attrs, false);
    fns.filterGradByTaps = () => conv2dFilterGradByTaps(x, dy, g);
  }
  if (native) {
    // tfjs-backend-wasm's own Conv2DBackpropInput (dilation 1 only), for comparison.
    fns.nativeInputGrad = () => tf.conv2dTranspose(dy, filter, [n, h, w, cin], strides, 'same');
  }
  const row = { label, ...interleavedMedians(fns) };
  tf.dispose([x, filter, y, dy]);
  return row;
}

function benchDepthwise({ label, shape, dilations }) {
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
  const filter = tf.randomNormal([3, 3, shape[3], 1], 0, 0.1, 'float32', 2);
  const attrs = { strides: 1, dilations, pad: 'same' };
  const dy = tf.randomNormal(shape, 0, 1, 'float32', 3);
  const row = {
    label,
    ...interleavedMedians({
      forward: () => tf.depthwiseConv2d(x, filter, 1, 'same', 'NHWC', dilations),
      inputGrad: () => depthwiseConv2dInputGrad(x.shape, dy, filter, attrs),
      filterGrad: () => depthwiseConv2dFilterGrad(x, dy, filter.shape, attrs),
    }),
  };
  tf.dispose([x, filter, dy]);
  return row;
}

const rows = [
  benchConv({ label: 'conv 1×64×64×256 → 256, dilation 1', shape: [1, 64, 64, 256], cout: 256, native: true }),
  benchConv({ label: 'conv 2×64×64×64 → 64, dilation 1', shape: [2, 64, 64, 64], cout: 64 }),
  benchConv({ label: 'conv 2×32×32×128 → 128, dilation 1', shape: [2, 32, 32, 128], cout: 128 }),
  benchConv({ label: 'conv 2×16×16×256 → 256, dilation 1', shape: [2, 16, 16, 256], cout: 256 }),
  benchConv({ label: 'conv 2×64×64×128 → 128, dilation 1', shape: [2, 64, 64, 128], cout: 128 }),
  benchConv({ label: 'conv 1×64×64×256 → 256, dilation 2', shape: [1, 64, 64, 256], cout: 256, dilations: 2 }),
  benchConv({ label: 'conv 1×64×64×256 → 256, stride 2', shape: [1, 64, 64, 256], cout: 256, strides: 2, native: true }),
  benchConv({ label: 'conv 1×33×33×512 → 256, dilation 12', shape: [1, 33, 33, 512], cout: 256, dilations: 12 }),
  benchConv({ label: 'conv 1×33×33×512 → 256, dilation 36', shape: [1, 33, 33, 512], cout: 256, dilations: 36 }),
  benchDepthwise({ label: 'depthwise 1×64×64×256, dilation 2', shape: [1, 64, 64, 256], dilations: 2 }),
];

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `wasm backend (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}), ` +
    `${cpu}, ${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}, median of ${RUNS} runs (ms)\n`,
);
console.log('| 3×3, padding same | forward | input grad | filter grad | filter grad / forward | filter grad by taps | tfjs wasm Conv2DBackpropInput |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
const ms = (v) => (v == null ? '—' : v.toFixed(0));
for (const r of rows) {
  console.log(
    `| ${r.label} | ${ms(r.forward)} | ${ms(r.inputGrad)} | ${ms(r.filterGrad)} | ${(r.filterGrad / r.forward).toFixed(2)}× | ${ms(r.filterGradByTaps)} | ${ms(r.nativeInputGrad)} |`,
  );
}

/** Median `trainOnBatch` time of two stacked 3×3 256→256 convs made by `makeConv` on 1×64×64×256. */
async function trainStep(makeConv) {
  const input = tfl.input({ shape: [64, 64, 256] });
  const output = makeConv().apply(makeConv().apply(input));
  const model = tfl.model({ inputs: input, outputs: output });
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const x = tf.randomNormal([1, 64, 64, 256], 0, 1, 'float32', 4);
  const y = tf.randomNormal([1, 64, 64, 256], 0, 1, 'float32', 5);
  const time = await medianMs(() => model.trainOnBatch(x, y), 3);
  tf.dispose([x, y]);
  model.dispose();
  return time;
}

const convArgs = { filters: 256, kernelSize: 3, padding: 'same' };
console.log('\n| training step, 2 × (3×3 256→256) on 1×64×64×256, median of 3 | ms |');
console.log('|---|---:|');
console.log(`| \`tf.layers.conv2d\` (fused op; wasm's own Conv2DBackpropInput) | ${ms(await trainStep(() => tfl.layers.conv2d(convArgs)))} |`);
console.log(`| \`atrousConv2d\` (@seg/core gradients) | ${ms(await trainStep(() => atrousConv2d(convArgs)))} |`);

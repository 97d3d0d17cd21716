// DeepLabV3+ inference side by side: tfjs wasm `model.predict` (and, as the
// before, tfjs-layers' own predict on the same model), ONNX Runtime
// node (1 thread and all cores) on the model exportOnnx() writes, and PyTorch
// CPU (Debian's python3-torch, bench/inference_torch.py) on the same
// architecture. Random weights (speed does not depend on their values),
// 21 classes, batch 1, median of `--runs` timed runs after one warm-up.
//
// Each runtime runs in its own process, so peak_rss_mb (VmHWM of
// /proc/self/status: the peak resident set of the process since its exec;
// getrusage's maxrss would include the parent's before it) is that runtime's
// alone; the ONNX file is written by this parent process beforehand.
//
// Run after `pnpm build`:
//   node bench/inference.bench.mjs [--runs 3] [--size N] [--python /usr/bin/python3]
// --size replaces both settings' image size (e.g. --size 65 for a quick check).
// Prints one JSON line per runtime and setting:
//   { runtime, backbone, outputStride, size, batch, threads, ms_per_img, peak_rss_mb }
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { medianMs } from './timing.mjs';

const SETTINGS = [
  { backbone: 'resnet50', outputStride: 16, size: 320 },
  { backbone: 'resnet101', outputStride: 8, size: 513 },
];
const NUM_CLASSES = 21;
const here = import.meta.dirname;
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    size: { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
    child: { type: 'string' },
    backbone: { type: 'string' },
    'output-stride': { type: 'string' },
    threads: { type: 'string' },
    model: { type: 'string' },
  },
});
const runs = Number(args.runs);


function peakRssMb() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Math.round(Number(kb) / 1024) : Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * tfjs wasm: `model.predict` (each layer once), or with `stock` tfjs-layers'
 * own `LayersModel.prototype.predict` on the same model — the path every
 * model took before, which runs the nested trunk once per output it feeds.
 */
async function tfjsWasm(setting, stock) {
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  await import('@tensorflow/tfjs-backend-wasm');
  const { deeplabV3Plus } = await import('../packages/deeplab/dist/index.js');
  await tf.setBackend('wasm');
  await tf.ready();
  const model = deeplabV3Plus({ backbone: setting.backbone, outputStride: setting.outputStride, numClasses: NUM_CLASSES });
  const predict = stock ? (x) => tfl.LayersModel.prototype.predict.call(model, x) : (x) => model.predict(x);
  const x = tf.randomNormal([1, setting.size, setting.size, 3], 0, 1, 'float32', 1);
  const ms = await medianMs(async () => {
    const y = predict(x);
    await y.data();
    y.dispose();
  }, runs);
  return { runtime: stock ? 'tfjs-wasm-layers-predict' : 'tfjs-wasm', threads: 1, ms };
}

async function ortNode(setting, threads, file) {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const n = 3 * setting.size * setting.size;
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const feed = { image: new ort.Tensor('float32', data, [1, 3, setting.size, setting.size]) };
  const ms = await medianMs(() => session.run(feed), runs);
  await session.release();
  return { runtime: 'onnxruntime-node', threads, ms };
}

if (args.child) {
  // A child measures one runtime on one setting and prints its JSON line.
  const setting = { backbone: args.backbone, outputStride: Number(args['output-stride']), size: Number(args.size) };
  const threads = Number(args.threads);
  const { runtime, ms } = args.child === 'ort' ? await ortNode(setting, threads, args.model) : await tfjsWasm(setting, args.child === 'tfjs-wasm-layers-predict');
  console.log(JSON.stringify({ runtime, ...setting, batch: 1, threads, ms_per_img: Math.round(ms), peak_rss_mb: peakRssMb() }));
  process.exit(0);
}

const dir = mkdtempSync(join(os.tmpdir(), 'seg-inference-bench-'));
const child = (extra) => process.stdout.write(execFileSync(process.execPath, [import.meta.filename, '--runs', String(runs), ...extra], { encoding: 'utf8' }));
try {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  const { deeplabV3Plus, exportOnnx } = await import('../packages/deeplab/dist/index.js');
  await tf.setBackend('wasm');
  for (const base of SETTINGS) {
    const setting = { ...base, size: args.size ? Number(args.size) : base.size };
    const common = ['--backbone', setting.backbone, '--output-stride', String(setting.outputStride), '--size', String(setting.size)];
    const model = deeplabV3Plus({ backbone: setting.backbone, outputStride: setting.outputStride, numClasses: NUM_CLASSES });
    const file = join(dir, `${setting.backbone}-os${setting.outputStride}.onnx`);
    writeFileSync(file, await exportOnnx(model));
    model.dispose();
    child(['--child', 'tfjs-wasm-layers-predict', ...common, '--threads', '1']);
    child(['--child', 'tfjs-wasm', ...common, '--threads', '1']);
    for (const threads of [...new Set([1, os.availableParallelism()])]) child(['--child', 'ort', ...common, '--threads', String(threads), '--model', file]);
    if (existsSync(args.python)) {
      for (const threads of [...new Set([1, os.availableParallelism()])]) {
        const torchArgs = [join(here, 'inference_torch.py'), ...common, '--threads', String(threads), '--runs', String(runs), '--classes', String(NUM_CLASSES)];
        process.stdout.write(execFileSync(args.python, torchArgs, { encoding: 'utf8' }));
      }
    } else {
      console.error(`no ${args.python}: PyTorch rows skipped (Debian: apt-get install python3-torch python3-torchvision)`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

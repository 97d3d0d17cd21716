// Reading a torch.save (.pth) file against the same weights as .safetensors:
// torchvision's ResNet-101 state dict (171 MB, as torchvision's
// resnet101-63fe2227.pth), made by bench/weight_files.py with Debian's
// python3-torch. Times `readWeightFile` (the loaders' reader: Node's async
// readFile, then `parseTorchCheckpoint` or `parseSafetensors` by the first
// bytes) with the page cache warm after the untimed run, and
// `loadTorchvisionWeights` into a ResNet-101 on the wasm backend (read,
// check every key and shape, transpose, assign), median of `runs` timed runs
// after one untimed. Target (issue 21): the .pth within 2× of the .safetensors.
//
// Run after `pnpm build`:
//   node bench/pth-reading.bench.mjs [runs=5] [resnet101|resnet18] [--python /usr/bin/python3]
// The files are written to a temporary folder and removed afterwards.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import { loadTorchvisionWeights, readWeightFile, resnet } from '../packages/core/dist/index.js';
import { medianMs } from './timing.mjs';

const args = process.argv.slice(2);
const pythonAt = args.indexOf('--python');
const python = pythonAt >= 0 ? args[pythonAt + 1] : '/usr/bin/python3';
const positional = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--python');
const RUNS = Number(positional[0] ?? 5);
const ARCH = positional[1] ?? 'resnet101';
const DEPTH = Number(ARCH.replace('resnet', ''));

const dir = mkdtempSync(join(os.tmpdir(), 'seg-bench-weights-'));
try {
  execFileSync(python, [join(import.meta.dirname, 'weight_files.py'), dir, ARCH], { stdio: 'inherit' });
  const files = { '.pth': join(dir, `${ARCH}.pth`), '.safetensors': join(dir, `${ARCH}.safetensors`) };
  await tf.setBackend('wasm');
  await tf.ready();
  const model = resnet({ depth: DEPTH, outputStride: 32 });
  const rows = [];
  for (const [format, path] of Object.entries(files)) {
    const read = await medianMs(() => readWeightFile(path), RUNS);
    const load = await medianMs(() => loadTorchvisionWeights(model, path), RUNS);
    rows.push({ format, size: statSync(path).size, read, load });
  }
  model.dispose();
  const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  console.log(`${os.cpus().length} cores, ${os.cpus()[0].model}, Node ${process.version}; ${ARCH}, median of ${RUNS} runs after 1 untimed\n`);
  console.log('| file | size | read + parse | loadTorchvisionWeights (wasm) |\n| --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${ARCH}${r.format} | ${mib(r.size)} | ${r.read.toFixed(0)} ms | ${r.load.toFixed(0)} ms |`);
  const [pth, st] = rows;
  console.log(`\n.pth / .safetensors: read ${(pth.read / st.read).toFixed(2)}×, load ${(pth.load / st.load).toFixed(2)}× (target ≤ 2×)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

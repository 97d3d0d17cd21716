// Bundles the page for browsers and copies it, with tfjs's and ONNX Runtime
// Web's .wasm binaries, the shipped model (and its ONNX export, made here by
// exportOnnx) and the sample images, into dist/, with a `_headers` file
// holding the cross-origin-isolation headers for static hosts. Without
// model/ (a fresh checkout that lost it), train-model.mjs makes it first.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { exportOnnx } from '@seg/deeplab';
import { loadModel } from '@seg/core';
import { build } from 'esbuild';
import { headersFile } from './isolation-headers.mjs';

const here = import.meta.dirname;
const out = join(here, 'dist');
mkdirSync(out, { recursive: true });
if (!existsSync(join(here, 'model/model.json')) || !existsSync(join(here, 'samples/samples.json'))) {
  console.log('browser example: model/ or samples/ missing; training the shipped model (about three minutes)');
  execFileSync(process.execPath, [join(here, 'train-model.mjs')], { stdio: 'inherit' });
}
cpSync(join(here, 'model'), join(out, 'model'), { recursive: true });
cpSync(join(here, 'samples'), join(out, 'samples'), { recursive: true });
await tf.setBackend('cpu');
const shipped = await loadModel(join(here, 'model'));
writeFileSync(join(out, 'model.onnx'), await exportOnnx(shipped));
shipped.dispose();
await build({
  entryPoints: [join(here, 'src/main.ts')],
  bundle: true,
  // ONNX Runtime Web goes in its own chunk, loaded when that runtime is picked.
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outdir: out,
  sourcemap: true,
  logLevel: 'warning',
});
copyFileSync(join(here, 'public/index.html'), join(out, 'index.html'));
writeFileSync(join(out, '_headers'), headersFile());
const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(out, f));
// ONNX Runtime Web's two builds the page imports: `onnxruntime-web/wasm` (CPU
// only, the smallest binary) and `onnxruntime-web/webgpu` (its native WebGPU
// execution provider, an asyncify build). Each loads its .wasm, and its .mjs
// as the threads' worker script, from env.wasm.wasmPaths.
const ortDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
mkdirSync(join(out, 'ort'), { recursive: true });
for (const build of ['ort-wasm-simd-threaded', 'ort-wasm-simd-threaded.asyncify']) {
  for (const ext of ['.wasm', '.mjs']) copyFileSync(join(ortDir, build + ext), join(out, 'ort', build + ext));
}
console.log(`browser example built into ${out}`);

// Inference per image of torchvision's browser-sized segmentation models
// against DeepLabV3+ ResNet-50 / output stride 16, side by side: tfjs wasm in
// Node, and Chromium's wasm and webgl backends (Debian's chromium, driven by
// the browser example's test/chromium.mjs; the page is bundled with its
// esbuild). Random weights (speed does not depend on their values), 21
// classes, batch 1, `model.predict` until the logits are read back, median of
// `runs` timed runs after one untimed run (which compiles WebGL shaders).
// Target (issue 21): both MobileNetV3 models ≥ 5× faster than ResNet-50
// DeepLabV3+ (torchvision: 2.3–10 GFLOPs against ~90).
//
// Run after `pnpm build`:
//   node bench/torchvision-inference.bench.mjs [runs=3] [size=513] [--no-browser]
// CHROMIUM=/path/to/chromium overrides /usr/bin/chromium.
// Prints a markdown table: one row per model, ms per image per runtime and the speed-up over ResNet-50.
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import { medianMs } from './timing.mjs';
import { BASELINE, MODELS } from './torchvision-models.mjs';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const RUNS = Number(positional[0] ?? 3);
const SIZE = Number(positional[1] ?? 513);
const BROWSER = !process.argv.includes('--no-browser');
async function nodeWasm() {
  await tf.setBackend('wasm');
  await tf.ready();
  const times = {};
  for (const [name, build] of Object.entries(MODELS)) {
    const model = build();
    const x = tf.randomNormal([1, SIZE, SIZE, 3], 0, 1, 'float32', 1);
    times[name] = await medianMs(async () => {
      const y = model.predict(x);
      await y.data();
      y.dispose();
    }, RUNS);
    x.dispose();
    model.dispose();
  }
  return times;
}

async function chromium() {
  const browserExample = createRequire(join(import.meta.dirname, '..', 'examples', 'browser', 'package.json'));
  const { build } = browserExample('esbuild');
  const { serve } = await import('../examples/browser/serve.mjs');
  const { launchChromium } = await import('../examples/browser/test/chromium.mjs');
  const dir = mkdtempSync(join(os.tmpdir(), 'seg-bench-page-'));
  try {
    await build({
      entryPoints: [join(import.meta.dirname, 'torchvision-inference-page.mjs')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(dir, 'page.js'),
      nodePaths: [join(import.meta.dirname, '..', 'examples', 'browser', 'node_modules')],
      logLevel: 'warning',
    });
    const wasmDir = dirname(browserExample.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(dir, f));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./page.js"></script>');
    const server = await serve(dir);
    // As the browser example's test starts it: off the network, software WebGL (--disable-gpu).
    const browser = await launchChromium();
    const times = { wasm: {}, webgl: {} };
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await page.waitForFunction(() => document.title === 'ready');
      for (const backend of Object.keys(times)) {
        for (const name of Object.keys(MODELS)) {
          times[backend][name] = await page.evaluate(([n, b, s, r]) => window.benchInference(n, b, s, r), [name, backend, SIZE, RUNS]);
        }
      }
    } finally {
      await browser.close();
      server.close();
    }
    return times;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const runtimes = { 'Node wasm': await nodeWasm() };
if (BROWSER) {
  const browser = await chromium();
  runtimes['Chromium wasm'] = browser.wasm;
  runtimes['Chromium webgl'] = browser.webgl;
}
const cell = (times, name) => (times[name] == null ? 'n/a' : `${times[name].toFixed(0)} ms (${(times[BASELINE] / times[name]).toFixed(1)}×)`);
console.log(`${os.cpus().length} cores, ${os.cpus()[0].model}, Node ${process.version}; 1×${SIZE}×${SIZE}×3, median of ${RUNS} runs after 1 untimed`);
console.log('(×: speed-up over DeepLabV3+ ResNet-50 OS 16)\n');
console.log(`| model | ${Object.keys(runtimes).join(' | ')} |`);
console.log(`| --- | ${Object.keys(runtimes).map(() => '---').join(' | ')} |`);
for (const name of Object.keys(MODELS)) console.log(`| ${name} | ${Object.values(runtimes).map((t) => cell(t, name)).join(' | ')} |`);

// Side-by-side timing in headless Chromium: the shipped model on every
// runtime of the page (one sample image, flip off, median of `--runs` after
// one warm-up), then fine-tuning on the samples on tfjs WebGPU and tfjs wasm
// (median ms per step after the first, which compiles). Numbers for the
// README table and bench/README.md; run on a quiet machine after `pnpm build`:
//   node examples/browser/build.mjs && node examples/browser/test/browser-timing.mjs [--runs 5] [--steps 5]
// Prints one JSON line per row: { runtime, backend, adapter, threads, image,
// runs, ms_per_img } or { finetune, backend, adapter, crop, steps, ms_per_step }.
// A WebGPU row whose adapter is `swiftshader` ran on the CPU through
// SwiftShader: it shows that the runtime works, not how fast a GPU is.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '../serve.mjs';
import { launchChromium } from './chromium.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, steps: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const steps = Number(values.steps);
const RUNTIMES = ['tfjs-wasm', 'tfjs-webgl', 'tfjs-webgpu', 'ort-wasm', 'ort-webgpu'];
const server = await serve(join(import.meta.dirname, '..', 'dist'));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await launchChromium();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  for (const runtime of RUNTIMES) {
    const page = await browser.newPage();
    await page.goto(`${base}/index.html?runtime=${runtime}`);
    await page.waitForFunction(() => window.segResult !== undefined, undefined, { timeout: 600_000 });
    const row = await page.evaluate(async (runs) => {
      const shown = window.segResult;
      if (shown.error) return { runtime: shown.error };
      const [name] = await (await fetch('./samples/samples.json')).json();
      const bitmap = await createImageBitmap(await (await fetch(`./samples/${name}`)).blob());
      const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      const image = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
      await window.seg.segmentPixels(image);
      const times = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await window.seg.segmentPixels(image);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const { runtime, backend, adapter, threads } = shown;
      return { runtime, backend, adapter, threads, image: `${image.width}x${image.height}`, runs, ms_per_img: Math.round(times[Math.floor(runs / 2)]) };
    }, runs);
    console.log(JSON.stringify(row));
    await page.close();
  }
  for (const runtime of ['tfjs-wasm', 'tfjs-webgpu']) {
    const page = await browser.newPage();
    await page.goto(`${base}/index.html?runtime=${runtime}&finetune=${steps}`);
    await page.waitForFunction(() => window.segFineTune !== undefined, undefined, { timeout: 1_200_000 });
    const ft = await page.evaluate(() => window.segFineTune);
    const crop = await page.evaluate(() => document.getElementById('crop').value);
    console.log(
      JSON.stringify(
        ft.error
          ? { finetune: runtime, error: ft.error }
          : { finetune: runtime, backend: ft.backend, adapter: ft.adapter, crop, steps, ms_per_step: Math.round(median(ft.steps.slice(1).map((s) => s.ms))) },
      ),
    );
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}

// Side-by-side timing in headless Chromium: the shipped model on tfjs (wasm,
// and webgl where it starts) and its ONNX export on ONNX Runtime Web (wasm),
// one sample image, flip off, median of `--runs` after one warm-up. Numbers
// for the README table; run on a quiet machine after `pnpm build`:
//   node examples/browser/build.mjs && node examples/browser/test/browser-timing.mjs [--runs 5]
// Prints one JSON line per runtime: { runtime, image, runs, ms_per_img }.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '../serve.mjs';
import { launchChromium } from './chromium.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const server = await serve(join(import.meta.dirname, '..', 'dist'));
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
  await page.waitForFunction(() => /^(segmented|error)/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 240_000 });
  const rows = await page.evaluate(async (runs) => {
    const [name] = await (await fetch('./samples/samples.json')).json();
    const bitmap = await createImageBitmap(await (await fetch(`./samples/${name}`)).blob());
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    const image = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    const time = async (runtime) => {
      await window.seg.segmentPixels(image);
      const times = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await window.seg.segmentPixels(image);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      return { runtime, image: `${image.width}x${image.height}`, runs, ms_per_img: Math.round(times[Math.floor(runs / 2)]) };
    };
    const out = [];
    for (const backend of ['wasm', 'webgl']) if (await window.seg.useBackend(backend)) out.push(await time(`tfjs-${backend}`));
    await window.seg.useOnnx(undefined, ['wasm']);
    out.push(await time('onnxruntime-web-wasm'));
    return out;
  }, runs);
  for (const row of rows) console.log(JSON.stringify(row));
} finally {
  await browser.close();
  server.close();
}

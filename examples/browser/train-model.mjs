#!/usr/bin/env node
// Makes the model and sample images the page ships with (model/ and
// samples/, committed): runs `pnpm demo` — the train-msrc example's reference
// procedure on a synthetic MSRC-format dataset, on wasm, seeded — into a
// scratch folder, copies its model, and writes three of its test images as
// PNGs. About three minutes on two CPU cores; build.mjs runs it when model/
// is missing. Run it again after a change to the model's layers or the demo.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng, groundTruthFromLabels, openMsrc } from '@seg/msrc';

const here = import.meta.dirname;
const scratch = join(here, '.tmp/demo-run');
/** Test images shipped as samples; the demo's test split has 20 images. */
const SAMPLE_COUNT = 3;

rmSync(scratch, { recursive: true, force: true });
execFileSync('pnpm', ['--filter', '@seg-examples/train-msrc', 'demo'], {
  cwd: join(here, '../..'),
  stdio: 'inherit',
  env: { ...process.env, SEG_DEMO_OUT: scratch, INIT_CWD: here },
});
rmSync(join(here, 'model'), { recursive: true, force: true });
cpSync(join(scratch, 'model'), join(here, 'model'), { recursive: true });
for (const f of ['metrics.json', 'config.json']) cpSync(join(scratch, f), join(here, 'model', f));

const samples = join(here, 'samples');
rmSync(samples, { recursive: true, force: true });
mkdirSync(samples);
/** RGBA with full alpha from RGB bytes. */
function opaque(rgb) {
  const rgba = new Uint8Array((rgb.length / 3) * 4).fill(255);
  for (let p = 0; p < rgb.length / 3; p++) rgba.set(rgb.subarray(3 * p, 3 * p + 3), 4 * p);
  return rgba;
}
const test = (await openMsrc(join(scratch, 'data'))).split('test');
const names = [];
for (let i = 0; i < SAMPLE_COUNT; i++) {
  const { id, image, labels } = await test.get(i);
  const { width, height } = image;
  writeFileSync(join(samples, `${id}.png`), await encodePng(opaque(image.data), width, height));
  writeFileSync(join(samples, `${id}_GT.png`), await encodePng(opaque(groundTruthFromLabels(labels, width, height).data), width, height));
  names.push(`${id}.png`);
}
writeFileSync(join(samples, 'samples.json'), `${JSON.stringify(names, null, 2)}\n`);
rmSync(scratch, { recursive: true, force: true });
console.log(`browser example: model in ${join(here, 'model')}, ${names.length} samples in ${samples}`);

// Bundles the page for browsers and copies it, with tfjs's .wasm binaries, the
// shipped model and the sample images, into dist/. Without model/ (a fresh
// checkout that lost it), train-model.mjs makes it first.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const here = import.meta.dirname;
const out = join(here, 'dist');
mkdirSync(out, { recursive: true });
if (!existsSync(join(here, 'model/model.json')) || !existsSync(join(here, 'samples/samples.json'))) {
  console.log('browser example: model/ or samples/ missing; training the shipped model (about three minutes)');
  execFileSync(process.execPath, [join(here, 'train-model.mjs')], { stdio: 'inherit' });
}
cpSync(join(here, 'model'), join(out, 'model'), { recursive: true });
cpSync(join(here, 'samples'), join(out, 'samples'), { recursive: true });
await build({
  entryPoints: [join(here, 'src/main.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outfile: join(out, 'main.js'),
  sourcemap: true,
  logLevel: 'warning',
});
copyFileSync(join(here, 'public/index.html'), join(out, 'index.html'));
const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(out, f));
console.log(`browser example built into ${out}`);

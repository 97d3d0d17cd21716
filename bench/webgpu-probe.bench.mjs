#!/usr/bin/env node
// What asking Dawn for WebGPU adapters costs a process that starts: Dawn asked in the
// process itself (how @seg/core probed before) against listWebGpuAdapters(), which asks
// in a child process to keep Dawn's native messages off the terminal. Each sample is a
// fresh Node process timing from before the probe to after it; the two variants alternate,
// so load on the machine falls on both alike.
//
//   pnpm build && node bench/webgpu-probe.bench.mjs [samples]   (default 9)
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const samples = Number(process.argv[2] ?? 9);
const core = pathToFileURL(join(root, 'packages/core/dist/index.js')).href;
const webgpu = pathToFileURL(createRequire(join(root, 'packages/core/package.json')).resolve('webgpu')).href;

// The same three requests as the probe (native high-performance and low-power, OpenGL compatibility).
const IN_PROCESS = `
process.env.EGL_PLATFORM ??= 'surfaceless';
const t0 = performance.now();
const { create } = await import(${JSON.stringify(webgpu)});
const native = create([]);
for (const o of [{ powerPreference: 'high-performance' }, { powerPreference: 'low-power' }]) await native.requestAdapter(o).catch(() => null);
await create(['backend=opengl']).requestAdapter({ featureLevel: 'compatibility' }).catch(() => null);
console.log(performance.now() - t0);
process.exit(0);`;
const CHILD = `
const { listWebGpuAdapters } = await import(${JSON.stringify(core)});
const t0 = performance.now();
await listWebGpuAdapters();
const first = performance.now() - t0;
const t1 = performance.now();
await listWebGpuAdapters();
console.log(first, performance.now() - t1);
process.exit(0);`;

const time = (code) => execFileSync(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim().split(' ').map(Number);
const inProcess = [];
const child = [];
const again = [];
for (let i = 0; i < samples; i++) {
  inProcess.push(time(IN_PROCESS)[0]);
  const [first, second] = time(CHILD);
  child.push(first);
  again.push(second);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const ms = (x) => `${x.toFixed(0)} ms`;
console.log(`WebGPU adapter probe, median of ${samples} fresh processes:`);
console.log(`  in-process (before)           ${ms(median(inProcess))}`);
console.log(`  child process (now)           ${ms(median(child))}   (+${ms(median(child) - median(inProcess))})`);
console.log(`  second call in a process      ${ms(median(again))}   (remembered)`);

import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diagnoseBackends } from './diagnose.js';
import { runCli as runDoctor } from '../cli/program.js';
import { explainTfjsNodeFailure, missingSharedLibrary } from './libtensorflow.js';
import { selectBackend } from './select.js';
import { listWebGpuAdapters } from './webgpu/adapters.js';

// Not test-utils/backends: it would load the tfjs webgpu backend first, and the
// doctor must work in a process where nothing has (as `seg-doctor` runs).
const adapters = await listWebGpuAdapters().catch(() => []);

describe('explainTfjsNodeFailure', () => {
  it('names the missing CUDA library and the CUDA 11.2 / cuDNN 8.1 libraries libtensorflow 2.9.1 needs', () => {
    const message =
      'libcudart.so.11.0: cannot open shared object file: No such file or directory\n    at Module._extensions..node (node:internal/modules/cjs/loader:1460:18)';
    expect(missingSharedLibrary(message)).toBe('libcudart.so.11.0');
    const { problem, fix } = explainTfjsNodeFailure('@tensorflow/tfjs-node-gpu', message);
    expect(problem).toMatch(/cannot load libcudart\.so\.11\.0: .*libtensorflow 2\.9\.1, built for CUDA 11\.2 and cuDNN 8\.1/);
    expect(fix).toMatch(/cuDNN 8\.1 .*LD_LIBRARY_PATH; a CUDA 12 driver runs CUDA 11 libraries/);
    expect(explainTfjsNodeFailure('@tensorflow/tfjs-node-gpu', 'libcudnn.so.8: cannot open shared object file').problem).toMatch(/libcudnn\.so\.8/);
  });

  it('tells an installation without libtensorflow how to fetch it, offline too', () => {
    const { problem, fix } = explainTfjsNodeFailure(
      '@tensorflow/tfjs-node',
      "Cannot find module '/app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'",
    );
    expect(problem).toBe('@tensorflow/tfjs-node is installed without its native library');
    expect(fix).toMatch(/npm rebuild .*TFJS_NODE_CDN_STORAGE .*custom-binary\.json/);
  });
});

describe('diagnoseBackends on this machine (no GPU, no libtensorflow)', () => {
  it('explains each backend from selectBackend\'s own reasons and picks what it picks: wasm', async () => {
    const report = await diagnoseBackends();
    const { skipped } = await selectBackend();
    const by = Object.fromEntries(report.backends.map((b) => [b.name, b]));
    expect(report.backends.map((b) => b.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
    expect(by['tensorflow-gpu']).toMatchObject({ installed: false, works: false, problem: '@tensorflow/tfjs-node-gpu is not installed' });
    expect(by['tensorflow-gpu'].fix).toMatch(/^npm install @tensorflow\/tfjs-node-gpu@4\.22\.0 .*CUDA 11\.2 and cuDNN 8\.1/);
    // The doctor's reasons are selectBackend's, object for object: nothing re-derived from text.
    expect(by['tensorflow-gpu'].skip).toEqual(skipped[0]);
    expect(by.webgpu.skip).toEqual(skipped[1]);
    expect(by.tensorflow).toMatchObject({ installed: false, works: false });
    expect(by.wasm).toMatchObject({ installed: true, works: true, selectedByDefault: true });
    expect(by.cpu).toMatchObject({ installed: true, works: true, selectedByDefault: false });
    expect(report.selected).toBe('wasm');
    if (adapters.length > 0) {
      // Mesa's llvmpipe: it works, but is not chosen, and the report says why.
      expect(by.webgpu).toMatchObject({ installed: true, works: true, selectedByDefault: false });
      expect(by.webgpu.adapters!.every((a) => a.software)).toBe(true);
      expect(by.webgpu.device).toMatch(/llvmpipe/);
      expect(by.webgpu.problem).toMatch(/^only a software adapter \(.*llvmpipe.*\): correct but slower than the wasm backend$/);
      expect(by.webgpu.fix).toMatch(/^pass allowSoftwareGpu \(SEG_ALLOW_SOFTWARE_GPU=1\) to use it anyway/);
    } else {
      expect(by.webgpu.works).toBe(false);
      expect(by.webgpu.skip?.reason).toBe('no-adapter');
      expect(by.webgpu.fix).toMatch(/Vulkan driver/);
    }
  });
});

describe('seg-doctor', () => {
  it('prints the report, exits 0 when a backend works, and 2 on an unknown flag', async () => {
    const lines: string[] = [];
    expect(await runDoctor([], (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/^wasm {12}works, selected by default/m);
    expect(lines.join('\n')).toMatch(/selectBackend\(\) picks: wasm$/);
    const json: string[] = [];
    expect(await runDoctor(['--json'], (l) => json.push(l))).toBe(0);
    expect(JSON.parse(json[0]).selected).toBe('wasm');
    const bad: string[] = [];
    expect(await runDoctor(['--gpu'], (l) => bad.push(l))).toBe(2);
    expect(bad[0]).toBe('seg-doctor: unknown argument "--gpu"; expected --json or --help');
  });

  it('as a command prints its report and nothing on stderr: no tfjs banner, no Dawn output (summarised in one line of the report)', () => {
    const bin = fileURLToPath(new URL('../../bin/seg-doctor.js', import.meta.url));
    const r = spawnSync(process.execPath, [bin], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/selectBackend\(\) picks: wasm\n$/);
    expect(r.stderr).not.toMatch(/looks like you are running TensorFlow\.js/);
    // What Dawn, Mesa and the Vulkan loader print while adapters are looked for and WebGPU is tried
    // (seen on this machine before): captured from child processes, summarised in one line of the report.
    expect(r.stderr).toBe('');
    const summary = r.stdout.split('\n').filter((l) => l.includes('Dawn said (kept off the terminal)'));
    expect(summary.length).toBeLessThanOrEqual(1);
    if (adapters.length > 0) expect(r.stdout).toMatch(/^webgpu {10}works — /m);
  });
});

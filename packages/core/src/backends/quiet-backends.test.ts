import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// A user's program, run as one: a file beside the workspace's node_modules (tfjs, the built @seg/core),
// under tsx, which loads tfjs-backend-wasm's ESM build (the glue's 36 kB minified line) as the examples do.
const root = fileURLToPath(new URL('../../../../', import.meta.url));
mkdirSync(join(root, '.tmp'), { recursive: true });
const dir = mkdtempSync(join(root, '.tmp', 'quiet-backends-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runProgram(name: string, source: string): { status: number | null; stdout: string; stderr: string } {
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, source);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', env: { ...process.env, SEG_TEST_WEBGPU: '0' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const BANNER = /looks like you are running TensorFlow\.js in Node\.js/;

describe("tfjs-backend-cpu's Node banner", () => {
  const program = (seg: boolean) => `import * as tf from '@tensorflow/tfjs-core';
${seg ? "import '@seg/core';" : ''}
import '@tensorflow/tfjs-backend-cpu';
await tf.setBackend('cpu');
console.log(tf.add(tf.tensor([1, 2]), 1).dataSync().join());
`;

  it('is printed by tfjs on the first tensor (the check sees it)', () => {
    const r = runProgram('cpu-plain', program(false));
    expect(r.stdout).toBe('2,3\n');
    expect(r.stderr).toMatch(BANNER);
  });

  it('is not printed once @seg/core is loaded, and the backend computes as before', () => {
    const r = runProgram('cpu-seg', program(true));
    expect(r.stdout).toBe('2,3\n');
    expect(r.stderr).toBe('');
  });
});

describe("an error in a user's top-level await on the wasm backend", () => {
  const program = (activate: string) => `import * as tf from '@tensorflow/tfjs-core';
${activate}
await tf.ready();
console.log(tf.getBackend());
throw new Error('the user error');
`;
  const plainWasm = "import '@tensorflow/tfjs-backend-wasm';\nawait tf.setBackend('wasm');";

  /** What Node prints for an uncaught error of the program itself: its own line and stack, exit code 1. */
  function expectReadable(r: { status: number | null; stdout: string; stderr: string }, file: string): void {
    expect(r.stdout).toBe('wasm\n');
    expect(r.status).toBe(1);
    // Node's report of an uncaught error starts at the throwing line of the program: <file>:<line>.
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}:\\d+$`));
    expect(r.stderr).toMatch(/^Error: the user error$/m);
    expect(r.stderr).not.toContain('tfjs-backend-wasm');
    expect(Math.max(...r.stderr.split('\n').map((l) => l.length))).toBeLessThan(200);
  }

  it("is printed after the emscripten glue's source and exits 7 with tfjs alone (the check sees it)", () => {
    const r = runProgram('wasm-plain', program(plainWasm));
    expect(r.status).toBe(7);
    expect(r.stderr).toContain('tfjs-backend-wasm');
    expect(Math.max(...r.stderr.split('\n').map((l) => l.length))).toBeGreaterThan(10_000);
  });

  it('is printed as Node prints any error, exit code 1, with @seg/core loaded and tf.setBackend', () => {
    const r = runProgram('wasm-set-backend', program(`import '@seg/core';\n${plainWasm}`));
    expectReadable(r, join(dir, 'wasm-set-backend.ts'));
  });

  it('is printed as Node prints any error when selectBackend loads the wasm package after @seg/core', () => {
    const r = runProgram('wasm-select', program("const { selectBackend } = await import('@seg/core');\nawait selectBackend(['wasm']);"));
    expectReadable(r, join(dir, 'wasm-select.ts'));
  });
});

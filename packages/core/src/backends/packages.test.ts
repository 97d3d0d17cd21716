import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES, BACKEND_PACKAGES, DAWN_PACKAGE, installCommand, TFJS_VERSION } from './packages.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
type Manifest = { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
const workspace = ['.', ...['packages', 'examples'].flatMap((d) => readdirSync(join(root, d)).map((p) => `${d}/${p}`))].map(manifest);

describe('the backend package table', () => {
  it('names every backend once, with the pins package.json files install', () => {
    expect(Object.keys(BACKEND_PACKAGES)).toEqual([...BACKEND_NAMES]);
    const pins = new Map<string, string>([[DAWN_PACKAGE.name, DAWN_PACKAGE.version]]);
    for (const spec of Object.values(BACKEND_PACKAGES)) pins.set(spec.package, spec.version);
    for (const p of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers']) pins.set(p, TFJS_VERSION);
    let checked = 0;
    // Every dependency on a tfjs package or on Dawn, anywhere in the workspace, is the table's version: exact, or ^ for a peer range.
    for (const m of workspace) {
      for (const [field, deps] of Object.entries({ dependencies: m.dependencies, devDependencies: m.devDependencies, peerDependencies: m.peerDependencies })) {
        for (const [name, range] of Object.entries(deps ?? {})) {
          const pin = pins.get(name);
          if (pin === undefined) continue;
          expect([pin, `^${pin}`], `${m.name} ${field} ${name}`).toContain(range);
          checked++;
        }
      }
    }
    // core's peers and dev pins, the root's, the examples': the check above ran over all of them.
    expect(checked).toBeGreaterThan(20);
    expect(manifest('packages/core').peerDependencies).toMatchObject({ [DAWN_PACKAGE.name]: `^${DAWN_PACKAGE.version}`, '@tensorflow/tfjs-backend-webgpu': `^${TFJS_VERSION}` });
  });

  it('writes install commands with the pinned versions, Dawn before the WebGPU backend in Node', () => {
    expect(installCommand('webgpu')).toBe('npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0');
    expect(installCommand('webgpu', false)).toBe('npm install @tensorflow/tfjs-backend-webgpu@4.22.0');
    expect(installCommand('wasm')).toBe('npm install @tensorflow/tfjs-backend-wasm@4.22.0');
  });
});

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPackage } from './runtime-import.js';

describe('importPackage', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seg-import-package-'));
    await mkdir(join(dir, 'lib'));
    // What tfjs-node looks like when its install script did not fetch libtensorflow: its binding is missing.
    await writeFile(join(dir, 'no-binding.cjs'), "require('./lib/napi-v8/tfjs_binding.node');\n");
    await writeFile(join(dir, 'throws.cjs'), "throw new Error('boom at load\\nsecond line');\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('tells a missing package from one that is installed but fails to load', async () => {
    expect(await importPackage('seg-no-such-package')).toEqual({ missing: true, error: expect.stringContaining('seg-no-such-package') });
    expect(await importPackage('@tensorflow/tfjs-backend-cpu')).toBeUndefined();
    const noBinding = await importPackage(join(dir, 'no-binding.cjs'));
    expect(noBinding).toEqual({ missing: false, error: expect.stringMatching(/tfjs_binding\.node/) });
    expect(await importPackage(join(dir, 'throws.cjs'))).toEqual({ missing: false, error: 'boom at load' });
  });
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests run against the sources, not the built dist, so `pnpm test:unit` needs no build.
const alias = {
  '@seg/core': src('core'),
  '@seg/datasets/msrc': fileURLToPath(new URL('./packages/datasets/src/msrc.ts', import.meta.url)),
  '@seg/datasets/classes': fileURLToPath(new URL('./packages/datasets/src/classes.ts', import.meta.url)),
  '@seg/datasets': src('datasets'),
  '@seg/msrc': src('msrc'),
  // Subpaths before their package: an alias also matches as a prefix.
  '@seg/deeplab/node': fileURLToPath(new URL('./packages/deeplab/src/node.ts', import.meta.url)),
  '@seg/deeplab': src('deeplab'),
};

const project = (name: string, dir: string) => ({
  resolve: { alias },
  test: {
    name,
    root: fileURLToPath(new URL(`./${dir}`, import.meta.url)),
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

export default defineConfig({
  test: {
    // One fork per file: tfjs backends are process-global state.
    pool: 'forks',
    projects: [
      project('core', 'packages/core'),
      project('datasets', 'packages/datasets'),
      project('msrc', 'packages/msrc'),
      project('deeplab', 'packages/deeplab'),
      project('train-msrc', 'examples/train-msrc'),
      project('segment-image', 'examples/segment-image'),
      project('browser', 'examples/browser'),
    ],
  },
});

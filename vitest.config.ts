import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string, file = 'index.ts') => fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));
// Each entry exactly (a plain string alias would also rewrite the subpaths below it).
const entry = (name: string, file: string) => ({ find: new RegExp(`^${name}$`), replacement: file });

// Tests run against the sources, not the built dist, so `pnpm test:unit` needs no build.
const alias = [
  entry('@seg/core', src('core')),
  entry('@seg/core/kernels', src('core', 'kernels/index.ts')),
  entry('@seg/core/internals', src('core', 'internals.ts')),
  entry('@seg/datasets', src('datasets')),
  entry('@seg/datasets/msrc', src('datasets', 'msrc.ts')),
  entry('@seg/datasets/classes', src('datasets', 'classes.ts')),
  entry('@seg/msrc', src('msrc')),
  entry('@seg/msrc/palette', src('msrc', 'palette.ts')),
  entry('@seg/deeplab', src('deeplab')),
  entry('@seg/deeplab/node', src('deeplab', 'node.ts')),
];

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

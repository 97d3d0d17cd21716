import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/palette.ts'],
  format: ['esm', 'cjs'],
  // tsconfig.json is a composite project for `tsc -b` that maps @seg/core to its source; with
  // that mapping tsup would bundle a copy of core instead of importing the published package.
  tsconfig: 'tsconfig.build.json',
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'neutral',
  // Dependencies and peers stay external: one tfjs instance per process.
  skipNodeModulesBundle: true,
});

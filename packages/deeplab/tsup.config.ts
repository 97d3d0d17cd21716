import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ["src/index.ts"],
  format: ['esm', 'cjs'],
  // The package tsconfig is a composite project for `tsc -b`; tsup's d.ts build wants a plain one.
  // Resolve @seg/core through node_modules (its built .d.ts), not the source path the typecheck uses.
  dts: { compilerOptions: { composite: false, incremental: false, paths: {} } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'neutral',
  // Dependencies and peers stay external: one tfjs instance per process.
  skipNodeModulesBundle: true,
});
